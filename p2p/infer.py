"""Drawings → faces from the command line.

    python -m p2p.infer SRC --out DST [--checkpoint PATH_OR_HUB_ID] [--seed N] [--samples K]

SRC is one drawing or a folder of them; DST gets one PNG per drawing at the same
relative path (with --samples K: STEM_sN.png ... one per seed N, N+1, ...). Two
inputs that would land on one file (a.png and a.jpg) keep their suffix in the
name (a_png.png, a_jpg.png): nothing is overwritten.
Without --checkpoint the shipped default model is used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
from tqdm import tqdm

from data_prep.edges import output_paths
from data_prep.imageio import IMAGE_SUFFIXES, ImageLoadError, list_files, load_image
from p2p.arguments import MAX_SEED, count, seed
from p2p.inference import FaceGenerator
from p2p.weights import CheckpointError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, help="a drawing, or a folder of drawings")
    parser.add_argument("--out", type=Path, required=True, help="folder for the generated faces")
    parser.add_argument("--checkpoint", default=None, help="model folder or Hub id (default: the shipped model)")
    parser.add_argument("--seed", type=seed, default=0, help="noise seed (first seed with --samples)")
    parser.add_argument("--samples", type=count, default=1, help="faces per drawing, one per seed")
    parser.add_argument("--device", default=None, help="cuda, cpu, ... (default: cuda when available)")
    args = parser.parse_args(argv)
    if args.seed + args.samples - 1 > MAX_SEED:
        parser.error(f"--seed {args.seed} with --samples {args.samples} runs past the largest seed {MAX_SEED}")

    if not args.src.exists():
        parser.error(f"{args.src}: no such file or folder")
    files = [p for p in list_files(args.src) if args.src.is_file() or p.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        parser.error(f"{args.src}: no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    try:
        generator = FaceGenerator.from_pretrained(args.checkpoint, device=args.device)
    except CheckpointError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    seeds = list(range(args.seed, args.seed + args.samples))
    targets = output_paths(files, args.src, args.out)
    failed = written = 0
    for path in tqdm(files, unit="drawing", disable=len(files) == 1):
        try:
            drawing = generator.prepare(load_image(path))
        except ImageLoadError as err:
            tqdm.write(f"skipped: {err}")
            failed += 1
            continue
        if drawing.blank:
            tqdm.write(f"note: {path} has (almost) no strokes; the face will be a guess")
        target = targets[path]
        target.parent.mkdir(parents=True, exist_ok=True)
        for s, face in zip(seeds, generator.generate([drawing] * len(seeds), seeds), strict=True):
            name = target if args.samples == 1 else target.with_name(f"{target.stem}_s{s}.png")
            cv2.imwrite(str(name), cv2.cvtColor(face, cv2.COLOR_RGB2BGR))
            written += 1
    done = len(files) - failed
    print(f"{done} drawing(s) → {written} face(s) in {args.out}" + (f"; {failed} unreadable" if failed else ""))
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
