"""Classifier two-sample test (Lopez-Paz & Oquab, ICLR 2017): can a small CNN tell generated faces from photos?

Hand-made metrics (colourfulness, sharpness, a face detector) score the shipped
model's soft, mottled faces as photo-like; a classifier trained to separate the
two samples sees what they miss. A small CNN is trained from scratch on half of
the people (or drawings) and tested on the other half, then the halves swap;
a split's score is the mean balanced accuracy of its two folds: 0.5 means the
classifier cannot tell the samples apart, 1.0 that it always can. With ten
people, which five land in a half moves one split's score by several points
(the shipped model's faces, a seed per drawing: 85.3 to 91.2 % over four
halvings), so the test repeats with SPLITS different halvings and reports
their mean, with its standard error.

The halves are split by group (a person, or a file when people are unknown), so
the classifier cannot win by recognising someone it saw in training. Everything
is seeded and runs on one CPU thread with deterministic algorithms: the same
images always give the same accuracy, whatever machine or batch of work ran before.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch
from PIL import Image
from torch import nn

from data_prep.imageio import JPEG_QUALITY  # generated faces get the pairs' compression: JPEG artefacts tell nothing
from p2p.grade import stretch_lab

LAYOUT_LAB = ((150.0, 50.0), (132.0, 7.0), (136.0, 9.0))
"""The CIELAB mean and spread (OpenCV's 8-bit L, a, b) every image gets in the layout-only test: about a
photo's, so the classifier sees ordinary-looking images; only where things are light, dark and coloured differs."""
STEPS = 150  # optimiser steps per fold, whatever the sample size: small samples are still learnt
SPLITS = 4  # halvings of the people; split 0 is the one test of evaluations before 2026-12-05
BATCH_SIZE = 32
LEARNING_RATE = 2e-3
WIDTHS = (16, 32, 64, 128)  # four stride-2 convolutions, then global average pooling
PER_SAMPLE = 300  # images per sample in a two-sample test: a few hundred keeps it to seconds on a CPU
SELECTION_SEED = 0  # which images a capped sample keeps
SEED_PER_DRAWING = 1_000_000  # drawing i of a set also gets a face of seed SEED_PER_DRAWING + i


def jpeg_roundtrip(rgb: np.ndarray, quality: int) -> np.ndarray:
    """`rgb` as it looks after being saved as JPEG: the dataset's photos were, so generated faces must be too,
    or the classifier could tell them apart by compression artefacts alone."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality, subsampling=0)
    return np.asarray(Image.open(buffer).convert("RGB"))


def without_colour_statistics(rgb: np.ndarray) -> np.ndarray:
    """`rgb` with each CIELAB channel's mean and spread set to `LAYOUT_LAB`'s: what is left for a classifier is
    the layout of light, dark and colour, not the image's overall brightness, contrast or colour cast, which a
    global colour correction (`p2p.grade`) can change without drawing a better face."""
    spread = cv2.meanStdDev(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB))[1].ravel()
    target_mean, target_spread = np.array(LAYOUT_LAB).T
    return stretch_lab(rgb, target_spread / np.maximum(spread, 1e-3), target_mean)


def halves(groups: Sequence[str], split: int = 0) -> np.ndarray:
    """0/1 per item: its group's half. Groups are ordered by a hash of their name (salted with the split
    number after the first split) and dealt out alternately, so each split is stable across runs and
    machines and the halves hold (nearly) as many groups each."""
    salt = f"{split}:" if split else ""
    order = sorted(set(groups), key=lambda g: hashlib.sha256(f"{salt}{g}".encode()).hexdigest())
    half = {group: i % 2 for i, group in enumerate(order)}
    return np.array([half[g] for g in groups], dtype=np.int64)


def classifier() -> nn.Sequential:
    """A small CNN for any input size: strided convolutions, global average pooling, one logit."""
    layers: list[nn.Module] = []
    channels = 3
    for width in WIDTHS:
        layers += [nn.Conv2d(channels, width, 3, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
        channels = width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 1))


def to_batch(images: Sequence[np.ndarray], size: int) -> torch.Tensor:
    """uint8 RGB images → N×3×size×size float tensor in [-1, 1] (area-resized)."""
    resized = np.stack([cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA) for image in images])
    return torch.from_numpy(resized).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


@contextmanager
def deterministic(seed: int) -> Iterator[None]:
    """One thread, deterministic kernels and a seeded RNG inside; the caller's settings and RNG state after."""
    threads, strict = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield
    finally:
        torch.use_deterministic_algorithms(strict)
        torch.set_num_threads(threads)


def balanced_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean of the per-class accuracies: 0.5 for guessing, whatever the class sizes."""
    hits = (logits > 0).long() == labels
    return float(np.mean([hits[labels == c].float().mean().item() for c in (0, 1)]))


def batches(count: int, steps: int) -> Iterator[torch.Tensor]:
    """`steps` index batches of BATCH_SIZE, drawn epoch by epoch from fresh permutations of range(count)."""
    order = torch.empty(0, dtype=torch.long)
    for _ in range(steps):
        if len(order) < min(BATCH_SIZE, count):
            order = torch.cat([order, torch.randperm(count)])
        yield order[:BATCH_SIZE]
        order = order[BATCH_SIZE:]


def train_and_test(x: torch.Tensor, y: torch.Tensor, train: torch.Tensor, seed: int, steps: int) -> torch.Tensor:
    """Train a fresh classifier on x[train] and return its logits for x[~train]."""
    with deterministic(seed):
        model = classifier()
        optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        xs, ys = x[train], y[train].float()
        positives = ys.sum().clamp(min=1)
        loss_fn = nn.BCEWithLogitsLoss(pos_weight=(len(ys) - positives) / positives)  # the classes weigh the same
        model.train()
        for index in batches(len(xs), steps):
            batch = xs[index]
            flip = torch.rand(len(index)) < 0.5
            batch = torch.where(flip[:, None, None, None], batch.flip(3), batch)
            optimiser.zero_grad()
            loss_fn(model(batch).squeeze(1), ys[index]).backward()
            optimiser.step()
        model.eval()
        with torch.inference_mode():
            return torch.cat([model(chunk).squeeze(1) for chunk in x[~train].split(256)])


def two_sample_test(
    generated: Sequence[np.ndarray],
    generated_groups: Sequence[str],
    real: Sequence[np.ndarray],
    real_groups: Sequence[str],
    size: int,
    generated_tags: Sequence[str] | None = None,
    seed: int = 0,
    steps: int = STEPS,
    splits: int = SPLITS,
) -> dict[str, object]:
    """Accuracy of a CNN telling `generated` from `real` images (both uint8 RGB) on people it never saw.

    Each sample is split into halves by its groups (`halves`); fold 1 trains on the first halves and tests
    on the second, fold 2 the other way round, so every image is judged once by a classifier that never saw
    its person; a split's accuracy is the mean of its folds' balanced accuracies. Repeated for `splits`
    halvings, it returns their mean ("accuracy"), its standard error, each split's accuracy, the first
    split's folds, the share of generated images caught and of real ones passed (over all splits), and with
    `generated_tags` (e.g. the drawing style of each generated image) the balanced accuracy on each tag's
    generated images against all real ones.
    """
    if splits < 1:
        raise ValueError(f"two-sample test needs at least one halving of the people, got splits={splits}")
    if len(generated) < 4 or len(real) < 4:
        raise ValueError(f"two-sample test needs at least 4 images per sample, got {len(generated)} and {len(real)}")
    x = torch.cat([to_batch(generated, size), to_batch(real, size)])
    y = torch.cat([torch.ones(len(generated), dtype=torch.long), torch.zeros(len(real), dtype=torch.long)])
    correct = torch.zeros(splits, len(y), dtype=torch.bool)
    folds = []  # per split, its two folds' accuracies
    for split in range(splits):
        half = torch.from_numpy(np.concatenate([halves(generated_groups, split), halves(real_groups, split)]))
        folds.append([])
        for fold in (0, 1):
            train = half == fold
            if y[train].unique().numel() < 2 or y[~train].unique().numel() < 2:
                raise ValueError("each half needs images of both samples: give at least two groups per sample")
            logits = train_and_test(x, y, train, seed + 2 * split + fold, steps)
            folds[-1].append(balanced_accuracy(logits, y[~train]))
            correct[split, ~train] = (logits > 0).long() == y[~train]
    by_split = [float(np.mean(pair)) for pair in folds]
    caught = correct[:, : len(generated)].float().mean(dim=0).numpy()  # each image: the share of splits
    passed = float(correct[:, len(generated) :].float().mean())
    result = {
        "accuracy": float(np.mean(by_split)),
        "accuracy_se": float(np.std(by_split, ddof=1) / np.sqrt(splits)) if splits > 1 else None,
        "splits": by_split,
        "folds": folds[0],
        "generated_caught": float(caught.mean()),
        "real_passed": passed,
        "counts": {"generated": len(generated), "real": len(real)},
    }
    if generated_tags is not None:
        tags = np.asarray(generated_tags)
        result["by_tag"] = {str(t): float((caught[tags == t].mean() + passed) / 2) for t in sorted(set(tags))}
    return result


@dataclass
class Sample:
    """One side of a two-sample test: images as stored (JPEG, at the largest test size), each one's group
    (the person, or the file when the person is unknown) and tag (the drawing style, or "")."""

    size: int
    images: list[np.ndarray] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def add(self, image: np.ndarray, group: str, generated: bool, tag: str = "") -> None:
        """Generated faces go through the JPEG compression the dataset's photos went through."""
        stored = jpeg_roundtrip(image, JPEG_QUALITY) if generated else image
        self.images.append(cv2.resize(stored, (self.size, self.size), interpolation=cv2.INTER_AREA))
        self.groups.append(group)
        self.tags.append(tag)

    def layout_only(self) -> Sample:
        """The same images without their colour statistics (`without_colour_statistics`)."""
        return Sample(self.size, [without_colour_statistics(i) for i in self.images], self.groups, self.tags)

    def capped(self, count: int) -> Sample:
        """At most `count` of the images, a fixed random choice (`kept`)."""
        if len(self.images) <= count:
            return self
        keep = kept(len(self.images), count)
        return Sample(self.size, *([items[i] for i in keep] for items in (self.images, self.groups, self.tags)))


def kept(total: int, count: int) -> list[int]:
    """Which of `total` items a sample capped at `count` keeps: all, or a fixed random choice, in order."""
    if total <= count:
        return list(range(total))
    return sorted(np.random.default_rng(SELECTION_SEED).permutation(total)[:count])


@dataclass(frozen=True)
class Realism:
    """How the two-sample tests are run: the same for every set, so their accuracies compare."""

    sizes: tuple[int, ...]
    per_sample: int
    splits: int = SPLITS

    def test(self, generated: Sample, real: Sample, all_sizes: bool = True) -> dict[str, object]:
        """Two-sample test accuracy at each size (or the first only), with the accuracy per tag when the
        generated images have several, or why there is no test (too few images or groups)."""
        generated, real = generated.capped(self.per_sample), real.capped(self.per_sample)
        tags = generated.tags if len(set(generated.tags)) > 1 else None
        try:
            return {
                str(size): two_sample_test(
                    generated.images, generated.groups, real.images, real.groups, size, tags, splits=self.splits
                )
                for size in self.sizes[: None if all_sizes else 1]
            }
        except ValueError as err:
            return {"skipped": str(err)}

    def accuracies(self, generated: Sample, real: Sample) -> dict[str, float] | dict[str, str]:
        """Only the accuracy at each size (or why there is no test)."""
        result = self.test(generated, real)
        return result if "skipped" in result else {size: test["accuracy"] for size, test in result.items()}
