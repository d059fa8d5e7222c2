"""The image logic behind the app: drawings in, faces and line drawings out.

`app.py` only wires components to these functions, so everything that touches
pixels lives here and is tested without a browser or a server. Conventions as
in `data_prep`: drawings are uint8 H×W, dark lines on white paper; faces are
H×W×3 uint8 RGB. Between the page and the server, images travel as PNG data
URLs (`data:image/png;base64,...`): the live canvas sends its drawing as one
and shows the face it gets back, with no file upload or download in between.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from data_prep.edges import DEFAULT_METHOD, STYLES, NoFaceFound, edge_defaults, extract_edges
from data_prep.framing import frame_person
from data_prep.head import find_head
from data_prep.imageio import MAX_PIXELS, ImageLoadError, load_image, to_rgb
from p2p.inference import Drawing, FaceGenerator, ImageLike
from ui.photo_lineart import photo_lineart

PHOTO_SIZE = 256
"""Uploaded photos are framed at the model's size; the edge parameters assume a 256-pixel face."""
MAX_UPLOAD_BYTES = 20 * 2**20
"""Bigger uploads are refused before decoding (the pixel limit is `data_prep.imageio.MAX_PIXELS`)."""
PNG_PREFIX = "data:image/png;base64,"
STYLE_LABELS = {"lineart": "Line art (as drawn)", "xdog": "XDoG", "canny": "Canny", "pencil": "Pencil"}
"""Names in the photo panel; a style of `data_prep.edges.STYLES` not listed here shows under its own name."""
PANEL_STYLE = "pencil"
"""The panel's first choice: of all styles, its faces are most often the person in the photo (73 % by dlib
against 33 % for XDoG and 7 % for complete line art) and the hardest to tell from photos (docs/photo_styles.md)."""


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
"""The main thresholds of the styles that have sliders; any other style in `STYLES` runs with its defaults."""


def style_choices() -> list[tuple[str, str]]:
    """(label, style) for every drawing style data_prep has, the panel's first choice first."""
    ordered = sorted(STYLES, key=lambda style: style != PANEL_STYLE)
    return [(STYLE_LABELS.get(style, style), style) for style in ordered]


def styles_with_controls() -> list[str]:
    """The styles that have sliders, in `STYLES` order."""
    return [m for m in STYLES if m in EDGE_CONTROLS]


def edge_controls() -> list[EdgeControl]:
    """Every slider of the panel, in `STYLES` order (the app lays out one slider per entry)."""
    return [c for m in styles_with_controls() for c in EDGE_CONTROLS[m]]


def edge_params(method: str, values: Sequence[float]) -> dict[str, float]:
    """`extract_edges` keyword arguments for `method` from the values of all sliders (`edge_controls` order)."""
    controls = edge_controls()
    if len(values) != len(controls):
        raise ValueError(f"expected {len(controls)} slider values, got {len(values)}")
    return {c.name: float(v) for c, v in zip(controls, values) if c.method == method}


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
    """An uploaded photo framed like the training faces: a PHOTO_SIZE square around the face, with a face
    that a tight crop leaves too big shrunk onto a light backdrop (`frame_person`)."""
    return frame_person(load_upload(path), PHOTO_SIZE)[0]


def photo_to_drawing(photo: np.ndarray, method: str = DEFAULT_METHOD, **params: float) -> np.ndarray:
    """The line drawing of a framed photo, through the same extractor the training data used; line art is
    the complete one of `ui.photo_lineart` (a person's photo keeps every feature), not training's random mix.

    Styles drawn from the face's landmarks raise `UploadError` when no face is found in the photo.
    """
    try:
        if method != "lineart":
            return extract_edges(photo, method, **params)
        head = find_head(photo)
        if head is None:
            raise NoFaceFound("no face found (dlib HOG detector)")
        return photo_lineart(head)
    except NoFaceFound as err:
        raise UploadError(
            f"No face found in this photo, which the {STYLE_LABELS.get(method, method)} style needs; try XDoG or Canny."
        ) from err


def photo_lines(photo: np.ndarray, method: str, values: Sequence[float]) -> str:
    """The line drawing of a framed photo with the panel's slider values, ready for the canvas."""
    return to_data_url(photo_to_drawing(photo, method, **edge_params(method, values)))


def drawing_url(path: str | os.PathLike) -> str:
    """A drawing file (an example) as a data URL for the canvas."""
    return to_data_url(load_image(path))


def to_png(image: np.ndarray) -> bytes:
    """A gray or RGB uint8 image as PNG bytes: lossless, with zlib's fast run-length setting (a few ms)."""
    pixels = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    options = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
    ok, png = cv2.imencode(".png", pixels, options)
    if not ok:
        raise ValueError(f"cannot encode a {image.shape} {image.dtype} image as PNG")
    return png.tobytes()


def to_data_url(image: np.ndarray) -> str:
    """A gray or RGB uint8 image as a PNG data URL (`to_png`)."""
    return PNG_PREFIX + base64.b64encode(to_png(image)).decode("ascii")


def from_data_url(url: str) -> np.ndarray:
    """The drawing in an image data URL sent by the canvas, as RGB (transparency on white); else `UploadError`."""
    header, comma, payload = url.partition(",") if isinstance(url, str) else ("", "", "")
    if not (comma and header.startswith("data:image/") and header.endswith(";base64")):
        raise UploadError("the drawing is not an image data URL")
    if len(payload) * 3 // 4 > MAX_UPLOAD_BYTES:
        raise UploadError(f"the drawing is over {MAX_UPLOAD_BYTES // 2**20} MB")
    try:
        data = base64.b64decode(payload, validate=True)
    except binascii.Error as err:
        raise UploadError("the drawing's data URL is not valid base64") from err
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:  # checked before decoding: no decompression bombs
                raise UploadError(f"the drawing is too large ({image.width}×{image.height} pixels)")
            return to_rgb(image)
    except (OSError, ImageLoadError) as err:
        raise UploadError("the drawing could not be decoded as an image") from err


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


def face(generator: FaceGenerator, drawing: ImageLike | None, seed: int) -> np.ndarray:
    """The generated face for any drawing, or the placeholder when the drawing is empty or blank."""
    prepared = _model_input(generator, drawing)
    return placeholder(generator.size) if prepared is None else generator.generate([prepared], [seed])[0]


def samples(generator: FaceGenerator, drawing: ImageLike | None, seeds: Sequence[int]) -> list[tuple[np.ndarray, str]]:
    """Captioned faces for several seeds in one forward pass; none for an empty or blank drawing."""
    prepared = _model_input(generator, drawing)
    if prepared is None:
        return []
    return [(f, f"seed {s}") for f, s in zip(generator.generate([prepared] * len(seeds), seeds), seeds)]
