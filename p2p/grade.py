"""Colour contrast like photos': a grade applied to every generated face, fitted once per generator.

A generator trained with L1 pulls each face's colours towards the average photo's: within a face, its
lightness and its red–green and blue–yellow values spread less than in a photo, and from face to face that
spread varies less than photos' does. A 64-px classifier sees it: on the bundled model, the three numbers
alone (each face's standard deviation of L, a and b in CIELAB) tell its faces from photos 69 % of the time, where
the two-sample test's CNN on the whole images reaches 74 % (docs/experiments.md, "A colour grade").

`ColourGrade` undoes that without touching the layout: each face's spread per channel goes through a monotone
map (quantile matching, from the generator's faces on training drawings to those drawings' photos) and the
face is scaled about its own mean colour to the mapped spread. Faces whose contrast is already typical of
photos barely change. The maps are a few hundred numbers stored beside the weights (`colour_grade.json`);
`python -m p2p.grade CHECKPOINT --data DATA` fits and writes them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from data_prep.files import atomic_path

GRADE_NAME = "colour_grade.json"
FORMAT_VERSION = 1
STATS_SIDE = 64
"""The spread is measured on the face shrunk to this side: the size the realism test judges, and cheap."""
QUANTILES = 51
MAX_SCALE = 2.0
"""No face's spread is scaled by more than this factor either way, whatever a map says."""


Generate = Callable[[list[np.ndarray], list[int]], list[np.ndarray]]
"""`FaceGenerator.generate`: drawings and seeds in, faces out."""


class GradeError(ValueError):
    """A colour_grade.json that cannot be used; the message names the file and what is wrong."""


def colour_spread(face: np.ndarray) -> np.ndarray:
    """The standard deviation of L, a and b (OpenCV's 8-bit CIELAB) over `face` (H×W×3 uint8 RGB) at 64 px."""
    small = cv2.resize(face, (STATS_SIDE, STATS_SIDE), interpolation=cv2.INTER_AREA)
    return cv2.meanStdDev(cv2.cvtColor(small, cv2.COLOR_RGB2LAB))[1].ravel().astype(np.float32)


def stretch_lab(image: np.ndarray, scale: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """`image` (H×W×3 uint8 RGB) with each CIELAB channel's values v mapped to m' + (v − m)·scale, m being the
    channel's mean and m' `mean` (default: m), by one 8-bit lookup table per channel (faster than float maths)."""
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    own = np.array(cv2.mean(lab)[:3])
    levels = np.arange(256, dtype=np.float64)[:, None]
    table = np.rint((own if mean is None else mean) + (levels - own) * scale)
    return cv2.cvtColor(cv2.LUT(lab, np.clip(table, 0, 255).astype(np.uint8).reshape(256, 1, 3)), cv2.COLOR_LAB2RGB)


@dataclass(frozen=True)
class ColourGrade:
    """Per channel (L, a, b), matching quantiles of the faces' spread (`generated`) and the photos' (`photos`),
    both QUANTILES×3 and increasing down each column."""

    generated: np.ndarray
    photos: np.ndarray

    def __post_init__(self) -> None:
        for name in ("generated", "photos"):
            table = getattr(self, name)
            if table.ndim != 2 or table.shape[1] != 3 or len(table) < 2 or not np.isfinite(table).all():
                raise GradeError(f"{name} must be an N×3 table of finite numbers (N ≥ 2), got shape {table.shape}")
            if (np.diff(table, axis=0) < 0).any() or (table <= 0).any():
                raise GradeError(f"{name}: each column must be positive and increasing")
        if self.generated.shape != self.photos.shape:
            raise GradeError(f"generated {self.generated.shape} and photos {self.photos.shape} differ in shape")

    @classmethod
    def fit(cls, generated: np.ndarray, photos: np.ndarray, quantiles: int = QUANTILES) -> ColourGrade:
        """From the spreads (N×3, `colour_spread`) of faces and of the photos they should look like."""
        levels = np.linspace(0, 1, quantiles)
        tables = [np.maximum.accumulate(np.quantile(s, levels, axis=0), axis=0) for s in (generated, photos)]
        return cls(*(np.maximum(t, 1e-3).astype(np.float32) for t in tables))

    def target(self, spread: np.ndarray) -> np.ndarray:
        """The spread a face with this spread gets: its quantile among the generator's faces, read off the photos'."""
        return np.array([np.interp(spread[c], self.generated[:, c], self.photos[:, c]) for c in range(3)])

    def __call__(self, face: np.ndarray) -> np.ndarray:
        """`face` (H×W×3 uint8 RGB) with each CIELAB channel scaled about its mean to the mapped spread."""
        spread = colour_spread(face)
        return stretch_lab(face, np.clip(self.target(spread) / np.maximum(spread, 1e-3), 1 / MAX_SCALE, MAX_SCALE))

    def save(self, folder: str | Path, fitted_on: dict | None = None) -> Path:
        """Write `colour_grade.json` into a checkpoint folder, with what it was fitted on."""
        path = Path(folder) / GRADE_NAME
        content = {
            "format_version": FORMAT_VERSION,
            "about": "p2p.grade: quantiles of the CIELAB spread (L, a, b) of the generator's faces and of photos",
            "generated": np.round(self.generated, 4).tolist(),
            "photos": np.round(self.photos, 4).tolist(),
            "fitted_on": fitted_on or {},
        }
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(content, indent=1) + "\n")
        return path


def load_grade(folder: str | Path) -> ColourGrade | None:
    """The grade stored in a checkpoint folder, or None when it has none."""
    path = Path(folder) / GRADE_NAME
    if not path.is_file():
        return None
    try:
        content = json.loads(path.read_text())
        if content.get("format_version") != FORMAT_VERSION:
            version = content.get("format_version")
            raise GradeError(f"format_version {version!r}, this sketch2face reads {FORMAT_VERSION}")
        return ColourGrade(np.asarray(content["generated"], np.float32), np.asarray(content["photos"], np.float32))
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError, ValueError) as err:
        raise GradeError(f"{path} is not a colour grade ({err}); refit it with `python -m p2p.grade`") from err


def spreads(generate: Generate, pairs: Sequence[Path], batch: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """The colour spreads of `generate(drawings, seeds)`'s faces for `pairs` (pair i with seed i) and of the
    pairs' photos, each N×3."""
    from p2p.data import read_pair  # here: the app, which loads grades, ships without the trainer's modules

    faces, photos = [], []
    for start in tqdm(range(0, len(pairs), batch), desc="faces for the colour grade", unit="batch"):
        drawings, images = zip(*(read_pair(path) for path in pairs[start : start + batch]), strict=True)
        faces += [colour_spread(f) for f in generate(list(drawings), list(range(start, start + len(drawings))))]
        photos += [colour_spread(p) for p in images]
    return np.array(faces), np.array(photos)


def main(argv: list[str] | None = None) -> None:
    from p2p.data import list_pairs
    from p2p.inference import FaceGenerator  # here: p2p.inference applies the grade this module defines

    parser = argparse.ArgumentParser(description="Fit a generator's colour grade and store it in its folder.")
    parser.add_argument("checkpoint", type=Path, help="a local generator folder (config.json + model.safetensors)")
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build folder: its train pairs are used")
    parser.add_argument("--pairs", type=int, default=1000, help="training pairs to fit on, spread over the split")
    args = parser.parse_args(argv)
    try:
        files = list_pairs(args.data, "train")
        generator = FaceGenerator.from_pretrained(args.checkpoint, grade=False)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        parser.exit(2, f"error: {err}\n")
    chosen = [files[i] for i in np.linspace(0, len(files) - 1, min(args.pairs, len(files))).astype(int)]
    faces, photos = spreads(generator.generate, chosen)
    path = ColourGrade.fit(faces, photos).save(args.checkpoint, {"data": str(args.data), "pairs": len(chosen)})
    print(f"{path}: faces' spread (L, a, b) {faces.mean(0).round(1)} → photos' {photos.mean(0).round(1)}")


if __name__ == "__main__":
    main()
