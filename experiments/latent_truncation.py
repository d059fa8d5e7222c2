"""Does a narrower latent keep the drawn person? The truncation trick on the seed's latent vector.

A seed draws the generator's noise: an 8-d latent (N(0, 1)) and the dropout masks. With a seed per drawing,
dlib finds the true person in about a fifth of the faces, against about a third with the single seed the
early model cards used, so the noise costs likeness. Lowering the dropout at inference made faces less
photo-like (docs/experiments.md, "Finishing steps"); the latent is the other half. BigGAN's and StyleGAN's
truncation trick draws it nearer its mean: z × ψ, ψ < 1, trading variety for faces nearer what the generator
does best. Each ψ is scored on the `--quick` pairs of DATA (a seed per drawing, graded as the app shows them) as
`evaluate --quick` does (64 px, four halvings), by dlib against the true photo, and by the seed diversity of
four seeds of the first 50 drawings (mean pixel difference, as `evaluate`).

    python -m experiments.latent_truncation --data DATA [--psi 1 0.7 0.5 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from evaluation.metrics import seed_diversity
from experiments.quick_set import faces_per_drawing, likeness_row, quick_pairs, realism_row, references
from p2p.data import read_pair
from p2p.inference import FaceGenerator

DIVERSITY_DRAWINGS, DIVERSITY_SEEDS = 50, 4


def truncate(generator: FaceGenerator, psi: float) -> None:
    """Make `generator` draw every seed's latent ψ times as far from zero (its dropout masks unchanged)."""
    model = generator.model
    draw = model.sample_z
    model.sample_z = lambda n, generators=None: psi * draw(n, generators)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("--checkpoint", help="a generator (default: the shipped model)")
    parser.add_argument("--psi", nargs="+", type=float, default=[1.0, 0.7, 0.5, 0.0])
    args = parser.parse_args(argv)
    files = quick_pairs(args.data)
    scored = references(args.data, files)
    drawings = [read_pair(path)[0] for path in files[:DIVERSITY_DRAWINGS]]
    print("| ψ | two-sample ↓ | layout only | same person ↑ | landmark error ↓ | seed diversity |")
    print("|---:|---:|---:|---:|---:|---:|")
    for psi in args.psi:
        generator = FaceGenerator.from_pretrained(args.checkpoint)
        truncate(generator, psi)
        faces = faces_per_drawing(generator, files)
        kept = [faces[i] for i in scored.keep]
        spread = [
            seed_diversity(generator.generate([drawing] * DIVERSITY_SEEDS, list(range(DIVERSITY_SEEDS))))
            for drawing in drawings
        ]
        row = f"{realism_row(kept, scored.people, scored.real)} | {likeness_row(kept, scored.faces)}"
        print(f"| {psi:g} | {row} | {np.mean(spread):.1f} |", flush=True)


if __name__ == "__main__":
    main()
