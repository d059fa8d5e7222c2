"""data_prep.imageio: every image mode converts to RGB uint8, every bad file fails clearly."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from data_prep import imageio
from data_prep.imageio import ImageLoadError, load_image, to_rgb


def _check_rgb(array: np.ndarray, shape: tuple[int, int]) -> None:
    assert array.dtype == np.uint8
    assert array.shape == (*shape, 3)


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F", "YCbCr"])
def test_to_rgb_accepts_every_common_pil_mode(mode: str) -> None:
    image = Image.new("RGB", (7, 5), (200, 100, 50)).convert(mode)
    _check_rgb(to_rgb(image), (5, 7))


def test_transparent_pixels_become_white_paper() -> None:
    image = Image.new("RGBA", (4, 4), (10, 20, 30, 0))
    assert (to_rgb(image) == 255).all()
    assert (to_rgb(np.zeros((4, 4, 4), np.uint8)) == 255).all()


def test_sixteen_bit_and_float_data_are_scaled_by_range() -> None:
    sixteen = np.full((3, 3), 65535, np.uint16)
    assert (to_rgb(sixteen) == 255).all()
    assert (to_rgb(Image.fromarray(np.full((3, 3), 32768, np.uint16))) == 128).all()
    assert (to_rgb(np.full((3, 3, 3), 0.5, np.float32)) == 128).all()
    assert (to_rgb(np.ones((3, 3), bool)) == 255).all()


def test_to_rgb_rejects_unusable_arrays() -> None:
    with pytest.raises(ImageLoadError):
        to_rgb(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(TypeError):
        to_rgb([[0, 1]])  # type: ignore[arg-type]


def test_exif_orientation_is_applied(tmp_path) -> None:
    # Stored landscape (wide), tagged "rotate 90° CW": shown (and loaded) portrait.
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    Image.fromarray(stored).save(path, exif=exif, quality=100)
    loaded = load_image(path)
    assert loaded.shape == (40, 20, 3)
    assert loaded[:15].mean() > 200 and loaded[-15:].mean() < 50  # the white half is now on top


def test_cmyk_and_grayscale_files_load(tmp_path) -> None:
    Image.new("CMYK", (9, 6), (0, 255, 255, 0)).save(tmp_path / "cmyk.jpg")
    Image.new("L", (9, 6), 80).save(tmp_path / "gray.png")
    red = load_image(tmp_path / "cmyk.jpg")
    _check_rgb(red, (6, 9))
    assert red[..., 0].mean() > 200 and red[..., 1].mean() < 60
    assert (load_image(tmp_path / "gray.png") == 80).all()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.jpg", b"", "empty"),
        ("text.png", b"this is not an image\n", "not an image"),
    ],
)
def test_bad_files_raise_with_file_and_reason(tmp_path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageLoadError, match=reason) as error:
        load_image(path)
    assert name in str(error.value)


def test_truncated_jpeg_raises(tmp_path) -> None:
    buffer = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(buffer, format="JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageLoadError, match="truncated"):
        load_image(path)


def test_missing_file_and_too_large_image_raise(tmp_path, monkeypatch) -> None:
    with pytest.raises(ImageLoadError, match="not found"):
        load_image(tmp_path / "absent.jpg")
    Image.new("L", (30, 30)).save(tmp_path / "big.png")
    monkeypatch.setattr(imageio, "MAX_PIXELS", 500)
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(tmp_path / "big.png")


def test_list_files_and_image_size(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    Image.new("RGB", (5, 3)).save(tmp_path / "sub" / "a.png")
    (tmp_path / ".hidden" / "b.png").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in imageio.list_files(tmp_path)] == ["notes.txt", "a.png"]
    assert imageio.image_size(tmp_path / "sub" / "a.png") == (5, 3)
    assert imageio.image_size(tmp_path / "notes.txt") is None
