"""Simple line art, as a person draws a face with a mouse: a few smooth strokes from landmarks.

Edge detectors draw every contour of a photo; a person draws ten sparse strokes:
an oval closed over the forehead, the hair outline, brows, eyes (sometimes with
pupils), a short nose line and the mouth, with empty paper in between. A model
trained only on edge maps has never seen empty paper inside a face outline mean
"skin", so this module draws such strokes from a photo's 68 landmarks and its
head mask (`data_prep.head`), varying what people vary: stroke width, wobble,
simplification, missing parts, eye / nose / mouth styles, slightly wrong
proportions, and hair drawn as its real outline, as a cap hugging the head or
not at all. Every choice comes from the parameters, so a drawing is
reproducible from what the dataset manifest records.
"""

from __future__ import annotations

import hashlib

import cv2
import numpy as np

from data_prep.head import Head, face_height
from data_prep.landmarks import (
    INNER_LIPS,
    JAW,
    LEFT_BROW,
    LEFT_EYE,
    NOSE_BASE,
    NOSE_BRIDGE,
    OUTER_LIPS,
    RIGHT_BROW,
    RIGHT_EYE,
)

REFERENCE_SIDE = 256
"""Pixel parameters (stroke width, wobble, simplification) are for a face this many pixels wide."""
SMOOTHING_ROUNDS = 3
"""Rounds of Chaikin corner cutting: polylines through landmarks become smooth curves."""
CONTOUR_LEVEL = 0.5
"""The head outline is the mask's contour at this level."""
HAIR_NONE, HAIR_CAP = 0.2, 0.5
"""`hair` below HAIR_NONE: no hair drawn; below HAIR_CAP: a guessed cap hugging the head, as people draw hair with
a mouse (the photo keeps its real hair, so the model learns to paint hair past such a cap); else the real outline."""


def smooth_curve(points: np.ndarray, closed: bool) -> np.ndarray:
    """Chaikin corner cutting: a smooth curve close to the polyline (endpoints kept when open)."""
    curve = np.asarray(points, np.float32)
    for _ in range(SMOOTHING_ROUNDS):
        if len(curve) < 3:
            break
        following = np.roll(curve, -1, axis=0) if closed else curve[1:]
        current = curve if closed else curve[:-1]
        cut = np.empty((2 * len(current), 2), np.float32)
        cut[0::2] = 0.75 * current + 0.25 * following
        cut[1::2] = 0.25 * current + 0.75 * following
        curve = cut if closed else np.vstack([curve[:1], cut, curve[-1:]])
    return curve


class Pen:
    """Draws strokes the way one person would on one drawing: one hand, one pen, one wobble."""

    def __init__(self, size: int, rng: np.random.Generator, stroke_width: float, wobble: float, simplify: float):
        self.scale = size / REFERENCE_SIDE
        self.paper = np.full((size, size), 255, np.uint8)
        self.rng, self.width, self.wobble, self.simplify = rng, stroke_width, wobble, simplify

    def stroke(self, points: np.ndarray, closed: bool = False) -> None:
        """One stroke through ``points``: simplified, wobbled, smoothed, then inked."""
        points = np.ascontiguousarray(points, np.float32)
        if self.simplify > 0 and len(points) > 3:
            approx = cv2.approxPolyDP(points.reshape(-1, 1, 2), self.simplify * self.scale, closed)
            points = approx.reshape(-1, 2) if len(approx) >= 3 else points
        points = points + self.rng.normal(0.0, self.wobble * self.scale / 2, points.shape).astype(np.float32)
        curve = smooth_curve(points, closed)
        width = max(1, round((self.width + self.rng.uniform(-0.5, 0.5)) * self.scale))
        cv2.polylines(self.paper, [np.round(curve * 16).astype(np.int32)], closed, 0, width, cv2.LINE_AA, shift=4)

    def dot(self, centre: np.ndarray, radius: float, filled: bool) -> None:
        width = -1 if filled else max(1, round(self.width * self.scale))
        cv2.circle(
            self.paper,
            tuple(np.round(centre * 16).astype(int)),
            max(16, round(radius * 16)),
            0,
            width,
            cv2.LINE_AA,
            shift=4,
        )


def _resized(points: np.ndarray, factor: float, shift: np.ndarray) -> np.ndarray:
    """A feature drawn a little too big or small and a little off: people's proportions."""
    centre = points.mean(axis=0)
    return centre + shift + factor * (points - centre)


def forehead_arc(points: np.ndarray, height: float) -> np.ndarray:
    """Points over the forehead from the jaw's right end back to its left end (closes the face oval)."""
    left, right = points[JAW][0], points[JAW][-1]
    centre = (left + right) / 2
    half_width = float(np.linalg.norm(right - left)) / 2
    brows_top = float(np.vstack([points[RIGHT_BROW], points[LEFT_BROW]])[:, 1].min())
    rise = max(centre[1] - brows_top, 0.0) + height * 0.5
    angles = np.linspace(0.0, np.pi, 9)[1:-1]
    return np.stack([centre[0] + half_width * np.cos(angles), centre[1] - rise * np.sin(angles)], axis=1)


def head_outline(mask: np.ndarray, min_length: int) -> list[np.ndarray]:
    """The head-and-shoulders silhouette as open runs of contour, leaving out where it follows the frame."""
    binary = (mask >= CONTOUR_LEVEL).astype(np.uint8)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return []
    contour = max(contours, key=cv2.contourArea).reshape(-1, 2)
    side = mask.shape[0]
    step = max(1, side // 128)  # every pixel of the contour is more points than a hand draws
    inside = (contour.min(axis=1) > 2) & (contour.max(axis=1) < side - 3)
    if inside.all():
        return [contour[::step].astype(np.float32)]
    start = int(np.argmin(inside))  # begin the walk on the frame so runs do not wrap around
    contour, inside = np.roll(contour, -start, axis=0), np.roll(inside, -start)
    edges = np.flatnonzero(np.diff(inside.astype(np.int8)))
    runs = [contour[a + 1 : b + 1] for a, b in zip(edges[::2], edges[1::2])]
    if len(edges) % 2:
        runs.append(contour[edges[-1] + 1 :])
    return [run[::step].astype(np.float32) for run in runs if len(run) >= min_length]


def draw_lineart(
    head: Head,
    *,
    stroke_width: float = 2.0,
    wobble: float = 1.0,
    simplify: float = 1.0,
    variant: float = 0.0,
    hair: float = 1.0,
) -> np.ndarray:
    """Simple line art of ``head``, the size of its mask: uint8, black strokes on white.

    The face from the landmarks and the outline of hair and shoulders from the
    mask (see :func:`landmark_sketch` for the parameters).
    """
    return landmark_sketch(
        head.points,
        head.mask.shape[0],
        head.mask,
        stroke_width=stroke_width,
        wobble=wobble,
        simplify=simplify,
        variant=variant,
        hair=hair,
    )


def hair_cap(points: np.ndarray, height: float, puff: float) -> np.ndarray:
    """A guessed hair outline without a photo: the forehead arc and temples, ``puff`` times further out."""
    upper = np.vstack([points[JAW][-4:], forehead_arc(points, height), points[JAW][:4]])
    centre = points[JAW].mean(axis=0)
    return centre + puff * (upper - centre)


def landmark_sketch(
    points: np.ndarray,
    size: int = REFERENCE_SIDE,
    mask: np.ndarray | None = None,
    *,
    stroke_width: float = 2.0,
    wobble: float = 1.0,
    simplify: float = 1.0,
    variant: float = 0.0,
    hair: float = 1.0,
) -> np.ndarray:
    """A sparse mouse-style drawing of a face from its 68 landmarks (pixels of a ``size`` square) alone.

    ``mask`` (1 = person, ``data_prep.head``) adds the real outline of hair and
    shoulders, or with ``hair`` under `HAIR_CAP` a guessed cap or none; without
    it the hair is at most a guessed cap, so landmarks of any photo (the
    validation people, say) give a drawing. ``stroke_width`` (px),
    ``wobble`` (px of hand tremor) and ``simplify`` (px of polyline
    simplification) are for a 256-pixel drawing and scale with ``size``.
    ``variant`` in [0, 1) picks everything else (which parts are left out, the
    styles of eyes, nose and mouth, proportions): the same parameters always
    give the same drawing.
    """
    digest = hashlib.sha256(repr((stroke_width, wobble, simplify, variant)).encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    pen = Pen(size, rng, stroke_width, wobble, simplify)
    points = np.asarray(points, np.float32)
    height = face_height(points)
    unit = height / 10  # about the height of an eye

    if mask is None:
        hair_runs = [hair_cap(points, height, rng.uniform(1.15, 1.4))] if rng.random() < 0.6 else []
    elif hair < HAIR_NONE:
        hair_runs = []
    elif hair < HAIR_CAP:
        hair_runs = [hair_cap(points, height, rng.uniform(1.05, 1.35))]
    else:
        hair_runs = head_outline(mask, min_length=max(8, size // 16))
    if not hair_runs or rng.random() < 0.65:  # the oval, closed over the forehead
        pen.stroke(np.vstack([points[JAW], forehead_arc(points, height)]), closed=True)
    else:
        pen.stroke(points[JAW])
    for run in hair_runs:
        pen.stroke(run)

    if rng.random() >= 0.15:  # brows
        thick = rng.random() < 0.35
        for brow in (points[RIGHT_BROW], points[LEFT_BROW]):
            pen.stroke(brow)
            if thick:
                pen.stroke(brow[::-1] + [0, unit * 0.6])

    eye_style = rng.choice(["almond", "almond", "lid", "round", "dot"])
    pupils = rng.random() < 0.5
    eye_factor, eye_shift = rng.uniform(0.85, 1.3), rng.normal(0, unit * 0.3, 2)
    for eye in (points[RIGHT_EYE], points[LEFT_EYE]):
        eye = _resized(eye, eye_factor, eye_shift)
        centre, eye_height = eye.mean(axis=0), max(float(np.ptp(eye[:, 1])), unit * 0.6)
        if eye_style == "almond":
            pen.stroke(eye, closed=True)
        elif eye_style == "lid":
            pen.stroke(eye[:4])
        elif eye_style == "round":
            pen.dot(centre, eye_height * 0.8, filled=False)
        if eye_style == "dot" or pupils:
            pen.dot(centre, eye_height * (0.45 if eye_style == "dot" else 0.35), filled=True)

    nose_style = rng.choice(["none", "line", "L", "base", "nostrils"], p=[0.15, 0.2, 0.3, 0.2, 0.15])
    bridge, base = points[NOSE_BRIDGE], points[NOSE_BASE]
    if nose_style == "line":
        pen.stroke(bridge[1:])
    elif nose_style == "L":
        side = base[0] if rng.random() < 0.5 else base[-1]
        pen.stroke(np.vstack([bridge[1:], (base[2] + side) / 2]))
    elif nose_style == "base":
        pen.stroke(base)
    elif nose_style == "nostrils":
        pen.stroke(base[:2])
        pen.stroke(base[3:])

    mouth_style = rng.choice(["line", "lips", "lips+line"], p=[0.45, 0.3, 0.25])
    mouth_factor, mouth_shift = rng.uniform(0.8, 1.2), rng.normal(0, unit * 0.3, 2)
    outer, inner = (_resized(p, mouth_factor, mouth_shift) for p in (points[OUTER_LIPS], points[INNER_LIPS]))
    middle = np.vstack([outer[0], inner[1:4], outer[6]])
    if mouth_style != "line":
        pen.stroke(outer, closed=True)
    if mouth_style != "lips":
        pen.stroke(middle)
    return pen.paper
