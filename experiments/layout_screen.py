"""Realism of several generators at once, with and without the faces' colour statistics: for each checkpoint, the
64-px two-sample test with a seed per drawing on the validation pairs of `evaluation.evaluate --quick`, on the
faces as they are and with each image's CIELAB mean and spread evened out (`evaluation.realism`'s layout-only
test). A generator whose faces lose on the first but not the second lost on colour, which a colour grade
(`p2p.grade`) can give back; one that loses on both draws worse faces.

    python -m experiments.layout_screen --data DATA CKPT [CKPT ...]    # fp32 faces as generated, no colour grade
"""

from __future__ import annotations

import argparse
from pathlib import Path

from evaluation.evaluate import pair_sources, photo_sample, unique_photos
from experiments.quick_set import faces_per_drawing, quick_pairs, realism_row
from p2p.inference import FaceGenerator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("checkpoints", nargs="+")
    args = parser.parse_args(argv)
    files = quick_pairs(args.data)
    people = [source.person for source in pair_sources(args.data, files)]
    real = photo_sample(list(unique_photos(args.data, files).values()), 64)
    print("| checkpoint | two-sample, a seed per drawing | colour statistics removed |\n|---|---:|---:|")
    for checkpoint in args.checkpoints:
        generator = FaceGenerator.from_pretrained(checkpoint, precision="fp32", grade=False)
        print(f"| {checkpoint} | {realism_row(faces_per_drawing(generator, files), people, real)} |", flush=True)


if __name__ == "__main__":
    main()
