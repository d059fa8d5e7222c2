"""The validation pairs of `evaluation.evaluate --quick`, a generator's faces for them (a seed per drawing) and
their two-sample and likeness rows, as the notebook scripts here score them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data_prep.landmarks import landmarks
from evaluation.evaluate import QUICK_LIMIT, pair_sources, photo_sample, unique_photos
from evaluation.likeness import Face, Likeness, read_face
from evaluation.realism import PER_SAMPLE, SEED_PER_DRAWING, Realism, Sample
from evaluation.sheets import spread
from p2p.data import list_pairs, read_pair
from p2p.inference import FaceGenerator


def quick_pairs(data: Path) -> list[Path]:
    """The QUICK_LIMIT validation pairs `evaluate --quick` scores, spread over the split."""
    return spread(list_pairs(data, "val"), QUICK_LIMIT)


def faces_per_drawing(generator: FaceGenerator, files: list[Path], batch: int = 8) -> list[np.ndarray]:
    """One face per pair's drawing, pair i with seed SEED_PER_DRAWING + i (the evaluation's seed per drawing)."""
    return faces_for_drawings(generator, [read_pair(path)[0] for path in files], batch)


def faces_for_drawings(generator: FaceGenerator, drawings: list[np.ndarray], batch: int = 8) -> list[np.ndarray]:
    """One face per drawing, drawing i with seed SEED_PER_DRAWING + i."""
    seeds = [SEED_PER_DRAWING + i for i in range(len(drawings))]
    return [
        face
        for i in range(0, len(drawings), batch)
        for face in generator.generate(drawings[i : i + batch], seeds[i : i + batch])
    ]


@dataclass
class References:
    """What the faces of the quick pairs are scored against: the pairs whose photo dlib finds landmarks in
    (`keep`, indices into the pairs), their people and dlib faces, and the 64-px sample of the real photos."""

    keep: list[int]
    people: list[str]
    faces: list[Face | None]
    real: Sample


def references(data: Path, files: list[Path]) -> References:
    """The References of `files`, pairs of `data`."""
    sources = pair_sources(data, files)
    photos = [read_pair(path)[1] for path in files]
    keep = [i for i, photo in enumerate(photos) if landmarks(photo) is not None]
    return References(
        keep,
        [sources[i].person for i in keep],
        [read_face(photos[i]) for i in keep],
        photo_sample(unique_photos(data, files).values(), 64),
    )


def realism_row(faces: list[np.ndarray], people: list[str], real: Sample) -> str:
    """The 64-px two-sample test of `faces` (faces[i] of the person people[i]) against `real`, as they are and
    layout only, as two Markdown table cells."""
    sample = Sample(64)
    for face, person in zip(faces, people, strict=True):
        sample.add(face, person, generated=True)
    tests = Realism((64,), PER_SAMPLE)
    cells = [tests.test(f, r)["64"] for f, r in ((sample, real), (sample.layout_only(), real.layout_only()))]
    return " | ".join(f"{100 * c['accuracy']:.1f} ± {100 * c['accuracy_se']:.1f} %" for c in cells)


def likeness_row(faces: list[np.ndarray], references: list[Face | None]) -> str:
    """dlib's same-person share and mean landmark error of `faces` against their photos, as two table cells."""
    scores = Likeness()
    for face, reference in zip(faces, references, strict=True):
        scores.add(read_face(face), reference)
    summary = scores.summary()
    return f"{100 * summary['same_person']:.1f} % | {summary['landmark_error']:.3f}"
