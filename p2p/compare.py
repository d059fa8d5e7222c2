"""Generators side by side on the same drawings: one row per drawing, one column per model.

    python -m p2p.compare DRAWINGS CHECKPOINT [CHECKPOINT ...] --out SHEET.png [--seed 0] [--count 6]

For watching a training run (its `snapshots/step_N` folders beside the shipped model) or choosing
between models by eye: every column uses the same seed, so only the model differs. DRAWINGS is one
drawing or a folder of them (`--count` spread over it); CHECKPOINT a model folder or Hub id. The sheet
is a PNG or, for a smaller file, a JPEG (by the suffix of --out).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from data_prep.imageio import ImageLoadError, load_image
from p2p.evaluate import drawing_files, sheet, spread
from p2p.infer import count, seed
from p2p.inference import FaceGenerator
from p2p.weights import CheckpointError

TILE = 128  # px per face on the sheet


def column_label(checkpoint: str) -> str:
    """A short header for a model: its folder name (`step_0015000` → `step 15,000`) or Hub id."""
    name = Path(checkpoint).name or checkpoint
    if name.startswith("step_") and name[5:].isdigit():
        return f"step {int(name[5:]):,}"
    return name


def compare(drawings: list[np.ndarray], checkpoints: list[str], face_seed: int) -> list[list[np.ndarray]]:
    """Rows of (drawing as the first model sees it, the face of each checkpoint), all with `face_seed`;
    the models load one at a time."""
    rows: list[list[np.ndarray]] = []
    for checkpoint in checkpoints:
        generator = FaceGenerator.from_pretrained(checkpoint)
        prepared = [generator.prepare(d) for d in drawings]
        faces = generator.generate(prepared, [face_seed] * len(drawings))
        rows = rows or [[drawing.pixels] for drawing in prepared]
        for row, face in zip(rows, faces, strict=True):
            row.append(face)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("drawings", type=Path, help="a drawing, or a folder of drawings")
    parser.add_argument("checkpoints", nargs="+", help="model folders or Hub ids, one column each")
    parser.add_argument("--out", type=Path, required=True, help="the sheet: .png or .jpg")
    parser.add_argument("--seed", type=seed, default=0, help="noise seed of every face")
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
        rows = compare(drawings, args.checkpoints, args.seed)
    except CheckpointError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    labels = ["drawing", *(column_label(c) for c in args.checkpoints)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(sheet(rows, TILE, labels=labels), cv2.COLOR_RGB2BGR))
    print(f"{len(drawings)} drawing(s) × {len(args.checkpoints)} model(s) → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
