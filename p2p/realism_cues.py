"""What gives the generated faces away: the two-sample test again, after faces and photos both lose a cue.

`p2p.evaluate` says how often a classifier tells the faces from the photos; this says from what. Each row
applies the same change to the faces and to the photos (grey, blurred, the face alone, the background alone)
and runs the test again: removing the cue the classifier relies on brings its accuracy towards 0.5; if every
row stays high, the faces differ from photos in every region and at every scale. One more row gives every
face its own photo's colours (`with_colours_of`): what stays is not colour or contrast. Beside the table: the mean
colour saturation, the brightness of face and border and the texture fixed to the same pixels in every
image (`fixed_pattern`) of both sets, and a picture of the mean photo and mean face and of how much each
pixel varies across each set.

With `--shared-noise` (and a number for `--seed`), the test again for faces whose latent vector and dropout
masks come from the set's seed or from each face's own (`NOISE_SPLITS`): when all faces share one seed, the
classifier may learn that seed's mark rather than what makes a face look generated.

    python -m p2p.realism_cues --data DATA [--checkpoint PATH_OR_ID] [--seed 0|own] [--sizes 16,64]
                               [--splits 4] [--shared-noise] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from p2p.data import list_pairs, read_pair
from p2p.evaluate import (
    PER_SAMPLE,
    SEED_PER_DRAWING,
    Realism,
    Sample,
    add_splits_argument,
    faces_in_batches,
    join,
    kept,
    parse_ints,
    rgb,
    unique_photos,
    with_own_seed,
    write_png,
)
from p2p.inference import PRECISIONS, Drawing, FaceGenerator
from p2p.metrics import backdrop
from p2p.realism_scale import blurred
from p2p.weights import CheckpointError


def grey(image: np.ndarray) -> np.ndarray:
    return rgb(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))


def blur(image: np.ndarray) -> np.ndarray:
    """Gaussian blur, σ 4 px (of the 256-px faces): fine texture and sharpness gone, layout and colour kept."""
    return blurred(4.0)(image, 0)


def face_only(image: np.ndarray) -> np.ndarray:
    """The centre half of the image (the face of an aligned portrait), enlarged back to full size."""
    h, w = image.shape[:2]
    return cv2.resize(image[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4], (w, h))


def background_only(image: np.ndarray) -> np.ndarray:
    """The image with the middle (face and most of the hair) painted mid grey: only the border is left."""
    h, w = image.shape[:2]
    out = image.copy()
    out[h // 6 : 5 * h // 6, w // 5 : 4 * w // 5] = 128
    return out


CUES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "as generated": lambda image: image,
    "grey": grey,
    "blur σ 4": blur,
    "grey, blur σ 4": lambda image: blur(grey(image)),
    "face only (centre half)": face_only,
    "background only (middle grey)": background_only,
}
"""Each maps a uint8 RGB image to one without some cue; applied alike to faces and photos."""

PHOTO_COLOURS = "faces in their photos' colours"


def with_colours_of(face: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """`face` with the mean and spread of each of `photo`'s CIELAB channels (Reinhard et al. 2001): the
    face's overall colour, brightness and contrast become the true photo's, its layout stays its own."""
    face_lab, photo_lab = (cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32) for image in (face, photo))
    mean, spread = face_lab.mean(axis=(0, 1)), face_lab.std(axis=(0, 1)) + 1e-6
    lab = (face_lab - mean) * (photo_lab.std(axis=(0, 1)) / spread) + photo_lab.mean(axis=(0, 1))
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


NOISE_SPLITS: dict[str, Callable[[int, int], tuple[int, int]]] = {
    "latent and masks of the set's seed": lambda seed, own: (seed, seed),
    "latent of the set's seed, masks its own": lambda seed, own: (seed, own),
    "latent its own, masks of the set's seed": lambda seed, own: (own, seed),
    "latent and masks its own": lambda seed, own: (own, own),
}
"""(latent seed, dropout-mask seed) of a face, from the set's seed and the face's own seed."""


def statistics(images: Sequence[np.ndarray]) -> dict[str, float]:
    """Mean HSV saturation (0–255), brightness of the centre half (the face) and of the outer eighth, and
    contrast (an image's brightness standard deviation); `_spread`: how much a figure varies from image to
    image (its standard deviation over the set), where faces all lit alike differ from photos."""
    side = images[0].shape[0]
    greys = [cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float64) for image in images]
    centre = slice(side // 4, 3 * side // 4)
    face = [g[centre, centre].mean() for g in greys]
    contrast = [g.std() for g in greys]
    return {
        "saturation": float(np.mean([cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[..., 1].mean() for image in images])),
        "face_brightness": float(np.mean(face)),
        "face_brightness_spread": float(np.std(face)),
        "border_brightness": float(np.mean([backdrop(image) for image in images])),
        "contrast": float(np.mean(contrast)),
        "contrast_spread": float(np.std(contrast)),
    }


def fixed_pattern(images: Sequence[np.ndarray]) -> float:
    """Texture that sits at the same pixels in every image (a transposed convolution's checkerboard): the
    faces' content averages out of their mean image, such a pattern does not. The standard deviation (grey
    levels) of the mean image's detail finer than a σ 2 blur; CelebA's aligned photos give 1.2 (their eyes,
    at the same place in every photo, stay sharp in the mean)."""
    mean = np.stack([cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in images]).astype(np.float64).mean(axis=0)
    return float((mean - cv2.GaussianBlur(mean, (0, 0), 2.0)).std())


def mean_and_spread(images: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The mean image, and each pixel's standard deviation across the set (grey, ×3 so that 85 is white)."""
    stack = np.stack(images).astype(np.float64)
    spread = stack.mean(axis=3).std(axis=0) * 3
    return [
        np.clip(stack.mean(axis=0), 0, 255).astype(np.uint8),
        cv2.cvtColor(np.clip(spread, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2RGB),
    ]


def faces_and_photos(
    generator: FaceGenerator,
    data: Path,
    split: str,
    seed: int | None,
    batch_size: int,
) -> tuple[Sample, Sample, list[Drawing]]:
    """One face per photo of the split, from the photo's first drawing, and the photos, as two-sample test
    samples at the generator's size (faces stored as JPEG like the photos; each image's person), and the
    drawings. Every face has noise `seed`, or with None a seed of its own (`p2p.evaluate.with_own_seed`)."""
    unique = list(unique_photos(data, list_pairs(data, split)).values())
    pairs = ((read_pair(path), source.person) for path, source in unique)
    items = ((generator.prepare(drawing), (photo, person)) for (drawing, photo), person in pairs)
    faces, photos, drawings = Sample(generator.size), Sample(generator.size), []
    seeds = with_own_seed([]) if seed is None else [seed]
    for drawing, (photo, person), (face,) in tqdm(
        faces_in_batches(generator, items, seeds, batch_size), total=len(unique), desc="faces", unit="face"
    ):
        faces.add(face, person, generated=True)
        photos.add(photo, person, generated=False)
        drawings.append(drawing)
    return faces, photos, drawings


def split_noise_faces(
    generator: FaceGenerator,
    drawings: Sequence[Drawing],
    positions: Sequence[int],
    groups: Sequence[str],
    split: Callable[[int, int], tuple[int, int]],
    seed: int,
    batch_size: int,
) -> Sample:
    """A face per drawing with the latent and dropout masks that `split` picks (see `NOISE_SPLITS`); a
    drawing's own seed is `SEED_PER_DRAWING` + its position in the split, as in `p2p.evaluate`."""
    faces = Sample(generator.size)
    for start in range(0, len(drawings), batch_size):
        chunk = range(start, min(start + batch_size, len(drawings)))
        latents, masks = zip(*(split(seed, SEED_PER_DRAWING + positions[i]) for i in chunk), strict=True)
        for i, face in zip(chunk, generator.generate([drawings[i] for i in chunk], masks, latents), strict=True):
            faces.add(face, groups[i], generated=True)
    return faces


def realism_cues(faces: Sample, photos: Sample, tests: Realism) -> dict[str, dict[str, float] | dict[str, str]]:
    """Two-sample accuracy per cue removed and test size (or why there is no test); `faces[i]` is made from
    the drawing of `photos[i]`, for the row in the photos' colours."""
    table = {}
    for name, remove in tqdm(CUES.items(), desc="two-sample tests", unit="cue"):
        table[name] = tests.accuracies(
            faces.with_images(map(remove, faces.images)), photos.with_images(map(remove, photos.images))
        )
    recoloured = map(with_colours_of, faces.images, photos.images)
    table[PHOTO_COLOURS] = tests.accuracies(faces.with_images(recoloured), photos)
    return table


def shared_noise(
    generator: FaceGenerator,
    drawings: Sequence[Drawing],
    positions: Sequence[int],
    groups: Sequence[str],
    photos: Sample,
    seed: int,
    tests: Realism,
    batch_size: int,
) -> dict[str, dict[str, float] | dict[str, str]]:
    """Two-sample accuracy per test size of faces whose latent and masks are shared or each face's own."""
    return {
        name: tests.accuracies(
            split_noise_faces(generator, drawings, positions, groups, split, seed, batch_size), photos
        )
        for name, split in tqdm(NOISE_SPLITS.items(), desc="shared noise", unit="split")
    }


def print_table(title: str, table: dict[str, dict[str, float] | dict[str, str]], sizes: Sequence[int]) -> None:
    print(f"{title:<42}" + "".join(f"{size:>8}px" for size in sizes))
    for name, accuracy in table.items():
        cells = [accuracy["skipped"]] if "skipped" in accuracy else [f"{accuracy[str(s)]:>10.0%}" for s in sizes]
        print(f"  {name:<40}" + "".join(cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("--split", default="val")
    parser.add_argument("--checkpoint", default=None, help="model folder or Hub id (default: the shipped model)")
    parser.add_argument(
        "--seed",
        default="0",
        help="the noise seed of every face, or 'own': a seed of its own for each (as p2p.evaluate)",
    )
    parser.add_argument("--sizes", default="16,64", help="two-sample test resolutions in px (default 16,64)")
    parser.add_argument(
        "--per-sample", type=int, default=PER_SAMPLE, help=f"images per sample (default {PER_SAMPLE}, as p2p.evaluate)"
    )
    parser.add_argument(
        "--shared-noise",
        action="store_true",
        help="also test faces whose latent and dropout masks are the set's seed or each face's own",
    )
    add_splits_argument(parser)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default=None)
    parser.add_argument("--precision", choices=PRECISIONS, default="fp32")
    parser.add_argument("--out", type=Path, default=None, help="write cues.json and cues.png (mean images) here")
    args = parser.parse_args(argv)
    sizes = parse_ints(parser, "--sizes", args.sizes)
    if args.seed != "own" and not args.seed.lstrip("-").isdigit():
        parser.error(f"--seed {args.seed!r}: an integer, or 'own' for a seed of its own per face")
    seed = None if args.seed == "own" else int(args.seed)
    if args.shared_noise and seed is None:
        parser.error(
            "--shared-noise compares faces that share the seed of --seed with faces of their own: give a number"
        )
    try:
        generator = FaceGenerator.from_pretrained(args.checkpoint, device=args.device, precision=args.precision)
        faces, photos, drawings = faces_and_photos(generator, args.data, args.split, seed, args.batch_size)
    except (CheckpointError, FileNotFoundError) as err:
        parser.error(str(err))
    positions = kept(len(drawings), args.per_sample)  # the drawings of the capped samples
    drawings = [drawings[i] for i in positions]
    faces, photos = faces.capped(args.per_sample), photos.capped(args.per_sample)
    tests = Realism(tuple(sizes), args.per_sample, args.splits)
    table = realism_cues(faces, photos, tests)
    noise = (
        shared_noise(generator, drawings, positions, faces.groups, photos, seed, tests, args.batch_size)
        if args.shared_noise
        else {}
    )
    stats = {
        name: {**statistics(sample.images), "fixed_pattern": fixed_pattern(sample.images)}
        for name, sample in (("faces", faces), ("photos", photos))
    }

    print_table("faces vs photos, both", table, sizes)
    if noise:
        print_table(f"faces of seed {seed} vs photos, with", noise, sizes)
    for name in stats["faces"]:
        print(f"{name.replace('_', ' ')}: faces {stats['faces'][name]:.1f}, photos {stats['photos'][name]:.1f}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        result = {
            "data": str(args.data),
            "split": args.split,
            "checkpoint": args.checkpoint,
            "seed": args.seed if seed is None else seed,
            "images": len(faces.images),
            "splits": args.splits,
            "two_sample_test": table,
            "statistics": stats,
        }
        if noise:
            result["shared_noise"] = noise
        (args.out / "cues.json").write_text(json.dumps(result, indent=2) + "\n")
        columns = [join(mean_and_spread(sample.images), 0, 4) for sample in (photos, faces)]
        write_png(args.out / "cues.png", join(columns, 1, 4))
        print(f"→ {args.out / 'cues.json'}, {args.out / 'cues.png'} (mean photo | mean face; below: pixel spread)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
