"""Is it the mouse drawings' style or where they put the head? Mouse drawings moved onto real photos' heads.

The 48 evaluation mouse drawings (`examples/face_strokes.py`) all draw a big head near the middle of the page;
the photos they are tested against are re-framed at many sizes and places. This draws, for each validation photo,
a new mouse drawing (`face_strokes`, the 2-px app pen) scaled and moved so that its face outline lies on the
photo's own face oval (an ellipse through the jaw landmarks and the forehead arc), beside the photo's landmark
line art with a guessed cap or no hair in the same pen, and scores both sets of faces (a seed per drawing)
against the re-framed photos (`experiments.same_photo_drawings`).

    python -m experiments.mouse_placement --data data/celeba-2000people [--checkpoint CKPT] [--out DIR]
"""

from __future__ import annotations

import cv2
import numpy as np

from data_prep.head import face_height, find_head
from data_prep.landmarks import JAW
from data_prep.lineart import forehead_arc, landmark_sketch
from examples.face_strokes import face_strokes, rasterize
from experiments.same_photo_drawings import compare

PEN = 2  # px at 256, the app's default pen, as the evaluation mouse drawings


def mouse_drawing_on(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A `face_strokes` face whose outline (its first stroke) is mapped onto the face oval of these landmarks."""
    oval = np.vstack([points[JAW], forehead_arc(points, face_height(points))]).astype(np.float32)
    (tx, ty), (tw, th), _ = cv2.fitEllipse(oval)
    strokes = face_strokes(rng)
    while len(strokes[0]) < 25:  # the outline was sketched in pieces: draw another face
        strokes = face_strokes(rng)
    (sx, sy), (sw, sh), _ = cv2.fitEllipse(np.asarray(strokes[0], np.float32) * 255)
    moved = [[((x * 255 - sx) * tw / sw + tx, (y * 255 - sy) * th / sh + ty) for x, y in stroke] for stroke in strokes]
    return rasterize(
        [[(np.clip(x / 255, 0.01, 0.99), np.clip(y / 255, 0.01, 0.99)) for x, y in s] for s in moved], 256, PEN
    )


def line_art_and_mouse_drawing(_: np.ndarray, photo: np.ndarray, rng: np.random.Generator) -> list | None:
    head = find_head(photo)
    if head is None:
        return None
    line_art = landmark_sketch(head.points, 256, None, stroke_width=PEN, variant=float(rng.random()))
    return [line_art, mouse_drawing_on(head.points, rng)]


if __name__ == "__main__":
    names = ("landmark line art, cap or no hair", "a mouse drawing on the photo's face oval")
    compare(__doc__.split("\n\n")[0], names, line_art_and_mouse_drawing, "mouse_placement")
