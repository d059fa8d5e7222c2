"""Shared helpers for the tests: tiny synthetic A|B datasets, tiny generators, the CelebA photos in ../shared,
the parts a drawing of a face must have.

Everything is small (64×64 images, ngf 8) so that the whole p2p suite runs in
about a minute on two busy CPU cores.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from data_prep.landmarks import LEFT_BROW, LEFT_EYE, NOSE_BASE, NOSE_BRIDGE, OUTER_LIPS, RIGHT_BROW, RIGHT_EYE
from p2p.model import UNetGenerator

# Every p2p test module imports this one: one torch thread keeps the tests from fighting over the (shared) CPU.
torch.set_num_threads(1)

REPO_ROOT = Path(__file__).resolve().parent.parent
CELEBA = REPO_ROOT.parent / "shared" / "data" / "faces" / "celeba"  # licensed photos: read in place, never copied
needs_faces = pytest.mark.skipif(not CELEBA.is_dir(), reason="../shared/data is not available")
SIZE, NUM_DOWNS = 64, 6  # the trainer needs size == 2**num_downs

# Flags for a CPU run of `p2p.train` on `make_dataset` output that is fast and bit-for-bit reproducible.
TINY_TRAIN_FLAGS = [
    "--size",
    str(SIZE),
    "--num-downs",
    str(NUM_DOWNS),
    "--ngf",
    "8",
    "--ndf",
    "8",
    "--batch-size",
    "2",
    "--workers",
    "0",
    "--amp",
    "off",
    "--device",
    "cpu",
    "--sample-every",
    "1000",
    "--log-every",
    "1",
]


def face_layout(rng: np.random.Generator, size: int) -> tuple[tuple[int, int], tuple[int, int], list[tuple[int, int]]]:
    """(centre, axes, eye centres) of `face_pair`'s face: its first draws from `rng`."""
    centre = (size // 2 + int(rng.integers(-4, 5)), size // 2 + int(rng.integers(-4, 5)))
    axes = (size // 4 + int(rng.integers(-3, 4)), size // 3 + int(rng.integers(-3, 4)))
    eyes = [(centre[0] + dx, centre[1] - size // 10) for dx in (-size // 10, size // 10)]
    return centre, axes, eyes


def face_boxes(index: int, size: int = SIZE) -> dict[str, list[int]]:
    """`face_pair`'s eye and mouth boxes as `data_prep.build` stores them (x0, y0, x1, y1 in pixels); the left
    eye is the one on the left of the image. The mouth is a box where a mouth would be (none is drawn)."""
    centre, _, (left, right) = face_layout(np.random.default_rng(index), size)
    r = size // 16
    mouth = (centre[0], centre[1] + size // 8)
    return {
        "left_eye": [left[0] - r, left[1] - r, left[0] + r + 1, left[1] + r + 1],  # centred on the eye's pixel
        "right_eye": [right[0] - r, right[1] - r, right[0] + r + 1, right[1] + r + 1],
        "mouth": [mouth[0] - 2 * r, mouth[1] - r, mouth[0] + 2 * r + 1, mouth[1] + r + 1],
    }


def face_pair(index: int, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic (drawing, photo): an outlined ellipse 'face' with eyes, on paper / on a coloured background."""
    rng = np.random.default_rng(index)
    centre, axes, eyes = face_layout(rng, size)
    drawing = np.full((size, size), 255, np.uint8)
    cv2.ellipse(drawing, centre, axes, 0, 0, 360, 0, 1)
    photo = np.empty((size, size, 3), np.uint8)
    photo[:] = rng.integers(40, 200, 3)
    cv2.ellipse(photo, centre, axes, 0, 0, 360, (224, 172, 140), -1)
    for eye in eyes:
        cv2.circle(drawing, eye, 2, 0, 1)
        cv2.circle(photo, eye, 2, (40, 30, 30), -1)
    return drawing, photo


def make_dataset(root: Path, train: int = 8, val: int = 2, size: int = SIZE, boxes: bool = False) -> Path:
    """A `data_prep.build`-style folder: root/{train,val}/NNNN.jpg, each drawing|photo side by side; with
    `boxes`, a manifest.json giving each pair's eye and mouth boxes as `data_prep.build` does."""
    entries = []
    for split, count, offset in (("train", train, 0), ("val", val, 1000)):
        (root / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            drawing, photo = face_pair(offset + i, size)
            ab = np.hstack([cv2.cvtColor(drawing, cv2.COLOR_GRAY2BGR), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR)])
            cv2.imwrite(str(root / split / f"{i:04d}.jpg"), ab, [cv2.IMWRITE_JPEG_QUALITY, 95])
            entries.append({"output": f"{split}/{i:04d}.jpg", "boxes": face_boxes(offset + i, size)})
    if boxes:
        (root / "manifest.json").write_text(json.dumps({"pairs": entries}))
    return root


def write_drawings(folder: Path, count: int, first: int, size: int) -> Path:
    """`count` synthetic drawings (d0.png, d1.png, ...) of `face_pair(first + i, size)` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        cv2.imwrite(str(folder / f"d{i}.png"), face_pair(first + i, size)[0])
    return folder


def tiny_generator(num_downs: int = NUM_DOWNS, ngf: int = 8, seed: int = 0) -> UNetGenerator:
    """A randomly initialised small generator; the seed fixes its weights."""
    torch.manual_seed(seed)
    return UNetGenerator(num_downs=num_downs, ngf=ngf).eval()


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for child Python processes: the repo importable, one thread each (the CPU is shared)."""
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1", **extra}


PYTHON = sys.executable


FACE_PARTS = {
    "right brow": [RIGHT_BROW],
    "left brow": [LEFT_BROW],
    "right eye": [RIGHT_EYE],
    "left eye": [LEFT_EYE],
    "nose": [NOSE_BRIDGE, NOSE_BASE],
    "mouth": [OUTER_LIPS],
}
"""The parts a drawing of a person's photo must have, as landmark ranges (`data_prep.landmarks`)."""


def missing_parts(drawing: np.ndarray, points: np.ndarray, min_ink: int = 20, dark: int = 128) -> list[str]:
    """The `FACE_PARTS` with fewer than `min_ink` pixels darker than `dark` in their landmarks' box (3 px wider
    each side at 256 px) of a gray `drawing`; `points` are the 68 landmarks in the drawing's pixels."""
    scale = drawing.shape[0] / 256
    missing = []
    for part, ranges in FACE_PARTS.items():
        box = np.vstack([points[r] for r in ranges])
        (left, top), (right, bottom) = (
            (box.min(axis=0) - 3 * scale).astype(int),
            (box.max(axis=0) + 3 * scale).astype(int),
        )
        if np.count_nonzero(drawing[max(top, 0) : bottom + 1, max(left, 0) : right + 1] < dark) < min_ink * scale:
            missing.append(part)
    return missing
