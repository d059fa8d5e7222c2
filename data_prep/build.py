"""Build a paired pix2pix dataset from one or more folders of face photos.

``python -m data_prep.build SRC OUT`` writes ``OUT/{train,val}/{stem}_{method}.jpg``
(A|B side by side: A = line drawing stored as gray RGB, B = framed photo), the
layout of the reference pix2pix implementation's ``aligned`` datasets, plus
``OUT/manifest.json`` describing the source, every parameter, the counts, the
split, each skipped file with its reason, and for every pair its photo, person,
style and the boxes of its eyes and mouth (`data_prep.components`: from the
landmarks where the build finds them, else the fixed boxes of aligned CelebA).

``python -m data_prep.build SRC MORE [MORE ...] OUT`` makes one dataset of
several folders. The first is built exactly as on its own (same names, same
validation people, same pairs), so figures measured on its ``val`` split stay
comparable. Every further folder is kept apart by its name: its files become
``NAME/FILE`` (outputs ``NAME__STEM_METHOD.jpg``) and its people ``NAME/PERSON``,
and ``--val-more-people`` of its people, chosen by the seed, go to
``OUT/val_more/`` (validation on people the first folder does not have). Each
folder's identity CSV is looked for beside it (``faces/celeba`` ->
``faces/celeba_manifest.csv``; it needs the columns ``file`` and ``identity``).
Photos are made folder by folder, each folder's validation people first, then
its other people in a seeded order, so an interrupted build holds whole people
spread over the folder; ``--people N`` stops each folder after N people, a
usable subset of a large folder that a later build without it keeps and extends.

Each photo gives one pair per drawing style in ``--methods`` (``canny``,
``xdog``, ``pencil``, ``lineart``; ``style:fraction`` gives a style to only that
fraction of the photos), and ``--small-faces`` re-frames a fraction of the
pairs (``FRACTION`` for every style, ``STYLE:FRACTION`` for one) with the person
smaller and off-centre on a light backdrop (`data_prep.framing.reframe`). The
defaults (:data:`DEFAULT_METHODS`, :data:`DEFAULT_SMALL_FACES`) give about two
pairs per photo, 40 % simple line art (what people draw in the app), 20 %
pencil sketches, 25 % XDoG and 15 % Canny; every line-art pair and 30 % of the
others are re-framed.
Which photo gets which style and framing, and every drawing parameter, come
from a seed derived from the file name, so a build is reproducible and a
resumed build recreates exactly what an uninterrupted one would have. Photos
where dlib finds no face are skipped (the face styles and the re-framing need
it). Outputs are written atomically (`data_prep.files.atomic_path`) and carry a JPEG comment
with the settings and the version of the drawing code they were made with, so
after an interruption every existing output is complete and is kept, while
outputs made with other settings or other code are redone. OUT belongs to the
build: pairs it would not produce (another split, method, ``--limit`` or
``--people``) are removed, so that OUT always matches its manifest.

Photos that are not aligned CelebA crops are framed around the face they show
(`--framing auto`); a face that a tight crop leaves bigger than a CelebA face
(UTKFace's crops, close-ups) is shrunk onto a light backdrop (`data_prep.framing.frame_person`),
so every source gives faces of one size, the size the app's drawings have.
"""

from __future__ import annotations

import argparse
import ast
import csv
import datetime
import functools
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from tqdm import tqdm

from data_prep.components import Box, celeba_boxes, landmark_boxes
from data_prep.edges import (
    DEFAULT_METHOD,
    HEAD_STYLES,
    JITTER_RANGES,
    STYLES,
    NoFaceFound,
    edge_defaults,
    extract_edges,
    jitter_params,
)
from data_prep.files import TEMP_MARKER, atomic_path
from data_prep.framing import CELEBA_SHAPE, REFRAME_RANGES, SOURCES, detect_source, frame_person, reframe
from data_prep.head import Head
from data_prep.imageio import IMAGE_SUFFIXES, JPEG_QUALITY, ImageLoadError, image_size, list_files, load_image

SPLITS = ("train", "val", "val_more")
"""Training, validation people of the first folder, validation people of the further folders."""
MIN_VAL_IDENTITIES = 10
VAL_MORE_PEOPLE = 100
"""Validation people of each further folder: 400 photos of CelebA's 4-photo people, as many as the first
folder's 10 validation people have (300), but ten times the people, so the two-sample test's halvings of
the people (50 against 50) vary less; 1 % of faces/celeba_more's 9,143 people."""
BOXES_MARKER = b" boxes="
"""Separates a pair's settings from its component boxes (JSON) in its JPEG comment."""
DEFAULT_METHODS = "lineart:0.8,pencil:0.4,xdog:0.5,canny:0.3"
"""Fractions of the photos that get each style: ~2 pairs per photo in the proportions 40/20/25/15 %."""
DEFAULT_SMALL_FACES = "0.3,lineart:1"
"""Re-framed share per style. Simple line art has no background lines, so the background of its photo
cannot be read from the drawing and a model learns to paint the average of all backgrounds, a murky
brown; on paper an empty background means a plain one, so every line-art pair gets the light backdrop."""


@dataclass(frozen=True)
class Folder:
    """One photo folder of a build, and whose photos it holds."""

    path: Path  # resolved
    identities: Path | None  # CSV with columns file,identity
    first: bool  # the first SRC: built exactly as on its own

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def namespace(self) -> str:
        """Prefix of the folder's file names and people: none for the first folder, NAME/ for the others."""
        return "" if self.first else f"{self.name}/"

    @property
    def val_split(self) -> str:
        return "val" if self.first else "val_more"


@dataclass(frozen=True)
class Job:
    """One source photo and everything needed to turn it into pairs."""

    path: str
    name: str  # path relative to its folder (NAME/path for further folders), as reported in the manifest
    stem: str  # output stem, unique within the build
    group: str  # identity (or the file itself): the unit of the train/val split
    split: str
    methods: tuple[str, ...]  # the styles this photo gets
    size: int
    framing: str
    seed: int
    small_faces: dict[str, float]  # style -> fraction of its pairs re-framed
    source: str  # name of its folder


Boxes = dict[str, Box] | None
"""A pair's eye and mouth boxes (`data_prep.components`), None where no face was looked for or found."""


@dataclass
class Result:
    """What happened to one source photo."""

    name: str
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    boxes: dict[str, Boxes] = field(default_factory=dict)  # style -> its pair's boxes
    error: str | None = None


def _rng(seed: int, *keys: str) -> np.random.Generator:
    """A generator seeded by the build seed and names, stable across runs, machines and worker order."""
    digest = hashlib.sha256("/".join([str(seed), *keys]).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def sample_params(job: Job, method: str) -> dict[str, float]:
    """The jittered drawing parameters of one pair."""
    return jitter_params(method, _rng(job.seed, job.name, method))


def reframe_params(job: Job, method: str) -> dict[str, float] | None:
    """`reframe`'s parameters for one pair, or None for the usual framing (``1 - small_faces`` of the pairs)."""
    rng = _rng(job.seed, job.name, method, "reframe")
    if rng.random() >= job.small_faces[method]:
        return None
    return {name: round(float(rng.uniform(low, high)), 4) for name, (low, high) in REFRAME_RANGES.items()}


def choose_styles(fractions: dict[str, float], seed: int, name: str) -> tuple[str, ...]:
    """The styles one photo gets: each with its fraction as probability, and always at least one."""
    draws = {style: _rng(seed, name, style, "choose").random() for style in fractions}
    chosen = tuple(style for style, fraction in fractions.items() if draws[style] < fraction)
    return chosen or (min(fractions, key=lambda style: draws[style] / fractions[style]),)


def output_name(stem: str, method: str) -> str:
    """File name of one pair inside its split folder."""
    return f"{stem}_{method}.jpg"


NOT_DRAWING_CODE = ("__init__.py", "augment.py", "files.py")
"""`data_prep` modules that make no pair's pixels: training-time augmentations, atomic writes."""


def code_version(modules: Iterable[Path]) -> str:
    """A hash of what the modules do: their syntax trees without docstrings, so that editing a comment, a
    docstring or the layout keeps the version, and any change to the code changes it."""
    digest = hashlib.sha256()
    for module in sorted(modules):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
        digest.update(module.name.encode() + ast.dump(tree).encode())
    return digest.hexdigest()[:12]


@functools.cache
def drawing_code_version() -> str:
    """The `code_version` of the modules that make a pair's pixels: pairs left by other code are redone on
    resume, never mixed with new ones."""
    return code_version(p for p in Path(__file__).parent.glob("*.py") if p.name not in NOT_DRAWING_CODE)


def settings_tag(job: Job, method: str) -> bytes:
    """What a pair was made from, stored in its JPEG comment to recognise it on resume."""
    params = json.dumps(sample_params(job, method), sort_keys=True)
    small = json.dumps(reframe_params(job, method), sort_keys=True)
    return (
        f"data_prep.build {method} framing={job.framing} size={job.size} params={params} reframe={small} "
        f"code={drawing_code_version()}"
    ).encode()


def stored_boxes(path: Path, tag: bytes) -> str | None:
    """The boxes (JSON) in the comment of ``path`` if it is a finished pair made with the settings ``tag``,
    else None (missing, damaged, or made with other settings)."""
    try:
        with Image.open(path) as image:
            comment = image.info.get("comment", b"")
    except (OSError, ValueError):
        return None
    settings, marker, boxes = comment.partition(BOXES_MARKER)
    return boxes.decode() if marker and settings == tag else None


def component_boxes(head: Head | None, aligned: bool, size: int) -> Boxes:
    """A pair's boxes: from the landmarks of its (re-framed) head, else the fixed boxes of an aligned CelebA
    photo framed as such (a pair that is re-framed always has its head)."""
    if head is not None:
        return landmark_boxes(head.points, size)
    return celeba_boxes(size) if aligned else None


def write_jpeg_atomic(image: np.ndarray, path: Path, comment: bytes) -> None:
    """Write RGB ``image`` so ``path`` is either absent or complete, never partial."""
    with atomic_path(path) as temp:
        Image.fromarray(image).save(temp, format="JPEG", quality=JPEG_QUALITY, subsampling=0, comment=comment)


def process(job: Job, out: Path) -> Result:
    """Create the missing pairs of one photo; a failure comes back as a reason, never raised."""
    result = Result(job.name)
    targets = {method: out / job.split / output_name(job.stem, method) for method in job.methods}
    stored = {method: stored_boxes(path, settings_tag(job, method)) for method, path in targets.items()}
    todo = [method for method, boxes in stored.items() if boxes is None]
    result.kept = [method for method in job.methods if method not in todo]
    result.boxes = {method: json.loads(stored[method]) for method in result.kept}
    if not todo:
        return result
    try:
        image = load_image(job.path)
        aligned = job.framing == "celeba" and image.shape[:2] == CELEBA_SHAPE  # fixed boxes fit, no dlib needed
        needs_head = any(method in HEAD_STYLES or reframe_params(job, method) for method in job.methods)
        photo, head = frame_person(image, job.size, job.framing, find=needs_head or not aligned)
        if head is None and needs_head:
            raise NoFaceFound("no face found (dlib HOG detector), needed for its drawing styles or framing")
        for method in todo:
            framed, moved = photo, head
            small = reframe_params(job, method)
            if small:
                framed, moved = reframe(photo, head, **small)
            drawing = extract_edges(framed, method, moved, **sample_params(job, method))
            pair = np.hstack([cv2.cvtColor(drawing, cv2.COLOR_GRAY2RGB), framed])
            boxes = component_boxes(moved, aligned, job.size)
            comment = settings_tag(job, method) + BOXES_MARKER + json.dumps(boxes).encode()
            write_jpeg_atomic(pair, targets[method], comment)
            result.written.append(method)
            result.boxes[method] = boxes
    except (ImageLoadError, NoFaceFound) as error:
        result.error = str(error).removeprefix(f"{job.path}: ")
    except Exception as error:  # one odd file must never stop a long build
        result.error = f"could not process image ({type(error).__name__}: {error})"
    if result.error:  # a skipped photo leaves no pairs behind, so OUT matches the manifest
        for path in targets.values():
            path.unlink(missing_ok=True)
        result.written, result.kept, result.boxes = [], [], {}
    return result


def _process_in_worker(task: tuple[Job, Path]) -> Result:
    cv2.setNumThreads(1)  # parallelism comes from the process pool
    return process(*task)


def read_identities(csv_path: Path) -> dict[str, str]:
    """File name -> identity from a CSV with columns ``file`` and ``identity``."""
    with csv_path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"file", "identity"} - set(reader.fieldnames or ())
        if missing:
            raise SystemExit(f"{csv_path}: missing column(s) {', '.join(sorted(missing))}")
        return {row["file"]: row["identity"] for row in reader}


def identities_beside(src: Path) -> Path:
    """Where the identity CSV of a photo folder is looked for by default: faces/celeba -> faces/celeba_manifest.csv."""
    return src.resolve().parent / f"{src.resolve().name}_manifest.csv"


def choose_val(groups: Iterable[str], fraction: float, seed: int) -> set[str]:
    """Seeded choice of the groups (identities or files) held out for validation.

    ``fraction`` of them, but at least :data:`MIN_VAL_IDENTITIES` (or half, if
    there are fewer than twice that many) so validation is not a handful of people.
    """
    groups = sorted(set(groups))
    if fraction <= 0 or len(groups) < 2:
        return set()
    count = max(round(fraction * len(groups)), min(MIN_VAL_IDENTITIES, len(groups) // 2), 1)
    order = np.random.default_rng(seed).permutation(len(groups))
    return {groups[i] for i in order[:count]}


def order_people(folder: Folder, groups: Iterable[str], args: argparse.Namespace) -> tuple[list[str], set[str]]:
    """A folder's people (identities, or files) in the order they are made, and its validation people.

    The first folder's validation people are `choose_val`'s, as in a build of it alone; a further folder's
    are the first ``--val-more-people`` of a seeded order of its people. The order is the validation
    people, then the others in that seeded order, cut after ``--people``.
    """
    groups = sorted(set(groups))
    order = [groups[i] for i in _rng(args.seed, folder.name, "people").permutation(len(groups))]
    val = choose_val(groups, args.val_fraction, args.seed) if folder.first else set(order[: args.val_more_people])
    order = [group for group in order if group in val] + [group for group in order if group not in val]
    return order[: args.people], val


def plan(args: argparse.Namespace, files: dict[Folder, list[Path]]) -> tuple[list[Job], list[dict[str, str]]]:
    """Jobs for the usable candidates of every folder (with their split), in the order they are made, and the
    files skipped up front."""
    skipped: list[dict[str, str]] = []
    taken: dict[str, str] = {}  # stem -> name, over every folder: output names never collide
    jobs: list[Job] = []
    for folder, paths in files.items():
        identities = read_identities(folder.identities) if folder.identities else {}
        framing = args.framing or detect_source(image_size(path) for path in paths)
        candidates: dict[str, list[tuple[str, Path, str]]] = {}  # group -> [(name, path, stem)]
        for path in paths:
            relative = path.relative_to(folder.path).as_posix() if folder.path.is_dir() else path.name
            name = folder.namespace + relative
            stem = str(Path(name).with_suffix("")).replace("/", "__")
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                skipped.append({"file": name, "reason": f"not an image file (suffix {path.suffix or 'none'!r})"})
            elif stem in taken:
                skipped.append({"file": name, "reason": f"same output name as {taken[stem]}"})
            else:
                taken[stem] = name
                group = folder.namespace + identities.get(Path(relative).name, relative)
                candidates.setdefault(group, []).append((name, path, stem))
        order, val = order_people(folder, candidates, args)
        jobs += [
            Job(
                str(path),
                name,
                stem,
                group,
                folder.val_split if group in val else "train",
                choose_styles(args.methods, args.seed, name),
                args.size,
                framing,
                args.seed,
                args.small_faces,
                folder.name,
            )
            for group in order
            for name, path, stem in sorted(candidates[group])
        ]
    return jobs, skipped


def remove_leftovers(out: Path, expected: set[Path]) -> int:
    """Delete temporary files, and pairs this build would not produce, from OUT's splits."""
    pair_suffixes = tuple(output_name("", method) for method in STYLES)
    removed = 0
    for split in SPLITS:
        for path in (out / split).iterdir() if (out / split).is_dir() else ():
            stale = path.name.endswith(pair_suffixes) and path not in expected
            if path.is_file() and (TEMP_MARKER in path.name or stale):
                path.unlink()
                removed += 1
    return removed


def run(jobs: list[Job], out: Path, workers: int) -> list[Result]:
    """Process every job on ``workers`` processes, with a progress bar."""
    tasks = [(job, out) for job in jobs]
    progress = {"total": len(jobs), "unit": "photo", "desc": "build", "dynamic_ncols": True}
    if workers <= 1 or len(jobs) <= 1:
        return [_process_in_worker(task) for task in tqdm(tasks, **progress)]
    with Pool(workers) as pool:
        return list(tqdm(pool.imap_unordered(_process_in_worker, tasks, chunksize=8), **progress))


def make_manifest(
    args: argparse.Namespace,
    argv: Sequence[str],
    files: dict[Folder, list[Path]],
    jobs: list[Job],
    results: list[Result],
    skipped: list[dict[str, str]],
    removed: int,
) -> dict:
    """Everything needed to understand and reproduce the dataset in OUT."""
    folders = list(files)
    several = len(folders) > 1
    errors = {result.name: result.error for result in results if result.error}
    boxes = {result.name: result.boxes for result in results if not result.error}
    skipped = sorted(
        skipped + [{"file": name, "reason": reason} for name, reason in errors.items()], key=lambda entry: entry["file"]
    )
    rank = {folder.name: index for index, folder in enumerate(folders)}
    used = sorted((job for job in jobs if job.name not in errors), key=lambda job: (rank[job.source], job.name))
    pairs = [
        {
            "output": f"{job.split}/{output_name(job.stem, method)}",
            "file": job.name,
            "source": job.source,
            "person": job.group,
            "method": method,
            "params": sample_params(job, method),
            "reframe": reframe_params(job, method),
            "boxes": boxes[job.name][method],
        }
        for job in used
        for method in job.methods
    ]
    splits = SPLITS if several else SPLITS[:2]
    counts = {
        split: {method: sum(job.split == split and method in job.methods for job in used) for method in args.methods}
        for split in splits
    }
    for split, per_method in counts.items():
        per_method["total"] = sum(per_method.values())
        per_method["small_faces"] = sum(p["reframe"] is not None for p in pairs if p["output"].startswith(f"{split}/"))
    by_identity = any(folder.identities for folder in folders)
    split = {"by": "identity" if by_identity else "file"}
    for name in splits[1:]:
        held_out = [job for job in used if job.split == name]
        split[f"{name}_identities"] = sorted({job.group for job in held_out}) if by_identity else None
        split[f"{name}_files"] = sorted(job.name for job in held_out)
    sources = []
    for folder, paths in files.items():
        mine = [job for job in used if job.source == folder.name]
        sources.append(
            {
                "folder": str(folder.path),
                "name": folder.name,
                "identities": str(folder.identities.resolve()) if folder.identities else None,
                "framing": next((job.framing for job in jobs if job.source == folder.name), args.framing),
                "files_found": len(paths),
                "photos_used": len(mine),
                "people": len({job.group for job in mine}),
                "val_split": folder.val_split,
                "val_people": len({job.group for job in mine if job.split == folder.val_split}),
            }
        )
    return {
        "source": str(folders[0].path) if not several else [str(folder.path) for folder in folders],
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": ["python", "-m", "data_prep.build", *argv],
        "parameters": {
            "size": args.size,
            "methods": list(args.methods),
            "method_fractions": args.methods,
            "small_faces": args.small_faces,
            "reframe_ranges": REFRAME_RANGES if any(args.small_faces.values()) else None,
            "default_method": DEFAULT_METHOD,
            "val_fraction": args.val_fraction,
            "val_more_people": args.val_more_people if several else None,
            "identities": sources[0]["identities"] if not several else [source["identities"] for source in sources],
            "seed": args.seed,
            "framing": sources[0]["framing"] if not several else {s["name"]: s["framing"] for s in sources},
            "limit": args.limit,
            "people": args.people,
            "jpeg_quality": JPEG_QUALITY,
            "code_version": drawing_code_version(),
            "edge_defaults": {method: edge_defaults(method) for method in args.methods},
            "jitter_ranges": {method: JITTER_RANGES[method] for method in args.methods},
            "layout": f"OUT/{{{','.join(splits)}}}/{{stem}}_{{method}}.jpg: A|B side by side, "
            "A = drawing (black lines on white, gray RGB), B = photo",
            "boxes": "pair['boxes'] = {left_eye, right_eye, mouth: [x0, y0, x1, y1]} in pixels of the photo "
            "(x1, y1 exclusive; left/right as seen in the image), or null where no face was found",
        },
        "proportions": {
            method: round(sum(p["method"] == method for p in pairs) / len(pairs), 4) if pairs else 0.0
            for method in args.methods
        },
        "counts": {
            "files_found": sum(len(paths) for paths in files.values()),
            "photos_used": len(used),
            "skipped": len(skipped),
            "pairs_written_this_run": sum(len(result.written) for result in results),
            "pairs_kept_from_before": sum(len(result.kept) for result in results if not result.error),
            "stale_files_removed": removed,
            **counts,
        },
        "split": split,
        "sources": sources,
        "skipped": skipped,
        "pairs": pairs,
    }


def write_json_atomic(data: dict, path: Path) -> None:
    """Write ``data`` as JSON so ``path`` is never left half-written."""
    with atomic_path(path) as temp:
        temp.write_text(json.dumps(data, indent=1) + "\n")


def parse_fractions(parser: argparse.ArgumentParser, option: str, text: str, bare: bool) -> dict[str, float]:
    """``"xdog,lineart:0.5"`` -> ``{"xdog": 1.0, "lineart": 0.5}``, or a parser error.

    Without ``bare`` (``--methods``) the styles named are the ones used, each with a fraction in (0, 1].
    With ``bare`` (``--small-faces``) every style gets a fraction in [0, 1]: an item without a style
    (``"0.3"``) gives it to the styles not named, and those left out entirely get 0.
    """
    pattern, span = ("FRACTION or STYLE:FRACTION", "[0, 1]") if bare else ("STYLE or STYLE:FRACTION", "(0, 1]")
    fractions: dict[str, float] = {}
    default: float | None = None
    for item in filter(None, (part.strip() for part in text.split(","))):
        style, colon, fraction = (part.strip() for part in item.partition(":"))
        if bare and not colon and style not in STYLES:
            style, fraction = "", style
        try:
            value = float(fraction) if fraction else 1.0
        except ValueError:
            value = -1.0
        known = style in STYLES or (bare and not style)
        repeated = style in fractions or (not style and default is not None)
        in_range = 0 <= value <= 1 if bare else 0 < value <= 1
        if not known or repeated or not in_range:
            parser.error(
                f"{option}: {item!r} is not {pattern} with a style from {','.join(STYLES)} "
                f"(each once) and a fraction in {span}"
            )
        if style:
            fractions[style] = value
        else:
            default = value
    if bare:
        return {style: fractions.get(style, default or 0.0) for style in STYLES}
    if not fractions:
        parser.error(f"{option} needs at least one of {','.join(STYLES)}")
    return fractions


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m data_prep.build",
        usage="%(prog)s [options] SRC [MORE ...] OUT",
        description=__doc__.split("\n\n")[0],
        epilog="Resumable: run the same command again after an interruption.",
    )
    parser.add_argument(
        "src",
        nargs="+",
        type=Path,
        metavar="SRC",
        help="folder of face photos (searched recursively); MORE folders join the same dataset, kept apart by "
        "their folder names, with their validation people in OUT/val_more",
    )
    parser.add_argument(
        "out", type=Path, metavar="OUT", help="output dataset folder (pairs it would not produce are removed)"
    )
    parser.add_argument("--size", type=int, default=256, help="side of each image in pixels (default 256)")
    parser.add_argument(
        "--methods",
        default=DEFAULT_METHODS,
        help=f"comma-separated drawing styles from {','.join(STYLES)}, each optionally STYLE:FRACTION "
        f"to give it to only that fraction of the photos (default {DEFAULT_METHODS})",
    )
    parser.add_argument(
        "--small-faces",
        default=DEFAULT_SMALL_FACES,
        help="fraction of pairs re-framed with a smaller, off-centre person on a light backdrop: FRACTION "
        f"for every style, STYLE:FRACTION for one, comma-separated (default {DEFAULT_SMALL_FACES})",
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.05,
        help="fraction of the first folder's identities (or files) for validation, at least 10 (default 0.05)",
    )
    parser.add_argument(
        "--val-more-people",
        type=int,
        default=VAL_MORE_PEOPLE,
        help=f"identities (or files) of each further folder for OUT/val_more (default {VAL_MORE_PEOPLE})",
    )
    parser.add_argument(
        "--identities",
        type=Path,
        action="append",
        help="CSV with columns file,identity, once for each SRC in order: validation holds whole people "
        "unseen in training (default: SRC_manifest.csv beside each SRC, if there is one)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and the parameter jitter (default 0)")
    parser.add_argument(
        "--framing", choices=SOURCES, help="face framing (default: celeba if all photos are 178x218, else auto)"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: all cores)")
    parser.add_argument("--limit", type=int, help="use only the first N files of each folder, for quick tries")
    parser.add_argument(
        "--people",
        type=int,
        help="use only N identities (or files) of each folder, validation people first, then the others in a "
        "seeded order: a usable subset of a large folder, which the full build later keeps",
    )
    args = parser.parse_args(argv)
    args.methods = parse_fractions(parser, "--methods", args.methods, bare=False)
    small_faces = parse_fractions(parser, "--small-faces", args.small_faces, bare=True)
    args.small_faces = {style: small_faces[style] for style in args.methods}
    if args.size < 16:
        parser.error("--size must be at least 16")
    if not 0 <= args.val_fraction < 1:
        parser.error("--val-fraction must be in [0, 1)")
    if args.val_more_people < 0 or (args.people is not None and args.people < 1):
        parser.error("--val-more-people must be at least 0 and --people at least 1")
    for src in args.src:
        if not src.exists():
            parser.error(f"{src} does not exist")
    names = [src.resolve().name for src in args.src]
    if len(set(names)) < len(names):
        parser.error(f"photo folders need different names, they name their files and people: {', '.join(names)}")
    if args.identities is None:
        args.identities = [identities_beside(src) if identities_beside(src).is_file() else None for src in args.src]
    elif len(args.identities) != len(args.src):
        parser.error(f"--identities: give one CSV for each SRC ({len(args.src)}), or none to use those beside them")
    for csv_path in filter(None, args.identities):
        if not csv_path.is_file():
            parser.error(f"{csv_path} does not exist")
    args.folders = [
        Folder(src.resolve(), identities, index == 0)
        for index, (src, identities) in enumerate(zip(args.src, args.identities))
    ]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m data_prep.build``; returns 0 unless no photo at all could be used."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    files = {folder: list_files(folder.path)[: args.limit] for folder in args.folders}
    jobs, skipped = plan(args, files)
    splits = SPLITS if len(files) > 1 else SPLITS[:2]
    for split in splits:
        (args.out / split).mkdir(parents=True, exist_ok=True)
    expected = {args.out / job.split / output_name(job.stem, method) for job in jobs for method in job.methods}
    removed = remove_leftovers(args.out, expected)
    results = run(jobs, args.out, args.workers)
    manifest = make_manifest(args, argv, files, jobs, results, skipped, removed)
    write_json_atomic(manifest, args.out / "manifest.json")
    counts = manifest["counts"]
    made = " + ".join(f"{split} {counts[split]['total']}" for split in splits)
    print(
        f"{counts['photos_used']} photos -> {made} pairs "
        f"in {args.out} ({counts['pairs_written_this_run']} written, {counts['pairs_kept_from_before']} kept, "
        f"{removed} stale removed); {counts['skipped']} skipped, see {args.out / 'manifest.json'}",
        file=sys.stderr,
    )
    return 0 if counts["photos_used"] or not counts["files_found"] else 1


if __name__ == "__main__":
    sys.exit(main())
