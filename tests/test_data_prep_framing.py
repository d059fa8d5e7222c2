"""data_prep.framing: square face crops of the training size, from any source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from data_prep.framing import CELEBA_TOP, detect_face, detect_source, fit_square, frame_face
from data_prep.imageio import load_image

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"


def gradient(height: int, width: int) -> np.ndarray:
    rows = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    cols = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    return np.dstack(
        [
            np.broadcast_to(rows, (height, width)),
            np.broadcast_to(cols, (height, width)),
            np.full((height, width), 128, np.float32),
        ]
    ).astype(np.uint8)


@pytest.mark.parametrize("source", ["auto", "celeba", "center"])
@pytest.mark.parametrize("shape", [(218, 178), (100, 300), (40, 30)])
def test_every_source_gives_a_square_of_the_requested_size(source: str, shape: tuple[int, int]) -> None:
    framed = frame_face(gradient(*shape), 64, source)
    assert framed.shape == (64, 64, 3) and framed.dtype == np.uint8


def test_celeba_crop_keeps_full_width_from_a_fixed_row() -> None:
    image = gradient(218, 178)
    np.testing.assert_array_equal(frame_face(image, 178, "celeba"), image[CELEBA_TOP : CELEBA_TOP + 178])


def test_no_face_falls_back_to_the_centre_square() -> None:
    image = gradient(100, 300)
    assert detect_face(image) is None
    np.testing.assert_array_equal(frame_face(image, 100, "auto"), image[:, 100:200])


def test_fit_square_stays_inside_the_image() -> None:
    image = gradient(50, 80)
    assert fit_square(image, 0, 0, 200).shape[:2] == (50, 50)
    np.testing.assert_array_equal(fit_square(image, 25, 79, 20), image[15:35, 60:80])


def test_detect_source_and_unknown_source() -> None:
    assert detect_source([(178, 218), (178, 218), None]) == "celeba"
    assert detect_source([(178, 218), (200, 200)]) == "auto"
    assert detect_source([None]) == "auto"
    with pytest.raises(ValueError, match="framing source"):
        frame_face(gradient(10, 10), 8, "passport")


@pytest.mark.skipif(not (SHARED / "celeba").is_dir(), reason="../shared/data is not available")
def test_faces_are_found_in_real_photos() -> None:
    photos = sorted((SHARED / "celeba").glob("*.jpg"))[:20]
    found = sum(detect_face(load_image(path)) is not None for path in photos)
    assert found >= 16
