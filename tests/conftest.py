"""Shared fixtures. App tests: a small random generator stands in for the trained model, and
`app_server` runs the real app (`python app.py`) on it (on a free port, always shut down)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from p2p_testutils import tiny_generator
from PIL import Image

from devtools.app_server import running_app
from examples.face_strokes import face_strokes, rasterize
from p2p.grade import ColourGrade
from p2p.inference import FaceGenerator
from p2p.weights import MODEL_ENV_VAR


@pytest.fixture(scope="session")
def app_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 256-pixel generator (ngf 8) saved like the shipped checkpoint, with a colour grade
    (faces' contrast × 1.2)."""
    path = tmp_path_factory.mktemp("app-model") / "sketch2face-test"
    tiny_generator(num_downs=8, ngf=8).save_pretrained(path)
    spreads = np.linspace([2, 1, 1], [100, 50, 50], 11).astype(np.float32)
    ColourGrade(spreads, 1.2 * spreads).save(path)
    return path


@pytest.fixture(scope="session")
def app_generator(app_model_dir: Path) -> FaceGenerator:
    return FaceGenerator.from_pretrained(app_model_dir, device="cpu")


@pytest.fixture
def app_model_env(app_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the test model the default one, as `SKETCH2FACE_MODEL` does for the app."""
    monkeypatch.setenv(MODEL_ENV_VAR, str(app_model_dir))
    return app_model_dir


@pytest.fixture(scope="module")
def app_server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where `app_server` writes the app's output (for failure messages)."""
    return tmp_path_factory.mktemp("app-server") / "server.log"


@pytest.fixture(scope="module")
def app_server(app_model_dir: Path, app_server_log: Path) -> Iterator[str]:
    """`python app.py` serving the test model on a free local port; yields its URL."""
    with running_app(app_server_log, app_model_dir) as url:
        yield url


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _decompression_bomb_png(side: int = 20_000) -> bytes:
    """A valid all-black grayscale PNG of side² pixels that is only a few hundred kB on disk."""
    squeeze = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte + pixels
    data = b"".join(squeeze.compress(row) for _ in range(side)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


@pytest.fixture(scope="session")
def face_drawing() -> np.ndarray:
    """A synthetic line drawing of a face (`examples.face_strokes`): dark lines on white, 256×256 uint8."""
    return rasterize(face_strokes())


@pytest.fixture(scope="session")
def face_photo() -> np.ndarray:
    """A photo-like 300×240 RGB picture of a cartoon face (tests must not use dataset photos)."""
    height, width = 300, 240
    photo = np.empty((height, width, 3), np.uint8)
    photo[:] = (70, 120, 180)
    centre = (width // 2, height // 2)
    cv2.ellipse(photo, centre, (width // 3, height * 3 // 10), 0, 0, 360, (225, 185, 160), -1)
    for dx in (-width // 8, width // 8):
        cv2.circle(photo, (centre[0] + dx, centre[1] - height // 12), max(3, width // 30), (40, 30, 30), -1)
    cv2.ellipse(photo, (centre[0], centre[1] + height // 8), (width // 8, height // 30), 0, 0, 180, (150, 60, 70), 3)
    return cv2.GaussianBlur(photo, (0, 0), 1.0)


@pytest.fixture(scope="session")
def odd_uploads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Unusual but valid images, each of which the app must turn into a face."""
    folder = tmp_path_factory.mktemp("odd-uploads")
    lines = rasterize(face_strokes())
    rgba = np.zeros((256, 256, 4), np.uint8)
    rgba[:, :, 3] = 255 - lines  # black lines on a transparent background
    paths = {
        "rgba": folder / "transparent.png",
        "16bit": folder / "sixteen-bit.png",
        "cmyk": folder / "cmyk.jpg",
        "inverted": folder / "white-on-black.png",
        "large": folder / "large-2000.png",
    }
    Image.fromarray(rgba, "RGBA").save(paths["rgba"])
    Image.fromarray(lines.astype(np.uint16) * 257).save(paths["16bit"])
    Image.fromarray(lines).convert("CMYK").save(paths["cmyk"])
    Image.fromarray(255 - lines).save(paths["inverted"])
    Image.fromarray(cv2.resize(lines, (2000, 2000), interpolation=cv2.INTER_NEAREST)).save(paths["large"])
    return paths


@pytest.fixture(scope="session")
def bad_uploads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Files the app must refuse, each with a part of the message that says why."""
    folder = tmp_path_factory.mktemp("bad-uploads")
    text = folder / "notes.png"
    text.write_text("this is a text file, renamed\n")
    empty = folder / "empty.png"
    empty.write_bytes(b"")
    buffer = io.BytesIO()
    Image.fromarray(rasterize(face_strokes())).save(buffer, format="PNG")
    truncated = folder / "truncated.png"
    truncated.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    huge = folder / "huge-8000.png"
    Image.new("L", (8000, 8000), 255).save(huge)
    bomb = folder / "bomb.png"
    bomb.write_bytes(_decompression_bomb_png())
    return {
        "text": (text, "not an image"),
        "empty": (empty, "empty"),
        "truncated": (truncated, "truncated"),
        "huge": (huge, "too large"),
        "bomb": (bomb, "too large"),
    }
