"""data_prep.edges on synthetic images with known edges, and the edges CLI."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from data_prep.edges import DEFAULT_METHOD, METHODS, extract_edges, jitter_params, main

SIZE = 256
CENTER = (128, 128)
RADIUS = 70


def circle_image(size: int = SIZE, channels: int = 3) -> np.ndarray:
    """A dark disc on a light background: its only edge is the circle."""
    scale = size / SIZE
    image = np.full((size, size), 220, np.uint8)
    centre = (round(CENTER[0] * scale), round(CENTER[1] * scale))
    cv2.circle(image, centre, round(RADIUS * scale), 40, thickness=-1, lineType=cv2.LINE_AA)
    return np.dstack([image] * 3) if channels == 3 else image


def line_pixels(drawing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.nonzero(drawing < 128)


@pytest.mark.parametrize("method", METHODS)
def test_circle_gives_lines_on_the_circle(method: str) -> None:
    drawing = extract_edges(circle_image(), method)
    ys, xs = line_pixels(drawing)
    assert ys.size > 0
    distance = np.hypot(ys - CENTER[1], xs - CENTER[0])
    assert np.abs(distance - RADIUS).max() <= 6  # nothing off the circle
    angles = np.degrees(np.arctan2(ys - CENTER[1], xs - CENTER[0])).astype(int) % 360
    assert np.unique(angles).size >= 340  # the circle is drawn all the way round


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("level", [0, 128, 255])
def test_flat_image_gives_no_lines(method: str, level: int) -> None:
    flat = np.full((SIZE, SIZE, 3), level, np.uint8)
    assert (extract_edges(flat, method) == 255).all()


@pytest.mark.parametrize("method", METHODS)
def test_output_convention(method: str) -> None:
    rgb = circle_image()
    drawing = extract_edges(rgb, method)
    assert drawing.dtype == np.uint8 and drawing.shape == rgb.shape[:2]
    assert np.median(drawing) == 255  # white paper
    assert drawing.min() == 0  # black lines
    near_binary = np.isin(drawing, (0, 255)) | (drawing < 32) | (drawing > 223)
    assert near_binary.mean() > 0.99
    np.testing.assert_array_equal(drawing, extract_edges(circle_image(channels=1), method))


@pytest.mark.parametrize("method", METHODS)
def test_parameters_scale_with_image_size(method: str) -> None:
    drawing = extract_edges(circle_image(size=512), method)
    ys, xs = line_pixels(drawing)
    distance = np.hypot(ys - 2 * CENTER[1], xs - 2 * CENTER[0])
    assert ys.size > 0 and np.abs(distance - 2 * RADIUS).max() <= 12


def test_parameters_and_errors() -> None:
    thick = extract_edges(circle_image(), "canny", stroke_width=5)
    thin = extract_edges(circle_image(), "canny", stroke_width=1)
    assert (thick < 128).sum() > 2 * (thin < 128).sum()
    assert DEFAULT_METHOD in METHODS
    with pytest.raises(ValueError, match="unknown drawing style"):
        extract_edges(circle_image(), "sobel")
    with pytest.raises(ValueError):
        extract_edges(circle_image().astype(np.float32), "xdog")


@pytest.mark.parametrize("method", METHODS)
def test_jitter_is_deterministic_for_a_seed(method: str) -> None:
    first = jitter_params(method, np.random.default_rng(3))
    assert first == jitter_params(method, np.random.default_rng(3))
    assert first != jitter_params(method, np.random.default_rng(4))
    image = circle_image()
    np.testing.assert_array_equal(extract_edges(image, method, **first), extract_edges(image, method, **first))


def test_cli_converts_a_folder_and_reports_bad_files(tmp_path, capsys) -> None:
    src = tmp_path / "photos"
    src.mkdir()
    Image.fromarray(circle_image(size=300)).save(src / "disc.jpg")
    Image.fromarray(circle_image(size=200, channels=1)).save(src / "gray.png")
    (src / "broken.png").write_text("not an image")
    assert main([str(src), str(tmp_path / "out"), "--size", "128", "--method", "canny"]) == 0
    outputs = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert outputs == ["disc.png", "gray.png"]
    drawing = np.asarray(Image.open(tmp_path / "out" / "disc.png"))
    assert drawing.shape == (128, 128) and drawing.dtype == np.uint8
    assert "broken.png" in capsys.readouterr().err


def test_cli_single_file_and_nothing_converted(tmp_path) -> None:
    Image.fromarray(circle_image()).save(tmp_path / "one.png")
    assert main([str(tmp_path / "one.png"), str(tmp_path / "line.png")]) == 0
    assert Image.open(tmp_path / "line.png").size == (256, 256)
    (tmp_path / "bad.jpg").write_bytes(b"")
    assert main([str(tmp_path / "bad.jpg"), str(tmp_path / "out")]) == 1
