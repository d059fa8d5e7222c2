"""Paired training data in the reference pix2pix layout: DATA/{train,val}/*.jpg, each image A|B.

A (left half) is the drawing, B (right half) the photo, as written by
`data_prep.build`. Training samples get the paper's random jitter (resize to
`load_size`, random crop back to `size`, random horizontal flip) and, on the
fly, `data_prep.augment.augment_drawing`'s stroke augmentations for the
drawing's style (from the file name: `{stem}_{method}.jpg`). The boxes of the eyes and the mouth that
`data_prep.build` stores with each pair in DATA/manifest.json go through the same jitter (a flip swaps the
left and the right eye) for the eye and mouth critics (`p2p.critics.components`). Every random
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
from p2p.critics.components import COMPONENTS, MIRRORED
from p2p.tensors import drawing_to_tensor, image_to_tensor

NO_BOXES = np.zeros((len(COMPONENTS), 4), np.float32)
"""A pair without component boxes: empty boxes, which `p2p.critics.components.has_box` leaves out."""


def list_pairs(root: str | Path, split: str) -> list[Path]:
    folder = Path(root) / split
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
    if not files:
        raise FileNotFoundError(
            f"no A|B images in {folder}: build a dataset first with `python -m data_prep.build PHOTOS {root}`"
        )
    return files


def manifest_pairs(root: str | Path) -> list[dict]:
    """The pair entries of root/manifest.json (none without one: a folder of pairs from elsewhere)."""
    manifest = Path(root) / "manifest.json"
    return json.loads(manifest.read_text()).get("pairs", []) if manifest.is_file() else []


def painted_backdrops(root: str | Path) -> set[str]:
    """File stems of the pairs whose photo `data_prep.build` re-framed onto a painted light backdrop."""
    return {Path(pair["output"]).stem for pair in manifest_pairs(root) if pair.get("reframe")}


def component_boxes(root: str | Path) -> dict[str, np.ndarray]:
    """The eye and mouth boxes of the pairs whose manifest entry has them, by the pair's path in root
    ("train/x_lineart.jpg"): len(COMPONENTS)×4 (x0, y0, x1, y1; pixel edges, x1 and y1 exclusive) in pixels
    of the stored drawing or photo."""
    return {
        pair["output"]: np.array([pair["boxes"][name] for name in COMPONENTS], np.float32)
        for pair in manifest_pairs(root)
        if all(name in (pair.get("boxes") or {}) for name in COMPONENTS)  # None: no face found
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
    """(drawing, photo, boxes) samples from one split of a `data_prep.build` dataset: boxes is
    len(COMPONENTS)×4 in pixels of the sample (all zeros for a pair without boxes)."""

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
        boxes = component_boxes(root)
        self.boxes = [boxes.get(f"{split}/{path.name}", NO_BOXES) for path in self.files]
        self.size, self.load_size = size, load_size
        self.train, self.augment, self.seed = train, augment, seed
        self.epoch = 0  # set by the trainer; part of every sample's seed

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        drawing, photo = read_pair(self.files[index])
        if self.train:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            if self.augment:
                drawing = augment_drawing(drawing, rng, style_of(self.files[index].name))
            drawing, photo, boxes = self._jitter(drawing, photo, self.boxes[index], rng)
        else:
            boxes = self.boxes[index] * np.float32([self.size / drawing.shape[1], self.size / drawing.shape[0]] * 2)
            if drawing.shape[0] != self.size:
                drawing = cv2.resize(drawing, (self.size, self.size), interpolation=cv2.INTER_AREA)
                photo = cv2.resize(photo, (self.size, self.size), interpolation=cv2.INTER_AREA)
        return drawing_to_tensor(drawing), image_to_tensor(photo), torch.from_numpy(boxes)

    def _jitter(
        self, drawing: np.ndarray, photo: np.ndarray, boxes: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        load, size = self.load_size, self.size
        boxes = boxes * np.float32([load / drawing.shape[1], load / drawing.shape[0]] * 2)
        # Shrinking (a run below the pairs' size) averages like inference's drawings and the evaluation's photos;
        # a linear shrink would sample every few pixels and teach aliased, over-sharp faces.
        interpolation = cv2.INTER_AREA if load < drawing.shape[0] else cv2.INTER_LINEAR
        drawing = cv2.resize(drawing, (load, load), interpolation=interpolation)
        photo = cv2.resize(photo, (load, load), interpolation=interpolation)
        y, x = rng.integers(0, load - size + 1, size=2)
        drawing, photo = drawing[y : y + size, x : x + size], photo[y : y + size, x : x + size]
        boxes = boxes - np.float32([x, y, x, y])
        if rng.random() < 0.5:
            drawing, photo = drawing[:, ::-1], photo[:, ::-1]
            boxes = np.stack([size - boxes[:, 2], boxes[:, 1], size - boxes[:, 0], boxes[:, 3]], axis=1)
            boxes = boxes[[COMPONENTS.index(name) for name in MIRRORED]]
        return np.ascontiguousarray(drawing), np.ascontiguousarray(photo), np.ascontiguousarray(boxes)
