"""evaluation.likeness on real faces: dlib needs real photos, so these tests read CelebA from ../shared/data."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest

from data_prep.framing import frame_face
from data_prep.imageio import load_image
from evaluation.likeness import Likeness, descriptor_distance, face_mask, landmark_error, paired_change, read_face

FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"
pytestmark = pytest.mark.skipif(not (FACES / "celeba").is_dir(), reason="../shared/data is not available")


@pytest.fixture(scope="module")
def people() -> dict[str, list[np.ndarray]]:
    """Three framed 256×256 photos each of two CelebA people (the first two in the manifest with 3 found faces)."""
    with (FACES / "celeba_manifest.csv").open() as handle:
        files = defaultdict(list)
        for row in csv.DictReader(handle):
            files[row["identity"]].append(row["file"])
    chosen: dict[str, list[np.ndarray]] = {}
    for person in sorted(files):
        photos = [frame_face(load_image(FACES / "celeba" / name), 256, "celeba") for name in sorted(files[person])[:5]]
        photos = [photo for photo in photos if read_face(photo) is not None][:3]
        if len(photos) == 3:
            chosen[person] = photos
        if len(chosen) == 2:
            return chosen
    pytest.fail("no two CelebA people with three faces dlib finds")


def test_same_face_and_same_person(people: dict[str, list[np.ndarray]]) -> None:
    (a, b) = people.values()
    face = read_face(a[0])
    assert face.points.shape == (68, 2) and face.descriptor.shape == (128,)
    assert landmark_error(face, face) == 0.0 and descriptor_distance(face, face) == 0.0
    same = [descriptor_distance(read_face(a[0]), read_face(photo)) for photo in a[1:]]
    other = [descriptor_distance(read_face(a[0]), read_face(photo)) for photo in b]
    assert max(same) < min(other) and np.mean(same) < 0.6 < np.mean(other)


def test_landmark_error_of_a_shifted_face_is_the_shift_over_the_eye_distance(
    people: dict[str, list[np.ndarray]],
) -> None:
    photo = next(iter(people.values()))[0]
    shifted = cv2.warpAffine(photo, np.float32([[1, 0, 12], [0, 1, 0]]), (256, 256), borderMode=cv2.BORDER_REPLICATE)
    face, reference = read_face(shifted), read_face(photo)
    eye_distance = np.linalg.norm(reference.points[36:42].mean(0) - reference.points[42:48].mean(0))
    assert landmark_error(face, reference) == pytest.approx(12 / eye_distance, rel=0.25)


def test_likeness_counts_missed_faces_as_failures(people: dict[str, list[np.ndarray]]) -> None:
    photos = next(iter(people.values()))
    blank = np.full((256, 256, 3), 200, np.uint8)
    assert read_face(blank) is None
    reference = read_face(photos[0])
    likeness = Likeness()
    likeness.add(read_face(photos[1]), reference)  # found, same person
    likeness.add(read_face(blank), reference)  # not found: a failure, not left out
    likeness.add(read_face(photos[2]), None)  # nothing to compare with: only counted
    summary = likeness.summary()
    assert summary["compared"] == 2 and summary["no_reference_face"] == 1
    assert summary["detected"] == 0.5 and summary["same_person"] == 0.5
    assert summary["landmark_error"] == pytest.approx(landmark_error(read_face(photos[1]), reference))
    assert summary["landmark_error_se"] is None  # one error: no spread to measure
    likeness.add(read_face(photos[0]), reference)  # the reference itself: error 0
    errors = [summary["landmark_error"], 0.0]
    assert likeness.summary()["landmark_error_se"] == pytest.approx(np.std(errors, ddof=1) / np.sqrt(2))
    assert Likeness().summary()["detected"] is None


def test_paired_change_compares_two_models_drawing_by_drawing(people: dict[str, list[np.ndarray]]) -> None:
    (a, b) = people.values()
    reference, blank = read_face(a[0]), np.full((256, 256, 3), 200, np.uint8)
    before, after = Likeness(), Likeness()
    for key, old, new in [("x", b[0], a[1]), ("y", a[1], a[1]), ("z", blank, a[2])]:
        before.add(read_face(old), reference, key)
        after.add(read_face(new), reference, key)
    after.add(read_face(a[2]), reference, "only scored by one")
    after.add(read_face(a[2]), reference)  # no key: counted in the summary, not kept
    assert before.faces["z"] is None and after.faces["x"] == [
        descriptor_distance(read_face(a[1]), reference),
        landmark_error(read_face(a[1]), reference),
    ]
    assert len(after.faces) == 4 and after.summary()["compared"] == 5

    change = paired_change(before.faces, after.faces)
    # x: another person → the person (+1), y: the same face (0), z: no face found → the person (+1)
    assert change["compared"] == 3 and change["same_person"] == pytest.approx(2 / 3)
    assert change["same_person_se"] == pytest.approx(np.std([1, 0, 1], ddof=1) / np.sqrt(3))
    assert change["both_found"] == 2  # x and y: landmarks can only be compared where both faces were found
    x_change = after.faces["x"][1] - before.faces["x"][1]
    assert change["landmark_error"] == pytest.approx(x_change / 2)
    assert paired_change(before.faces, {})["same_person"] is None


def test_face_mask_covers_the_face_not_the_background(people: dict[str, list[np.ndarray]]) -> None:
    face = read_face(next(iter(people.values()))[0])
    mask = face_mask(face.points, (256, 256, 3))
    assert mask.shape == (256, 256) and mask.dtype == bool
    nose = face.points[30].round().astype(int)
    assert mask[nose[1], nose[0]] and not mask[0, 0] and not mask[255, 255]
    assert 0.1 < mask.mean() < 0.5
