"""Is it the mouse drawings' style or where they put the head? Mouse drawings moved onto real photos' heads.

The 48 evaluation mouse drawings (`examples/face_strokes.py`) all draw a big head near the middle of the page;
the photos they are tested against are re-framed at many sizes and places. This draws, for each validation photo,
a new mouse drawing (`face_strokes`, the 2-px app pen) scaled and moved so that its face outline lies on the
photo's own face oval (an ellipse through the jaw landmarks and the forehead arc), beside the photo's landmark
line art with a guessed cap or no hair in the same pen, and scores both sets of faces (a seed per drawing)
against the re-framed photos. Writes a sheet: line art | face | mouse drawing | face | photo.

    python -m experiments.mouse_placement --data data/celeba-2000people [--checkpoint CKPT] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from data_prep.head import face_height, find_head
from data_prep.landmarks import JAW
from data_prep.lineart import forehead_arc, landmark_sketch
from evaluation.evaluate import framed_photos, pair_sources
from evaluation.realism import SEED_PER_DRAWING
from examples.face_strokes import face_strokes, rasterize
from experiments.quick_set import realism_row
from p2p.data import list_pairs, painted_backdrops, read_pair
from p2p.inference import FaceGenerator

PEN = 2  # px at 256, the app's default pen, as the evaluation mouse drawings
SHEET_ROWS = 5


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--out", type=Path, default=Path("runs/mouse_placement"))
    args = parser.parse_args()
    generator = FaceGenerator.from_pretrained(args.checkpoint)
    framed = painted_backdrops(args.data)
    files = [p for p in list_pairs(args.data, "val") if p.stem in framed and p.stem.endswith("_lineart")]
    names = ("landmark line art, cap or no hair", "a mouse drawing on the photo's face oval")
    faces: dict[str, list] = {name: [] for name in names}
    rng, rows, people = np.random.default_rng(0), [], []
    for i, (path, source) in enumerate(zip(files, pair_sources(args.data, files))):
        photo = read_pair(path)[1]
        head = find_head(photo)
        if head is None:
            continue
        line_art = landmark_sketch(head.points, 256, None, stroke_width=PEN, variant=float(rng.random()))
        drawings = [line_art, mouse_drawing_on(head.points, rng)]
        made = generator.generate(drawings, [SEED_PER_DRAWING + i] * 2)
        for name, face in zip(names, made):
            faces[name].append(face)
        people.append(source.person)
        if len(rows) < SHEET_ROWS:
            grey = [cv2.cvtColor(d, cv2.COLOR_GRAY2RGB) for d in drawings]
            rows.append(np.hstack([grey[0], made[0], grey[1], made[1], photo]))
    real = framed_photos(args.data, "val", 256)
    print(f"| drawing ({len(people)} faces) | two-sample | layout only |")
    for name in names:
        print(f"| {name} | {realism_row(faces[name], people, real)} |")
    args.out.mkdir(parents=True, exist_ok=True)
    sheet = cv2.resize(np.vstack(rows), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(args.out / "mouse_placement.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
