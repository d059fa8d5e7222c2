"""Cost of data preparation on this machine: each drawing style per photo, and a dataset build.

    python benchmarks/bench_data_prep.py [PHOTOS] [--count 200] [--size 256] [--workers N]

PHOTOS defaults to ../shared/data/faces/celeba (aligned CelebA). Each style is
timed on one core on framed photos in memory, twice: as the app calls it
(``extract_edges(photo, style)``, which finds the head itself for pencil and
lineart) and as the build does (the head found once per photo and shared by its
pairs). The build runs the real ``python -m data_prep.build`` with its default
styles on ``--count`` photos into a temporary folder, with all cores by default.
The training-time augmentation (``data_prep.augment``) is timed per style too:
it runs on every sample of every epoch, so it must stay at a few milliseconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from data_prep.augment import augment_drawing, style_of  # noqa: E402
from data_prep.edges import STYLES, extract_edges  # noqa: E402
from data_prep.framing import REFRAME_RANGES, detect_source, frame_face, reframe  # noqa: E402
from data_prep.head import Head, find_head  # noqa: E402
from data_prep.imageio import IMAGE_SUFFIXES, image_size, load_image  # noqa: E402

DEFAULT_PHOTOS = REPO.parent / "shared" / "data" / "faces" / "celeba"


def milliseconds(call: Callable[[np.ndarray, Head], object], found: list[tuple[np.ndarray, Head]]) -> float:
    """Mean milliseconds of ``call(photo, head)`` over the photos."""
    start = time.perf_counter()
    for photo, head in found:
        call(photo, head)
    return (time.perf_counter() - start) / len(found) * 1000


def bench_styles(photos: list[Path], size: int) -> dict[str, tuple[float, float]]:
    """Milliseconds per photo on one core: (as the app calls it, with the head already found) for each style."""
    cv2.setNumThreads(1)
    source = detect_source(image_size(path) for path in photos)
    framed = [frame_face(load_image(path), size, source) for path in photos]
    found = [(photo, head) for photo in framed if (head := find_head(photo)) is not None]  # warms dlib up too
    middle = {name: (low + high) / 2 for name, (low, high) in REFRAME_RANGES.items()}
    costs = {
        "find_head": (milliseconds(lambda photo, head: find_head(photo), found), 0.0),
        "reframe": (0.0, milliseconds(lambda photo, head: reframe(photo, head, **middle), found)),
    }
    for style in STYLES:
        costs[style] = (
            milliseconds(lambda photo, head, style=style: extract_edges(photo, style), found),
            milliseconds(lambda photo, head, style=style: extract_edges(photo, style, head), found),
        )
    return costs


def bench_augment(photos: list[Path], size: int) -> dict[str, float]:
    """Milliseconds per call of the training-time augmentation, on one core, for drawings of each style."""
    source = detect_source(image_size(path) for path in photos)
    framed = [frame_face(load_image(path), size, source) for path in photos]
    found = [(photo, head) for photo in framed if (head := find_head(photo)) is not None]
    rng = np.random.default_rng(0)
    costs = {}
    for style in STYLES:
        drawings = [extract_edges(photo, style, head) for photo, head in found]
        start = time.perf_counter()
        for drawing in drawings:
            augment_drawing(drawing, rng, style_of(f"photo_{style}.jpg"))
        costs[style] = (time.perf_counter() - start) / len(drawings) * 1000
    return costs


def bench_build(photos: list[Path], size: int, workers: int) -> float:
    """Photos per second of a full build (load, frame, find the head, default styles, write), cold output folder."""
    with tempfile.TemporaryDirectory() as temp:
        src = Path(temp) / "photos"
        src.mkdir()
        for path in photos:  # links, not copies, of the chosen photos
            (src / path.name).symlink_to(path.resolve())
        command = [
            sys.executable,
            "-m",
            "data_prep.build",
            str(src),
            str(Path(temp) / "out"),
            "--size",
            str(size),
            "--workers",
            str(workers),
        ]
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, check=True, stderr=subprocess.DEVNULL)
        return len(photos) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", type=Path, nargs="?", default=DEFAULT_PHOTOS, help="folder of face photos")
    parser.add_argument("--count", type=int, default=200, help="number of photos (default 200)")
    parser.add_argument("--size", type=int, default=256, help="image size (default 256)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="build processes (default: all)")
    args = parser.parse_args()
    photos = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[: args.count]
    if not photos:
        sys.exit(f"no photos in {args.photos}")
    print(f"{len(photos)} photos from {args.photos}, {args.size} px, {os.cpu_count()} CPU cores")
    print("ms per photo, 1 core   app call (finds the head)   head given (build)")
    for style, (app, given) in bench_styles(photos, args.size).items():
        print(f"  {style:10s}          {app:8.1f}                  {given:8.1f}")
    for style, ms in bench_augment(photos[:50], args.size).items():
        print(f"augment_drawing, {style} drawing, 1 core: {ms:6.2f} ms (on the fly, every training sample)")
    rate = bench_build(photos, args.size, args.workers)
    print(f"build, default styles ({args.workers} workers): {rate:7.1f} photos/s")
    print(f"python {sys.version.split()[0]}, opencv {cv2.__version__}")


if __name__ == "__main__":
    main()
