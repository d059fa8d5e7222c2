"""data_prep.imageio: every image mode converts to RGB uint8, every bad file fails clearly."""

from __future__ import annotations

import io
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_prep import imageio
from data_prep.imageio import MAX_PIXELS, ImageLoadError, load_image, to_rgb

REPO = Path(__file__).resolve().parent.parent


def white_rgba_png(path: Path, side: int) -> None:
    """An all-white RGBA PNG of side² pixels, written row by row (a few hundred kB, no big array here)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    squeeze = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * (4 * side)  # filter byte + RGBA pixels
    data = b"".join(squeeze.compress(row) for _ in range(side)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


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


def test_large_files_are_decoded_small(tmp_path) -> None:
    stored = np.zeros((1000, 3000, 3), np.uint8)
    stored[:, :1500] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90° clockwise: portrait, white on top
    Image.fromarray(stored).save(tmp_path / "wide.jpg", exif=exif, quality=95)
    Image.fromarray(stored).convert("P").save(tmp_path / "wide.png")
    rotated = load_image(tmp_path / "wide.jpg", max_side=1024)
    assert max(rotated.shape[:2]) <= 1024 and rotated.shape[0] > 2 * rotated.shape[1]
    assert rotated[: rotated.shape[0] // 3].mean() > 240 and rotated[-rotated.shape[0] // 3 :].mean() < 15
    shrunk = load_image(tmp_path / "wide.png", max_side=1024)
    assert shrunk.shape == (334, 1000, 3) and shrunk[:, :490].min() == 255 and shrunk[:, 510:].max() == 0
    assert load_image(tmp_path / "wide.png", max_side=None).shape == (1000, 3000, 3)


def test_too_large_messages_cite_one_limit(tmp_path) -> None:
    """PIL's own decompression-bomb error (at twice its limit) must not cite another number than ours."""
    limit = f"{MAX_PIXELS:,}"
    white_rgba_png(tmp_path / "bomb.png", 9000)  # 81 MP: PIL refuses it in Image.open
    white_rgba_png(tmp_path / "over.png", 6400)  # 41 MP: refused by our own check
    for name in ("bomb.png", "over.png"):
        with pytest.raises(ImageLoadError, match="too large") as error:
            load_image(tmp_path / name)
        numbers = {n for n in re.findall(r"\d[\d,]{6,}", str(error.value)) if int(n.replace(",", "")) > 10**6}
        assert numbers <= {limit, f"{9000 * 9000:,}", f"{6400 * 6400:,}"} and limit in numbers


@pytest.mark.slow
def test_largest_accepted_upload_loads_in_little_memory(tmp_path) -> None:
    """Four 40-MP all-white RGBA PNGs (170 kB each) loaded at once stay under 1 GB peak RSS in all."""
    path = tmp_path / "white.png"
    white_rgba_png(path, 6300)
    assert path.stat().st_size < 300_000 and 6300 * 6300 <= MAX_PIXELS
    script = f"""
import resource
from concurrent.futures import ThreadPoolExecutor
from data_prep.imageio import load_image
with ThreadPoolExecutor(4) as pool:
    images = list(pool.map(load_image, [{str(path)!r}] * 4))
assert all(image.min() == 255 and max(image.shape) <= 1024 for image in images)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    peak_mb = int(done.stdout.split()[-1]) / 1024  # ru_maxrss is in kB on Linux
    assert peak_mb < 1000, f"peak RSS {peak_mb:.0f} MB"
