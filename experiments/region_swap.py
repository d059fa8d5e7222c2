"""Which part of the bundled model's faces gives them away: faces and their own photos, one region swapped.

Every fine-tune so far moved the whole face at once, and the realism test says only that a face is caught, not
where. Here each validation face (a seed per drawing, graded as the app shows it) is cut with its own photo along
regions from dlib's landmarks on the photo, with a feathered edge, and each chimera is tested against the photos
as `evaluate --quick` does (64 px, four halvings):

- `fixed: R`: the face with region R taken from its photo. How far the test falls says what a perfect R buys.
- `alone: R`: the photo with region R taken from the face. How often that is caught says how much R alone
  gives the face away.
- `toned: R`: as `alone`, the face's region first given the photo's mean and spread of L, a and b there, so that
  a patch of other skin tone round the seam is no cue: what is left is the region's structure.
- `blurred σ S: R` (with `--blur S ...`): the photo with its own region R blurred by a Gaussian of σ S px. If
  a photo's eyes merely softened are caught as often as the face's, the face's eyes lack detail; if far less
  often, they are built wrong.

Regions: `eyes` (each eye's box, as the component critics crop it: lids and some brow), `mouth`, `centre`
(the hull of brows, eyes, nose and mouth), `skin` (the face's hull, jaw to brows, less the centre), `outside`
(hair, neck and backdrop: everything beyond the face's hull), `everything`. The controls: the photo itself, stored
as the faces are (`alone: nothing`), and the face itself (`fixed: nothing`).

    python -m experiments.region_swap --data DATA [--checkpoint CKPT]

prints a Markdown table and writes a sheet of chimeras to OUT/region_swap.png (it shows dataset photos: keep it
in runs/, never commit it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from data_prep.components import part_boxes
from data_prep.landmarks import JAW, LEFT_BROW, RIGHT_BROW, landmarks
from evaluation.evaluate import pair_sources, photo_sample, unique_photos
from evaluation.likeness import face_mask
from experiments.quick_set import faces_per_drawing, quick_pairs, realism_row
from p2p.data import read_pair
from p2p.inference import FaceGenerator

FEATHER = 4.0
"""Gaussian σ in px (at 256) of the seam between face and photo: wider than the test's 4-px pixel, so the seam
itself is no cue."""


def box_mask(boxes: list[tuple[float, float, float, float]], size: int) -> np.ndarray:
    """A float mask, 1 inside any of `boxes` (x0, y0, x1, y1 in pixels)."""
    mask = np.zeros((size, size), np.float32)
    for box in boxes:
        x0, y0, x1, y1 = (max(round(v), 0) for v in box)
        mask[y0:y1, x0:x1] = 1
    return mask


def region_masks(points: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """The regions (float masks, 1 inside) of one face's 68 landmarks at `size` px."""
    boxes = part_boxes(points)
    eyes, mouth = box_mask([boxes["left_eye"], boxes["right_eye"]], size), box_mask([boxes["mouth"]], size)
    centre = face_mask(points[17:], (size, size)).astype(np.float32)
    outline = np.concatenate([points[JAW], points[RIGHT_BROW], points[LEFT_BROW]])
    face = face_mask(outline, (size, size)).astype(np.float32)
    return {
        "nothing": np.zeros((size, size), np.float32),
        "eyes": eyes,
        "mouth": mouth,
        "centre": centre,
        "skin": np.clip(face - centre, 0, 1),
        "outside": 1 - face,
        "everything": np.ones((size, size), np.float32),
    }


def blend(base: np.ndarray, inserted: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`base` with `inserted` where `mask` is 1, the seam feathered by FEATHER."""
    soft = cv2.GaussianBlur(mask, (0, 0), FEATHER)[..., None] if mask.any() else mask[..., None]
    return np.clip(np.rint(base * (1 - soft) + inserted * soft), 0, 255).astype(np.uint8)


def toned(inserted: np.ndarray, base: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`inserted` with the CIELAB mean and spread of `base` inside `mask` (per channel, over the mask)."""
    inside = mask > 0.5
    if not inside.any():
        return inserted
    lab_in, lab_base = (cv2.cvtColor(i, cv2.COLOR_RGB2LAB).astype(np.float32) for i in (inserted, base))
    mean_in, std_in = lab_in[inside].mean(0), lab_in[inside].std(0) + 1e-3
    mean_base, std_base = lab_base[inside].mean(0), lab_base[inside].std(0)
    lab = (lab_in - mean_in) / std_in * std_base + mean_base
    return cv2.cvtColor(np.clip(np.rint(lab), 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("--checkpoint", help="a generator (default: the shipped model)")
    parser.add_argument("--out", type=Path, default=Path("runs/region_swap"))
    parser.add_argument("--blur", nargs="+", type=float, default=[], metavar="SIGMA", help="also blurred photos")
    parser.add_argument("--only", nargs="+", metavar="WAY", help="score these chimeras only (e.g. 'toned: eyes')")
    args = parser.parse_args(argv)
    files = quick_pairs(args.data)
    faces = faces_per_drawing(FaceGenerator.from_pretrained(args.checkpoint), files)
    sources = pair_sources(args.data, files)
    chimeras: dict[str, list[np.ndarray]] = {}
    people: list[str] = []
    rows = []
    for path, face, source in zip(files, faces, sources, strict=True):
        photo = read_pair(path)[1]
        points = landmarks(photo)
        if points is None:
            continue
        people.append(source.person)
        cells = []
        for name, mask in region_masks(points, photo.shape[0]).items():
            ways = {"fixed": (face, photo), "alone": (photo, face), "toned": (photo, toned(face, photo, mask))}
            ways |= {f"blurred σ {s:g}": (photo, cv2.GaussianBlur(photo, (0, 0), s)) for s in args.blur}
            for way, (base, inserted) in ways.items():
                chimera = blend(base, inserted, mask)
                chimeras.setdefault(f"{way}: {name}", []).append(chimera)
                if way in ("fixed", "alone"):
                    cells.append(chimera)
        if len(rows) < 6:
            rows.append(np.hstack(cells))
    real = photo_sample(unique_photos(args.data, files).values(), 64)
    print(f"| chimera ({len(people)} faces, a seed per drawing) | two-sample ↓ | layout only |\n|---|---:|---:|")
    for name, made in sorted(chimeras.items()):
        if args.only and name not in args.only:
            continue
        print(f"| {name} | {realism_row(made, people, real)} |")
    args.out.mkdir(parents=True, exist_ok=True)
    sheet = cv2.resize(np.vstack(rows), None, fx=0.35, fy=0.35, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(args.out / "region_swap.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
