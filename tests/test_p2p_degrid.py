"""p2p.degrid: the decoder's 2-px grid goes, a picture without one stays as it was."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from p2p_testutils import tiny_generator

from evaluation.metrics import checkerboard, sharpness
from p2p.degrid import PHASES, remove_grid
from p2p.inference import FaceGenerator


def picture(face_photo: np.ndarray) -> np.ndarray:
    """The cartoon face at 256×256 with fine detail that, as in a photo, has no phase (soft noise)."""
    texture = cv2.GaussianBlur(np.random.default_rng(0).normal(0, 20, (256, 256, 3)).astype(np.float32), (0, 0), 0.8)
    base = cv2.resize(face_photo, (256, 256), interpolation=cv2.INTER_AREA).astype(np.float32) + texture
    return np.clip(base, 0, 255).astype(np.uint8)


def with_grid(image: np.ndarray, strength: float) -> np.ndarray:
    """`image` plus a grid like a transposed convolution's: one offset per phase, varying slowly over the image."""
    ramp = np.linspace(0.5, 1.5, image.shape[0], dtype=np.float32)[:, None, None]
    out = image.astype(np.float32)
    for (y, x), sign in zip(PHASES, (1, -1, -1, 1), strict=True):
        out[y::2, x::2] += sign * strength * ramp[y::2]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def test_a_grid_is_removed_and_the_picture_kept(face_photo: np.ndarray) -> None:
    clean = picture(face_photo)
    gridded = with_grid(clean, 4.0)
    assert checkerboard(gridded) > 20 * checkerboard(clean)
    restored = remove_grid(gridded)
    assert checkerboard(restored) < 2 * checkerboard(clean)
    assert np.abs(restored.astype(int) - clean).mean() < 1.0  # the grid was ±2-6 everywhere


def test_a_picture_without_a_grid_comes_back_almost_unchanged(face_photo: np.ndarray) -> None:
    clean = picture(face_photo)
    restored = remove_grid(clean)
    assert np.abs(restored.astype(int) - clean).mean() < 0.5
    assert sharpness(restored) == pytest.approx(sharpness(clean), rel=0.05)  # edges and detail stay
    grey = clean[..., 0]
    assert remove_grid(grey).shape == grey.shape  # grey images work too


@pytest.mark.parametrize(
    "image",
    [np.zeros((255, 256, 3), np.uint8), np.zeros((256, 256, 3), np.float32), np.zeros((4, 4, 4, 3), np.uint8)],
)
def test_unusable_images_are_refused(image: np.ndarray) -> None:
    with pytest.raises(ValueError, match="uint8 image with even sides"):
        remove_grid(image)


def test_face_generator_removes_the_grid_unless_told_not_to(face_drawing: np.ndarray) -> None:
    raw = FaceGenerator(tiny_generator(num_downs=8), device="cpu", degrid=False).generate([face_drawing], [0])[0]
    face = FaceGenerator(tiny_generator(num_downs=8), device="cpu").generate([face_drawing], [0])[0]
    assert face.tolist() == remove_grid(raw).tolist()
    assert checkerboard(face) < checkerboard(raw)  # an untrained decoder's grid (15) loses about half
