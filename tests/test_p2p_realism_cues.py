"""p2p.realism_cues: the two-sample test again after faces and photos both lose one cue."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from p2p_testutils import NUM_DOWNS, face_pair, make_dataset, tiny_generator

from p2p import evaluate, realism_cues
from p2p.evaluate import SEED_PER_DRAWING, Sample
from p2p.inference import FaceGenerator
from p2p.model import UNetGenerator


def test_each_cue_is_removed_alike_and_keeps_the_image_shape(face_photo: np.ndarray) -> None:
    for name, remove in realism_cues.CUES.items():
        out = remove(face_photo)
        assert out.shape == face_photo.shape and out.dtype == np.uint8, name
    grey = realism_cues.CUES["grey"](face_photo)
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 1], grey[..., 2])
    blurred = cv2.cvtColor(realism_cues.CUES["blur σ 4"](face_photo), cv2.COLOR_RGB2GRAY)
    sharp = cv2.cvtColor(face_photo, cv2.COLOR_RGB2GRAY)
    assert cv2.Laplacian(blurred, cv2.CV_64F).var() < cv2.Laplacian(sharp, cv2.CV_64F).var() / 10
    h, w = face_photo.shape[:2]
    background = realism_cues.CUES["background only (middle grey)"](face_photo)
    assert (background[h // 2, w // 2] == 128).all()
    assert np.array_equal(background[:4], face_photo[:4]), "the border is kept as it was"


def test_with_colours_of_gives_the_face_the_photos_colours_and_keeps_its_layout(face_photo: np.ndarray) -> None:
    dull = (face_photo // 3 + 80).astype(np.uint8)  # low contrast, lighter
    recoloured = realism_cues.with_colours_of(dull, face_photo)
    lab = [cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float64) for image in (recoloured, face_photo, dull)]
    assert np.allclose(lab[0].mean(axis=(0, 1)), lab[1].mean(axis=(0, 1)), atol=2)
    assert np.allclose(lab[0].std(axis=(0, 1)), lab[1].std(axis=(0, 1)), rtol=0.1)
    assert lab[2][..., 0].std() < lab[1][..., 0].std() / 2, "the test image starts far from the photo's contrast"
    flipped = np.ascontiguousarray(face_photo[:, ::-1])
    moved = realism_cues.with_colours_of(dull, flipped)
    assert np.abs(moved.astype(int) - recoloured).mean() < 3, "only the photo's colour statistics count, not its layout"


def test_statistics_see_saturation_and_where_the_light_is() -> None:
    side = 64
    dark_face = np.full((side, side, 3), 200, np.uint8)
    dark_face[side // 4 : 3 * side // 4, side // 4 : 3 * side // 4] = (90, 40, 30)
    grey_stats = realism_cues.statistics([np.full((side, side, 3), 120, np.uint8)])
    stats = realism_cues.statistics([dark_face])
    assert grey_stats["saturation"] == 0
    assert stats["saturation"] == pytest.approx(255 * (1 - 30 / 90) / 4, abs=1)  # a quarter of the image
    assert stats["face_brightness"] < 60 < 190 < stats["border_brightness"]
    assert stats["contrast"] > 50 and grey_stats["contrast"] == 0


def test_spreads_tell_faces_all_lit_alike_from_varied_ones() -> None:
    side = 32
    alike = [np.full((side, side, 3), 120, np.uint8) for _ in range(5)]
    varied = [np.full((side, side, 3), level, np.uint8) for level in (40, 80, 120, 160, 200)]
    varied[0][:4] = 250  # one image with strong contrast, outside the face
    assert realism_cues.statistics(alike)["face_brightness_spread"] == 0
    assert realism_cues.statistics(alike)["contrast_spread"] == 0
    assert realism_cues.statistics(varied)["face_brightness_spread"] == pytest.approx(np.std([40, 80, 120, 160, 200]))
    assert realism_cues.statistics(varied)["contrast_spread"] > 10


def test_fixed_pattern_sees_a_checkerboard_shared_by_every_image_not_varied_content() -> None:
    rng = np.random.default_rng(0)
    content = [cv2.GaussianBlur(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), (0, 0), 1) for _ in range(50)]
    checker = ((np.indices((64, 64)).sum(axis=0) % 2) * 16).astype(np.uint8)[..., None]
    with_grid = [image // 2 + checker for image in content]
    assert realism_cues.fixed_pattern(content) < 2 < 6 < realism_cues.fixed_pattern(with_grid)


def test_mean_and_spread_of_identical_images_has_no_spread(face_photo: np.ndarray) -> None:
    mean, spread = realism_cues.mean_and_spread([face_photo, face_photo])
    assert np.array_equal(mean, face_photo) and spread.max() == 0


def test_the_cues_end_to_end_on_a_tiny_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_dataset(tmp_path / "data", train=2, val=8)
    checkpoint = tmp_path / "model"
    tiny_generator().save_pretrained(checkpoint)
    out = tmp_path / "cues"
    argv = [
        "--data",
        str(data),
        "--checkpoint",
        str(checkpoint),
        "--sizes",
        "16,32",
        "--splits",
        "1",
        "--out",
        str(out),
    ]
    assert realism_cues.main(argv) == 0
    result = json.loads((out / "cues.json").read_text())
    assert result["images"] == 8 and list(result["two_sample_test"]) == [*realism_cues.CUES, realism_cues.PHOTO_COLOURS]
    assert all(0.0 <= row[size] <= 1.0 for row in result["two_sample_test"].values() for size in ("16", "32"))
    # an untrained generator paints grey mush: nothing like the synthetic photos' coloured backgrounds
    assert result["statistics"]["faces"]["saturation"] < result["statistics"]["photos"]["saturation"]
    picture = cv2.imread(str(out / "cues.png"))
    assert picture.shape[0] > 2 * 64 and picture.shape[1] > 2 * 64
    assert "grey, blur σ 4" in capsys.readouterr().out
    assert realism_cues.main(argv) == 0
    assert json.loads((out / "cues.json").read_text()) == result, "the same numbers on a rerun"
    assert realism_cues.main([*argv, "--seed", "own"]) == 0  # a seed of its own per face: other faces
    own = json.loads((out / "cues.json").read_text())
    assert own["seed"] == "own" and own["statistics"]["faces"] != result["statistics"]["faces"]
    assert own["statistics"]["photos"] == result["statistics"]["photos"]
    with pytest.raises(SystemExit):
        realism_cues.main([*argv, "--seed", "mine"])
    with pytest.raises(SystemExit):
        realism_cues.main([*argv, "--splits", "0"])
    assert result["two_sample_test"][realism_cues.PHOTO_COLOURS].keys() == {"16", "32"}


def test_shared_noise_tests_faces_with_the_latent_and_masks_shared_or_their_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_dataset(tmp_path / "data", train=2, val=8)
    checkpoint = tmp_path / "model"
    torch.manual_seed(0)
    UNetGenerator(num_downs=NUM_DOWNS, ngf=8, z_dim=8).eval().save_pretrained(checkpoint)
    out = tmp_path / "cues"
    argv = ["--data", str(data), "--checkpoint", str(checkpoint), "--sizes", "16", "--splits", "1", "--out", str(out)]
    assert realism_cues.main([*argv, "--shared-noise", "--seed", "3"]) == 0
    noise = json.loads((out / "cues.json").read_text())["shared_noise"]
    assert list(noise) == list(realism_cues.NOISE_SPLITS) and all(0 <= row["16"] <= 1 for row in noise.values())
    assert (
        noise["latent and masks of the set's seed"]
        == json.loads((out / "cues.json").read_text())["two_sample_test"]["as generated"]
    ), "sharing both is the set of seed 3 itself"
    generator = FaceGenerator.from_pretrained(str(checkpoint), device="cpu", precision="fp32")
    own, _, drawings = realism_cues.faces_and_photos(generator, data, "val", None, batch_size=4)
    positions = evaluate.kept(len(drawings), 6)  # a capped sample: own seeds still follow the drawings' places
    split = realism_cues.NOISE_SPLITS["latent and masks its own"]
    again = realism_cues.split_noise_faces(
        generator, [drawings[i] for i in positions], positions, own.groups, split, 3, batch_size=4
    )
    assert all(map(np.array_equal, again.images, own.capped(6).images))
    assert "latent and masks its own" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        realism_cues.main([*argv, "--shared-noise", "--seed", "own"])
    assert exit_info.value.code == 2 and "give a number" in capsys.readouterr().err


def test_split_noise_faces_are_the_plain_faces_when_both_parts_agree() -> None:
    torch.manual_seed(0)
    generator = FaceGenerator(UNetGenerator(num_downs=NUM_DOWNS, ngf=8, z_dim=8).eval(), device="cpu")
    drawings = [generator.prepare(face_pair(i, size=2**NUM_DOWNS)[0]) for i in range(3)]
    groups = ["a", "b", "c"]
    faces = {
        name: realism_cues.split_noise_faces(generator, drawings, range(3), groups, split, 4, batch_size=2).images
        for name, split in realism_cues.NOISE_SPLITS.items()
    }
    plain = {seed: Sample(generator.size) for seed in ("shared", "own")}
    for i, drawing in enumerate(drawings):
        plain["shared"].add(generator.generate([drawing], [4])[0], groups[i], generated=True)
        plain["own"].add(generator.generate([drawing], [SEED_PER_DRAWING + i])[0], groups[i], generated=True)
    assert all(map(np.array_equal, faces["latent and masks of the set's seed"], plain["shared"].images))
    assert all(map(np.array_equal, faces["latent and masks its own"], plain["own"].images))
    for mixed in ("latent of the set's seed, masks its own", "latent its own, masks of the set's seed"):
        for face, shared, own in zip(faces[mixed], plain["shared"].images, plain["own"].images, strict=True):
            assert not np.array_equal(face, shared) and not np.array_equal(face, own)
