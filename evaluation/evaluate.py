"""Evaluate a generator: realism, likeness and diversity on a validation split and on folders of drawings.

    python -m evaluation.evaluate --data DATA [--split val] [--checkpoint PATH_OR_ID] [--out DIR] [--limit N] [--quick]
                           [--seeds 0,1,2] [--sketches DIR] [--drawings NAME=DIR ...] [--sizes 64,128]
                           [--framed-photos DATA] [--splits 4] [--publishable]

For every A|B pair of DATA/SPLIT the drawing (A, as built) is turned into one face per seed, scored
against the true photo B with the first seed: L1 / PSNR / SSIM, colourfulness, sharpness, checkerboard (the
2-px grid of transposed convolutions), backdrop brightness and Haar face rate (next to the photos' own), and
the measures those cannot replace:

- realism: accuracy of a classifier two-sample test (`evaluation.realism`) of the faces against the real
  photos of the same people, at each of `--sizes`, the mean over `--splits` halvings of the people ± its
  standard error; 0.5 = indistinguishable. The control test pits the validation photos against photos of
  other people (the other split): it should score ~0.5.
- likeness (`evaluation.likeness`, dlib): landmark error, descriptor distance and the share recognised as the
  same person as the photo, for the face and for the drawing itself.
- diversity across seeds: mean per-pixel difference, spread of the face's mean colour, and realism
  and likeness per seed, so more diversity is never bought with less realism or likeness.
- realism and likeness with a seed of its own for every drawing (`SEED_PER_DRAWING` + its position): one
  seed fixes one latent vector for all faces, which gives the whole set that vector's colouring; a seed per
  drawing samples the generator's distribution, as a two-sample test of the generator should.

Per drawing style (from the build's manifest) the same figures again. Folders of drawings without photos
(`--sketches`, `--drawings NAME=DIR`) get the reference-free metrics (and the share of faces, over every seed, on a
backdrop darker than mid grey: sparse drawings should get a light one), the two-sample test against the
validation photos and the likeness of each face to its drawing. Those photos are aligned close-ups, and a
classifier tells them from the same people's photos re-framed as a smaller head on light paper 99 % of the
time, so a folder of such drawings (a head drawn with the mouse, an artist's head-and-shoulders sketch)
cannot pass for them however real its faces look: `--framed-photos DATA` adds a second test of every folder
against the re-framed validation photos of a `data_prep.build` folder (its manifest's "reframe" pairs;
`data/celeba-mix`, whose line art is all re-framed). Written to DIR: `metrics.json`,
`likeness.json` (each face's descriptor distance and landmark error, per seed and folder, so that
`evaluation.scoreboard` can compare two models drawing by drawing), `contact_sheet.png` (drawing | faces of the
first two seeds | photo) and one sheet per folder (drawing | faces).
With `--publishable` the sheets show only what this repo made, the built drawings and the faces: no photo
and no drawing from a folder, because those are the datasets' images, whose licences forbid publishing them.
The people of the two-sample halves, the classifier's seed and the noise seeds are fixed, so two models
evaluated on the same data are compared on the same people and the same noise.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
from tqdm import tqdm

from data_prep.imageio import JPEG_QUALITY, ImageLoadError, load_image
from evaluation import metrics, realism
from evaluation.likeness import PER_FACE_FILE, Likeness, PerFace, face_mask, read_face
from evaluation.realism import PER_SAMPLE, SEED_PER_DRAWING, Realism, Sample
from evaluation.sheets import drawing_files, sheet, spread, tile, write_png
from p2p.arguments import count
from p2p.data import list_pairs, manifest_pairs, painted_backdrops, read_pair
from p2p.inference import PRECISIONS, FaceGenerator
from p2p.weights import CheckpointError, default_checkpoint

T = TypeVar("T")

SHEET_ROWS = 5  # validation pairs on the contact sheet
SHEET_TILE = 96  # px; `--publishable` sheets go into model cards, so they stay small
SKETCH_TILE = 64
SKETCH_COLUMNS = 4  # (drawing, face, face) cells per row of a folder's sheet
SKETCH_CELLS = 12  # drawings on a folder's sheet, spread over the folder
QUICK_LIMIT = 200
DARK_BACKDROP = 128  # a backdrop darker than mid grey (`metrics.backdrop`): murk behind a drawing's face


def faces_in_batches(
    generator: FaceGenerator,
    items: Iterable[tuple[np.ndarray, T]],
    seeds: Sequence[int] | Callable[[int], Sequence[int]],
    batch_size: int,
) -> Iterator[tuple[np.ndarray, T, list[np.ndarray]]]:
    """(drawing, tag, one face per seed) for each (drawing, tag), with forward passes batched over drawings
    and seeds; lazy, so a large split is never all in memory. `seeds` are every drawing's seeds, or a
    function from a drawing's position (0, 1, ...) to its seeds, as many for each."""
    seeds_of = seeds if callable(seeds) else lambda _: seeds
    per_batch = max(1, batch_size // len(seeds_of(0)))
    items, start = iter(items), 0
    while chunk := list(itertools.islice(items, per_batch)):
        chunk_seeds = [list(seeds_of(start + k)) for k in range(len(chunk))]
        faces = generator.generate(
            [d for (d, _), own in zip(chunk, chunk_seeds) for _ in own], [s for own in chunk_seeds for s in own]
        )
        for k, (drawing, tag) in enumerate(chunk):
            count = len(chunk_seeds[k])
            yield drawing, tag, faces[k * count : (k + 1) * count]
        start += len(chunk)


def with_own_seed(seeds: Sequence[int]) -> Callable[[int], list[int]]:
    """For `faces_in_batches`: the given seeds, then the drawing's own (`SEED_PER_DRAWING` + its position)."""
    return lambda position: [*seeds, SEED_PER_DRAWING + position]


def score_face(scores: dict[str, list[float]], face: np.ndarray) -> None:
    """Append the reference-free metrics of one image to `scores`."""
    scores["colorfulness"].append(metrics.colorfulness(face))
    scores["sharpness"].append(metrics.sharpness(face))
    scores["checkerboard"].append(metrics.checkerboard(face))
    scores["backdrop"].append(metrics.backdrop(face))
    scores["face_detection_rate"].append(metrics.face_detected(face))


def mean(values: Iterable[float]) -> float | None:
    """Mean as a JSON-safe float (None when empty or not finite, e.g. the PSNR of identical images)."""
    values = list(values)
    value = float(np.mean(values)) if values else float("nan")
    return value if np.isfinite(value) else None


@dataclass(frozen=True)
class PairSource:
    """Where a validation pair came from, per the build's manifest: the photo, its person, the drawing style."""

    photo: str
    person: str
    style: str | None


def pair_sources(data: Path, files: Sequence[Path]) -> list[PairSource]:
    """The source of each pair file, from the build's manifest: its photo, its person and its style. Without a
    manifest each file is its own photo and person; a pair whose person the manifest does not name (a build
    without identities) is its photo's own person."""
    entries = {entry["output"]: entry for entry in manifest_pairs(data)}
    sources = []
    for path in files:
        entry = entries.get(f"{path.parent.name}/{path.name}")
        if entry is None:
            sources.append(PairSource(path.name, path.name, None))
        else:
            photo = entry["file"]
            person = entry.get("person") or photo
            sources.append(PairSource(photo, person, entry["method"]))
    return sources


def unique_photos(data: Path, files: Sequence[Path]) -> dict[str, tuple[Path, PairSource]]:
    """One pair file per source photo, keyed by the photo. A photo drawn in several styles has several, whose
    photo halves differ where a style re-frames it (`--small-faces`): the first is kept, the one the
    validation loop takes as the real photo, so every two-sample test compares the same photos."""
    unique: dict[str, tuple[Path, PairSource]] = {}
    for path, source in zip(files, pair_sources(data, files)):
        unique.setdefault(source.photo, (path, source))
    return unique


def photo_sample(pairs: Iterable[tuple[Path, PairSource]], size: int) -> Sample:
    """The real photos (B halves) of these pair files, each tagged with its person."""
    sample = Sample(size)
    for path, source in pairs:
        sample.add(read_pair(path)[1], source.person, generated=False)
    return sample


def control_photos(data: Path, split: str, size: int, count: int) -> Sample | None:
    """Photos of people outside `split` (from the dataset's other split) for the real-vs-real control."""
    other = "val" if split == "train" else "train"
    try:
        files = list_pairs(data, other)
    except FileNotFoundError:
        return None
    unique = unique_photos(data, files)
    picks = sorted(unique)
    picks = [picks[i] for i in realism.kept(len(picks), count)]
    return photo_sample([unique[photo] for photo in picks], size)


def framed_photos(data: Path, split: str, size: int) -> Sample:
    """The photos of `split` that `data_prep.build` re-framed as a smaller head on light paper, one per photo
    (the reference for drawings framed like that)."""
    framed = painted_backdrops(data)
    files = [path for path in list_pairs(data, split) if path.stem in framed]
    sample = photo_sample(unique_photos(data, files).values(), size)
    if not sample.images:
        raise FileNotFoundError(
            f"{data}: no re-framed {split} pairs in its manifest.json (data_prep.build --small-faces)"
        )
    return sample


def rgb(drawing: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(drawing, cv2.COLOR_GRAY2RGB)


def evaluate_pairs(
    generator: FaceGenerator,
    data: Path,
    files: Sequence[Path],
    seeds: Sequence[int],
    batch_size: int,
    tests: Realism,
    out: Path,
    per_face: dict[str, PerFace],
    publishable: bool = False,
) -> tuple[dict[str, object], Sample]:
    """Every measure of the faces made from the split's drawings, the contact sheet (with the true photos
    unless `publishable`), and the real photos (as a two-sample test sample, for the folder sets). Each face's
    likeness goes into `per_face`, as "seed N" and "own seed"."""
    sources = pair_sources(data, files)
    picks = set(np.linspace(0, len(files) - 1, min(SHEET_ROWS, len(files))).round().astype(int).tolist())
    generated, real = defaultdict(list), defaultdict(list)
    per_style: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    thumb = max(tests.sizes)
    photos, faces_by_seed = Sample(thumb), {seed: Sample(thumb) for seed in seeds}
    photo_faces: dict[str, object] = {}  # source photo -> dlib's view of it, read once for all its drawings
    own_seed_faces = Sample(thumb)  # each drawing's face of its own seed: the generator's whole distribution
    likeness = {seed: Likeness() for seed in seeds} | {"drawing": Likeness(), "own seed": Likeness()}
    style_likeness: dict[tuple[str, str], Likeness] = defaultdict(Likeness)
    rows = []
    pairs = ((generator.prepare(drawing), photo) for drawing, photo in map(read_pair, files))
    for index, (drawing, (photo, source), faces) in enumerate(
        tqdm(
            faces_in_batches(
                generator, ((d, (p, s)) for (d, p), s in zip(pairs, sources)), with_own_seed(seeds), batch_size
            ),
            total=len(files),
            desc="validation",
            unit="pair",
        )
    ):
        faces, own_seed_face = faces[:-1], faces[-1]
        photo = tile(photo, generator.size)  # at the generator's resolution
        style = source.style or "all"
        for name in ("l1", "psnr", "ssim"):
            value = getattr(metrics, name)(faces[0], photo)
            generated[name].append(value)
            per_style[style][name].append(value)
        score_face(generated, faces[0])
        if source.photo not in photo_faces:
            photo_faces[source.photo] = read_face(photo)
            photos.add(photo, source.person, generated=False)
            score_face(real, photo)
        reference, key = photo_faces[source.photo], files[index].name
        drawing_face = read_face(rgb(drawing.pixels))
        likeness["drawing"].add(drawing_face, reference)
        style_likeness[style, "drawing"].add(drawing_face, reference)
        seen = [read_face(face) for face in faces]
        likeness["own seed"].add(read_face(own_seed_face), reference, key)
        own_seed_faces.add(own_seed_face, source.person, generated=True, tag=style)
        for seed, face, face_seen in zip(seeds, faces, seen):
            likeness[seed].add(face_seen, reference, key)
            faces_by_seed[seed].add(face, source.person, generated=True, tag=style)
        style_likeness[style, "face"].add(seen[0], reference)
        if len(seeds) > 1:
            generated["seed_diversity"].append(metrics.seed_diversity(faces))
            if seen[0] is not None:
                generated["color_spread"].append(metrics.color_spread(faces, face_mask(seen[0].points, photo.shape)))
        if index in picks:
            shown = (drawing.pixels, *faces[:2]) if publishable else (drawing.pixels, *faces[:2], photo)
            rows.append([tile(image, SHEET_TILE) for image in shown])
    labels = ["drawing", *(f"seed {s}" for s in seeds[:2]), *([] if publishable else ["photo"])]
    write_png(out / "contact_sheet.png", sheet(rows, SHEET_TILE, labels=labels))
    per_face |= {f"seed {seed}": likeness[seed].faces for seed in seeds} | {"own seed": likeness["own seed"].faces}

    tqdm.write("two-sample tests: validation faces")
    first = tests.test(faces_by_seed[seeds[0]], photos)
    per_seed = {
        str(seed): {
            "realism": first if seed == seeds[0] else tests.test(faces_by_seed[seed], photos, False),
            "likeness": likeness[seed].summary(),
        }
        for seed in seeds
    }
    control = control_photos(data, files[0].parent.name, thumb, min(tests.per_sample, len(photos.images)))
    styles = (
        {
            style: {
                "pairs": len(scores["l1"]),
                **{name: mean(scores[name]) for name in ("l1", "psnr", "ssim")},
                "realism": {
                    size: {"accuracy": test.get("by_tag", {}).get(style)}  # judged by the split's test
                    for size, test in first.items()
                    if size != "skipped"
                },
                "likeness": {
                    "face": style_likeness[style, "face"].summary(),
                    "drawing": style_likeness[style, "drawing"].summary(),
                },
            }
            for style, scores in sorted(per_style.items())
        }
        if len(per_style) > 1
        else {}
    )  # one style: the same as the whole split
    result = {
        "pairs": len(files),
        **{name: mean(generated[name]) for name in ("l1", "psnr", "ssim", "seed_diversity", "color_spread")},
        **{name: {"generated": mean(generated[name]), "photo": mean(real[name])} for name in real},
        "realism": first,
        "control": tests.test(control, photos) if control else {"skipped": "no other split for the control"},
        "likeness": {"face": per_seed[str(seeds[0])]["likeness"], "drawing": likeness["drawing"].summary()},
        "styles": styles,
        "per_seed": per_seed,
        "seed_per_drawing": {
            "realism": tests.test(own_seed_faces, photos, False),
            "realism_layout": tests.test(own_seed_faces.layout_only(), photos.layout_only(), False),
            "likeness": likeness["own seed"].summary(),
        },
    }
    return result, photos


def evaluate_folder(
    generator: FaceGenerator,
    name: str,
    folder: Path,
    seeds: Sequence[int],
    batch_size: int,
    limit: int,
    tests: Realism,
    photos: Sample,
    out: Path,
    per_face: dict[str, PerFace],
    publishable: bool = False,
    framed: Sample | None = None,
) -> dict[str, object]:
    """Faces from drawings without photos: reference-free metrics, the two-sample test against the validation
    photos (and against the re-framed ones, `framed`), likeness to the drawing (each face's also in
    `per_face[name]`), and the folder's sheet `NAME_sheet.png` (without the drawings if `publishable`)."""
    files = spread(drawing_files(folder), limit)
    picks = set(spread(range(len(files)), SKETCH_CELLS))

    def readable() -> Iterator[tuple[np.ndarray, tuple[int, Path]]]:
        for index, path in enumerate(files):
            try:
                yield generator.prepare(load_image(path)), (index, path)
            except ImageLoadError as err:
                tqdm.write(f"skipped: {err}")

    scores: dict[str, list[float]] = defaultdict(list)
    faces, own_seed_faces, likeness, cells = Sample(photos.size), Sample(photos.size), Likeness(), []
    for drawing, (index, path), samples in tqdm(
        faces_in_batches(generator, readable(), with_own_seed(seeds), batch_size),
        total=len(files),
        desc=name,
        unit="drawing",
    ):
        samples, own_seed_face = samples[:-1], samples[-1]
        scores["dark_backdrop"] += [metrics.backdrop(face) < DARK_BACKDROP for face in (*samples, own_seed_face)]
        group = path.relative_to(folder).as_posix() if folder.is_dir() else path.name
        own_seed_faces.add(own_seed_face, group, generated=True)
        score_face(scores, samples[0])
        faces.add(samples[0], group, generated=True)
        drawing_seen, face_seen = read_face(rgb(drawing.pixels)), read_face(samples[0])
        likeness.add(face_seen, drawing_seen, group)
        scores["dlib_drawing"].append(drawing_seen is not None)
        scores["dlib_face"].append(face_seen is not None)
        if len(seeds) > 1:
            scores["seed_diversity"].append(metrics.seed_diversity(samples))
            if face_seen is not None:
                scores["color_spread"].append(
                    metrics.color_spread(samples, face_mask(face_seen.points, samples[0].shape))
                )
        if index in picks:
            shown = samples[:2] if publishable else (drawing.pixels, *samples[:2])
            cells.append([tile(image, SKETCH_TILE) for image in shown])
    if not cells:
        raise SystemExit(f"{name} {folder}: no readable images")
    write_png(out / f"{name}_sheet.png", sheet(cells, SKETCH_TILE, columns=SKETCH_COLUMNS))
    per_face[name] = likeness.faces
    tqdm.write(f"two-sample tests: {name}")
    names = (
        "colorfulness",
        "sharpness",
        "checkerboard",
        "backdrop",
        "dark_backdrop",
        "face_detection_rate",
        "seed_diversity",
        "color_spread",
    )
    return {
        "folder": str(folder),
        "count": len(scores["colorfulness"]),
        **{key: mean(scores[key]) for key in names},
        "dlib_detected": {"drawing": mean(scores["dlib_drawing"]), "face": mean(scores["dlib_face"])},
        "likeness_to_drawing": likeness.summary(),
        "realism": tests.test(faces, photos),
        "realism_seed_per_drawing": tests.test(own_seed_faces, photos, False),
        **(
            {
                "realism_framed": tests.test(faces, framed, False),
                "realism_framed_seed_per_drawing": tests.test(own_seed_faces, framed, False),
                "realism_framed_layout": tests.test(own_seed_faces.layout_only(), framed.layout_only(), False),
            }
            if framed is not None
            else {}
        ),
    }


def fmt(value: object, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def accuracies(test: dict) -> str:
    """'64: 93% 128: 99%' for a two-sample test result."""
    if "skipped" in test:
        return "skipped"
    return " ".join(f"{size}px {fmt(r['accuracy'], '.0%')}" for size, r in test.items())


def likeness_line(s: dict) -> str:
    return (
        f"dlib found {fmt(s['detected'], '.0%')}, landmark error {fmt(s['landmark_error'], '.3f')}, "
        f"descriptor distance {fmt(s['descriptor_distance'], '.3f')}, same person {fmt(s['same_person'], '.0%')}"
    )


def summary(result: dict) -> str:
    """A readable digest of metrics.json."""
    lines = [f"{'metric':<24}{'generated':>12}{'true photo':>12}", "-" * 48]
    for name, key, spec in [
        ("L1 (0-255) ↓", "l1", ".2f"),
        ("PSNR (dB) ↑", "psnr", ".2f"),
        ("SSIM ↑", "ssim", ".3f"),
        ("seed diversity (0-255)", "seed_diversity", ".2f"),
        ("colour spread (0-255)", "color_spread", ".2f"),
        ("colourfulness", "colorfulness", ".1f"),
        ("sharpness", "sharpness", ".0f"),
        ("checkerboard", "checkerboard", ".1f"),
        ("backdrop brightness", "backdrop", ".0f"),
        ("face detected", "face_detection_rate", ".0%"),
    ]:
        value = result[key]  # against the true photo: one figure; reference-free: the faces' and the photos'
        columns = [value["generated"], value["photo"]] if isinstance(value, dict) else [value]
        lines.append(f"{name:<24}" + "".join(f"{fmt(v, spec):>12}" for v in columns))
    lines += [
        "",
        "two-sample test accuracy (0.5 = indistinguishable from the photos):",
        f"  faces, seed {result['seeds'][0]}: {accuracies(result['realism'])}",
        f"  control, photos vs photos of other people: {accuracies(result['control'])}",
        *(
            [f"  control, re-framed photos vs the photos: {accuracies(result['control_framed'])}"]
            if "control_framed" in result
            else []
        ),
        f"  face vs photo:    {likeness_line(result['likeness']['face'])}",
        f"  drawing vs photo: {likeness_line(result['likeness']['drawing'])}",
    ]
    for style, s in result["styles"].items():
        lines.append(
            f"  style {style} ({s['pairs']} pairs): L1 {fmt(s['l1'], '.2f')}, two-sample "
            f"{accuracies(s['realism'])}, same person {fmt(s['likeness']['face']['same_person'], '.0%')} "
            f"(drawing {fmt(s['likeness']['drawing']['same_person'], '.0%')})"
        )
    for seed, s in result["per_seed"].items():
        lines.append(f"  seed {seed}: two-sample {accuracies(s['realism'])}, {likeness_line(s['likeness'])}")
    own = result["seed_per_drawing"]
    lines.append(f"  a seed per drawing: two-sample {accuracies(own['realism'])}, {likeness_line(own['likeness'])}")
    if "realism_layout" in own:
        lines.append(f"  a seed per drawing, colour statistics removed: two-sample {accuracies(own['realism_layout'])}")
    for name, s in [("sketches", result.get("sketches")), *result.get("drawings", {}).items()]:
        if s is None:
            continue
        label = "human sketches" if name == "sketches" else f"drawings '{name}'"
        lines += [
            "",
            f"{s['count']} {label}: colourfulness {fmt(s['colorfulness'], '.1f')}, "
            f"sharpness {fmt(s['sharpness'], '.0f')}, checkerboard {fmt(s['checkerboard'], '.1f')}, "
            f"backdrop {fmt(s['backdrop'], '.0f')} (dark in {fmt(s['dark_backdrop'], '.0%')} of every seed's faces), "
            f"face detected {fmt(s['face_detection_rate'], '.0%')}, "
            f"seed diversity {fmt(s['seed_diversity'], '.2f')}, colour spread {fmt(s['color_spread'], '.2f')}",
            f"  two-sample vs validation photos: {accuracies(s['realism'])} "
            f"(a seed per drawing: {accuracies(s['realism_seed_per_drawing'])})",
            *(
                [
                    f"  two-sample vs re-framed validation photos: {accuracies(s['realism_framed'])} "
                    f"(a seed per drawing: {accuracies(s['realism_framed_seed_per_drawing'])}; "
                    f"colour statistics removed: {accuracies(s['realism_framed_layout'])})"
                ]
                if "realism_framed" in s
                else []
            ),
            f"  dlib finds a face in {fmt(s['dlib_detected']['drawing'], '.0%')} of the drawings, "
            f"{fmt(s['dlib_detected']['face'], '.0%')} of the faces",
            f"  face vs drawing: {likeness_line(s['likeness_to_drawing'])}",
        ]
    return "\n".join(lines)


def parse_ints(parser: argparse.ArgumentParser, flag: str, text: str) -> list[int]:
    try:
        values = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        parser.error(f"{flag} {text!r}: expected integers like 0,1,2")
    if not values:
        parser.error(f"{flag}: give at least one value")
    return values


def add_splits_argument(parser: argparse.ArgumentParser) -> None:
    """--splits: how many halvings of the people each two-sample test repeats over."""
    parser.add_argument(
        "--splits",
        type=count,
        default=realism.SPLITS,
        help=f"halvings of the people per two-sample test, averaged (default {realism.SPLITS}; 1 for a fast look)",
    )


def parse_folder(parser: argparse.ArgumentParser, text: str) -> tuple[str, Path]:
    name, _, folder = text.partition("=")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not folder:
        parser.error(f"--drawings {text!r}: expected NAME=DIR with a NAME of letters, digits, _ or -")
    if not Path(folder).is_dir():
        parser.error(f"--drawings {text!r}: {folder} is not a folder")
    return name, Path(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a data_prep.build output folder")
    parser.add_argument("--split", default="val")
    parser.add_argument("--checkpoint", default=None, help="model folder or Hub id (default: the shipped model)")
    parser.add_argument("--out", type=Path, default=Path("runs/evaluate"), help="folder for metrics.json and sheets")
    parser.add_argument(
        "--limit", type=int, default=0, help="at most N pairs, and N drawings per folder, spread over each (0: all)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"for ablations: --limit {QUICK_LIMIT} unless given, and --sizes 64 unless given",
    )
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated noise seeds; the first is scored")
    parser.add_argument("--sketches", type=Path, default=None, help="a folder of human sketches without photos")
    parser.add_argument(
        "--drawings",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="another folder of drawings without photos (repeatable); its sheet is NAME_sheet.png",
    )
    parser.add_argument("--sizes", default=None, help="two-sample test resolutions in px (default 64,128)")
    parser.add_argument(
        "--framed-photos",
        type=Path,
        default=None,
        metavar="DATA",
        help="also test the folders' faces against DATA's re-framed validation photos (heads on light paper)",
    )
    parser.add_argument(
        "--publishable",
        action="store_true",
        help="sheets without the datasets' images (the true photos, the folders' drawings), for a model card",
    )
    parser.add_argument(
        "--per-sample",
        type=int,
        default=PER_SAMPLE,
        help=f"images per sample in a two-sample test (default {PER_SAMPLE})",
    )
    add_splits_argument(parser)
    parser.add_argument("--batch-size", type=int, default=16, help="images per forward pass")
    parser.add_argument("--device", default=None, help="cuda, cpu, ... (default: cuda when available)")
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="fp32",
        help="generator precision (default fp32: the same faces on every machine)",
    )
    parser.add_argument(
        "--degrid",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="remove the decoder's 2-px grid from the faces, as the app does (p2p.degrid)",
    )
    parser.add_argument(
        "--grade",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="apply the checkpoint's colour grade, if it has one, as the app does (p2p.grade)",
    )
    args = parser.parse_args(argv)
    seeds = parse_ints(parser, "--seeds", args.seeds)
    sizes = tuple(parse_ints(parser, "--sizes", args.sizes or ("64" if args.quick else "64,128")))
    limit = args.limit or (QUICK_LIMIT if args.quick else 0)
    folders = [("sketches", args.sketches)] if args.sketches else []
    folders += [parse_folder(parser, text) for text in args.drawings]
    if len({name for name, _ in folders}) < len(folders):
        parser.error("--sketches / --drawings: each set needs its own name")
    try:
        files = spread(list_pairs(args.data, args.split), limit)
    except FileNotFoundError as err:
        parser.error(str(err))
    try:
        generator = FaceGenerator.from_pretrained(
            args.checkpoint, device=args.device, precision=args.precision, degrid=args.degrid, grade=args.grade
        )
    except CheckpointError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    framed = None
    if args.framed_photos is not None:
        try:
            framed = framed_photos(args.framed_photos, args.split, max(sizes))
        except FileNotFoundError as err:
            parser.error(f"--framed-photos: {err}")
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    tests = Realism(sizes, args.per_sample, args.splits)
    per_face: dict[str, PerFace] = {}
    pairs, photos = evaluate_pairs(
        generator, args.data, files, seeds, args.batch_size, tests, args.out, per_face, args.publishable
    )
    result = {
        "checkpoint": args.checkpoint or default_checkpoint(),
        "data": str(args.data),
        "split": args.split,
        "seeds": seeds,
        "image_size": generator.size,
        "precision": args.precision,
        "degrid": args.degrid,
        "colour_grade": generator.grade is not None,
        "two_sample_test": {
            "sizes": list(sizes),
            "per_sample": args.per_sample,
            "splits": args.splits,
            "steps": realism.STEPS,
            "real": f"photos of the {args.split} people, as stored (JPEG {JPEG_QUALITY})",
            **({"framed_photos": str(args.framed_photos)} if framed is not None else {}),
        },
        **pairs,
    }
    if framed is not None:  # real vs real: what the framing alone gives away
        result["control_framed"] = tests.test(framed, photos, False)
    for name, folder in folders:
        scores = evaluate_folder(
            generator,
            name,
            folder,
            seeds,
            args.batch_size,
            limit,
            tests,
            photos,
            args.out,
            per_face,
            args.publishable,
            framed,
        )
        if name == "sketches" and args.sketches:
            result["sketches"] = scores
        else:
            result.setdefault("drawings", {})[name] = scores
    result["seconds"] = round(time.time() - started, 1)
    (args.out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / PER_FACE_FILE).write_text(json.dumps(per_face) + "\n")
    print(summary(result))
    sheets = ["contact_sheet.png", *(f"{name}_sheet.png" for name, _ in folders)]
    print(f"→ {args.out / 'metrics.json'}, " + ", ".join(str(args.out / s) for s in sheets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
