"""Paired training data in the reference pix2pix layout: DATA/{train,val}/*.jpg, each image A|B.

A (left half) is the drawing, B (right half) the photo, as written by
`data_prep.build`. Training samples get the paper's random jitter (resize to
`load_size`, random crop back to `size`, random horizontal flip) and, on the
fly, `data_prep.augment.augment_drawing`'s stroke augmentations for the
drawing's style (from the file name: `{stem}_{method}.jpg`). Every random
choice comes from a generator seeded by (seed, epoch, index), so a run is
reproducible and a resumed run sees the same samples it would have seen.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from data_prep.augment import augment_drawing, style_of
from data_prep.imageio import IMAGE_SUFFIXES
from p2p.tensors import drawing_to_tensor, image_to_tensor


def list_pairs(root: str | Path, split: str) -> list[Path]:
    folder = Path(root) / split
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
    if not files:
        raise FileNotFoundError(
            f"no A|B images in {folder}: build a dataset first with `python -m data_prep.build PHOTOS {root}`"
        )
    return files


def painted_backdrops(root: str | Path) -> set[str]:
    """File stems of the pairs whose photo `data_prep.build` re-framed onto a painted light backdrop, from
    root/manifest.json (none without one: a folder of pairs from elsewhere)."""
    manifest = Path(root) / "manifest.json"
    if not manifest.is_file():
        return set()
    return {
        Path(pair["output"]).stem for pair in json.loads(manifest.read_text()).get("pairs", []) if pair.get("reframe")
    }


def read_pair(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One A|B file → (drawing H×W uint8, photo H×W×3 uint8 RGB)."""
    ab = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if ab is None:
        raise OSError(f"cannot read training image {path}")
    half = ab.shape[1] // 2
    drawing = cv2.cvtColor(ab[:, :half], cv2.COLOR_BGR2GRAY)
    photo = cv2.cvtColor(ab[:, half : 2 * half], cv2.COLOR_BGR2RGB)
    return drawing, photo


class PairedDataset(Dataset):
    """(drawing, photo) samples from one split of a `data_prep.build` dataset."""

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        size: int = 256,
        load_size: int = 286,
        train: bool = True,
        augment: bool = True,
        seed: int = 0,
    ) -> None:
        self.files = list_pairs(root, split)
        self.size, self.load_size = size, load_size
        self.train, self.augment, self.seed = train, augment, seed
        self.epoch = 0  # set by the trainer; part of every sample's seed

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        drawing, photo = read_pair(self.files[index])
        if self.train:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            if self.augment:
                drawing = augment_drawing(drawing, rng, style_of(self.files[index].name))
            drawing, photo = self._jitter(drawing, photo, rng)
        elif drawing.shape[0] != self.size:
            drawing = cv2.resize(drawing, (self.size, self.size), interpolation=cv2.INTER_AREA)
            photo = cv2.resize(photo, (self.size, self.size), interpolation=cv2.INTER_AREA)
        return drawing_to_tensor(drawing), image_to_tensor(photo)

    def _jitter(
        self, drawing: np.ndarray, photo: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        load, size = self.load_size, self.size
        drawing = cv2.resize(drawing, (load, load), interpolation=cv2.INTER_LINEAR)
        photo = cv2.resize(photo, (load, load), interpolation=cv2.INTER_LINEAR)
        y, x = rng.integers(0, load - size + 1, size=2)
        drawing, photo = drawing[y : y + size, x : x + size], photo[y : y + size, x : x + size]
        if rng.random() < 0.5:
            drawing, photo = drawing[:, ::-1], photo[:, ::-1]
        return np.ascontiguousarray(drawing), np.ascontiguousarray(photo)
