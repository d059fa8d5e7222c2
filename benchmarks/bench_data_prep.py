"""Images per second of data preparation on this machine: edge extraction and a dataset build.

    python benchmarks/bench_data_prep.py [PHOTOS] [--count 200] [--size 256] [--workers N]

PHOTOS defaults to ../shared/data/faces/celeba (aligned CelebA). Edge extraction
is timed on one core (framed photos in memory, as the app uses it); the build
runs the real ``python -m data_prep.build`` on ``--count`` photos into a temporary
folder, with all cores by default.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from data_prep.edges import METHODS, extract_edges  # noqa: E402
from data_prep.framing import detect_source, frame_face  # noqa: E402
from data_prep.imageio import IMAGE_SUFFIXES, image_size, load_image  # noqa: E402

DEFAULT_PHOTOS = REPO.parent / "shared" / "data" / "faces" / "celeba"


def bench_edges(photos: list[Path], size: int) -> dict[str, float]:
    """Images per second of each extraction method on one core (loading and framing excluded)."""
    cv2.setNumThreads(1)
    source = detect_source(image_size(path) for path in photos)
    framed = [frame_face(load_image(path), size, source) for path in photos]
    rates = {}
    for method in METHODS:
        extract_edges(framed[0], method)  # warm-up
        start = time.perf_counter()
        for image in framed:
            extract_edges(image, method)
        rates[method] = len(framed) / (time.perf_counter() - start)
    return rates


def bench_build(photos: list[Path], size: int, workers: int) -> float:
    """Photos per second of a full build (load, frame, canny + xdog, write), cold output folder."""
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
    for method, rate in bench_edges(photos, args.size).items():
        print(f"edges {method:5s} (1 core):            {rate:7.1f} images/s")
    rate = bench_build(photos, args.size, args.workers)
    print(f"build canny+xdog ({args.workers} workers):  {rate:7.1f} photos/s ({2 * rate:.1f} pairs/s)")
    print(f"python {sys.version.split()[0]}, opencv {cv2.__version__}")


if __name__ == "__main__":
    main()
