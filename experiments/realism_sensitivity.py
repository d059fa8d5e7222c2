"""What the 64-px two-sample test notices: its accuracy on validation photos given one change each, against the
same photos unchanged (blur, lost resolution, WebP compression, colour, contrast), and on a generator's faces
sharpened by an unsharp mask. Same validation pairs, seed per drawing and four halvings as `evaluation.evaluate
--quick`.

    python -m experiments.realism_sensitivity --data DATA                      # changed photos
    python -m experiments.realism_sensitivity --data DATA --checkpoint CKPT    # a generator's faces, sharpened
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from evaluation.evaluate import pair_sources, photo_sample, unique_photos
from evaluation.realism import PER_SAMPLE, Realism, Sample
from experiments.quick_set import faces_per_drawing, quick_pairs
from p2p.data import read_pair
from p2p.inference import FaceGenerator

Change = Callable[[np.ndarray], np.ndarray]


def blur(sigma: float) -> Change:
    return lambda image: cv2.GaussianBlur(image, (0, 0), sigma)


def resolution(side: int, webp_quality: int = 0) -> Change:
    """Down to side×side and back up; with `webp_quality`, through WebP at that size on the way, as
    `faces/celeba_more`'s photos went (at CelebA's width, 178 px)."""

    def change(image: np.ndarray) -> np.ndarray:
        small = cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
        if webp_quality:
            _, encoded = cv2.imencode(".webp", small, [cv2.IMWRITE_WEBP_QUALITY, webp_quality])
            small = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED)
        return cv2.resize(small, image.shape[1::-1], interpolation=cv2.INTER_LINEAR)

    return change


def saturation(factor: float) -> Change:
    def change(image: np.ndarray) -> np.ndarray:
        grey = image.astype(np.float32).mean(axis=2, keepdims=True)
        return np.clip(grey + factor * (image - grey), 0, 255).astype(np.uint8)

    return change


def contrast(factor: float) -> Change:
    def change(image: np.ndarray) -> np.ndarray:
        mean = image.astype(np.float32).mean()
        return np.clip(mean + factor * (image - mean), 0, 255).astype(np.uint8)

    return change


def unsharp(sigma: float, amount: float) -> Change:
    def change(image: np.ndarray) -> np.ndarray:
        image = image.astype(np.float32)
        return np.clip(image + amount * (image - cv2.GaussianBlur(image, (0, 0), sigma)), 0, 255).astype(np.uint8)

    return change


PHOTO_CHANGES: dict[str, Change] = {
    "unchanged": lambda image: image,
    "blur σ 2 px (at 256 px)": blur(2),
    "blur σ 4 px": blur(4),
    "resolution 32 px": resolution(32),
    "resolution 16 px": resolution(16),
    "resized to 178 px and back": resolution(178),
    "the same, WebP at quality 75 (as faces/celeba_more)": resolution(178, webp_quality=75),
    "saturation × 0.5": saturation(0.5),
    "contrast × 0.7": contrast(0.7),
}
FACE_CHANGES: dict[str, Change] = {
    "as generated": lambda image: image,
    "unsharp mask σ 1, × 2": unsharp(1, 2),
    "unsharp mask σ 2, × 0.5": unsharp(2, 0.5),
    "unsharp mask σ 2, × 1": unsharp(2, 1),
    "unsharp mask σ 2, × 2": unsharp(2, 2),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("--checkpoint", help="sharpen this generator's faces instead of changing photos")
    parser.add_argument("--only", nargs="*", help="run only these changes (their names as printed)")
    args = parser.parse_args(argv)
    files = quick_pairs(args.data)
    sources = pair_sources(args.data, files)
    unique = list(unique_photos(args.data, files).values())
    real = photo_sample(unique, 64)
    if args.checkpoint:
        # as generated, before the colour grade it predates (p2p.grade)
        images = faces_per_drawing(FaceGenerator.from_pretrained(args.checkpoint, grade=False), files)
        people, changes = [source.person for source in sources], FACE_CHANGES
    else:
        images = [read_pair(path)[1] for path, _ in unique]
        people, changes = [source.person for _, source in unique], PHOTO_CHANGES
    tests = Realism((64,), PER_SAMPLE)
    print("| change | two-sample accuracy at 64 px |\n|---|---:|")
    for name, change in changes.items():
        if args.only and name not in args.only:
            continue
        sample = Sample(64)
        for image, person in zip(images, people, strict=True):
            sample.add(change(image), person, generated=True)
        result = tests.test(sample, real)["64"]
        print(f"| {name} | {100 * result['accuracy']:.1f} ± {100 * result['accuracy_se']:.1f} % |", flush=True)


if __name__ == "__main__":
    main()
