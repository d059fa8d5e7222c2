"""Boxes around the eyes and the mouth of a framed face, for critics that look at those parts alone.

A discriminator on crops of the eyes and the mouth (GFPGAN's facial component
discriminators) needs to know where they are in every training pair.
`data_prep.build` stores them with each pair: from dlib's 68 landmarks when the
build finds them for that photo anyway, otherwise from :data:`CELEBA_BOXES`,
the mean boxes of aligned CelebA photos, where the eyes sit at nearly fixed
places. A box is a square on the centre of the part's landmarks, :data:`EYE_ENLARGE`
(:data:`MOUTH_ENLARGE`) times their larger extent (for the eyes, of the wider eye), so a crop shows the eye
with its lids and some brow (the lips with some skin) even where the landmarks
are a little off. "left" and "right" are as seen in the image.

``python -m data_prep.components PHOTOS`` measures the mean boxes on aligned
CelebA photos, the numbers :data:`CELEBA_BOXES` holds.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from data_prep.framing import frame_face
from data_prep.imageio import list_files, load_image
from data_prep.landmarks import LEFT_EYE, OUTER_LIPS, RIGHT_EYE, landmarks

Box = list[int]
"""[x0, y0, x1, y1] in pixels, x1 and y1 exclusive."""
PARTS = {"left_eye": RIGHT_EYE, "right_eye": LEFT_EYE, "mouth": OUTER_LIPS}
"""Part -> its landmarks. dlib's "right eye" is the person's own right, on the left of the image."""
EYE_ENLARGE = 1.6
"""An eye's extent is its width, corner to corner; 1.6 adds the lids and some brow above and skin below."""
MOUTH_ENLARGE = 1.4
"""The mouth's extent is its width, which already spans the lips; 1.4 adds a margin of skin around them."""
ENLARGE = {"left_eye": EYE_ENLARGE, "right_eye": EYE_ENLARGE, "mouth": MOUTH_ENLARGE}

CELEBA_SIDE = 256
CELEBA_BOXES: dict[str, tuple[float, float, float, float]] = {
    "left_eye": (81.7, 99.9, 118.8, 137.0),
    "right_eye": (136.6, 100.1, 173.7, 137.2),
    "mouth": (92.4, 146.1, 162.5, 216.2),
}
"""Boxes of an aligned CelebA photo framed by `data_prep.framing.frame_face` (source "celeba") at
CELEBA_SIDE pixels: the mean of `part_boxes` over the 292 faces dlib finds in 300 photos spread over
faces/celeba, measured by ``python -m data_prep.components ../shared/data/faces/celeba --count 300``.
They hold the part's landmarks in 100 % (eyes) and 98 % (mouth) of those photos, and in 98-100 % and
97 % of 300 photos of faces/celeba_more."""


def square_box(points: np.ndarray, side: float) -> tuple[float, float, float, float]:
    """The square of ``side`` on the centre of ``points`` (N×2, x y)."""
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    return centre[0] - side / 2, centre[1] - side / 2, centre[0] + side / 2, centre[1] + side / 2


def part_boxes(points: np.ndarray) -> dict[str, tuple[float, float, float, float]]:
    """Unclipped float boxes of the eyes and mouth of one set of 68 landmarks. Both eyes get the size of
    the wider one: the far eye of a turned face looks narrow, but a critic should see all of it."""
    extent = {part: float(np.ptp(points[index], axis=0).max()) for part, index in PARTS.items()}
    extent["left_eye"] = extent["right_eye"] = max(extent["left_eye"], extent["right_eye"])
    return {part: square_box(points[index], ENLARGE[part] * extent[part]) for part, index in PARTS.items()}


def contains(box: Sequence[float], points: np.ndarray) -> bool:
    """True if every point (N×2, x y) lies inside ``box``."""
    x0, y0, x1, y1 = box
    return bool(((points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)).all())


def pixel_boxes(boxes: dict[str, tuple[float, float, float, float]], size: int) -> dict[str, Box]:
    """Float boxes as whole pixels inside a ``size`` square (rounded outwards, then clipped)."""
    clipped = {}
    for part, (x0, y0, x1, y1) in boxes.items():
        low = [min(max(int(np.floor(v)), 0), size - 1) for v in (x0, y0)]
        high = [min(max(int(np.ceil(v)), low[i] + 1), size) for i, v in enumerate((x1, y1))]
        clipped[part] = [low[0], low[1], high[0], high[1]]
    return clipped


def landmark_boxes(points: np.ndarray, size: int) -> dict[str, Box]:
    """The boxes of a face in a ``size`` square photo from its 68 landmarks."""
    return pixel_boxes(part_boxes(points), size)


def celeba_boxes(size: int) -> dict[str, Box]:
    """The fixed boxes of an aligned CelebA photo framed at ``size`` pixels (no landmarks needed)."""
    scale = size / CELEBA_SIDE
    return pixel_boxes({part: tuple(v * scale for v in box) for part, box in CELEBA_BOXES.items()}, size)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the mean `part_boxes` of aligned CelebA photos framed at CELEBA_SIDE, and the share of
    photos whose landmarks each mean box holds."""
    parser = argparse.ArgumentParser(prog="python -m data_prep.components", description=main.__doc__)
    parser.add_argument("photos", type=Path, help="folder of aligned 178×218 CelebA photos")
    parser.add_argument("--count", type=int, default=300, help="photos measured, spread over the folder")
    args = parser.parse_args(argv)
    files = list_files(args.photos)
    files = [files[i] for i in np.linspace(0, len(files) - 1, min(args.count, len(files))).round().astype(int)]
    found = [landmarks(frame_face(load_image(path), CELEBA_SIDE, "celeba")) for path in files]
    found = [points for points in found if points is not None]
    print(f"{len(found)} of {len(files)} photos with a face; mean boxes at {CELEBA_SIDE} px:")
    for part, index in PARTS.items():
        mean = np.array([part_boxes(points)[part] for points in found]).mean(axis=0)
        inside = np.mean([contains(mean, points[index]) for points in found])
        print(f'    "{part}": ({", ".join(f"{v:.1f}" for v in mean)}),  # holds the landmarks of {inside:.0%}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
