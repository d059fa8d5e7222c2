"""Evaluate a generator on a validation split and, optionally, on real human sketches.

    python -m p2p.evaluate --data DATA [--split val] [--checkpoint PATH_OR_ID] [--out DIR]
                           [--limit N] [--seeds 0,1,2] [--sketches DIR]

For every A|B pair of DATA/SPLIT the drawing (A, as built) is turned into one
face per seed. Written to DIR: `metrics.json` (L1 / PSNR / SSIM of the first
seed's face against the true photo B, diversity across seeds, colourfulness,
sharpness and face-detection rate of generated faces next to those of the true
photos) and `contact_sheet.png` (drawing | face, first seed | face, second seed |
photo, for 8 pairs spread over the split, small tiles). With `--sketches`, a
folder of human drawings without photos, also `sketches_sheet.png` and the
reference-free metrics under "sketches": the validation drawings were extracted
from photos by the same code as the training ones, human sketches were not.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
from tqdm import tqdm

from data_prep.imageio import IMAGE_SUFFIXES, ImageLoadError, list_files, load_image
from p2p import metrics
from p2p.data import list_pairs, read_pair
from p2p.inference import FaceGenerator
from p2p.weights import CheckpointError, default_checkpoint

T = TypeVar("T")

SHEET_ROWS = 8  # validation pairs on the contact sheet
SHEET_TILE = 128  # px; the sheets are committed with the model card, so they stay small
SKETCH_TILE = 64
SKETCH_COLUMNS = 6  # (sketch, face, face) cells per row of the sketches sheet


def faces_in_batches(
    generator: FaceGenerator, items: Iterable[tuple[np.ndarray, T]], seeds: Sequence[int], batch_size: int
) -> Iterator[tuple[np.ndarray, T, list[np.ndarray]]]:
    """(drawing, tag, one face per seed) for each (drawing, tag), with forward passes batched over drawings
    and seeds; lazy, so a large split is never all in memory."""
    per_batch = max(1, batch_size // len(seeds))
    items = iter(items)
    while chunk := list(itertools.islice(items, per_batch)):
        faces = generator.generate([d for d, _ in chunk for _ in seeds], [s for _ in chunk for s in seeds])
        for k, (drawing, tag) in enumerate(chunk):
            yield drawing, tag, faces[k * len(seeds) : (k + 1) * len(seeds)]


def score_face(scores: dict[str, list[float]], face: np.ndarray) -> None:
    """Append the reference-free metrics of one image to `scores`."""
    scores["colorfulness"].append(metrics.colorfulness(face))
    scores["sharpness"].append(metrics.sharpness(face))
    scores["face_detection_rate"].append(metrics.face_detected(face))


def mean(values: Iterable[float]) -> float | None:
    """Mean as a JSON-safe float (None when empty or not finite, e.g. the PSNR of identical images)."""
    values = list(values)
    value = float(np.mean(values)) if values else float("nan")
    return value if np.isfinite(value) else None


def tile(image: np.ndarray, size: int) -> np.ndarray:
    """An RGB size×size thumbnail of a grey or RGB image."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


def join(images: Sequence[np.ndarray], axis: int, spacing: int) -> np.ndarray:
    """Same-size images side by side (axis 1) or stacked (axis 0), with white space between them."""
    shape = list(images[0].shape)
    shape[axis] = spacing
    space = np.full(shape, 255, np.uint8)
    return np.concatenate([part for image in images for part in (space, image)][1:], axis=axis)


def sheet(cells: Sequence[Sequence[np.ndarray]], size: int, columns: int = 1, labels: Sequence[str] = ()) -> np.ndarray:
    """Cells (each a few images shown side by side) laid out `columns` per row, with an optional header row."""
    inner, outer = 2, max(4, size // 12)
    strips = [join([tile(image, size) for image in cell], 1, inner) for cell in cells]
    strips += [np.full_like(strips[0], 255)] * (-len(strips) % columns)
    out = join([join(strips[r : r + columns], 1, outer) for r in range(0, len(strips), columns)], 0, outer)
    if labels:
        header = np.full((size // 6, out.shape[1], 3), 255, np.uint8)
        for i, label in enumerate(labels):
            origin = (i * (size + inner) + 4, size // 8)
            cv2.putText(header, label, origin, cv2.FONT_HERSHEY_SIMPLEX, size / 400, (0, 0, 0), 1, cv2.LINE_AA)
        out = np.vstack([header, out])
    return out


def write_png(path: Path, rgb: np.ndarray) -> None:
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])


def evaluate_pairs(generator: FaceGenerator, files: Sequence[Path], seeds: Sequence[int], batch_size: int,
                   out: Path) -> dict[str, object]:
    """Metrics of the generated faces against the true photos, and the contact sheet."""
    picks = set(np.linspace(0, len(files) - 1, min(SHEET_ROWS, len(files))).round().astype(int).tolist())
    generated, real = defaultdict(list), defaultdict(list)
    rows = []
    pairs = ((generator.prepare(drawing), photo) for drawing, photo in map(read_pair, files))
    for index, (drawing, photo, faces) in enumerate(
        tqdm(faces_in_batches(generator, pairs, seeds, batch_size), total=len(files), desc="validation", unit="pair")
    ):
        photo = tile(photo, generator.size)  # at the generator's resolution
        for name in ("l1", "psnr", "ssim"):
            generated[name].append(getattr(metrics, name)(faces[0], photo))
        if len(seeds) > 1:
            generated["seed_diversity"].append(metrics.seed_diversity(faces))
        score_face(generated, faces[0])
        score_face(real, photo)
        if index in picks:
            rows.append([tile(image, SHEET_TILE) for image in (drawing.pixels, *faces[:2], photo)])
    labels = ["drawing", *(f"seed {s}" for s in seeds[:2]), "photo"]
    write_png(out / "contact_sheet.png", sheet(rows, SHEET_TILE, labels=labels))
    return {
        "pairs": len(files),
        **{name: mean(generated[name]) for name in ("l1", "psnr", "ssim", "seed_diversity")},
        **{name: {"generated": mean(generated[name]), "photo": mean(real[name])} for name in real},
    }


def evaluate_sketches(generator: FaceGenerator, folder: Path, seeds: Sequence[int], batch_size: int,
                      out: Path) -> dict[str, object]:
    """Reference-free metrics of faces from human sketches, and the sketches sheet."""
    files = [path for path in list_files(folder) if path.suffix.lower() in IMAGE_SUFFIXES]

    def readable() -> Iterator[tuple[np.ndarray, Path]]:
        for path in files:
            try:
                yield generator.prepare(load_image(path)), path
            except ImageLoadError as err:
                tqdm.write(f"skipped: {err}")

    scores: dict[str, list[float]] = defaultdict(list)
    cells = []
    for drawing, _, faces in tqdm(faces_in_batches(generator, readable(), seeds, batch_size), total=len(files),
                                  desc="sketches", unit="sketch"):
        score_face(scores, faces[0])
        if len(seeds) > 1:
            scores["seed_diversity"].append(metrics.seed_diversity(faces))
        cells.append([tile(image, SKETCH_TILE) for image in (drawing.pixels, *faces[:2])])
    if not cells:
        raise SystemExit(f"--sketches {folder}: no readable images")
    write_png(out / "sketches_sheet.png", sheet(cells, SKETCH_TILE, columns=SKETCH_COLUMNS))
    names = ("colorfulness", "sharpness", "face_detection_rate", "seed_diversity")
    return {"count": len(cells), **{name: mean(scores[name]) for name in names}}


def summary(result: dict) -> str:
    """A readable table of metrics.json."""
    def fmt(value: object, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    lines = [f"{'metric':<24}{'generated':>12}{'true photo':>12}", "-" * 48]
    for name, key, spec in [("L1 (0-255) ↓", "l1", ".2f"), ("PSNR (dB) ↑", "psnr", ".2f"), ("SSIM ↑", "ssim", ".3f"),
                            ("seed diversity (0-255)", "seed_diversity", ".2f")]:
        lines.append(f"{name:<24}{fmt(result[key], spec):>12}")
    for name, key, spec in [("colourfulness", "colorfulness", ".1f"), ("sharpness", "sharpness", ".0f"),
                            ("face detected", "face_detection_rate", ".0%")]:
        lines.append(f"{name:<24}{fmt(result[key]['generated'], spec):>12}{fmt(result[key]['photo'], spec):>12}")
    if "sketches" in result:
        s = result["sketches"]
        lines += ["", f"{s['count']} human sketches: colourfulness {fmt(s['colorfulness'], '.1f')}, "
                  f"sharpness {fmt(s['sharpness'], '.0f')}, face detected {fmt(s['face_detection_rate'], '.0%')}, "
                  f"seed diversity {fmt(s['seed_diversity'], '.2f')}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("--split", default="val")
    parser.add_argument("--checkpoint", default=None, help="model folder or Hub id (default: the shipped model)")
    parser.add_argument("--out", type=Path, default=Path("runs/evaluate"), help="folder for metrics.json and sheets")
    parser.add_argument("--limit", type=int, default=0, help="evaluate only the first N pairs (0: all)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated dropout seeds; the first is scored")
    parser.add_argument("--sketches", type=Path, default=None, help="a folder of human sketches without photos")
    parser.add_argument("--batch-size", type=int, default=16, help="images per forward pass")
    parser.add_argument("--device", default=None, help="cuda, cpu, ... (default: cuda when available)")
    args = parser.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--seeds {args.seeds!r}: expected integers like 0,1,2")
    if not seeds:
        parser.error("--seeds: give at least one seed")
    try:
        files = list_pairs(args.data, args.split)
    except FileNotFoundError as err:
        parser.error(str(err))
    files = files[: args.limit] if args.limit > 0 else files
    try:
        generator = FaceGenerator.from_pretrained(args.checkpoint, device=args.device)
    except CheckpointError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    args.out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    result = {
        "checkpoint": args.checkpoint or default_checkpoint(),
        "data": str(args.data),
        "split": args.split,
        "seeds": seeds,
        "image_size": generator.size,
        **evaluate_pairs(generator, files, seeds, args.batch_size, args.out),
    }
    if args.sketches:
        result["sketches"] = {"folder": str(args.sketches),
                              **evaluate_sketches(generator, args.sketches, seeds, args.batch_size, args.out)}
    result["seconds"] = round(time.time() - started, 1)
    (args.out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    print(summary(result))
    print(f"→ {args.out / 'metrics.json'}, {args.out / 'contact_sheet.png'}"
          + (f", {args.out / 'sketches_sheet.png'}" if args.sketches else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
