"""Generators side by side on the same drawings: one row per drawing, one column per model and seed.

    python -m evaluation.compare DRAWINGS CHECKPOINT [CHECKPOINT ...] --out SHEET.png [--seeds 0] [--count 6]

For watching a training run (its `snapshots/step_N` folders beside the shipped model) or choosing
between models by eye: every model gets the same seeds, so only the model differs from one group of
columns to the next; several seeds (`--seeds 0,1,2,3`) show how different the faces a seed picks are.
DRAWINGS is one drawing or a folder of them (`--count` spread over it); CHECKPOINT a model folder or Hub
id. The sheet is a PNG or, for a smaller file, a JPEG (by the suffix of --out).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from data_prep.imageio import ImageLoadError, load_image
from evaluation.sheets import drawing_files, sheet, spread
from p2p.arguments import count, seeds
from p2p.inference import FaceGenerator
from p2p.weights import CheckpointError

TILE = 128  # px per face on the sheet


def column_label(checkpoint: str) -> str:
    """A short header for a model: its folder name or Hub id; a run's generator its run
    (`runs/base/generator` → `base`); a snapshot's run and step (`runs/default/snapshots/step_0015000` →
    `default 15,000`)."""
    path = Path(checkpoint)
    name = path.name or checkpoint
    if name.startswith("step_") and name[5:].isdigit():
        step = f"{int(name[5:]):,}"
        return f"{path.parent.parent.name} {step}" if path.parent.name == "snapshots" else f"step {step}"
    return path.parent.name if name == "generator" and path.parent.name else name


def compare(drawings: list[np.ndarray], checkpoints: list[str], seeds: list[int]) -> list[list[np.ndarray]]:
    """Rows of (drawing as the first model sees it, then for each checkpoint its face at each seed); the
    models load one at a time."""
    rows: list[list[np.ndarray]] = []
    for checkpoint in checkpoints:
        generator = FaceGenerator.from_pretrained(checkpoint)
        prepared = [generator.prepare(d) for d in drawings]
        rows = rows or [[drawing.pixels] for drawing in prepared]
        for face_seed in seeds:
            for row, face in zip(rows, generator.generate(prepared, [face_seed] * len(drawings)), strict=True):
                row.append(face)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("drawings", type=Path, help="a drawing, or a folder of drawings")
    parser.add_argument("checkpoints", nargs="+", help="model folders or Hub ids, one column each")
    parser.add_argument("--out", type=Path, required=True, help="the sheet: .png or .jpg")
    parser.add_argument("--seeds", type=seeds, default=[0], help="comma-separated noise seeds, a column each per model")
    parser.add_argument("--count", type=count, default=6, help="drawings (rows), spread over the folder")
    args = parser.parse_args(argv)
    if args.out.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        parser.error(f"--out {args.out}: the sheet is written as .png or .jpg")
    if not args.drawings.exists():
        parser.error(f"{args.drawings}: no such file or folder")

    files = [args.drawings] if args.drawings.is_file() else drawing_files(args.drawings)
    drawings = []
    for path in spread(files, args.count):
        try:
            drawings.append(load_image(path))
        except ImageLoadError as err:
            print(f"skipped: {err}", file=sys.stderr)
    if not drawings:
        print(f"error: {args.drawings}: no readable drawings", file=sys.stderr)
        return 1
    try:
        rows = compare(drawings, args.checkpoints, args.seeds)
    except CheckpointError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    names = [column_label(c) for c in args.checkpoints]
    if len(args.seeds) == 1:
        labels = ["drawing", *names]
    else:  # the model's name over its first column, then only the seeds
        labels = ["drawing", *(f"seed {s}" if i else f"{n}, seed {s}" for n in names for i, s in enumerate(args.seeds))]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(sheet(rows, TILE, labels=labels), cv2.COLOR_RGB2BGR))
    print(f"{len(drawings)} drawing(s) × {len(args.checkpoints)} model(s) × {len(args.seeds)} seed(s) → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
