"""Cost of the evaluation's two expensive measures on this machine: the classifier two-sample test and dlib.

    python benchmarks/bench_evaluate.py [PHOTOS] [--count 300]

The two-sample test (`evaluation.realism`, one CPU thread by design) is timed at 64 and 128 px on --count
photos against --count blurred copies of other photos, split into halves by file, as `evaluation.evaluate`
runs it per set. `evaluation.likeness.read_face` (dlib landmarks + descriptor) is timed per 256×256 face.
PHOTOS defaults to ../shared/data/faces/celeba (aligned CelebA, framed as the dataset builder does).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from data_prep.framing import frame_face  # noqa: E402
from data_prep.imageio import IMAGE_SUFFIXES, load_image  # noqa: E402
from evaluation.likeness import read_face  # noqa: E402
from evaluation.realism import two_sample_test  # noqa: E402

DEFAULT_PHOTOS = REPO.parent / "shared" / "data" / "faces" / "celeba"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", type=Path, nargs="?", default=DEFAULT_PHOTOS)
    parser.add_argument("--count", type=int, default=300, help="images per sample")
    args = parser.parse_args()
    files = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[: 2 * args.count]
    if len(files) < 8:
        sys.exit(f"{args.photos}: need at least 8 photos")
    photos = [frame_face(load_image(path), 256, "celeba") for path in files]
    half = len(photos) // 2
    real, fake = photos[:half], [cv2.GaussianBlur(p, (0, 0), 1.5) for p in photos[half:]]
    names = [path.name for path in files]
    for size in (64, 128):
        start = time.perf_counter()
        result = two_sample_test(fake, names[half:], real, names[:half], size)
        print(
            f"two-sample test, {len(fake)} + {len(real)} images at {size} px, {len(result['splits'])} halvings of "
            f"the people: {time.perf_counter() - start:.1f} s "
            f"(accuracy {result['accuracy']:.0%} on blurred vs sharp photos)"
        )
    start = time.perf_counter()
    found = sum(read_face(photo) is not None for photo in photos[:50])
    print(
        f"dlib landmarks + descriptor: {1000 * (time.perf_counter() - start) / 50:.0f} ms per face ({found}/50 found)"
    )


if __name__ == "__main__":
    main()
