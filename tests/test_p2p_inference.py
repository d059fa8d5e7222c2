"""p2p.inference and p2p.model: shapes, seeded noise, batch invariance, no global state, odd input images."""

from __future__ import annotations

import copy
import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from p2p_testutils import face_pair, tiny_generator
from PIL import Image

from p2p.inference import FaceGenerator, is_blank, prepare_drawing, tensor_to_image
from p2p.model import MultiscaleDiscriminator, PatchDiscriminator, UNetGenerator, with_phase_decoder


@pytest.fixture(scope="module")
def generator() -> FaceGenerator:
    return FaceGenerator(tiny_generator(num_downs=6), device="cpu")


@pytest.fixture(scope="module")
def drawing() -> np.ndarray:
    """A 256×256 black-on-white test drawing."""
    return face_pair(7, size=256)[0]


# ----------------------------------------------------------------------------- model shapes


@pytest.mark.parametrize(("num_downs", "ngf"), [(6, 8), (6, 16), (7, 8), (7, 16), (8, 8)])
def test_generator_output_shape_for_each_size(num_downs: int, ngf: int) -> None:
    size = 2**num_downs
    model = UNetGenerator(num_downs=num_downs, ngf=ngf)
    with torch.no_grad():
        out = model(torch.zeros(2, 1, size, size), seeds=[0, 1])
    assert out.shape == (2, 3, size, size)
    assert out.abs().max() <= 1.0  # tanh
    assert model.downs[-1][-1].out_channels == ngf * 8  # width doubles per level up to 8·ngf


def test_dropout_sits_in_the_innermost_decoder_blocks_as_in_unet_256() -> None:
    assert UNetGenerator(num_downs=8, ngf=8).dropout_after == {1, 2, 3}
    assert UNetGenerator(num_downs=6, ngf=8).dropout_after == {1}


def test_initial_weights_follow_n_0_002() -> None:
    weights = torch.cat(
        [
            m.weight.flatten()
            for m in UNetGenerator(num_downs=7, ngf=16).modules()
            if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d)
        ]
    )
    assert abs(weights.mean().item()) < 1e-3
    assert weights.std().item() == pytest.approx(0.02, rel=0.05)


@pytest.mark.parametrize(("n_layers", "norm", "patches"), [(3, "instance", 30), (3, "batch", 30), (2, "instance", 62)])
def test_patch_discriminator_gives_one_logit_per_patch(n_layers: int, norm: str, patches: int) -> None:
    discriminator = PatchDiscriminator(ndf=8, n_layers=n_layers, norm=norm)
    *features, logits = discriminator(torch.zeros(2, 4, 256, 256))
    assert logits.shape == (2, 1, patches, patches)  # 30×30 patches of 70×70 for the paper's n_layers=3
    assert len(features) == n_layers + 1


def test_multiscale_discriminator_sees_the_pair_at_each_scale() -> None:
    discriminator = MultiscaleDiscriminator(ndf=8, scales=2)
    full, half = discriminator(torch.zeros(2, 1, 256, 256), torch.zeros(2, 3, 256, 256))
    assert full[-1].shape == (2, 1, 30, 30) and half[-1].shape == (2, 1, 14, 14)


@pytest.mark.parametrize("upsample", ["transpose", "resize"])
def test_latent_noise_follows_the_seed_in_any_batch(upsample: str) -> None:
    torch.manual_seed(0)
    model = UNetGenerator(num_downs=6, ngf=8, upsample=upsample, z_dim=8, dropout=0.0).eval()
    drawing = torch.zeros(1, 1, 64, 64)
    with torch.no_grad():
        alone = model(drawing, seeds=[3])
        batch = model(drawing.repeat(3, 1, 1, 1), seeds=[1, 3, 2])
    assert torch.allclose(alone[0], batch[1], atol=1e-5)
    assert (batch[0] - batch[2]).abs().mean() > 1e-4  # with dropout off, z alone makes seeds differ


def test_batch_norm_generator_and_wrong_seed_count() -> None:
    model = UNetGenerator(num_downs=6, ngf=8, norm="batch").eval()
    assert model(torch.zeros(1, 1, 64, 64), seeds=[0]).shape == (1, 3, 64, 64)
    with pytest.raises(ValueError, match="seeds"):
        model(torch.zeros(2, 1, 64, 64), seeds=[0])


# ----------------------------------------------------------------------------- seeds


def test_same_seed_gives_the_same_face(generator: FaceGenerator, drawing: np.ndarray) -> None:
    first = generator.generate([drawing], [3])[0]
    assert first.shape == (64, 64, 3) and first.dtype == np.uint8
    assert np.array_equal(first, generator.generate([drawing], [3])[0])
    other = FaceGenerator(tiny_generator(num_downs=6), device="cpu")  # another instance, same weights
    assert np.array_equal(first, other.generate([drawing], [3])[0])


def test_another_seed_gives_another_face(generator: FaceGenerator, drawing: np.ndarray) -> None:
    faces = generator.generate([drawing] * 3, [0, 1, 2])
    for a, b in [(0, 1), (0, 2), (1, 2)]:
        assert np.abs(faces[a].astype(int) - faces[b]).mean() > 1.0


def test_a_face_is_the_same_alone_and_in_a_batch(generator: FaceGenerator, drawing: np.ndarray) -> None:
    other = face_pair(8, size=256)[0]
    batch = generator.generate([other, drawing, drawing, other], [5, 5, 9, 9])
    for face, (d, s) in zip(batch, [(other, 5), (drawing, 5), (drawing, 9), (other, 9)]):
        assert np.abs(face.astype(int) - generator.generate([d], [s])[0]).max() <= 1  # float rounding only
    prepared = generator.prepare(drawing)  # a prepared drawing gives the same face as the raw one
    assert generator.generate([prepared, prepared], [5, 9])[1].tolist() == batch[2].tolist()


def test_inference_leaves_the_global_rng_alone(generator: FaceGenerator, drawing: np.ndarray) -> None:
    torch.manual_seed(123)
    state = torch.get_rng_state()
    generator.generate([drawing, drawing], [0, 1])
    assert torch.equal(state, torch.get_rng_state())


def test_concurrent_callers_get_their_own_results(generator: FaceGenerator, drawing: np.ndarray) -> None:
    jobs = [(drawing if i % 2 else 255 - drawing // 2, i % 3) for i in range(8)]
    expected = [generator.generate([d], [s])[0] for d, s in jobs]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda job: generator.generate([job[0]], [job[1]])[0], jobs))
    for got, want in zip(results, expected):
        assert np.abs(got.astype(int) - want).max() <= 1


# ----------------------------------------------------------------------------- odd inputs


def png_roundtrip(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return Image.open(io.BytesIO(buffer.getvalue()))


def odd_inputs(drawing: np.ndarray) -> dict[str, object]:
    """The same drawing in every form a user might hand over, keyed by a description."""
    ink = drawing < 128
    rgba = np.zeros((*drawing.shape, 4), np.uint8)
    rgba[..., 3] = np.where(ink, 255, 0)  # black strokes, the rest fully transparent black
    sixteen = drawing.astype(np.uint16) * 257
    return {
        "uint8 grey array": drawing,
        "RGB array": np.dstack([drawing] * 3),
        "grey PIL": Image.fromarray(drawing),
        "RGBA, strokes only in alpha": Image.fromarray(rgba, "RGBA"),
        "white on black": Image.fromarray(255 - drawing),
        "16-bit PNG (I;16)": png_roundtrip(Image.fromarray(sixteen)),
        "uint16 array": sixteen,
        "float array in [0, 1]": drawing.astype(np.float32) / 255,
        "float64 array in [0, 255]": drawing.astype(np.float64),
        "bool array": ~ink,
    }


@pytest.mark.parametrize("kind", list(odd_inputs(np.full((2, 2), 255, np.uint8))))
def test_every_input_form_gives_the_same_prepared_drawing(drawing: np.ndarray, kind: str) -> None:
    image = odd_inputs(drawing)[kind]
    if kind == "16-bit PNG (I;16)":
        assert image.mode.startswith("I;16")
    prepared = prepare_drawing(image)
    assert prepared.shape == (256, 256) and prepared.dtype == np.uint8
    if kind == "bool array":  # thresholded: same strokes, hard edges
        assert np.array_equal(prepared < 128, drawing < 128)
    else:
        assert np.abs(prepared.astype(int) - prepare_drawing(drawing)).max() <= 1


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(Image.new("L", (1, 1), 0), id="1x1 black"),
        pytest.param(np.full((1, 1, 4), 255, np.uint8), id="1x1 RGBA"),
        pytest.param(Image.new("RGBA", (300, 200), (0, 0, 0, 0)), id="fully transparent"),
        pytest.param(Image.new("RGB", (4000, 3000), "white"), id="4000x3000"),
        pytest.param(Image.new("I;16", (30, 90)), id="16-bit tall"),
        pytest.param(Image.new("P", (50, 40)), id="palette"),
        pytest.param(Image.new("CMYK", (50, 40)), id="CMYK"),
    ],
)
def test_odd_images_give_a_drawing_and_a_face(generator: FaceGenerator, image: object) -> None:
    prepared = prepare_drawing(image)
    assert prepared.shape == (256, 256) and prepared.dtype == np.uint8
    face = generator.generate([image], [0])[0]
    assert face.shape == (64, 64, 3) and face.dtype == np.uint8


def test_a_big_photo_sized_drawing_keeps_its_strokes_and_aspect(drawing: np.ndarray) -> None:
    canvas = Image.new("L", (4000, 3000), 255)
    canvas.paste(Image.fromarray(drawing).resize((3000, 3000)), (500, 0))
    prepared = prepare_drawing(canvas)
    assert prepared.shape == (256, 256)
    assert (prepared[:, :24] > 200).all() and (prepared[:, -24:] > 200).all()  # white padding, not stretched
    assert not is_blank(prepared)


def test_is_blank() -> None:
    blank = np.full((256, 256), 255, np.uint8)
    assert is_blank(blank)
    speck = blank.copy()
    speck[100:103, 100:103] = 0  # 9 stray pixels are not a drawing
    assert is_blank(speck)
    assert not is_blank(prepare_drawing(face_pair(1, size=256)[0]))
    assert not is_blank(face_pair(1, size=64)[0])  # the threshold scales with the image size


def test_prepare_flags_blank_drawings(generator: FaceGenerator) -> None:
    assert generator.prepare(np.full((300, 200), 255, np.uint8)).blank
    prepared = generator.prepare(face_pair(1, size=64)[0])
    assert not prepared.blank and prepared.pixels.shape == (64, 64)
    assert generator.prepare(prepared) is prepared


def test_the_phase_decoder_is_the_same_function_as_transposed_convolutions() -> None:
    torch.manual_seed(0)
    model = UNetGenerator(num_downs=6, ngf=8).eval()
    for block in model.ups:  # random biases too, so a misplaced bias or phase would show
        torch.nn.init.normal_(block[1].bias)
    x = torch.rand(2, 1, 64, 64) * 2 - 1
    phased = with_phase_decoder(copy.deepcopy(model))
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in phased.modules())
    with torch.no_grad():
        torch.testing.assert_close(phased(x, seeds=[4, 5]), model(x, seeds=[4, 5]), atol=1e-5, rtol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_tensor_to_image_maps_the_range_to_bytes_and_leaves_its_input_alone(dtype) -> None:
    values = torch.tensor([-1.5, -1.0, 0.0, 0.5, 1.0, 2.0], dtype=dtype).view(1, 1, 6)
    before = values.clone()
    image = tensor_to_image(values)
    assert image.dtype == np.uint8 and image.shape == (1, 6, 3)  # one channel becomes grey RGB
    assert image[0, :, 0].tolist() == [0, 0, 128, 191, 255, 255]  # clipped, rounded half to even
    assert torch.equal(values, before)
