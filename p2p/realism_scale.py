"""A ruler for the two-sample test: real photos, degraded in known ways, tested against themselves.

`p2p.evaluate`'s two-sample accuracy runs from 0.5 (generated faces cannot be told from the photos)
to 1 (always can), with no units in between. Running the same test on the validation photos
against blurred, shrunk or noisy copies of themselves gives it some: "as easy to catch as a photo
blurred with σ = 2" says more than "88 %".

    python -m p2p.realism_scale --data DATA [--split val] [--splits 4] [--out scale.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from p2p.data import list_pairs, read_pair
from p2p.evaluate import PER_SAMPLE, Realism, Sample, add_splits_argument, parse_ints, unique_photos


def blurred(sigma: float) -> Callable[[np.ndarray, int], np.ndarray]:
    """Gaussian blur: the softness of a generator that has not learnt fine texture."""
    return lambda image, _: cv2.GaussianBlur(image, (0, 0), sigma)


def shrunk(factor: int) -> Callable[[np.ndarray, int], np.ndarray]:
    """Down by `factor` and back up: the detail a generator working at 1/factor the resolution would lack."""

    def degrade(image: np.ndarray, _: int) -> np.ndarray:
        h, w = image.shape[:2]
        small = cv2.resize(image, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)

    return degrade


def noisy(sigma: float) -> Callable[[np.ndarray, int], np.ndarray]:
    """Gaussian pixel noise, drawn from the image's index: the same copy on every run."""

    def degrade(image: np.ndarray, index: int) -> np.ndarray:
        noise = np.random.default_rng(index).normal(0.0, sigma, image.shape)
        return np.clip(image + noise, 0, 255).astype(np.uint8)

    return degrade


DEGRADATIONS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "blur σ 0.5": blurred(0.5),
    "blur σ 1": blurred(1.0),
    "blur σ 2": blurred(2.0),
    "shrunk 2×": shrunk(2),
    "shrunk 4×": shrunk(4),
    "noise σ 4": noisy(4.0),
}
"""Each maps (uint8 RGB photo, its index) to a degraded copy of the same size."""


def realism_scale(data: Path, split: str, tests: Realism) -> dict[str, dict[str, float | str]]:
    """Two-sample accuracy of each degradation of the split's photos against the photos, per test size
    (or why there is no test: too few photos or people)."""
    unique = unique_photos(data, list_pairs(data, split)).values()
    photos = [(read_pair(path)[1], source.person) for path, source in unique]
    real = Sample(max(tests.sizes))
    for photo, person in photos:
        real.add(photo, person, generated=False)
    scale = {}
    for name, degrade in tqdm(DEGRADATIONS.items(), desc="degradations", unit="test"):
        degraded = Sample(max(tests.sizes))
        for index, (photo, person) in enumerate(photos):
            degraded.add(degrade(photo, index), person, generated=True)  # stored as JPEG, like generated faces
        scale[name] = tests.accuracies(degraded, real)
    return scale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("--split", default="val")
    parser.add_argument("--sizes", default="64,128", help="two-sample test resolutions in px (default 64,128)")
    parser.add_argument(
        "--per-sample",
        type=int,
        default=PER_SAMPLE,
        help=f"images per sample in a two-sample test (default {PER_SAMPLE}, as p2p.evaluate)",
    )
    add_splits_argument(parser)
    parser.add_argument("--out", type=Path, default=None, help="also write the scale to this JSON file")
    args = parser.parse_args(argv)
    sizes = tuple(parse_ints(parser, "--sizes", args.sizes))
    try:
        scale = realism_scale(args.data, args.split, Realism(sizes, args.per_sample, args.splits))
    except FileNotFoundError as err:
        parser.error(str(err))
    print(f"{'photos of ' + args.split + ' people vs':<26}" + "".join(f"{s:>8}px" for s in sizes))
    for name, accuracy in scale.items():
        cells = [accuracy["skipped"]] if "skipped" in accuracy else [f"{accuracy[str(s)]:>9.0%}" for s in sizes]
        print(f"  {name:<24}" + "".join(cells))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        result = {"data": str(args.data), "split": args.split, "splits": args.splits, "scale": scale}
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
