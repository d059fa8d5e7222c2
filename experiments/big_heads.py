"""Do the faces fail at the mouse drawings' size, whatever the drawing? The same photos framed two ways.

The 48 evaluation mouse drawings draw a big head in the middle of the page (as large as an aligned photo's); the
training line art re-frames every head at 0.5-1.0 of that size, anywhere within ±0.2 of the side. This re-frames
each aligned validation photo both ways (`data_prep.framing.reframe`, the build's backdrops): as the training line
art is (scale 0.5-1.0, shift ±0.2) and as the mouse drawings are (0.9-1.0, ±0.03). For each framing it draws the
photo's landmark line art with a cap or no hair, a mouse drawing on its face oval (the app's 2-px pen, as
`experiments.mouse_placement`) and its XDoG edges, paints them with a seed per photo, and tests each set of faces
against the photos framed that same way. Big heads are also painted shrunk (`SHRINKS`) and enlarged back.

    python -m experiments.big_heads --data data/celeba-2000people [--checkpoint CKPT] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from data_prep.edges import extract_edges
from data_prep.framing import REFRAME_RANGES, reframe
from data_prep.head import find_head
from data_prep.lineart import landmark_sketch
from evaluation.evaluate import unique_photos
from evaluation.realism import SEED_PER_DRAWING, Sample
from experiments.framing_match import DRAWN_SCALE, DRAWN_SHIFT
from experiments.mouse_placement import PEN, mouse_drawing_on
from experiments.quick_set import realism_row
from p2p.data import list_pairs, painted_backdrops, read_pair
from p2p.inference import FaceGenerator

FRAMINGS = {
    "as training line art": (REFRAME_RANGES["scale"], REFRAME_RANGES["shift"]),
    "as the mouse drawings": (DRAWN_SCALE, DRAWN_SHIFT),
}
"""name -> (scale range, shift range) of `reframe`."""
DRAWINGS = ("landmark line art, cap or no hair", "a mouse drawing on the face oval", "XDoG edges of the photo")
SHRINKS = (1.0, 0.75, 0.6)
"""Big heads are also painted shrunk by these factors about the bottom centre (as `reframe` shrinks a photo) and
the faces enlarged back: does painting at the training faces' size, then enlarging, give more photo-like faces?"""


def painted_shrunk(generator: FaceGenerator, drawings: list[np.ndarray], seed: int, scale: float) -> list[np.ndarray]:
    """The faces of `drawings` painted `scale` times smaller about the bottom centre, enlarged back to their place."""
    size = generator.size
    matrix = np.array([[scale, 0.0, (1 - scale) * size / 2], [0.0, scale, (1 - scale) * size]], np.float32)
    small = [cv2.warpAffine(d, matrix, (size, size), flags=cv2.INTER_AREA, borderValue=255) for d in drawings]
    faces = generator.generate(small, [seed] * len(small))
    back = cv2.WARP_INVERSE_MAP | cv2.INTER_CUBIC
    return [cv2.warpAffine(f, matrix, (size, size), flags=back, borderMode=cv2.BORDER_REPLICATE) for f in faces]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--out", type=Path, default=Path("runs/big_heads"))
    args = parser.parse_args()
    generator = FaceGenerator.from_pretrained(args.checkpoint)
    reframed = painted_backdrops(args.data)
    files = [path for path in list_pairs(args.data, "val") if path.stem not in reframed]
    photos = {name: Sample(256) for name in FRAMINGS}
    ways = [(name, 1.0) for name in FRAMINGS] + [("as the mouse drawings", s) for s in SHRINKS if s != 1.0]
    faces: dict[tuple[str, float, str], list[np.ndarray]] = {(f, s, d): [] for f, s in ways for d in DRAWINGS}
    people: list[str] = []
    rows: dict[tuple[str, float], list[np.ndarray]] = {way: [] for way in ways}
    rng = np.random.default_rng(0)
    for i, (path, source) in enumerate(tqdm(list(unique_photos(args.data, files).values()), unit="photo")):
        aligned = read_pair(path)[1]
        head = find_head(aligned)
        if head is None:
            continue
        background, warmth = (rng.uniform(*REFRAME_RANGES[key]) for key in ("background", "warmth"))
        framed = {}
        for name, (scale, shift) in FRAMINGS.items():
            photo, moved = reframe(
                aligned,
                head,
                scale=rng.uniform(*scale),
                shift=rng.uniform(*shift),
                background=background,
                warmth=warmth,
            )
            framed[name] = (photo, moved)
        drawn = {}
        for name, (photo, moved) in framed.items():
            line_art = landmark_sketch(moved.points, 256, None, stroke_width=PEN, variant=float(rng.random()))
            drawn[name] = [line_art, mouse_drawing_on(moved.points, rng), extract_edges(photo, "xdog")]
        for name, scale in ways:
            made = painted_shrunk(generator, drawn[name], SEED_PER_DRAWING + i, scale)
            for drawing_name, face in zip(DRAWINGS, made, strict=True):
                faces[name, scale, drawing_name].append(face)
            if scale == 1.0:
                photos[name].add(framed[name][0], source.person, generated=False)
            if len(rows[name, scale]) < 6:
                cells = [c for d, f in zip(drawn[name], made) for c in (cv2.cvtColor(d, cv2.COLOR_GRAY2RGB), f)]
                rows[name, scale].append(np.hstack([*cells, framed[name][0]]))
        people.append(source.person)
    print(f"| framing ({len(people)} photos) | painted at | drawing | two-sample, a seed per drawing | layout only |")
    for (name, scale, drawing_name), made in faces.items():
        print(f"| {name} | × {scale} | {drawing_name} | {realism_row(made, people, photos[name])} |")
    args.out.mkdir(parents=True, exist_ok=True)
    sheet = np.hstack([np.vstack(r) for r in rows.values()])
    sheet = cv2.resize(sheet, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(args.out / "big_heads.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
