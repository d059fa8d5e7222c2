"""Fit `p2p.critics.landmarks.LandmarkHead` to dlib's landmarks, on photos and on a generator's faces.

The head reads the frozen EfficientNet-Lite0 features at 128 px; its labels are dlib's 68 points, found as the
evaluation finds them (`evaluation.likeness.UPSAMPLE`). Training pairs give the photos and, drawn with a seed
each by GENERATOR, the faces (the loss will judge faces, so the head must read them as dlib does); validation
pairs give the held-out error, in inter-ocular distances as `evaluation.likeness.landmark_error` counts it,
beside the error of the mean shape. The head p2p ships (`p2p.critics.landmarks.FITTED_HEAD`) is OUT/head.safetensors
of this command, in fp16 (about 15 minutes on one thread):

    python -m experiments.landmark_head --data data/celeba-2000people --out runs/landmarks
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from tqdm import tqdm

from data_prep.landmarks import inter_ocular, landmarks
from evaluation.likeness import UPSAMPLE
from experiments.quick_set import faces_for_drawings
from p2p.critics.efficientnet import pretrained_efficientnet
from p2p.critics.landmarks import HEAD_STAGES, LandmarkHead
from p2p.critics.projected import FEATURE_BLOCKS, PROJECTED_SIZE
from p2p.data import list_pairs, read_pair
from p2p.inference import FaceGenerator
from p2p.tensors import image_to_tensor


def labelled(images: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The 128-px images dlib finds a face in and their points in [0, 1] of the image."""
    kept, points = [], []
    for image in tqdm(images, desc="dlib", leave=False):
        found = landmarks(image, UPSAMPLE)
        if found is not None:
            kept.append(cv2.resize(image, (PROJECTED_SIZE,) * 2, interpolation=cv2.INTER_AREA))
            points.append(found / np.float32([image.shape[1], image.shape[0]]))
    return np.stack(kept), np.stack(points).astype(np.float32)


def collect(data: Path, split: str, count: int, generator: FaceGenerator, seed: int) -> dict[str, np.ndarray]:
    """Photos and faces of `count` pairs of `split`, each with its dlib points."""
    files = sorted(random.Random(seed).sample(list_pairs(data, split), count))
    pairs = [read_pair(path) for path in tqdm(files, desc=f"{split} pairs", leave=False)]
    faces = faces_for_drawings(generator, [drawing for drawing, _ in pairs])
    photo_images, photo_points = labelled([photo for _, photo in pairs])
    face_images, face_points = labelled(faces)
    return {"photo_images": photo_images, "photo_points": photo_points, "face_images": face_images,
            "face_points": face_points}  # fmt: skip


@torch.no_grad()
def features(network: torch.nn.Module, images: np.ndarray, batch: int = 32) -> list[torch.Tensor]:
    """The head's input maps of 128-px uint8 images, kept in bf16."""
    out: list[list[torch.Tensor]] = [[] for _ in range(HEAD_STAGES)]
    for i in tqdm(range(0, len(images), batch), desc="features", leave=False):
        x = torch.stack([image_to_tensor(image) for image in images[i : i + batch]])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            maps = network.features(x, FEATURE_BLOCKS)
        for j in range(HEAD_STAGES):
            out[j].append(maps[j].to(torch.bfloat16))
    return [torch.cat(maps) for maps in out]


def errors(head: LandmarkHead, maps: list[torch.Tensor], points: np.ndarray) -> np.ndarray:
    """Per-image mean point distance in inter-ocular distances."""
    with torch.no_grad():
        predicted = torch.cat([head([m[i : i + 256] for m in maps]) for i in range(0, len(points), 256)]).numpy()
    return np.array([np.linalg.norm(p - t, axis=1).mean() / inter_ocular(t) for p, t in zip(predicted, points)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("runs/landmarks"))
    parser.add_argument("--generator", default="checkpoints/sketch2face-celeba")
    parser.add_argument("--train-pairs", type=int, default=4000)
    parser.add_argument("--val-pairs", type=int, default=400)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    cache = args.out / "labels.npz"
    if cache.exists():
        sets = dict(np.load(cache))
    else:
        generator = FaceGenerator.from_pretrained(args.generator)
        sets = {}
        for split, count in (("train", args.train_pairs), ("val", args.val_pairs)):
            sets |= {f"{split}_{k}": v for k, v in collect(args.data, split, count, generator, 0).items()}
        np.savez(cache, **sets)
    network = pretrained_efficientnet()
    per_kind = (features(network, sets[f"train_{k}_images"]) for k in ("photo", "face"))
    train_maps = [torch.cat(maps) for maps in zip(*per_kind)]
    train_points = torch.from_numpy(np.concatenate([sets["train_photo_points"], sets["train_face_points"]]))
    val = {k: (features(network, sets[f"val_{k}_images"]), sets[f"val_{k}_points"]) for k in ("photo", "face")}
    mean_shape = train_points.mean(0).numpy()
    for k, (_, points) in val.items():
        base = np.mean([np.linalg.norm(mean_shape - t, axis=1).mean() / inter_ocular(t) for t in points])
        print(f"{k}s: {len(points)} held out, mean-shape error {base:.4f}")

    head = LandmarkHead()
    optimiser = torch.optim.Adam(head.parameters(), lr=1e-3)
    steps_per_epoch = (len(train_points) + 31) // 32
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, 1e-3, total_steps=args.epochs * steps_per_epoch)
    for epoch in range(args.epochs):
        order = torch.randperm(len(train_points))
        head.train()
        for i in range(0, len(order), 32):
            index = order[i : i + 32]
            loss = F.l1_loss(head([m[index] for m in train_maps]), train_points[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        head.eval()
        report = ", ".join(f"{k}s {errors(head, maps, points).mean():.4f}" for k, (maps, points) in val.items())
        print(f"epoch {epoch + 1}: train L1 {loss.item():.4f}; held-out error {report}", flush=True)
    save_file(head.state_dict(), args.out / "head.safetensors")


if __name__ == "__main__":
    main()
