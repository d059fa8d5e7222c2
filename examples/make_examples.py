"""Draw the app's example sketches: simple face line art, made here from code, not from any photo.

The dataset photos are licensed for non-commercial research only, so the
examples a Space shows must not be derived from them. These are drawn with
OpenCV curves in the framing the model learned (head centred, eyes a little
above the middle, neck and shoulders at the bottom), black lines on white.

    python examples/make_examples.py        # rewrites examples/*.png
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SIZE = 512
INK = 0
LINE = 3  # about 1.5 px at the model's 256 px, like the training line art


@dataclass(frozen=True)
class Style:
    """What varies between the example faces."""

    name: str
    face_width: int = 112  # half-widths/heights in pixels of the 512 canvas
    face_height: int = 150
    hair: str = "short"  # short, long, bangs, bald
    smile: float = 0.0  # mouth curvature: 0 straight, > 0 smiling
    glasses: bool = False
    beard: bool = False
    brow_lift: int = 0


STYLES = (
    Style("short-hair"),
    Style("long-hair-smile", face_width=104, hair="long", smile=1.0),
    Style("glasses-bangs", face_width=116, hair="bangs", glasses=True, smile=0.4),
    Style("beard", face_width=120, face_height=155, hair="bald", beard=True, brow_lift=4),
)


def bezier(points: list[tuple[float, float]], steps: int = 48) -> np.ndarray:
    """Points of the Bézier curve with these control points, as a polyline for cv2."""
    t = np.linspace(0.0, 1.0, steps)[:, None, None]
    p = np.broadcast_to(np.asarray(points, np.float64), (steps, len(points), 2))
    while p.shape[1] > 1:  # de Casteljau: interpolate neighbouring control points until one is left
        p = p[:, :-1] * (1 - t) + p[:, 1:] * t
    return np.rint(p[:, 0]).astype(np.int32)


def stroke(canvas: np.ndarray, curve: np.ndarray, width: int = LINE) -> None:
    cv2.polylines(canvas, [curve], False, INK, width, cv2.LINE_AA)


def draw_face(style: Style) -> np.ndarray:
    """One face as black lines on white, SIZE×SIZE uint8."""
    canvas = np.full((SIZE, SIZE), 255, np.uint8)
    cx, cy = SIZE // 2, 262
    fw, fh = style.face_width, style.face_height
    top, chin = cy - fh, cy + fh

    # Face contour from the temples down to a rounded chin; the top of the head is hair (or skull).
    temple_y = cy - 70
    for side in (-1, 1):
        temple = (cx + side * fw, temple_y)
        jaw = [
            (cx + side * 1.08 * fw, cy + 40),
            (cx + side * 0.75 * fw, chin),
            (cx + side * 0.3 * fw, chin),
            (cx, chin),
        ]
        stroke(canvas, bezier([temple, *jaw]))
    # Neck and shoulders.
    for side in (-1, 1):
        neck_x = cx + side * 0.55 * fw
        stroke(canvas, bezier([(neck_x, chin - 30), (neck_x, chin + 20), (neck_x + side * 5, SIZE - 60)]))
        stroke(
            canvas, bezier([(neck_x + side * 5, SIZE - 60), (cx + side * 150, SIZE - 45), (cx + side * 250, SIZE - 10)])
        )

    eye_y = cy - 20
    for side in (-1, 1):
        ex = cx + side * 0.45 * fw
        # Almond eye with an iris.
        stroke(canvas, bezier([(ex - 24, eye_y), (ex, eye_y - 16), (ex + 24, eye_y)]))
        stroke(canvas, bezier([(ex - 24, eye_y), (ex, eye_y + 12), (ex + 24, eye_y)]))
        cv2.circle(canvas, (int(ex), eye_y - 1), 7, INK, -1, cv2.LINE_AA)
        # Brow, a little thicker than the other lines.
        by = eye_y - 30 - style.brow_lift
        stroke(canvas, bezier([(ex - side * 28, by + 6), (ex, by - 8), (ex + side * 30, by + 2)]), width=LINE + 2)
        if style.glasses:
            cv2.circle(canvas, (int(ex), eye_y), 36, INK, LINE, cv2.LINE_AA)
    if style.glasses:
        stroke(canvas, bezier([(cx - 0.45 * fw + 36, eye_y - 4), (cx, eye_y - 14), (cx + 0.45 * fw - 36, eye_y - 4)]))

    # Nose: one side line and the nostrils.
    nose_y = cy + 45
    stroke(canvas, bezier([(cx - 8, eye_y + 10), (cx - 12, nose_y - 20), (cx - 20, nose_y)]))
    stroke(canvas, bezier([(cx - 20, nose_y), (cx - 4, nose_y + 10), (cx + 8, nose_y + 4)]))
    stroke(canvas, bezier([(cx + 14, nose_y - 6), (cx + 24, nose_y + 2), (cx + 14, nose_y + 8)]))

    # Mouth: upper lip line, and a lower lip that curves more when smiling.
    mouth_y = cy + 92
    curve = 10 * style.smile
    stroke(canvas, bezier([(cx - 40, mouth_y - curve), (cx, mouth_y + 6 + curve), (cx + 40, mouth_y - curve)]))
    stroke(canvas, bezier([(cx - 26, mouth_y + 12), (cx, mouth_y + 24 + curve), (cx + 26, mouth_y + 12)]))

    if style.beard:
        for side in (-1, 1):
            stroke(
                canvas, bezier([(cx + side * 1.05 * fw, cy + 10), (cx + side * 0.9 * fw, chin + 10), (cx, chin + 24)])
            )
        stroke(canvas, bezier([(cx - 52, mouth_y - 10), (cx, mouth_y - 30), (cx + 52, mouth_y - 10)]))

    _draw_hair(canvas, style, cx, top, fw, temple_y)
    return canvas


def _draw_hair(canvas: np.ndarray, style: Style, cx: int, top: int, fw: int, temple_y: int) -> None:
    crown = top - 25
    for side in (-1, 1):
        temple = (cx + side * fw, temple_y)
        if style.hair == "bald":  # the skull closes the face contour
            stroke(canvas, bezier([temple, (cx + side * 1.05 * fw, top), (cx, top)]))
        elif style.hair == "long":  # over the crown and down past the jaw to the shoulders
            stroke(canvas, bezier([(cx, crown), (cx + side * 1.8 * fw, crown), (cx + side * 1.6 * fw, SIZE - 70)]))
            stroke(
                canvas,
                bezier(
                    [(cx, top + 30), (cx + side * 1.2 * fw, top + 10), temple, (cx + side * 1.1 * fw, temple_y + 170)]
                ),
            )
        else:  # short: a cap of hair from temple to temple
            stroke(canvas, bezier([temple, (cx + side * 1.3 * fw, crown - 10), (cx, crown - 15)]))
    if style.hair == "short":  # hairline
        stroke(canvas, bezier([(cx - fw, temple_y), (cx - 30, top - 5), (cx + fw, temple_y)]))
    elif style.hair == "bangs":  # fringe across the forehead
        stroke(canvas, bezier([(cx - fw, temple_y + 15), (cx - 40, top + 10), (cx + 20, temple_y)]))
        stroke(canvas, bezier([(cx + 20, temple_y), (cx + 60, top + 20), (cx + fw, temple_y + 15)]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for style in STYLES:
        path = args.out / f"{style.name}.png"
        cv2.imwrite(str(path), draw_face(style), [cv2.IMWRITE_PNG_COMPRESSION, 9])
        print(path)


if __name__ == "__main__":
    main()
