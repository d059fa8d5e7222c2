"""Changes to the bundled model's faces at inference, without training, scored by the `--quick` two-sample test.

The colour grade (`p2p.grade`) bought realism by matching one statistic per face to photos'. These are the next
candidates of that kind, each a guess at what the 64-px test still catches (docs/experiments.md, "Finishing
steps after the generator"):

- `detail grade`: the colour grade's idea carried to detail. Each face's lightness is split into a Laplacian
  pyramid; the spread of its bands at 64, 32 and 16 px (levels 2-4 of a 256-px face: what survives the test's
  shrinking to 64 px) goes through a monotone map fitted on training pairs (the quantiles of the faces' band
  spreads read off their photos'), and each band is scaled to its mapped spread.
- `lines closed` / `lines inpainted`: the drawing's strokes, which the faces show as dark traced lines, removed
  from the face: a grey closing of 5 px inside the ink (dilated 3 px), or OpenCV's Telea inpainting there.
- `dropout 0.25` / `dropout 0`: less of the generator's inference noise (it keeps dropout 0.5 on, as trained).
- `regional grade 2` / `3` / `4`: the colour grade's idea carried to regions. The faces are too alike region by
  region (photos' quarters vary more from one to the next: `experiments.colour_statistics --regions 2`), so
  each cell of a grid over the face at 64 px has its mean L, a and b, less the face's own mean, mapped through
  a monotone map fitted on training pairs (the quantiles of the faces' cell offsets read off their photos'); the
  differences, upsampled smoothly to 256 px, are added to the face.
- `bilateral`, `domain transform`, `median`, `chroma blurred`: the faces' mottling smoothed away, edges kept
  (OpenCV's bilateral filter, 9 px, colour σ 40, space σ 5; its recursive domain transform, σ 30 / 0.3; a 5-px
  median), or only in the colour channels (a and b blurred by σ 3 px, lightness untouched).

    python -m experiments.finishing_steps --data DATA [--checkpoint CKPT] [--only "regional grade 4" ...]

prints how well the band spreads alone tell the faces from photos, then the test (a seed per drawing, 64 px, four
halvings; as generated and layout only) for each step, on faces with the checkpoint's colour grade, as the app
shows them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import cv2
import numpy as np

from evaluation.evaluate import pair_sources, photo_sample, unique_photos
from experiments.colour_statistics import region_statistics, separability
from experiments.quick_set import faces_per_drawing, quick_pairs, realism_row
from p2p.data import list_pairs, read_pair
from p2p.inference import FaceGenerator

LEVELS = (2, 3, 4)
"""Pyramid levels of a 256-px face whose bands are graded: 64, 32 and 16 px, the scales the 64-px test sees."""
MAX_GAIN = 2.0
QUANTILES = 51


def bands(channel: np.ndarray, depth: int) -> list[np.ndarray]:
    """The Laplacian pyramid of a float32 channel: `depth` detail bands, finest first, then the residual."""
    out, current = [], channel
    for _ in range(depth):
        smaller = cv2.pyrDown(current)
        out.append(current - cv2.pyrUp(smaller, dstsize=current.shape[::-1]))
        current = smaller
    return [*out, current]


def band_spreads(face: np.ndarray) -> np.ndarray:
    """The standard deviation of the face's CIELAB lightness in each band of LEVELS."""
    pyramid = bands(cv2.cvtColor(face, cv2.COLOR_RGB2LAB)[..., 0].astype(np.float32), max(LEVELS) + 1)
    return np.array([pyramid[level].std() for level in LEVELS], np.float32)


def with_band_gains(face: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """`face` with its lightness bands at LEVELS scaled by `gains`; a and b untouched."""
    lab = cv2.cvtColor(face, cv2.COLOR_RGB2LAB).astype(np.float32)
    pyramid = bands(lab[..., 0], max(LEVELS) + 1)
    for level, gain in zip(LEVELS, gains, strict=True):
        pyramid[level] = pyramid[level] * gain
    channel = pyramid[-1]
    for band in reversed(pyramid[:-1]):
        channel = cv2.pyrUp(channel, dstsize=band.shape[::-1]) + band
    lab[..., 0] = channel
    return cv2.cvtColor(np.clip(np.rint(lab), 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


@dataclass(frozen=True)
class QuantileMap:
    """Per statistic, the quantiles of the faces' values (`generated`) and of their photos' (`photos`): a monotone
    map from the one to the other, fitted on training pairs as `p2p.grade` fits its own."""

    generated: np.ndarray
    photos: np.ndarray

    @classmethod
    def fit(cls, generated: np.ndarray, photos: np.ndarray) -> Self:
        """From N faces' statistics and their photos' (N×..., the same shape per face)."""
        q = np.linspace(0, 1, QUANTILES)
        return cls(*(np.maximum.accumulate(np.quantile(s, q, axis=0), axis=0) for s in (generated, photos)))

    def map(self, values: np.ndarray) -> np.ndarray:
        """One face's statistics, each read off the photos' quantiles."""
        generated, photos = (t.reshape(QUANTILES, -1).T for t in (self.generated, self.photos))
        mapped = [np.interp(v, g, p) for v, g, p in zip(values.ravel(), generated, photos, strict=True)]
        return np.array(mapped, np.float32).reshape(values.shape)


class DetailGrade(QuantileMap):
    """The faces' band spreads (`band_spreads`) mapped to their photos'."""

    def __call__(self, face: np.ndarray) -> np.ndarray:
        spread = band_spreads(face)
        return with_band_gains(face, np.clip(self.map(spread) / np.maximum(spread, 1e-3), 1 / MAX_GAIN, MAX_GAIN))


def fit_detail_grade(faces: list[np.ndarray], photos: list[np.ndarray]) -> DetailGrade:
    """The detail grade from training faces and their photos (`training_faces`)."""
    faces_array, photos_array = np.array([band_spreads(f) for f in faces]), np.array([band_spreads(p) for p in photos])
    print(
        f"band spreads on training pairs: faces {faces_array.mean(0).round(2)}, photos {photos_array.mean(0).round(2)}"
    )
    return DetailGrade.fit(faces_array, photos_array)


def cell_offsets(face: np.ndarray, grid: int) -> np.ndarray:
    """Each grid cell's mean CIELAB (OpenCV's 8-bit scale) at 64 px, less the whole face's mean: grid×grid×3."""
    lab = cv2.cvtColor(cv2.resize(face, (64, 64), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2LAB).astype(np.float32)
    return cv2.resize(lab, (grid, grid), interpolation=cv2.INTER_AREA) - lab.mean((0, 1))


class RegionalGrade(QuantileMap):
    """The faces' cell offsets (`cell_offsets`) mapped to their photos'; the shift, smoothly upsampled, is added."""

    def __call__(self, face: np.ndarray) -> np.ndarray:
        now = cell_offsets(face, self.generated.shape[1])
        shift = cv2.resize(self.map(now) - now, face.shape[1::-1], interpolation=cv2.INTER_LINEAR)
        lab = cv2.cvtColor(face, cv2.COLOR_RGB2LAB).astype(np.float32) + shift
        return cv2.cvtColor(np.clip(np.rint(lab), 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def training_faces(generator: FaceGenerator, data: Path, count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """`count` training pairs spread over the split: their faces (pair i with seed i, as `p2p.grade`) and photos."""
    files = list_pairs(data, "train")
    chosen = [files[i] for i in np.linspace(0, len(files) - 1, min(count, len(files))).astype(int)]
    faces, photos = [], []
    for start in range(0, len(chosen), 8):
        drawings, images = zip(*(read_pair(path) for path in chosen[start : start + 8]), strict=True)
        faces += generator.generate(list(drawings), list(range(start, start + len(drawings))))
        photos += images
    return faces, photos


def ink(drawing: np.ndarray, grow: int = 3) -> np.ndarray:
    """Where the drawing has ink, dilated by `grow` px, as a uint8 mask."""
    grey = drawing if drawing.ndim == 2 else cv2.cvtColor(drawing, cv2.COLOR_RGB2GRAY)
    return cv2.dilate((grey < 128).astype(np.uint8), np.ones((grow, grow), np.uint8))


def lines_closed(face: np.ndarray, drawing: np.ndarray, kernel: int = 5) -> np.ndarray:
    """The face with a grey closing (dark lines thinner than `kernel` px lifted) inside the drawing's ink."""
    closed = cv2.morphologyEx(face, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel)))
    mask = ink(drawing).astype(bool)
    out = face.copy()
    out[mask] = closed[mask]
    return out


def chroma_blurred(face: np.ndarray, sigma: float = 3.0) -> np.ndarray:
    """The face with its CIELAB a and b channels blurred by `sigma` px, its lightness untouched."""
    lab = cv2.cvtColor(face, cv2.COLOR_RGB2LAB)
    for channel in (1, 2):
        lab[..., channel] = cv2.GaussianBlur(lab[..., channel], (0, 0), sigma)
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def with_dropout(checkpoint: str | None, rate: float) -> FaceGenerator:
    """The generator with its decoder's dropout at `rate` instead of the trained 0.5 (same seeds, same latents)."""
    generator = FaceGenerator.from_pretrained(checkpoint)
    generator.model.dropout = rate
    return generator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("--checkpoint", help="a generator (default: the shipped model)")
    parser.add_argument("--pairs", type=int, default=1000, help="training pairs to fit the grades on")
    parser.add_argument("--only", nargs="+", metavar="STEP", help="score these steps only (by name)")
    args = parser.parse_args(argv)
    generator = FaceGenerator.from_pretrained(args.checkpoint)
    train_faces, train_photos = training_faces(generator, args.data, args.pairs)
    grade = fit_detail_grade(train_faces, train_photos)

    files = quick_pairs(args.data)
    drawings = [read_pair(path)[0] for path in files]
    people = [source.person for source in pair_sources(args.data, files)]
    photos = list(unique_photos(args.data, files).values())
    faces = faces_per_drawing(generator, files)
    steps: dict[str, Callable[[], list[np.ndarray]]] = {
        "as the app shows them": lambda: faces,
        "detail grade": lambda: [grade(face) for face in faces],
        "lines closed": lambda: [lines_closed(f, d) for f, d in zip(faces, drawings, strict=True)],
        "lines inpainted": lambda: [
            cv2.inpaint(f, ink(d), 3, cv2.INPAINT_TELEA) for f, d in zip(faces, drawings, strict=True)
        ],
    }
    smoothing: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "bilateral": lambda f: cv2.bilateralFilter(f, 9, 40, 5),
        "domain transform": lambda f: cv2.edgePreservingFilter(f, flags=cv2.RECURS_FILTER, sigma_s=30, sigma_r=0.3),
        "median": lambda f: cv2.medianBlur(f, 5),
        "chroma blurred": chroma_blurred,
    }
    for name, smooth in smoothing.items():
        steps[name] = lambda smooth=smooth: [smooth(face) for face in faces]
    for rate in (0.25, 0.0):
        steps[f"dropout {rate}"] = lambda rate=rate: faces_per_drawing(with_dropout(args.checkpoint, rate), files)
    for grid in (2, 3, 4):
        regional = RegionalGrade.fit(
            *(np.array([cell_offsets(image, grid) for image in side]) for side in (train_faces, train_photos))
        )
        steps[f"regional grade {grid}"] = lambda regional=regional: [regional(face) for face in faces]
    unknown = set(args.only or []) - set(steps)
    if unknown:
        parser.error(f"no such step: {', '.join(sorted(unknown))}; the steps are: {', '.join(steps)}")
    steps = {
        name: make
        for name, make in steps.items()
        if not args.only or name in args.only or name == "as the app shows them"
    }

    photo_images = [read_pair(path)[1] for path, _ in photos]
    groups = people + [source.person for _, source in photos]
    labels = np.array([1] * len(faces) + [0] * len(photos))
    real = photo_sample(photos, 64)
    print(
        "| faces | band spreads alone | quarters' statistics alone | two-sample, a seed per drawing | layout only |\n"
        "|---|---:|---:|---:|---:|"
    )
    for name, make in steps.items():
        images = make()
        alone = [
            separability(np.array([statistic(i) for i in images + photo_images]), labels, groups)
            for statistic in (band_spreads, lambda image: region_statistics(image, 2))
        ]
        cells = " | ".join(f"{100 * a:.1f} %" for a in alone)
        print(f"| {name} | {cells} | {realism_row(images, people, real)} |", flush=True)


if __name__ == "__main__":
    main()
