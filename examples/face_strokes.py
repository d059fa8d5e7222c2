"""Faces as a person draws them with a mouse: a list of strokes, each a polyline in canvas fractions.

One synthetic face for everything that needs a drawing: tests rasterize it
(`rasterize`), the browser tests and benchmarks replay it stroke by stroke with
the mouse, and `benchmarks/make_mouse_drawings.py` draws the evaluation set with
it. `face_strokes(rng)` varies proportions, positions, sizes, stroke style
(smooth, wobbly, sketched in short pieces) and leaves parts out now and then;
`face_strokes()` without a generator is one plain, complete face.
"""

from __future__ import annotations

import cv2
import numpy as np

Stroke = list[tuple[float, float]]
"""Points of one pen stroke, x and y as fractions (0-1) of the canvas side."""


def _ellipse_arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 16) -> Stroke:
    """Points on an ellipse from angle `start` to `end` (degrees, 0 = right, 90 = down)."""
    t = np.radians(np.linspace(start, end, n))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in t]


def _style(stroke: Stroke, rng: np.random.Generator | None, wobble: float, pieces: bool) -> list[Stroke]:
    """A stroke as drawn: a little hand wobble, and sometimes sketched in two or three overlapping pieces."""
    if rng is None:
        return [stroke]
    points = np.asarray(stroke) + rng.normal(0, wobble, (len(stroke), 2))
    if not pieces or len(points) < 6:
        return [[tuple(p) for p in points]]
    cuts = sorted(rng.choice(np.arange(2, len(points) - 2), size=int(rng.integers(1, 3)), replace=False))
    bounds = [0, *cuts, len(points)]
    return [[tuple(p) for p in points[max(a - 1, 0) : b]] for a, b in zip(bounds, bounds[1:])]


def face_strokes(rng: np.random.Generator | None = None) -> list[Stroke]:
    """The strokes of one face: outline, hair, brows, eyes, nose, mouth (in that order, as people draw)."""
    u = (lambda lo, hi: (lo + hi) / 2) if rng is None else (lambda lo, hi: float(rng.uniform(lo, hi)))
    keep = (lambda p: True) if rng is None else (lambda p: rng.random() < p)
    wobble, pieces = u(0.0, 0.004), keep(0.3) and rng is not None
    cx, cy = u(0.46, 0.54), u(0.5, 0.56)
    rx, ry = u(0.2, 0.27), u(0.27, 0.34)
    strokes: list[Stroke] = [_ellipse_arc(cx, cy, rx, ry, 0, 360, 28)]  # face outline
    top = cy - ry
    if keep(0.85):  # hair: a cap over the head, sometimes falling to the shoulders
        fall = u(0.0, 0.35) if keep(0.4) else 0.0
        strokes.append(_ellipse_arc(cx, cy - u(0.0, 0.04), rx * u(1.05, 1.25), ry * u(1.05, 1.2), 180, 360, 20))
        if fall:
            for side in (-1, 1):
                strokes.append([(cx + side * rx * 1.15, cy), (cx + side * rx * u(1.1, 1.4), cy + ry * fall * 2)])
        if keep(0.5):  # fringe
            strokes.append(_ellipse_arc(cx, top + ry * u(0.25, 0.45), rx * 0.95, ry * u(0.2, 0.35), 190, 350, 10))
    eye_y, eye_dx = cy - ry * u(0.05, 0.2), rx * u(0.35, 0.5)
    eye_w, eye_h = rx * u(0.16, 0.26), ry * u(0.05, 0.1)
    for side in (-1, 1):
        ex = cx + side * eye_dx
        if keep(0.9):  # brow
            by = eye_y - ry * u(0.14, 0.24)
            strokes.append(_ellipse_arc(ex, by + eye_h * 2, eye_w * 1.3, eye_h * 2.2, 200, 340, 8))
        if keep(0.95):  # eye: upper and lower lid, then the pupil as a small circle
            strokes.append(_ellipse_arc(ex, eye_y, eye_w, eye_h, 180, 360, 10))
            strokes.append(_ellipse_arc(ex, eye_y, eye_w, eye_h, 0, 180, 10))
            if keep(0.8):
                strokes.append(_ellipse_arc(ex, eye_y, eye_h * 0.8, eye_h * 0.8, 0, 360, 8))
    nose_y = cy + ry * u(0.15, 0.3)
    if keep(0.9):
        strokes.append(
            [(cx - rx * 0.03, eye_y + eye_h * 2), (cx - rx * u(0.08, 0.16), nose_y), (cx + rx * 0.1, nose_y)]
        )
    mouth_y, mouth_w = cy + ry * u(0.45, 0.6), rx * u(0.3, 0.5)
    if keep(0.95):
        smile = ry * u(-0.02, 0.1)
        strokes.append(_ellipse_arc(cx, mouth_y - smile, mouth_w, smile + ry * 0.04, 10, 170, 12))
        if keep(0.5):  # upper lip line
            strokes.append(
                [(cx - mouth_w, mouth_y - smile), (cx, mouth_y - ry * 0.06), (cx + mouth_w, mouth_y - smile)]
            )
    if keep(0.6):  # neck
        for side in (-1, 1):
            strokes.append([(cx + side * rx * 0.5, cy + ry * 0.85), (cx + side * rx * 0.55, min(cy + ry * 1.5, 0.98))])
    styled = [piece for s in strokes for piece in _style(s, rng, wobble, pieces)]
    return [[(float(np.clip(x, 0.01, 0.99)), float(np.clip(y, 0.01, 0.99))) for x, y in s] for s in styled]


def rasterize(strokes: list[Stroke], size: int = 256, width: int = 2) -> np.ndarray:
    """The strokes drawn in black on white paper, size×size uint8 (width in pixels, 2 like the app's pen at 256)."""
    drawing = np.full((size, size), 255, np.uint8)
    for stroke in strokes:
        points = np.rint(np.asarray(stroke) * (size - 1)).astype(np.int32)
        cv2.polylines(drawing, [points], False, 0, width, cv2.LINE_AA)
    return drawing


def replay(page: object, strokes: list[Stroke], steps: int = 3, selector: str = "#sketch canvas") -> None:
    """Draw the strokes with the mouse on the app's canvas in a Playwright page, as a person would."""
    box = page.locator(selector).bounding_box()
    for stroke in strokes:
        page.mouse.move(box["x"] + stroke[0][0] * box["width"], box["y"] + stroke[0][1] * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=steps)
        page.mouse.up()
