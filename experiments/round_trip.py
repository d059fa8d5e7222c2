"""Does a second pass help sparse drawings? A face, then its pencil sketch or XDoG edges, then a face again.

The generator does best on pencil sketches (they carry shading) and worst on sparse line art, so a face painted from
a mouse drawing, redrawn in pencil by `data_prep.edges` and painted again with the same seed, might look more like a
photo. Scores the first faces and both round trips (a seed per drawing) against the build's re-framed validation
photos, and writes a sheet: drawing | face | its pencil sketch | face from it | face from its XDoG edges.

    python -m experiments.round_trip --data data/celeba-2000people [--checkpoint CKPT] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from data_prep.edges import NoFaceFound, extract_edges
from data_prep.imageio import load_image
from evaluation.evaluate import framed_photos
from evaluation.realism import SEED_PER_DRAWING, Realism, Sample
from evaluation.sheets import drawing_files
from p2p.inference import FaceGenerator

SHEET_ROWS = 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--drawings", type=Path, default=Path("tests/data/mouse_drawings"))
    parser.add_argument("--out", type=Path, default=Path("runs/round_trip"))
    args = parser.parse_args()
    generator = FaceGenerator.from_pretrained(args.checkpoint)
    framed = framed_photos(args.data, "val", 256)
    first, pencil, xdog = Sample(256), Sample(256), Sample(256)
    rows = []
    for i, path in enumerate(drawing_files(args.drawings)):
        seed = SEED_PER_DRAWING + i
        drawing = generator.prepare(load_image(path))
        face = generator.generate([drawing], [seed])[0]
        edges = extract_edges(face, "xdog")
        try:
            sketch = extract_edges(face, "pencil")
        except NoFaceFound:
            sketch = edges
        from_sketch, from_edges = generator.generate([generator.prepare(sketch), generator.prepare(edges)], [seed] * 2)
        for sample, image in ((first, face), (pencil, from_sketch), (xdog, from_edges)):
            sample.add(image, path.name, generated=True)
        if i < SHEET_ROWS:
            grey = [cv2.cvtColor(d, cv2.COLOR_GRAY2RGB) for d in (drawing.pixels, sketch)]
            rows.append(np.hstack([grey[0], face, grey[1], from_sketch, from_edges]))
    tests = Realism((64,), 300, 4)
    for name, sample in (("first faces", first), ("pencil round trip", pencil), ("XDoG round trip", xdog)):
        whole = tests.test(sample, framed, False)["64"]
        layout = tests.test(sample.layout_only(), framed.layout_only(), False)["64"]
        print(
            f"{name}: {100 * whole['accuracy']:.1f} ± {100 * whole['accuracy_se']:.1f} % "
            f"(layout only {100 * layout['accuracy']:.1f} ± {100 * layout['accuracy_se']:.1f} %)"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out / "round_trip.png"), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
