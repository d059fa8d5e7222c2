"""The image logic behind the drawing app: sketchpad values in, faces and line drawings out.

`app.py` only wires Gradio components to these functions, so everything that
touches pixels lives here and is tested without a browser or a server.
Conventions as in `data_prep`: drawings are uint8 H×W, dark lines on white paper;
faces are H×W×3 uint8 RGB. A sketchpad value is Gradio's ImageEditor dict
(`background`, `layers`, `composite`).
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from data_prep.edges import DEFAULT_METHOD, METHODS, edge_defaults, extract_edges
from data_prep.framing import frame_face
from data_prep.imageio import ImageLoadError, load_image
from p2p.inference import Drawing, FaceGenerator, ImageLike, prepare_drawing

CANVAS_SIZE = 512
"""Sketchpad side in pixels: twice the model's input, so strokes look smooth; halved on the way in."""
PHOTO_SIZE = 256
"""Uploaded photos are framed at the model's size; the edge parameters assume a 256-pixel face."""
MAX_SEED = 9999
"""Seeds (the noise slider) run from 0 to MAX_SEED."""
MAX_UPLOAD_BYTES = 20 * 2**20
"""Bigger uploads are refused before decoding (the pixel limit is `data_prep.imageio.MAX_PIXELS`)."""

EditorValue = dict[str, object]


class UploadError(ValueError):
    """An upload the app cannot use; the message is meant for the person who uploaded it."""


@dataclass(frozen=True)
class EdgeControl:
    """One slider of the photo-to-line-art panel: a parameter of `method`'s extractor and its range."""

    method: str
    name: str
    label: str
    minimum: float
    maximum: float
    step: float

    @property
    def value(self) -> float:
        """The extractor's default, the setting the training drawings were made with."""
        return edge_defaults(self.method)[self.name]


EDGE_CONTROLS: dict[str, tuple[EdgeControl, ...]] = {
    "canny": (
        EdgeControl("canny", "sigma", "Blur σ", 0.5, 3.0, 0.1),
        EdgeControl("canny", "high_percentile", "Threshold (gradient percentile)", 60.0, 98.0, 1.0),
        EdgeControl("canny", "low_ratio", "Low / high threshold", 0.1, 0.9, 0.05),
    ),
    "xdog": (
        EdgeControl("xdog", "sigma", "Blur σ", 0.3, 3.0, 0.1),
        EdgeControl("xdog", "epsilon", "Threshold ε", -0.4, 0.1, 0.01),
        EdgeControl("xdog", "p", "Sharpening p", 5.0, 100.0, 1.0),
    ),
}
"""The main thresholds of each method, in `METHODS` order (the app lays out one slider per entry)."""


def edge_params(method: str, values: Sequence[float]) -> dict[str, float]:
    """`extract_edges` keyword arguments for `method` from the values of all sliders (`EDGE_CONTROLS` order)."""
    controls = [(m, c) for m in METHODS for c in EDGE_CONTROLS[m]]
    if len(values) != len(controls):
        raise ValueError(f"expected {len(controls)} slider values, got {len(values)}")
    return {c.name: float(v) for (m, c), v in zip(controls, values) if m == method}


def load_upload(path: str | os.PathLike) -> np.ndarray:
    """An uploaded image file as RGB, or an `UploadError` that names the file (not the server's temp path)."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise UploadError(f"{path.name} is {size / 2**20:.1f} MB; images up to {MAX_UPLOAD_BYTES // 2**20} MB work.")
    try:
        return load_image(path)
    except ImageLoadError as err:
        raise UploadError(f"{path.name}: {str(err).removeprefix(f'{path}: ')}") from err


def load_photo(path: str | os.PathLike) -> np.ndarray:
    """An uploaded photo framed like the training faces (PHOTO_SIZE square around the face)."""
    return frame_face(load_upload(path), PHOTO_SIZE)


def photo_to_drawing(photo: np.ndarray, method: str = DEFAULT_METHOD, **params: float) -> np.ndarray:
    """The line drawing of a framed photo, through the same extractor the training data used."""
    return extract_edges(photo, method, **params)


def drawing_to_editor(drawing: ImageLike, size: int = CANVAS_SIZE) -> EditorValue:
    """A line drawing as a sketchpad value: white paper, the lines on a layer so the eraser can remove them."""
    lines = prepare_drawing(drawing, size)
    layer = np.zeros((size, size, 4), np.uint8)
    layer[:, :, 3] = 255 - lines
    return {
        "background": np.full((size, size, 3), 255, np.uint8),
        "layers": [layer],
        "composite": np.repeat(lines[:, :, None], 3, axis=2),
    }


def photo_editor(photo: np.ndarray, method: str, values: Sequence[float]) -> EditorValue:
    """The sketchpad value for a framed photo's line drawing, with the panel's slider values."""
    return drawing_to_editor(photo_to_drawing(photo, method, **edge_params(method, values)))


def load_drawing(path: str | os.PathLike) -> EditorValue:
    """A drawing file (an example) as a sketchpad value."""
    return drawing_to_editor(load_image(path))


def blank_editor(size: int = CANVAS_SIZE) -> EditorValue:
    """An empty sheet of white paper (also in dark mode) with one empty layer to draw on.

    The layer matters: Gradio's editor swallows its first change event (meant for loading the
    initial value), and loading a layer is what fires it; without one the first stroke would be lost.
    """
    paper = np.full((size, size, 3), 255, np.uint8)
    return {"background": paper, "layers": [np.zeros((size, size, 4), np.uint8)], "composite": paper}


def editor_image(value: EditorValue | None) -> np.ndarray | None:
    """What the person sees on the sketchpad (its composite), or None for an empty one."""
    if not value or value.get("composite") is None:
        return None
    return np.asarray(value["composite"])


def placeholder(size: int = 256) -> np.ndarray:
    """Shown instead of a face while there is nothing to turn into one."""
    image = np.full((size, size, 3), 236, np.uint8)
    centre, axes = (size // 2, size // 2), (size * 3 // 10, size * 2 // 5)
    for start in range(0, 360, 20):  # dashed head outline
        cv2.ellipse(image, centre, axes, 0, start, start + 10, (200, 200, 200), max(1, size // 128), cv2.LINE_AA)
    font, scale, thickness = cv2.FONT_HERSHEY_SIMPLEX, size / 400, max(1, size // 200)
    for i, text in enumerate(("Draw a face", "on the canvas")):
        (width, height), _ = cv2.getTextSize(text, font, scale, thickness)
        origin = ((size - width) // 2, size // 2 + (2 * i - 1) * height)
        cv2.putText(image, text, origin, font, scale, (110, 110, 110), thickness, cv2.LINE_AA)
    return image


def _model_input(generator: FaceGenerator, drawing: ImageLike | None) -> Drawing | None:
    """The drawing prepared for the generator, or None when nothing is drawn."""
    if drawing is None:
        return None
    prepared = generator.prepare(drawing)
    return None if prepared.blank else prepared


def face(generator: FaceGenerator, drawing: ImageLike | None, seed: float) -> np.ndarray:
    """The generated face for any drawing, or the placeholder when the drawing is empty or blank."""
    prepared = _model_input(generator, drawing)
    return placeholder(generator.size) if prepared is None else generator.generate([prepared], [int(seed)])[0]


def sample_seeds(seed: float, count: int) -> list[int]:
    """The `count` seeds after `seed` (wrapping at MAX_SEED): other dropout noise for the same drawing."""
    return [(int(seed) + i) % (MAX_SEED + 1) for i in range(1, count + 1)]


def samples(generator: FaceGenerator, drawing: ImageLike | None, seeds: Sequence[int]) -> list[tuple[np.ndarray, str]]:
    """Captioned faces for several seeds in one forward pass; none for an empty or blank drawing."""
    prepared = _model_input(generator, drawing)
    if prepared is None:
        return []
    return [(f, f"seed {s}") for f, s in zip(generator.generate([prepared] * len(seeds), seeds), seeds)]


def random_seed() -> int:
    """A fresh seed for the dice button."""
    return random.randint(0, MAX_SEED)
