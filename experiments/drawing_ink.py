"""Do the faces trace the strokes because the strokes are black? The drawing's ink changed before the generator.

The faces show each drawn line as a dark stroke where a photo has a change of shade, and erasing those strokes
after the generator erased features (docs/experiments.md, "Finishing steps"). Training saw pencil-grey strokes
and other widths too (`data_prep.augment`), so the same drawing with fainter, thinner or softer ink is still a
drawing the model knows, and may be painted with softer edges. Each variant of the `--quick` pairs' drawings of
DATA goes through the bundled model (a seed per drawing, graded as the app shows them) and is scored as
`evaluate --quick` does (64 px, four halvings) and by dlib against the true photo:

- `ink at A %`: every pixel's darkness (255 - value) times A / 100: grey pencil instead of ink;
- `thinned`: the paper grown by one pixel into the lines (a 3×3 grey dilation), a thin line left faint;
- `softened`: the lines blurred by a Gaussian of σ 1 px.

    python -m experiments.drawing_ink --data DATA
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from experiments.quick_set import faces_for_drawings, likeness_row, quick_pairs, realism_row, references
from p2p.data import read_pair
from p2p.inference import FaceGenerator


def lighter(amount: float) -> Callable[[np.ndarray], np.ndarray]:
    """Ink at `amount` of its darkness."""
    return lambda drawing: np.rint(255 - amount * (255 - drawing.astype(np.float32))).astype(np.uint8)


VARIANTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "as drawn": lambda drawing: drawing,
    "ink at 70 %": lighter(0.7),
    "ink at 50 %": lighter(0.5),
    "thinned": lambda drawing: cv2.dilate(drawing, np.ones((3, 3), np.uint8)),
    "softened": lambda drawing: cv2.GaussianBlur(drawing, (0, 0), 1.0),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("--checkpoint", help="a generator (default: the shipped model)")
    args = parser.parse_args(argv)
    files = quick_pairs(args.data)
    scored = references(args.data, files)
    drawings = [read_pair(path)[0] for path in files]
    generator = FaceGenerator.from_pretrained(args.checkpoint)
    print("| drawings | two-sample ↓ | layout only | same person ↑ | landmark error ↓ |\n|---|---:|---:|---:|---:|")
    for name, change in VARIANTS.items():
        faces = faces_for_drawings(generator, [change(drawing) for drawing in drawings])
        kept = [faces[i] for i in scored.keep]
        row = f"{realism_row(kept, scored.people, scored.real)} | {likeness_row(kept, scored.faces)}"
        print(f"| {name} | {row} |", flush=True)


if __name__ == "__main__":
    main()
