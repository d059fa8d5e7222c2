"""Identity and geometry of a generated face against a reference face, measured with dlib.

A face can look photo-like and still not be the person drawn. Two measures, both
from `data_prep.landmarks` (dlib's 68-landmark model and 128-d face descriptor):

- landmark error: mean distance between the 68 points of the face and of the
  reference, divided by the reference's inter-ocular distance (0 = same geometry);
- descriptor distance: dlib calls two faces the same person below 0.6.

Faces where dlib finds no face are not dropped but counted: `detected` is the
share found, and a face not found is never "the same person". References where
no face is found cannot be compared at all and are only counted.

Two models scored on the same drawings with the same seeds can be compared face by face
(`paired_change`): which drawings are easy to recognise varies far more than the models do, and a
paired difference cancels that (on 200 validation pairs: ± 2.4–3.2 points for the same-person share
against ± 4.9 for the difference of two separate rates, ± 0.0015 against ± 0.004 for the landmark error).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import cv2
import numpy as np

from data_prep import landmarks

UPSAMPLE = 0  # dlib's detector finds faces of 80 px and more without upsampling; ours are ~120 px at 256×256


@dataclass(frozen=True)
class Face:
    """What dlib sees of one face: 68 landmarks (x, y) and the identity descriptor."""

    points: np.ndarray
    descriptor: np.ndarray


def read_face(rgb: np.ndarray) -> Face | None:
    """The largest face in an RGB uint8 image, or None when dlib finds none."""
    found = landmarks.landmarks_and_descriptor(rgb, UPSAMPLE)
    return None if found is None else Face(*found)


def landmark_error(face: Face, reference: Face) -> float:
    """Mean landmark distance ÷ the reference's inter-ocular distance."""
    distances = np.linalg.norm(face.points - reference.points, axis=1)
    return float(distances.mean() / landmarks.inter_ocular(reference.points))


def descriptor_distance(face: Face, reference: Face) -> float:
    """Euclidean distance of the identity descriptors; below `landmarks.SAME_PERSON_DISTANCE` = same person."""
    return float(np.linalg.norm(face.descriptor - reference.descriptor))


PerFace = dict[str, "list[float] | None"]
"""A drawing's name → [descriptor distance, landmark error] of its face, or None where dlib found no face."""
PER_FACE_FILE = "likeness.json"
"""evaluation.evaluate's file beside metrics.json: a PerFace for each seed and folder of drawings."""


def is_same_person(record: list[float] | None) -> bool:
    return record is not None and record[0] < landmarks.SAME_PERSON_DISTANCE


class Likeness:
    """Accumulates faces compared with their references; `summary()` gives the means, `faces` each keyed one."""

    def __init__(self) -> None:
        self.scores: dict[str, list[float]] = defaultdict(list)
        self.no_reference = 0
        self.faces: PerFace = {}

    def add(self, face: Face | None, reference: Face | None, key: str | None = None) -> None:
        """One face against its reference; `key` (the drawing's name) also keeps it in `faces`."""
        if reference is None:
            self.no_reference += 1
            return
        record = None if face is None else [descriptor_distance(face, reference), landmark_error(face, reference)]
        if key is not None:
            self.faces[key] = record
        self.scores["detected"].append(face is not None)
        self.scores["same_person"].append(is_same_person(record))
        if record is not None:
            self.scores["descriptor_distance"].append(record[0])
            self.scores["landmark_error"].append(record[1])

    def summary(self) -> dict[str, float | int | None]:
        """Detection rate and same-person share over all compared faces; errors and distances over detected ones."""

        def mean(name: str) -> float | None:
            return mean_and_se(self.scores[name])[0]

        return {
            "compared": len(self.scores["detected"]),
            "no_reference_face": self.no_reference,
            "detected": mean("detected"),
            "landmark_error": mean("landmark_error"),
            # its standard error: how far the mean would move with other faces of the same kind
            "landmark_error_se": mean_and_se(self.scores["landmark_error"])[1],
            "descriptor_distance": mean("descriptor_distance"),
            "same_person": mean("same_person"),
        }


def mean_and_se(values: list[float]) -> tuple[float | None, float | None]:
    """The mean and its standard error (None for what too few values cannot give)."""
    if not values:
        return None, None
    se = float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else None
    return float(np.mean(values)), se


def paired_change(before: PerFace, after: PerFace) -> dict[str, float | int | None]:
    """How `after` differs from `before` on the drawings both scored: the change in the same-person share
    (over every such drawing) and in landmark error (where dlib found both faces), each ± the standard error
    of the mean paired difference."""
    keys = sorted(before.keys() & after.keys())
    same = [float(is_same_person(after[k])) - float(is_same_person(before[k])) for k in keys]
    found = [k for k in keys if before[k] is not None and after[k] is not None]
    errors = [after[k][1] - before[k][1] for k in found]
    (same_person, same_person_se), (error, error_se) = mean_and_se(same), mean_and_se(errors)
    return {
        "compared": len(keys),
        "same_person": same_person,
        "same_person_se": same_person_se,
        "both_found": len(found),
        "landmark_error": error,
        "landmark_error_se": error_se,
    }


def face_mask(points: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Boolean H×W mask of the convex hull of a face's landmarks (jaw and brows: the face without hair)."""
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(points.round().astype(np.int32)), 1)
    return mask.astype(bool)
