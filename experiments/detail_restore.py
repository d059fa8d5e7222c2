"""Is the faces' missing detail restorable? A small CNN learns to undo a blur of photos, then sharpens the faces.

`experiments.region_swap` found the bundled model's eyes, pasted into their own photos with the photo's tones,
caught about as often as the photo's eyes blurred by σ 2 px (83 against 82 %; σ 1 px: 53 %). If the faces are
photos gone soft, a network trained on photos alone to undo a blur (supervised, deterministic: no critic to
learn, which is what this CPU cannot afford) should give them their detail back, as Real-ESRGAN restores
pictures from synthetic degradations. If they are built wrong, it will only sharpen the smudges, as an unsharp
mask did (docs/experiments.md).

- `train`: random 64-px crops of training photos, each blurred by a Gaussian of σ 0.5-2.5 px and stored as
  JPEG at quality 70-95; a residual CNN (7 convolutions of 32 channels, 3×3) learns the photo back with L1, for a
  fixed time.
- `evaluate`: the `--quick` pairs' faces (a seed per drawing, graded as the app shows them), restored, and the
  photos blurred by σ 2 px, restored (does the network work where it was trained?), each tested against the
  photos as `evaluate --quick` does; the faces' eyes alone, restored, pasted into their photos with the photos'
  tones (as `region_swap`'s `toned: eyes`). Writes a sheet to OUT/restored.png (it shows photos: keep it in
  runs/).

    python -m experiments.detail_restore train --data DATA --out runs/detail_restore --minutes 20
    python -m experiments.detail_restore evaluate --data DATA --out runs/detail_restore
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from data_prep.landmarks import landmarks
from evaluation.evaluate import pair_sources, photo_sample, unique_photos
from experiments.quick_set import faces_per_drawing, quick_pairs, realism_row
from experiments.region_swap import blend, region_masks, toned
from p2p.data import list_pairs, read_pair
from p2p.inference import FaceGenerator

CROP = 64
BLUR = (0.5, 2.5)
JPEG = (70, 95)


class Restorer(nn.Module):
    """A residual CNN: the picture plus what 7 convolutions of `width` channels add to it."""

    def __init__(self, width: int = 32, depth: int = 7) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, width, 3, padding=1), nn.ReLU()]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(width, width, 3, padding=1), nn.ReLU()]
        layers.append(nn.Conv2d(width, 3, 3, padding=1))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def degrade(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A photo blurred by σ in BLUR and stored as JPEG at a quality in JPEG."""
    blurred = cv2.GaussianBlur(photo, (0, 0), rng.uniform(*BLUR))
    ok, data = cv2.imencode(".jpg", blurred, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*JPEG))])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED)


def to_tensor(images: list[np.ndarray]) -> torch.Tensor:
    """uint8 RGB images (H×W×3) → an N×3×H×W batch in [-1, 1]."""
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 127.5 - 1


def to_images(batch: torch.Tensor) -> list[np.ndarray]:
    """The inverse of `to_tensor`, clipped."""
    return list(((batch.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy())


def restore(net: Restorer, images: list[np.ndarray], batch: int = 8) -> list[np.ndarray]:
    """The restorer's output for whole images."""
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch):
            out += to_images(net(to_tensor(images[start : start + batch])))
    return out


def train(args: argparse.Namespace) -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    files = list(
        {path.stem.rsplit("_", 1)[0]: path for path in list_pairs(args.data, "train")}.values()
    )  # a pair a photo
    chosen = [files[i] for i in np.linspace(0, len(files) - 1, min(args.photos, len(files))).astype(int)]
    photos = [read_pair(path)[1] for path in tqdm(chosen, desc="photos", unit="photo")]
    net = Restorer()
    optimiser = torch.optim.Adam(net.parameters(), lr=2e-4)
    end, step = time.monotonic() + 60 * args.minutes, 0
    bar = tqdm(unit="step")
    while time.monotonic() < end:
        clean, dirty = [], []
        for _ in range(args.batch):
            photo = photos[rng.integers(len(photos))]
            y, x = rng.integers(0, photo.shape[0] - CROP, 2)
            crop = photo[y : y + CROP, x : x + CROP]
            crop = np.ascontiguousarray(crop[:, ::-1] if rng.random() < 0.5 else crop)
            clean.append(crop)
            dirty.append(degrade(crop, rng))
        loss = (net(to_tensor(dirty)) - to_tensor(clean)).abs().mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        step += 1
        bar.update()
        bar.set_postfix(L1=f"{loss.item():.4f}")
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), args.out / "restorer.pt")
    print(f"trained {step} steps of {args.batch} crops; saved {args.out / 'restorer.pt'}")


def evaluate(args: argparse.Namespace) -> None:
    net = Restorer()
    net.load_state_dict(torch.load(args.out / "restorer.pt", weights_only=True))
    net.eval()
    files = quick_pairs(args.data)
    faces = faces_per_drawing(FaceGenerator.from_pretrained(args.checkpoint), files)
    photos = [read_pair(path)[1] for path in files]
    people = [source.person for source in pair_sources(args.data, files)]
    blurred = [cv2.GaussianBlur(p, (0, 0), 2.0) for p in photos]
    restored_faces, restored_blurred = restore(net, faces), restore(net, blurred)
    sets = {
        "faces": faces,
        "faces, restored": restored_faces,
        "photos blurred σ 2": blurred,
        "photos blurred σ 2, restored": restored_blurred,
    }
    eyes: dict[str, list[np.ndarray]] = {"toned: eyes": [], "toned: eyes, restored": []}
    eye_people = []
    for photo, face, restored, person in zip(photos, faces, restored_faces, people, strict=True):
        points = landmarks(photo)
        if points is None:
            continue
        mask = region_masks(points, photo.shape[0])["eyes"]
        eyes["toned: eyes"].append(blend(photo, toned(face, photo, mask), mask))
        eyes["toned: eyes, restored"].append(blend(photo, toned(restored, photo, mask), mask))
        eye_people.append(person)
    real = photo_sample(unique_photos(args.data, files).values(), 64)
    print(f"| images ({len(faces)} drawings, a seed per drawing) | two-sample ↓ | layout only |\n|---|---:|---:|")
    for name, images in sets.items():
        print(f"| {name} | {realism_row(images, people, real)} |")
    for name, images in eyes.items():
        print(f"| {name} ({len(eye_people)}) | {realism_row(images, eye_people, real)} |")
    rows = [np.hstack([s[i] for s in sets.values()] + [photos[i]]) for i in range(0, 60, 10)]
    cv2.imwrite(str(args.out / "restored.png"), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["train", "evaluate"])
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("--out", type=Path, default=Path("runs/detail_restore"))
    parser.add_argument("--checkpoint", help="a generator (default: the shipped model)")
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--photos", type=int, default=1500, help="training photos to crop from")
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args(argv)
    {"train": train, "evaluate": evaluate}[args.command](args)


if __name__ == "__main__":
    main()
