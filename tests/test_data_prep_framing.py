"""data_prep.framing: square face crops of the training size, from any source."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from p2p_testutils import CELEBA, needs_faces

from data_prep.framing import (
    CELEBA_TOP,
    FACE_HEIGHT_FRACTION,
    detect_face,
    detect_source,
    fit_square,
    frame_face,
    zoom_out,
)
from data_prep.head import face_height, find_head
from data_prep.imageio import load_image


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


@needs_faces
def test_faces_are_found_in_real_photos() -> None:
    photos = sorted(CELEBA.glob("*.jpg"))[:20]
    found = sum(detect_face(load_image(path)) is not None for path in photos)
    assert found >= 16


@needs_faces
def test_zoom_out_shrinks_a_tightly_cropped_face_to_the_training_size(tmp_path: Path) -> None:
    photo = frame_face(load_image(sorted(CELEBA.glob("*.jpg"))[0]), 256, "celeba")
    head = find_head(photo)
    assert zoom_out(photo, head)[0] is photo  # a face framed like the training faces stays as it is

    tight = cv2.resize(photo[80:200, 68:188], (256, 256), interpolation=cv2.INTER_CUBIC)  # brows to chin only
    framed = frame_face(tight, 256)
    close = find_head(framed)
    assert face_height(close.points) / 256 > 1.5 * FACE_HEIGHT_FRACTION
    smaller, moved = zoom_out(framed, close)
    assert smaller.shape == framed.shape
    found = find_head(smaller)  # dlib still finds the face, now the size of a training face
    assert abs(face_height(found.points) / 256 - FACE_HEIGHT_FRACTION) < 0.05
    assert np.abs(found.points - moved.points).mean() < 4  # the returned head is where the face went
    assert smaller[:20].min() > 150  # light backdrop above the head, as in the small-face training pairs
