"""Consistent square face framing, so every source looks like one dataset.

The generator learns a framing as much as a face: drawings in the app are
expected to show a head with its hair, eyes a little above the centre, like an
aligned CelebA photo. Each source is cropped to that framing before resizing:
aligned CelebA by a fixed crop, arbitrary photos around the largest face found
by OpenCV's bundled Haar cascade (offline, no downloads), and the centre square
when no face is found. `reframe` then varies that framing for training:
smaller, off-centre heads with shoulders on plain light paper; `zoom_out` uses it
to shrink a face that a tight crop leaves too big (the crop cannot widen past the photo).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import cv2
import numpy as np

from data_prep.head import Head, face_height, find_head, person_region

SOURCES = ("auto", "celeba", "center")

CELEBA_SHAPE = (218, 178)
"""(height, width) of CelebA ``img_align_celeba`` photos."""
CELEBA_TOP = 30
"""Top row of the 178x178 CelebA crop: keeps the hair, eyes land at ~46 % height."""

FACE_WIDTH_FRACTION = 0.5
"""Detected face box width as a fraction of the crop side (CelebA-like margin)."""
EYE_HEIGHT_FRACTION = 0.46
"""Where the eyes land in the crop, from the top (slightly above centre)."""
HAAR_EYE_FRACTION = 0.4
"""Eye height inside a Haar frontal-face box, from its top."""
DETECT_MARGIN = 0.2
"""Border added around the image for detection, as a fraction of its side."""
DETECT_SIDE = 320
"""Images are downscaled to at most this side for detection (speed)."""


def resize_square(image: np.ndarray, size: int) -> np.ndarray:
    """Resize a square image to ``size`` with area averaging down, cubic up."""
    if image.shape[0] == size and image.shape[1] == size:
        return image
    shrinking = image.shape[0] > size
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return cv2.resize(image, (size, size), interpolation=interpolation)


def fit_square(image: np.ndarray, center_y: float, center_x: float, side: float) -> np.ndarray:
    """The square of ``side`` around a centre, shrunk and shifted to lie inside ``image``.

    Padding instead (reflect or replicate) would put mirrored faces or streaks
    in the frame, which become spurious lines in the drawing; a slightly
    tighter framing is the lesser evil.
    """
    height, width = image.shape[:2]
    side = int(round(min(side, height, width)))
    top = int(round(min(max(center_y - side / 2, 0), height - side)))
    left = int(round(min(max(center_x - side / 2, 0), width - side)))
    return image[top : top + side, left : left + side]


def center_square(image: np.ndarray) -> np.ndarray:
    """The largest centred square of ``image``."""
    height, width = image.shape[:2]
    return fit_square(image, height / 2, width / 2, min(height, width))


@lru_cache(maxsize=1)
def _face_detector() -> cv2.CascadeClassifier:
    detector = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if detector.empty():
        raise RuntimeError("OpenCV's Haar face cascade could not be loaded")
    return detector


def detect_face(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """The largest frontal face as (x, y, w, h) in ``image`` pixels, or None."""
    height, width = image.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(height, width))
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(gray)
    # The cascade misses faces that fill the frame (tight crops like UTKFace)
    # unless there is some margin around them.
    pad = round(DETECT_MARGIN * max(gray.shape))
    gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    min_side = max(24, round(0.2 * min(gray.shape)))
    faces = _face_detector().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side))
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda box: box[2] * box[3])
    return round((x - pad) / scale), round((y - pad) / scale), round(w / scale), round(h / scale)


def face_square(image: np.ndarray) -> np.ndarray:
    """Square crop around the largest detected face, or the centre square."""
    face = detect_face(image)
    if face is None:
        return center_square(image)
    x, y, w, h = face
    side = w / FACE_WIDTH_FRACTION
    eye_y = y + HAAR_EYE_FRACTION * h
    return fit_square(image, eye_y + (0.5 - EYE_HEIGHT_FRACTION) * side, x + w / 2, side)


def celeba_square(image: np.ndarray) -> np.ndarray:
    """Fixed square crop of an aligned CelebA photo (centre square otherwise)."""
    if image.shape[:2] != CELEBA_SHAPE:
        return center_square(image)
    return image[CELEBA_TOP : CELEBA_TOP + CELEBA_SHAPE[1]]


def detect_source(sizes: Iterable[tuple[int, int] | None]) -> str:
    """Framing for a folder: "celeba" if every known (width, height) is 178x218, else "auto"."""
    known = {size for size in sizes if size is not None}
    return "celeba" if known == {(CELEBA_SHAPE[1], CELEBA_SHAPE[0])} else "auto"


def frame_face(image: np.ndarray, size: int = 256, source: str = "auto") -> np.ndarray:
    """Crop ``image`` to the dataset's square face framing and resize to ``size``.

    ``source``: "celeba" (fixed crop of aligned 178x218 CelebA photos),
    "auto" (around the largest detected face, centre crop when none) or
    "center" (centre square).
    """
    if source == "celeba":
        square = celeba_square(image)
    elif source == "auto":
        square = face_square(image)
    elif source == "center":
        square = center_square(image)
    else:
        raise ValueError(f"unknown framing source {source!r}; expected one of {SOURCES}")
    return resize_square(np.ascontiguousarray(square), size)


REFRAME_RANGES: dict[str, tuple[float, float]] = {
    "scale": (0.5, 1.0),
    "shift": (-0.2, 0.2),
    "background": (185.0, 245.0),
    "warmth": (-1.0, 1.0),
}
"""Uniform ranges of `reframe`'s parameters (drawn per training pair at build time)."""
FADE = 0.08
"""The person fades out over this fraction of the side where the photo cuts them off (not at the bottom)."""


def reframe(
    photo: np.ndarray, head: Head, *, scale: float, shift: float, background: float, warmth: float
) -> tuple[np.ndarray, Head]:
    """The person smaller and off-centre on plain light paper, as in a head-and-shoulders portrait.

    People draw heads that do not fill the canvas, often with shoulders; an
    aligned photo never shows one, so the generator fills the space with a
    dark murk. Here the photo shrinks by ``scale`` and moves sideways by
    ``shift`` (a fraction of the side), its bottom edge on the frame's bottom so
    the body continues out of the picture, and everything but the person
    (``head.mask``) becomes a light backdrop of grey level ``background``,
    warmer or cooler by ``warmth`` in [-1, 1], lighter towards the top. Returns
    the new photo and the head moved with it.
    """
    size = photo.shape[0]
    matrix = np.array(
        [[scale, 0.0, (1.0 - scale) * size / 2 + shift * size], [0.0, scale, (1.0 - scale) * size]], np.float32
    )
    ramp = np.minimum(np.arange(size, dtype=np.float32), np.arange(size, dtype=np.float32)[::-1]) / (FADE * size)
    fade = np.minimum.outer(np.clip(ramp, 0, 1), np.clip(ramp, 0, 1))
    fade[size // 2 :] = np.clip(ramp, 0, 1)[None, :]  # no fade towards the bottom edge: the body goes on
    # The photo keeps a soft bust (hair, neck, shoulders) even where GrabCut cut it off.
    person = np.maximum(head.mask, person_region(head.points, size)) * fade
    alpha = cv2.warpAffine(person, matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=0.0)[:, :, None]
    head = Head(head.points, head.mask * fade).warped(matrix, size)
    moved = cv2.warpAffine(photo, matrix, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    rows = np.linspace(1.0, 0.9, size, dtype=np.float32)[:, None, None]  # lighter at the top
    tint = np.array([1.0 + 0.04 * warmth, 1.0, 1.0 - 0.04 * warmth], np.float32)
    backdrop = np.clip(background * rows * tint, 0, 255)
    framed = np.clip(alpha * moved + (1.0 - alpha) * backdrop + 0.5, 0, 255).astype(np.uint8)
    return framed, head


FACE_HEIGHT_FRACTION = 0.46
"""Brow-to-chin height of a CelebA-framed face, as a fraction of the side (median of 99 photos: 0.46,
90 % under 0.50; UTKFace's tight crops framed by `frame_face`: 0.80)."""
TOO_CLOSE = 1.15
"""`zoom_out` shrinks faces this many times taller than FACE_HEIGHT_FRACTION, or more."""


def zoom_out(photo: np.ndarray, head: Head) -> tuple[np.ndarray, Head]:
    """A face that fills the square much more than a training face does (a tight crop, a close-up selfie)
    shrunk to the training faces' size on `reframe`'s light backdrop, centred, as the training pairs with
    small faces were made; any other photo comes back unchanged. A drawing made from a too-big face
    runs off the canvas, and the generator, which never saw one, paints a murky close-up."""
    height = face_height(head.points) / photo.shape[0]
    if height < FACE_HEIGHT_FRACTION * TOO_CLOSE:
        return photo, head
    background = sum(REFRAME_RANGES["background"]) / 2
    return reframe(photo, head, scale=FACE_HEIGHT_FRACTION / height, shift=0.0, background=background, warmth=0.0)


def frame_person(
    image: np.ndarray, size: int = 256, source: str = "auto", find: bool = True
) -> tuple[np.ndarray, Head | None]:
    """`frame_face`, and the person in the framed photo (None when dlib finds no face). With "auto"
    framing (any photo but an aligned CelebA one) a face that a tight crop leaves too big is shrunk to
    the training faces' size by `zoom_out`, so every source gives faces of one size. `find=False` says
    nothing needs the person: then dlib (~0.1 s) runs only for "auto" framing's face size."""
    photo = frame_face(image, size, source)
    if not find and source != "auto":
        return photo, None
    head = find_head(photo)
    if head is not None and source == "auto":
        photo, head = zoom_out(photo, head)
    return photo, head
