"""Two drawings of each validation photo's head, their faces scored side by side: the frame of the notebook
scripts that ask which property of a drawing makes its face less photo-like (`experiments.hair_cap`,
`experiments.mouse_placement`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from data_prep.head import Head, find_head
from evaluation.evaluate import framed_photos, pair_sources
from evaluation.realism import SEED_PER_DRAWING
from experiments.quick_set import realism_row
from p2p.data import list_pairs, painted_backdrops, read_pair
from p2p.inference import FaceGenerator

SHEET_ROWS = 6
Draw = Callable[[Head, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def compare(description: str, names: tuple[str, str], draw: Draw, sheet_name: str) -> None:
    """Parse --data/--checkpoint/--out; for each re-framed validation line-art pair's photo, `draw` two drawings
    of its head; paint both with the same seed (a seed per drawing); print their two-sample rows against the
    re-framed photos and write a sheet: drawing | face | drawing | face | photo."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--out", type=Path, default=Path("runs") / sheet_name)
    args = parser.parse_args()
    generator = FaceGenerator.from_pretrained(args.checkpoint)
    framed = painted_backdrops(args.data)
    files = [p for p in list_pairs(args.data, "val") if p.stem in framed and p.stem.endswith("_lineart")]
    faces: dict[str, list[np.ndarray]] = {name: [] for name in names}
    rng, rows, people = np.random.default_rng(0), [], []
    for i, (path, source) in enumerate(zip(files, pair_sources(args.data, files))):
        photo = read_pair(path)[1]
        head = find_head(photo)
        if head is None:
            continue
        drawings = draw(head, rng)
        made = generator.generate(list(drawings), [SEED_PER_DRAWING + i] * 2)
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
    cv2.imwrite(str(args.out / f"{sheet_name}.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
