"""How much could a two-stage pipeline (sparse line art → a dense sketch → the face) gain at best?

DeepPS-style pipelines first turn a sparse drawing into a dense one. A perfect first stage would hand the generator
the pencil sketch or XDoG edges of the very photo the line art was drawn from. This scores the faces from each
validation line art drawing and from those two ideal dense drawings of the same re-framed photo (a seed per
drawing, the same seed for all three) against the re-framed photos: the gap is the most such a stage can buy.

    python -m experiments.densify_ceiling --data data/celeba-2000people [--checkpoint CKPT]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from data_prep.edges import NoFaceFound, extract_edges
from evaluation.evaluate import framed_photos, pair_sources
from evaluation.realism import SEED_PER_DRAWING
from experiments.quick_set import realism_row
from p2p.data import list_pairs, painted_backdrops, read_pair
from p2p.inference import FaceGenerator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--checkpoint", default=None)
    args = parser.parse_args()
    generator = FaceGenerator.from_pretrained(args.checkpoint)
    framed = painted_backdrops(args.data)
    files = [p for p in list_pairs(args.data, "val") if p.stem in framed and p.stem.endswith("_lineart")]
    names = ("line art", "pencil sketch of its photo", "XDoG of its photo")
    faces: dict[str, list] = {name: [] for name in names}
    people = []
    for i, (path, source) in enumerate(zip(files, pair_sources(args.data, files))):
        drawing, photo = read_pair(path)
        try:
            pencil = extract_edges(photo, "pencil")
        except NoFaceFound:
            continue
        made = generator.generate([drawing, pencil, extract_edges(photo, "xdog")], [SEED_PER_DRAWING + i] * 3)
        for name, face in zip(names, made):
            faces[name].append(face)
        people.append(source.person)
    real = framed_photos(args.data, "val", 256)
    print(f"| first stage's output ({len(people)} faces) | two-sample | layout only |")
    for name in names:
        print(f"| {name} | {realism_row(faces[name], people, real)} |")


if __name__ == "__main__":
    main()
