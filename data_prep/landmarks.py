"""dlib's pretrained face models: 68 landmarks and the 128-d face descriptor.

The models come inside the `face-recognition-models` package (installed from the
package index, nothing downloaded at run time) and dlib itself from the
`dlib-bin` wheel. That package's own `__init__` imports `pkg_resources`, which
current setuptools no longer ships, so the model files are located without
importing it.

Licences: the 68-landmark shape predictor was trained on iBUG 300-W, whose
images are for non-commercial research only; the face descriptor (ResNet) is
public domain / CC0 by dlib's author. Used here to make training drawings
(`data_prep.lineart`) and to measure likeness (`evaluation.evaluate`).
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

LANDMARK_MODEL = "shape_predictor_68_face_landmarks.dat"
DESCRIPTOR_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
SAME_PERSON_DISTANCE = 0.6
"""dlib's threshold: descriptors closer than this are the same person (99.38 % on LFW)."""

# Index ranges of the 68-point iBUG scheme.
JAW = slice(0, 17)
RIGHT_BROW, LEFT_BROW = slice(17, 22), slice(22, 27)
NOSE_BRIDGE, NOSE_BASE = slice(27, 31), slice(31, 36)
RIGHT_EYE, LEFT_EYE = slice(36, 42), slice(42, 48)
OUTER_LIPS, INNER_LIPS = slice(48, 60), slice(60, 68)


class FaceModelsMissing(RuntimeError):
    """dlib or its models are not installed; the message says how to install them."""


def model_path(name: str) -> Path:
    """Path of one model file inside the installed `face_recognition_models` package."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise FaceModelsMissing(
            "dlib's face models are not installed: pip install dlib-bin face-recognition-models "
            "(both are in requirements.txt)"
        )
    path = Path(spec.origin).parent / "models" / name
    if not path.is_file():
        raise FaceModelsMissing(f"{path} is missing: reinstall face-recognition-models")
    return path


@lru_cache(maxsize=1)
def _models() -> tuple[object, object, object]:
    """(HOG face detector, 68-landmark predictor, descriptor network), loaded once per process."""
    try:
        import dlib
    except ImportError as err:
        raise FaceModelsMissing("dlib is not installed: pip install dlib-bin") from err
    return (
        dlib.get_frontal_face_detector(),
        dlib.shape_predictor(str(model_path(LANDMARK_MODEL))),
        dlib.face_recognition_model_v1(str(model_path(DESCRIPTOR_MODEL))),
    )


def _largest_face(rgb: np.ndarray, upsample: int) -> object | None:
    detector = _models()[0]
    boxes = detector(np.ascontiguousarray(rgb), upsample)
    return max(boxes, key=lambda b: b.width() * b.height()) if len(boxes) else None


def _shape(rgb: np.ndarray, upsample: int) -> object | None:
    box = _largest_face(rgb, upsample)
    return None if box is None else _models()[1](np.ascontiguousarray(rgb), box)


def _points(shape: object) -> np.ndarray:
    return np.array([(p.x, p.y) for p in shape.parts()], np.float32)


def landmarks(rgb: np.ndarray, upsample: int = 1) -> np.ndarray | None:
    """The 68 landmarks (x, y) of the largest face in an RGB uint8 image, or None when no face is found.

    `upsample` > 0 lets the HOG detector find faces smaller than 80 px (slower).
    """
    found = _shape(rgb, upsample)
    return None if found is None else _points(found)


def landmarks_and_descriptor(rgb: np.ndarray, upsample: int = 1) -> tuple[np.ndarray, np.ndarray] | None:
    """The 68 landmarks and dlib's 128-d identity descriptor of the largest face, from one detection;
    None when no face is found."""
    shape = _shape(rgb, upsample)
    if shape is None:
        return None
    descriptor = _models()[2].compute_face_descriptor(np.ascontiguousarray(rgb), shape)
    return _points(shape), np.array(descriptor, np.float32)


def inter_ocular(points: np.ndarray) -> float:
    """Distance between the eye centres of a 68-landmark set: the scale for landmark errors."""
    return float(np.linalg.norm(points[RIGHT_EYE].mean(0) - points[LEFT_EYE].mean(0)))
