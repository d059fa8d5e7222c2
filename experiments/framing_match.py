"""Is the mouse drawings' reference framed as they are?

`evaluate --framed-photos DATA` tests faces from drawings without photos against the build's re-framed validation
photos: heads shrunk by `data_prep.framing.reframe` to 0.5-1.0 of the aligned framing. The mouse drawings
(`examples/face_strokes.py`) draw a head as large as an aligned photo's, centred. This script re-frames the same
validation photos at the drawings' scale (0.9-1.0, shift within ±0.03 of the side, the build's backdrops), then
runs the two-sample test of one model's mouse faces (a seed per drawing) against both references, and the two
references against each other.

    python -m experiments.framing_match --data data/celeba-2000people [--checkpoint CKPT] [--drawings DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from data_prep.augment import LINE_LEVEL
from data_prep.framing import REFRAME_RANGES, reframe
from data_prep.head import find_head
from data_prep.imageio import load_image
from evaluation.evaluate import faces_in_batches, framed_photos, unique_photos, with_own_seed
from evaluation.realism import Realism, Sample
from evaluation.sheets import drawing_files
from p2p.data import list_pairs, painted_backdrops, read_pair
from p2p.inference import FaceGenerator

DRAWN_SCALE = (0.9, 1.0)
DRAWN_SHIFT = (-0.03, 0.03)


def ink_box(drawing: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the drawing's line pixels."""
    ys, xs = np.nonzero(drawing < LINE_LEVEL)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def framed_like_drawings(data: Path, split: str, size: int, seed: int = 0) -> Sample:
    """The split's aligned photos (one per photo, from pairs the build did not re-frame), re-framed at the
    drawings' scale on the build's backdrops."""
    reframed = painted_backdrops(data)
    files = [path for path in list_pairs(data, split) if path.stem not in reframed]
    rng = np.random.default_rng(seed)
    sample = Sample(size)
    for path, source in tqdm(list(unique_photos(data, files).values()), desc="re-framing", unit="photo"):
        photo = read_pair(path)[1]
        head = find_head(photo)
        if head is None:
            continue
        framed, _ = reframe(
            photo,
            head,
            scale=rng.uniform(*DRAWN_SCALE),
            shift=rng.uniform(*DRAWN_SHIFT),
            background=rng.uniform(*REFRAME_RANGES["background"]),
            warmth=rng.uniform(*REFRAME_RANGES["warmth"]),
        )
        sample.add(framed, source.person, generated=False)
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--drawings", type=Path, default=Path("tests/data/mouse_drawings"))
    parser.add_argument("--out", type=Path, default=None, help="write the results and a sheet of both references")
    args = parser.parse_args()
    size = 64
    tests = Realism((size,), 300, 4)
    stored = framed_photos(args.data, args.split, 256)
    matched = framed_like_drawings(args.data, args.split, 256)
    generator = FaceGenerator.from_pretrained(args.checkpoint)
    files = drawing_files(args.drawings)
    drawings = [(generator.prepare(load_image(path)), path.name) for path in files]
    boxes = np.array([ink_box(d.pixels) for d, _ in drawings], float)
    print(f"drawings' ink box: height {np.mean(boxes[:, 3] - boxes[:, 1]):.0f}, top {np.mean(boxes[:, 1]):.0f}")
    faces = Sample(256)
    for _, name, samples in faces_in_batches(generator, iter(drawings), with_own_seed([0]), 16):
        faces.add(samples[-1], name, generated=True)
    result = {
        "faces vs the stored re-framed photos": tests.test(faces, stored, False),
        "faces vs photos re-framed at the drawings' scale": tests.test(faces, matched, False),
        "layout only, vs stored": tests.test(faces.layout_only(), stored.layout_only(), False),
        "layout only, vs matched": tests.test(faces.layout_only(), matched.layout_only(), False),
        "stored vs matched references (real vs real)": tests.test(matched, stored, False),
    }
    for name, test in result.items():
        print(f"{name}: {json.dumps(test)}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "framing_match.json").write_text(json.dumps(result, indent=2) + "\n")
        rows = [np.hstack(s.images[:8]) for s in (faces, stored, matched)]
        cv2.imwrite(str(args.out / "framing_match.png"), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
