"""How much of the 64-px two-sample test's verdict three numbers per face carry: each face's CIELAB spread
(`p2p.grade.colour_spread`: the standard deviation of L, a and b at 64 px). A logistic regression on those numbers
and their squares tells a generator's faces from the validation photos, trained on one half of the people and
tested on the other (the test's four halvings, averaged). Same pairs and seed per drawing as
`evaluation.evaluate --quick`. It found the colour grade (docs/experiments.md, "A colour grade").

    python -m experiments.colour_statistics --data DATA --checkpoint CKPT            # as the app shows them
    python -m experiments.colour_statistics --data DATA --checkpoint CKPT --no-grade # before the colour grade
    python -m experiments.colour_statistics --data DATA --regions 2  # layout only: each quarter's mean and spread
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import torch

from evaluation.evaluate import pair_sources, unique_photos
from evaluation.realism import halves, without_colour_statistics
from experiments.quick_set import faces_per_drawing, quick_pairs
from p2p.data import read_pair
from p2p.grade import colour_spread
from p2p.inference import FaceGenerator

HALVINGS = 4


def held_out_accuracy(x: torch.Tensor, y: torch.Tensor, train: torch.Tensor) -> float:
    """Balanced accuracy on x[~train] of a logistic regression fitted on x[train]."""
    weights, bias = torch.zeros(x.shape[1], requires_grad=True), torch.zeros(1, requires_grad=True)
    optimiser = torch.optim.LBFGS([weights, bias], max_iter=200)

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        value = torch.nn.functional.binary_cross_entropy_with_logits(x[train] @ weights + bias, y[train])
        value = value + 1e-3 * weights.square().sum()
        value.backward()
        return value

    optimiser.step(loss)
    with torch.no_grad():
        guess, truth = (x[~train] @ weights + bias > 0).float(), y[~train]
    return float(np.mean([(guess[truth == c] == c).float().mean() for c in (0, 1)]))


def separability(features: np.ndarray, labels: np.ndarray, people: list[str]) -> float:
    """Held-out accuracy of a quadratic logistic regression, averaged over HALVINGS halvings of the people."""
    x = (features - features.mean(0)) / features.std(0)
    x = torch.tensor(np.concatenate([x, x**2], axis=1), dtype=torch.float32)
    y = torch.tensor(labels, dtype=torch.float32)
    halvings = [torch.tensor(halves(people, split), dtype=torch.bool) for split in range(HALVINGS)]
    return float(np.mean([held_out_accuracy(x, y, train) for half in halvings for train in (half, ~half)]))


def region_statistics(image: np.ndarray, grid: int) -> np.ndarray:
    """The mean and spread of L, a and b in each cell of a grid×grid split of the image at 60 px, after the
    layout-only test's evening out of the whole image's (`without_colour_statistics`)."""
    lab = cv2.cvtColor(
        cv2.resize(without_colour_statistics(image), (60, 60), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2LAB
    )
    cells = [c for rows in np.array_split(lab.astype(np.float32), grid) for c in np.array_split(rows, grid, axis=1)]
    return np.array([f(cell[..., k]) for cell in cells for k in range(3) for f in (np.mean, np.std)], np.float32)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("--checkpoint", help="a generator (default: the shipped model)")
    parser.add_argument("--grade", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--regions", type=int, help="score each grid cell's statistics instead, layout only")
    args = parser.parse_args(argv)
    files = quick_pairs(args.data)
    faces = faces_per_drawing(FaceGenerator.from_pretrained(args.checkpoint, grade=args.grade), files)
    photos = list(unique_photos(args.data, files).values())
    statistics = colour_spread if args.regions is None else lambda image: region_statistics(image, args.regions)
    features = np.array([statistics(f) for f in faces] + [statistics(read_pair(path)[1]) for path, _ in photos])
    labels = np.array([1] * len(faces) + [0] * len(photos))
    people = [source.person for source in pair_sources(args.data, files)] + [source.person for _, source in photos]
    if args.regions is not None:
        accuracy = separability(features, labels, people)
        print(f"told apart by the {features.shape[1]} region statistics alone: {100 * accuracy:.1f} %")
        return
    print(f"faces' spread (L, a, b) {features[labels == 1].mean(0).round(1)} ± {features[labels == 1].std(0).round(1)}")
    print(f"photos'                 {features[labels == 0].mean(0).round(1)} ± {features[labels == 0].std(0).round(1)}")
    print(f"told apart by the three numbers alone: {100 * separability(features, labels, people):.1f} %")


if __name__ == "__main__":
    main()
