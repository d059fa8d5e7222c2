"""Identity and geometry of a generated face against a reference face, measured with dlib.

A face can look photo-like and still not be the person drawn. Two measures, both
from `data_prep.landmarks` (dlib's 68-landmark model and 128-d face descriptor):

- landmark error: mean distance between the 68 points of the face and of the
  reference, divided by the reference's inter-ocular distance (0 = same geometry);
- descriptor distance: dlib calls two faces the same person below 0.6.

Faces where dlib finds no face are not dropped but counted: `detected` is the
share found, and a face not found is never "the same person". References where
no face is found cannot be compared at all and are only counted.
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


class Likeness:
    """Accumulates faces compared with their references; `summary()` gives the means."""

    def __init__(self) -> None:
        self.scores: dict[str, list[float]] = defaultdict(list)
        self.no_reference = 0

    def add(self, face: Face | None, reference: Face | None) -> None:
        if reference is None:
            self.no_reference += 1
            return
        self.scores["detected"].append(face is not None)
        if face is None:
            self.scores["same_person"].append(False)
            return
        distance = descriptor_distance(face, reference)
        self.scores["landmark_error"].append(landmark_error(face, reference))
        self.scores["descriptor_distance"].append(distance)
        self.scores["same_person"].append(distance < landmarks.SAME_PERSON_DISTANCE)

    def summary(self) -> dict[str, float | int | None]:
        """Detection rate and same-person share over all compared faces; errors and distances over detected ones."""

        def mean(name: str) -> float | None:
            return float(np.mean(self.scores[name])) if self.scores[name] else None

        errors = self.scores["landmark_error"]
        return {
            "compared": len(self.scores["detected"]),
            "no_reference_face": self.no_reference,
            "detected": mean("detected"),
            "landmark_error": mean("landmark_error"),
            # its standard error: how far the mean would move with other faces of the same kind
            "landmark_error_se": float(np.std(errors, ddof=1) / np.sqrt(len(errors))) if len(errors) > 1 else None,
            "descriptor_distance": mean("descriptor_distance"),
            "same_person": mean("same_person"),
        }


def face_mask(points: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Boolean H×W mask of the convex hull of a face's landmarks (jaw and brows: the face without hair)."""
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(points.round().astype(np.int32)), 1)
    return mask.astype(bool)
