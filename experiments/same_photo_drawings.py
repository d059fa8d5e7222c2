"""Several drawings of each re-framed validation line-art pair's photo, their faces scored side by side: the frame of
the notebook scripts that ask which property of a drawing makes its face less photo-like
(`experiments.densify_ceiling`, `experiments.hair_cap`, `experiments.mouse_placement`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from evaluation.evaluate import framed_photos, pair_sources
from evaluation.realism import SEED_PER_DRAWING
from experiments.quick_set import realism_row
from p2p.data import list_pairs, painted_backdrops, read_pair
from p2p.inference import FaceGenerator

SHEET_ROWS = 6
Draw = Callable[[np.ndarray, np.ndarray, np.random.Generator], Sequence[np.ndarray] | None]
"""(the pair's drawing, its photo, a generator shared by all pairs) → one drawing per name, or None to skip."""


def compare(description: str, names: Sequence[str], draw: Draw, sheet_name: str) -> None:
    """Parse --data/--checkpoint/--out; `draw` the drawings of each pair's photo; paint them all with that pair's
    seed (a seed per drawing); print their two-sample rows against the re-framed photos and write a sheet:
    (drawing | face) per name, then the photo."""
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
        drawing, photo = read_pair(path)
        drawings = draw(drawing, photo, rng)
        if drawings is None:
            continue
        made = generator.generate(list(drawings), [SEED_PER_DRAWING + i] * len(drawings))
        for name, face in zip(names, made, strict=True):
            faces[name].append(face)
        people.append(source.person)
        if len(rows) < SHEET_ROWS:
            cells = [cell for d, face in zip(drawings, made) for cell in (cv2.cvtColor(d, cv2.COLOR_GRAY2RGB), face)]
            rows.append(np.hstack([*cells, photo]))
    real = framed_photos(args.data, "val", 256)
    print(f"| drawing ({len(people)} faces) | two-sample | layout only |")
    for name in names:
        print(f"| {name} | {realism_row(faces[name], people, real)} |")
    args.out.mkdir(parents=True, exist_ok=True)
    sheet = cv2.resize(np.vstack(rows), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(args.out / f"{sheet_name}.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
