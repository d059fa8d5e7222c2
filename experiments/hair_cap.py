"""Is the mouse drawings' hair why their faces fail? Line art with the real hair outline against a guessed cap.

The app's mouse drawings (`examples/face_strokes.py`) give hair as a cap hugging the head, or none; the training
line art drew the real outline of hair and shoulders. This draws each validation photo's line art both ways from
the same landmarks and parameters (`data_prep.lineart.landmark_sketch` with and without the head mask) and scores
the faces (a seed per drawing) against the re-framed photos, and writes a sheet: outline | face | cap | face | photo.

    python -m experiments.hair_cap --data data/celeba-2000people [--checkpoint CKPT] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from data_prep.head import find_head
from data_prep.lineart import landmark_sketch
from evaluation.evaluate import framed_photos, pair_sources
from evaluation.realism import SEED_PER_DRAWING
from experiments.quick_set import realism_row
from p2p.data import list_pairs, painted_backdrops, read_pair
from p2p.inference import FaceGenerator

SHEET_ROWS = 6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--out", type=Path, default=Path("runs/hair_cap"))
    args = parser.parse_args()
    generator = FaceGenerator.from_pretrained(args.checkpoint)
    framed = painted_backdrops(args.data)
    files = [p for p in list_pairs(args.data, "val") if p.stem in framed and p.stem.endswith("_lineart")]
    names = ("real hair outline", "guessed cap or none")
    faces: dict[str, list] = {name: [] for name in names}
    rng, rows, people = np.random.default_rng(0), [], []
    for i, (path, source) in enumerate(zip(files, pair_sources(args.data, files))):
        photo = read_pair(path)[1]
        head = find_head(photo)
        if head is None:
            continue
        params = {"stroke_width": float(rng.uniform(2, 5)), "variant": float(rng.random())}
        drawings = [landmark_sketch(head.points, 256, mask, **params) for mask in (head.mask, None)]
        made = generator.generate(drawings, [SEED_PER_DRAWING + i] * 2)
        for name, face in zip(names, made):
            faces[name].append(face)
        people.append(source.person)
        if len(rows) < SHEET_ROWS:
            grey = [cv2.cvtColor(d, cv2.COLOR_GRAY2RGB) for d in drawings]
            rows.append(np.hstack([grey[0], made[0], grey[1], made[1], photo]))
    real = framed_photos(args.data, "val", 256)
    print(f"| hair drawn as ({len(people)} faces) | two-sample | layout only |")
    for name in names:
        print(f"| {name} | {realism_row(faces[name], people, real)} |")
    args.out.mkdir(parents=True, exist_ok=True)
    sheet = cv2.resize(np.vstack(rows), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(args.out / "hair_cap.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
