"""Which drawing style should the app's photo panel start with? Measure every one on people the model never saw.

    python -m evaluation.photo_styles [SRC] [--per-person 12] [--out runs/photo_styles]

The path a person takes: a photo of someone from the validation split (the people
`data_prep.build` holds out from SRC with its default seed, found by the build's
own planning code) is framed as the app frames an upload (`ui.images.load_photo`),
drawn in each panel style with the panel's first settings (`ui.images.photo_to_drawing`),
and turned into a face by the shipped generator, a seed of its own per drawing.
Each face is compared with the framed photo: dlib's same-person share and landmark
error (`evaluation.likeness`; a photo a style cannot draw counts as no face), and
realism by the classifier two-sample test of the faces against the photos
(`evaluation.realism.Realism`, as the full evaluation runs it). "lineart (training mix)"
is the line art the panel drew before: training's random choice of parts, kept as
the reference the complete drawing has to beat. Prints a Markdown table and writes
`photo_styles.json` to --out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from data_prep.build import parse_args as build_args
from data_prep.build import plan
from data_prep.edges import NoFaceFound, edge_defaults, extract_edges
from data_prep.imageio import list_files
from evaluation.likeness import Likeness, read_face
from evaluation.realism import PER_SAMPLE, SEED_PER_DRAWING, Realism, Sample
from p2p.inference import FaceGenerator
from ui import images

DEFAULT_SRC = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces" / "celeba"
TRAINING_MIX = "lineart (training mix)"
SIZES = (64, 128)
BATCH = 8


def fmt(value: object, spec: str) -> str:
    """A table cell: the value in `spec`, or "-" where there is none."""
    return "-" if value is None else format(value, spec)


def validation_photos(src: Path, per_person: int) -> list[tuple[Path, str]]:
    """(photo, person) for the first `per_person` photos (by name) of each validation person of a default build."""
    args = build_args([str(src.resolve()), "unused"])
    jobs, _ = plan(args, {folder: list_files(folder.path) for folder in args.folders})
    by_person: dict[str, list[Path]] = defaultdict(list)
    for job in sorted(jobs, key=lambda job: job.name):
        if job.split == "val" and len(by_person[job.group]) < per_person:
            by_person[job.group].append(Path(job.path))
    return [(path, person) for person in sorted(by_person) for path in by_person[person]]


def draw(photo: np.ndarray, style: str) -> np.ndarray | None:
    """The panel's drawing of a framed photo in `style` (or the training mix), None when it cannot draw it."""
    try:
        if style == TRAINING_MIX:
            return extract_edges(photo, "lineart", **edge_defaults("lineart"))
        return images.photo_to_drawing(photo, style)
    except (images.UploadError, NoFaceFound):
        return None


def measure(generator: FaceGenerator, photos: list[tuple[Path, str]], styles: Sequence[str]) -> dict[str, dict]:
    """Per style: drawings made, likeness of the faces to their photos and realism against the photos."""
    framed = [images.load_photo(path) for path, _ in photos]
    references = [read_face(photo) for photo in framed]
    real = Sample(max(SIZES))
    for photo, (_, person) in zip(framed, photos):
        real.add(photo, person, generated=False)
    tests = Realism(SIZES, PER_SAMPLE)
    results = {}
    for style in styles:
        drawings = [draw(photo, style) for photo in framed]
        drawn = [i for i, d in enumerate(drawings) if d is not None]
        faces: dict[int, np.ndarray] = {}
        for start in range(0, len(drawn), BATCH):
            chunk = drawn[start : start + BATCH]
            made = generator.generate([drawings[i] for i in chunk], [SEED_PER_DRAWING + i for i in chunk])
            faces.update(zip(chunk, made))
        likeness, generated = Likeness(), Sample(max(SIZES))
        for i, (path, person) in enumerate(photos):
            face = faces.get(i)
            likeness.add(None if face is None else read_face(face), references[i], path.name)
            if face is not None:
                generated.add(face, person, generated=True)
        results[style] = {
            "drawn": len(drawn),
            "likeness": likeness.summary(),
            "realism": tests.accuracies(generated, real),
        }
        print(f"{style}: {table_row(style, results[style])}", file=sys.stderr, flush=True)
    return results


def table_row(style: str, result: dict) -> str:
    likeness, realism = result["likeness"], result["realism"]
    accuracies = " / ".join(fmt(realism.get(str(size)), ".1%") for size in SIZES)
    return (
        f"| {style} | {result['drawn']} | {fmt(likeness['same_person'], '.1%')} | "
        f"{fmt(likeness['landmark_error'], '.3f')} | {fmt(likeness['detected'], '.0%')} | {accuracies} |"
    )


def table(results: dict[str, dict]) -> str:
    header = (
        "| panel style | photos drawn | same person | landmark error | face found | "
        f"two-sample accuracy {' / '.join(f'{s} px' for s in SIZES)} |\n|---|---:|---:|---:|---:|---:|"
    )
    return "\n".join([header, *(table_row(style, result) for style, result in results.items())])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.photo_styles", description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, nargs="?", default=DEFAULT_SRC, help=f"photo folder (default {DEFAULT_SRC})")
    parser.add_argument("--per-person", type=int, default=12, help="photos per validation person (default 12)")
    parser.add_argument("--out", type=Path, default=Path("runs/photo_styles"), help="folder for photo_styles.json")
    parser.add_argument("--model", default=None, help="checkpoint folder or Hub id (default: the shipped model)")
    args = parser.parse_args(argv)
    if not args.src.is_dir():
        parser.error(f"{args.src} is not a folder of photos")
    photos = validation_photos(args.src, args.per_person)
    people = len({person for _, person in photos})
    print(f"{len(photos)} photos of {people} validation people", file=sys.stderr)
    generator = FaceGenerator.from_pretrained(args.model)
    styles = [style for _, style in images.style_choices()] + [TRAINING_MIX]
    results = measure(generator, photos, styles)
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"src": str(args.src), "photos": len(photos), "people": people, "sizes": list(SIZES), "styles": results}
    (args.out / "photo_styles.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
