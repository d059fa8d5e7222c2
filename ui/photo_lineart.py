"""The panel's line art of a person's own photo: every part of the face, drawn steadily.

Training line art (`data_prep.lineart.landmark_sketch`) varies on purpose: parts
left out, eyes as dots, a nose as one line, proportions a little off. That
variety teaches the model to cope with what people draw, but a person who
uploads their photo wants a drawing, and then a face, that looks like them. So
the panel draws every part the model learnt from the same landmarks and head
mask, with a steady pen of the app's default width (`SteadyPen`): hair outline, jaw (closed
over the forehead when no hair outline was found), both brows, both eyes with
pupils where the eye is open, the nose's bridge and base, and both lips with
the line between them. Nothing is random but a small, seeded hand tremor, so a
photo always gives the same drawing. Lives here, not in `data_prep`, so the
training drawings and their code version stay as they are.
"""

from __future__ import annotations

import cv2
import numpy as np

from data_prep import landmarks as marks
from data_prep.head import Head, face_height
from data_prep.lineart import REFERENCE_SIDE, forehead_arc, head_outline, smooth_curve

SUPERSAMPLE = 8
"""Strokes are inked on paper this many times larger, then shrunk: OpenCV's antialiased lines only come in
widths of 1.4, 3.4, 5.4... px, none of them the pen's 2."""
INK_THICKNESS = 13
"""OpenCV thickness on the large paper: an antialiased line 15.4 px wide there, 1.9 px at the drawing's size,
the app's default pen ("Pen": 4 px on the 512-pixel canvas, 2 px at the model's 256), so edits match."""
WOBBLE = 0.5
"""Pixels of hand tremor at 256: a drawn look without moving a feature."""
SIMPLIFY = 0.5
"""Pixels of polyline simplification at 256: curves stay on the landmarks."""
OPEN_EYE = 0.2
"""An eye whose height is at least this share of its width shows its pupil (a shut or squinting one does not)."""
PUPIL = 0.35
"""Pupil radius as a share of the eye's drawn height (as in the training line art)."""
TREMOR_SEED = 0


class SteadyPen:
    """Every stroke the same width: `data_prep.lineart.Pen`'s simplification, tremor and smoothing, without
    its per-stroke width jitter, inked large and shrunk (`SUPERSAMPLE`)."""

    def __init__(self, size: int) -> None:
        self.size, self.scale = size, size / REFERENCE_SIDE
        self.paper = np.full((size * SUPERSAMPLE,) * 2, 255, np.uint8)
        self.rng = np.random.default_rng(TREMOR_SEED)

    def stroke(self, points: np.ndarray, closed: bool = False) -> None:
        points = np.ascontiguousarray(points, np.float32)
        if len(points) > 3:
            approx = cv2.approxPolyDP(points.reshape(-1, 1, 2), SIMPLIFY * self.scale, closed)
            points = approx.reshape(-1, 2) if len(approx) >= 3 else points
        points = points + self.rng.normal(0.0, WOBBLE * self.scale / 2, points.shape).astype(np.float32)
        curve = np.round(smooth_curve(points, closed) * SUPERSAMPLE * 16).astype(np.int32)
        cv2.polylines(self.paper, [curve], closed, 0, INK_THICKNESS, cv2.LINE_AA, shift=4)

    def dot(self, centre: np.ndarray, radius: float) -> None:
        """A filled dot (a pupil)."""
        centre = tuple(np.round(centre * SUPERSAMPLE * 16).astype(int))
        cv2.circle(self.paper, centre, max(16, round(radius * SUPERSAMPLE * 16)), 0, -1, cv2.LINE_AA, shift=4)

    def drawing(self) -> np.ndarray:
        return cv2.resize(self.paper, (self.size, self.size), interpolation=cv2.INTER_AREA)


def eye_is_open(eye: np.ndarray) -> bool:
    """Whether the 6 landmarks of an eye outline an open eye (height over width, dlib's eye aspect ratio)."""
    width = float(np.linalg.norm(eye[3] - eye[0]))
    height = float(np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])) / 2
    return width > 0 and height / width >= OPEN_EYE


def photo_lineart(head: Head) -> np.ndarray:
    """Complete line art of ``head``, the size of its mask: uint8, black strokes on white."""
    size = head.mask.shape[0]
    pen = SteadyPen(size)
    points = np.asarray(head.points, np.float32)
    height = face_height(points)

    hair = head_outline(head.mask, min_length=max(8, size // 16))
    if hair:
        pen.stroke(points[marks.JAW])
    else:
        pen.stroke(np.vstack([points[marks.JAW], forehead_arc(points, height)]), closed=True)
    for run in hair:
        pen.stroke(run)

    for brow in (points[marks.RIGHT_BROW], points[marks.LEFT_BROW]):
        pen.stroke(brow)

    for eye in (points[marks.RIGHT_EYE], points[marks.LEFT_EYE]):
        pen.stroke(eye, closed=True)
        if eye_is_open(eye):
            pen.dot(eye.mean(axis=0), max(float(np.ptp(eye[:, 1])), height / 10 * 0.6) * PUPIL)

    pen.stroke(points[marks.NOSE_BRIDGE][1:])
    pen.stroke(points[marks.NOSE_BASE])

    outer, inner = points[marks.OUTER_LIPS], points[marks.INNER_LIPS]
    pen.stroke(outer, closed=True)
    pen.stroke(np.vstack([outer[0], inner[1:4], outer[6]]))
    return pen.drawing()
