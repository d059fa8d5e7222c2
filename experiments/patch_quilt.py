"""Would real photo detail make the faces pass? The faces re-made from training photos' patches, then tested.

Every learnt finishing step so far (sharpening, restoring a blur, grading bands) left the faces caught as often:
they are built wrong at the test's scale, not blurred. Example-based synthesis (Freeman, Jones & Pasztor 2002;
Liu, Shum & Freeman 2007's face hallucination; Wang & Tang 2009's MRF sketch-to-photo synthesis) builds an image
from real patches instead: each patch of the output is a patch of some training photo whose coarse content
matches the guide there, chosen among the best matches to agree with the patches already placed (image
quilting, Efros & Freeman 2001), and the overlaps feathered. Faces are aligned, so a patch is sought only near
its own place in the photos.

Here the guide is the bundled model's face (a seed per drawing, graded as the app shows it) for each of the
`--quick` pairs of DATA, and the patches come from DATA's training photos (people never in the validation
split). How coarse the match is sets the trade: matched at the test's own pixel, a patch changes nothing the test
sees; matched coarser, the real detail is the photo's and the likeness is the guide's only as far as the coarse
match carries it. Each variant `PxM` (patch P px at 256, matched on its M×M area-average) is scored as
`evaluate --quick` does (64 px, four halvings) and by dlib against the true photo (same person, landmark
error), beside the faces as they are. `coarse` variants keep the guide's content coarser than the match and
take only the finer detail from the quilt (Liu et al.'s two steps).

    python -m experiments.patch_quilt --data DATA [--photos 2000] [--variants 32x4 64x8 32x2]

Writes a sheet to OUT/patch_quilt.png: it is made of dataset photos' patches, so it stays in runs/ (never commit
it), and so would any database of patches: this could not ship as it is, only tell what the generator lacks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from evaluation.evaluate import unique_photos
from evaluation.sheets import spread
from experiments.quick_set import faces_per_drawing, likeness_row, quick_pairs, realism_row, references
from p2p.data import list_pairs, read_pair
from p2p.inference import FaceGenerator

CANDIDATES = 16
"""Best coarse matches among which the overlap with the patches already placed chooses."""


def training_photos(data: Path, count: int) -> np.ndarray:
    """`count` training photos of DATA (one per source photo, spread over the split): N×H×W×3 uint8."""
    unique = unique_photos(data, list_pairs(data, "train"))
    return np.stack([read_pair(path)[1] for path, _ in spread(list(unique.values()), count)])


def shrink(images: torch.Tensor, factor: int) -> torch.Tensor:
    """N×3×H×W float images area-averaged by `factor`."""
    return F.avg_pool2d(images, factor) if factor > 1 else images


class Quilter:
    """Re-makes a guide image from patches of `photos`, each sought within `reach` coarse pixels of its place."""

    def __init__(self, photos: np.ndarray, patch: int, match: int, reach: int = 1) -> None:
        if patch % match or (patch // 2) % (patch // match):
            raise ValueError(f"patch {patch} must be a multiple of match {match}, its half of the factor")
        self.patch, self.match, self.reach = patch, match, reach
        self.factor = patch // match
        pad = reach * self.factor
        full = torch.from_numpy(photos).permute(0, 3, 1, 2)
        self.photos = F.pad(full, (pad, pad, pad, pad))  # uint8; a patch near the edge may be sought past it
        small = shrink(full.float(), self.factor)
        self.small = F.pad(small, (reach,) * 4, value=1e4)  # ...but never chosen there
        ramp = torch.hann_window(patch + 2, periodic=False)[1:-1]
        self.window = (ramp[:, None] * ramp[None, :])[None]

    def candidates(self, guide_small: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """For every patch place (raster order), the CANDIDATES best (photo, offset) pairs by coarse distance:
        their distances and flat indices into photos × offsets, each L×CANDIDATES."""
        step, size = self.match // 2, guide_small.shape[-1]
        target = F.unfold(guide_small[None], self.match, stride=step)  # 1 × 3m² × L
        span = 2 * self.reach + 1
        distances = []
        for oy in range(span):
            for ox in range(span):
                shifted = self.small[:, :, oy : oy + size, ox : ox + size]
                cells = F.unfold(shifted, self.match, stride=step)  # N × 3m² × L
                distances.append(((cells - target) ** 2).mean(1))  # N × L
        flat = torch.stack(distances, 1).flatten(0, 1)  # (N·offsets) × L
        best = torch.topk(-flat.T, CANDIDATES, dim=1)
        return -best.values, best.indices

    @torch.no_grad()
    def quilt(self, guide: np.ndarray) -> np.ndarray:
        """The guide (H×W×3 uint8) re-made from photo patches, overlaps feathered."""
        size, patch, step = guide.shape[0], self.patch, self.patch // 2
        guide_small = shrink(torch.from_numpy(guide).permute(2, 0, 1).float()[None], self.factor)[0]
        coarse, indices = self.candidates(guide_small)
        span = 2 * self.reach + 1
        out, weight = torch.zeros(3, size, size), torch.zeros(1, size, size)
        places = [(y, x) for y in range(0, size - patch + 1, step) for x in range(0, size - patch + 1, step)]
        for (y, x), distance, index in zip(places, coarse, indices, strict=True):
            photo, offset = index // span**2, index % span**2
            ys = y + (offset // span) * self.factor
            xs = x + (offset % span) * self.factor
            patches = torch.stack([self.photos[p, :, a : a + patch, b : b + patch] for p, a, b in zip(photo, ys, xs)])
            patches = patches.float()
            placed = weight[:, y : y + patch, x : x + patch]
            if placed.any():
                seen = placed > 0
                existing = out[:, y : y + patch, x : x + patch] / placed.clamp_min(1e-6)
                overlap = (((patches - existing) ** 2) * seen).sum((1, 2, 3)) / (3 * seen.sum())
            else:
                overlap = torch.zeros(len(patches))
            choice = int(torch.argmin(distance + overlap))
            out[:, y : y + patch, x : x + patch] += patches[choice] * self.window
            weight[:, y : y + patch, x : x + patch] += self.window
        made = (out / weight.clamp_min(1e-6)).permute(1, 2, 0).numpy()
        return np.clip(np.rint(made), 0, 255).astype(np.uint8)


def keep_coarse(guide: np.ndarray, quilted: np.ndarray, sigma: float) -> np.ndarray:
    """The guide's content coarser than `sigma` px with the quilt's finer detail (Liu et al.'s two steps)."""
    g, q = guide.astype(np.float32), quilted.astype(np.float32)
    made = cv2.GaussianBlur(g, (0, 0), sigma) + q - cv2.GaussianBlur(q, (0, 0), sigma)
    return np.clip(np.rint(made), 0, 255).astype(np.uint8)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("--checkpoint", help="a generator (default: the shipped model)")
    parser.add_argument("--out", type=Path, default=Path("runs/patch_quilt"))
    parser.add_argument("--photos", type=int, default=2000, help="training photos to take patches from")
    parser.add_argument("--variants", nargs="+", default=["32x4", "64x8", "32x2"], metavar="PxM")
    parser.add_argument("--reach", type=int, default=1, help="how far from its place a patch is sought (coarse px)")
    args = parser.parse_args(argv)
    files = quick_pairs(args.data)
    faces = faces_per_drawing(FaceGenerator.from_pretrained(args.checkpoint), files)
    scored = references(args.data, files)  # region_swap's 199 faces: those whose photo has landmarks
    keep = scored.keep
    database = training_photos(args.data, args.photos)
    made: dict[str, list[np.ndarray]] = {"the faces as the app shows them": [faces[i] for i in keep]}
    args.out.mkdir(parents=True, exist_ok=True)
    for variant in args.variants:
        patch, match = (int(v) for v in variant.split("x"))
        kept = args.out / f"quilt-{variant}-reach{args.reach}-photos{args.photos}.npy"  # a rerun scores it again
        if kept.exists():
            quilted = list(np.load(kept))
        else:
            quilter = Quilter(database, patch, match, args.reach)
            quilted = [quilter.quilt(faces[i]) for i in tqdm(keep, desc=variant)]
            np.save(kept, np.stack(quilted))
        made[f"quilt {variant}"] = quilted
        sigma = patch // match / 2  # the coarse pixel's half
        made[f"quilt {variant}, coarse from the face (σ {sigma:g} px)"] = [
            keep_coarse(faces[i], q, sigma) for i, q in zip(keep, quilted, strict=True)
        ]
    header = f"faces ({len(keep)}, a seed per drawing) | two-sample ↓ | layout only | same person ↑ | landmark error ↓"
    print(f"| {header} |")
    print("|---|---:|---:|---:|---:|")
    for name, images in made.items():
        print(
            f"| {name} | {realism_row(images, scored.people, scored.real)} | {likeness_row(images, scored.faces)} |",
            flush=True,
        )
    rows = [np.hstack([images[k] for images in made.values()]) for k in range(6)]
    sheet = cv2.resize(np.vstack(rows), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(args.out / "patch_quilt.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
