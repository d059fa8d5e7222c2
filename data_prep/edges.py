"""Photo to drawing in every training style (Canny, XDoG, pencil, simple line art), plus the edges CLI.

Convention everywhere (training data, app, command line): one channel uint8,
black lines (0) on white paper (255).

Real photos are small JPEGs (CelebA is 178x218) and both detectors love JPEG
block edges, skin pores and hair texture. Line art a person could draw shows
the face outline, eyes, brows, nose, mouth and the hair outline, so both
methods share one cleaning recipe: edge-preserving smoothing before detection
(two bilateral passes, which flatten texture and 8x8 blocks but keep contours),
and removal of tiny connected line fragments afterwards. The defaults were
chosen by looking at contact sheets of ~40 CelebA and UTKFace photos (dark
backgrounds, glasses, beards, curly and blond hair): XDoG is the default
because it gives the more complete, drawn-looking faces (eyes, nose, lips,
face and hair outline); Canny gives simpler, more cartoon-like outlines and is
mixed in at build time for variety.

Two more styles make the training drawings look like the drawings people make
(`STYLES`): "pencil", an artist's pencil portrait (soft grey contours, hatching
in dark areas, paper tone, no background), and "lineart", a few smooth strokes
from facial landmarks (`data_prep.lineart`). Both need the person's head
(`data_prep.head`): photos where no face is found give no drawing in them.
`extract_edges` draws any style; `METHODS` are the photo-only edge maps.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from tqdm import tqdm

from data_prep.framing import SOURCES, detect_source, frame_person
from data_prep.head import Head, find_head
from data_prep.imageio import IMAGE_SUFFIXES, ImageLoadError, image_size, list_files, load_image
from data_prep.lineart import draw_lineart

METHODS = ("canny", "xdog")
"""Edge extractors that need only the photo (the app offers these, with their thresholds as sliders)."""
STYLES = (*METHODS, "pencil", "lineart")
"""Every drawing style of the training data; `HEAD_STYLES` need the person's head."""
HEAD_STYLES = frozenset({"pencil", "lineart"})
DEFAULT_METHOD = "xdog"
"""The extraction the default model is trained on, used by the app and the edges CLI."""
MIN_GRADIENT = 8.0
"""Sobel magnitudes (of 0-255 intensities) below this are flat: no Canny threshold from them."""
INK_LEVEL = 0.98
"""XDoG tones below this are part of a stroke."""
REFERENCE_SIDE = 256
"""Pixel parameters (sigmas, areas, widths) are given for a face this many pixels wide."""


def to_gray(image: np.ndarray) -> np.ndarray:
    """Luminance of an RGB or gray uint8 image (uint8 HxW)."""
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3:
        return cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_RGB2GRAY)
    if image.ndim != 2:
        raise ValueError(f"expected an HxW or HxWx3 image, got shape {image.shape}")
    return image


def pixel_scale(gray: np.ndarray) -> float:
    """Factor from :data:`REFERENCE_SIDE` pixels to this image's pixels."""
    return min(gray.shape) / REFERENCE_SIDE


def equalize(gray: np.ndarray, clip_limit: float) -> np.ndarray:
    """Local contrast equalisation (CLAHE), so faint features on pale faces count.

    Without it XDoG draws dark regions in detail and pale skin not at all.
    """
    if clip_limit <= 0:
        return gray
    return cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(4, 4)).apply(gray)


def smooth(gray: np.ndarray, strength: float) -> np.ndarray:
    """Edge-preserving smoothing (float32 in [0, 1] out) against JPEG blocks and skin texture.

    ``strength`` is the bilateral spatial sigma in pixels; 0 disables.
    """
    if strength > 0:
        # Two gentle passes flatten texture better than one strong pass, which
        # would start rounding off contours. (uint8 is 3x faster than float.)
        for _ in range(2):
            gray = cv2.bilateralFilter(gray, d=-1, sigmaColor=20.0, sigmaSpace=strength)
    return gray.astype(np.float32) / 255.0


def remove_small_lines(lines: np.ndarray, min_area: float) -> np.ndarray:
    """Drop connected line fragments smaller than ``min_area`` pixels (bool mask)."""
    if min_area <= 1 or not lines.any():
        return lines
    _, labels, stats, _ = cv2.connectedComponentsWithStats(lines.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False  # background label
    return keep[labels]


def thicken(lines: np.ndarray, stroke_width: float) -> np.ndarray:
    """Dilate a thin line mask to about ``stroke_width`` pixels."""
    width = round(stroke_width)
    if width <= 1:
        return lines
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width))
    return cv2.dilate(lines.astype(np.uint8), kernel).astype(bool)


def canny_edges(
    image: np.ndarray,
    *,
    sigma: float = 1.5,
    smoothing: float = 4.0,
    high_percentile: float = 83.0,
    low_ratio: float = 0.4,
    min_area: float = 40.0,
    stroke_width: float = 2.0,
) -> np.ndarray:
    """Canny line drawing with thresholds chosen automatically per image.

    The high threshold is the ``high_percentile`` of the gradient magnitude over
    the non-flat pixels (so exposure and contrast do not matter, and a simple
    drawing with few edges still gets them), the low one ``low_ratio`` times it.
    ``sigma``: Gaussian pre-blur, ``smoothing``: bilateral strength, fragments
    under ``min_area`` pixels are dropped, lines are dilated to ``stroke_width``.
    Pixel parameters are for a 256-pixel image and scale with the image.
    """
    gray = to_gray(image)
    scale = pixel_scale(gray)
    gray = smooth(gray, smoothing * scale)
    if sigma > 0:
        gray = cv2.GaussianBlur(gray, (0, 0), sigma * scale)
    gray8 = np.clip(gray * 255.0 + 0.5, 0, 255).astype(np.uint8)
    gx = cv2.Sobel(gray8, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray8, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)
    textured = magnitude[magnitude >= MIN_GRADIENT]
    if textured.size == 0:
        lines = np.zeros(gray.shape, bool)  # flat image: nothing to draw
    else:
        high = float(np.percentile(textured, high_percentile))
        lines = cv2.Canny(gray8, low_ratio * high, high, apertureSize=3, L2gradient=True) > 0
    lines = thicken(remove_small_lines(lines, min_area * scale**2), stroke_width * scale)
    return np.where(lines, 0, 255).astype(np.uint8)


def xdog_edges(
    image: np.ndarray,
    *,
    sigma: float = 0.8,
    k: float = 1.6,
    p: float = 50.0,
    epsilon: float = -0.1,
    phi: float = 50.0,
    clahe: float = 2.0,
    smoothing: float = 4.0,
    min_area: float = 30.0,
) -> np.ndarray:
    """XDoG line drawing after Winnemöller et al. 2012, near-binary.

    On intensities in [0, 1]: S = (1 + p)·G_sigma − p·G_{k·sigma}, then
    T(u) = 1 if u ≥ epsilon else 1 + tanh(phi·(u − epsilon)). A flat region has
    S = its intensity, so ``epsilon`` < 0 keeps even black hair and backgrounds
    white (line art, not fills); only contrast, amplified by ``p``, draws lines.
    ``phi`` = 50 makes the output nearly binary. Before: CLAHE with clip limit
    ``clahe`` and bilateral ``smoothing``; after: fragments under ``min_area``
    pixels are dropped. Pixel parameters are for a 256-pixel image and scale.
    """
    gray = to_gray(image)
    scale = pixel_scale(gray)
    gray = smooth(equalize(gray, clahe), smoothing * scale)
    blur = cv2.GaussianBlur(gray, (0, 0), sigma * scale)
    wide = cv2.GaussianBlur(gray, (0, 0), k * sigma * scale)
    sharpened = (1.0 + p) * blur - p * wide
    tone = np.where(sharpened >= epsilon, 1.0, 1.0 + np.tanh(phi * (sharpened - epsilon)))
    # Soft edges of strokes are kept (anti-aliasing); isolated specks go.
    ink = remove_small_lines(tone < INK_LEVEL, min_area * scale**2)
    tone = np.where(ink, tone, 1.0)
    return np.clip(tone * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _streaks(shape: tuple[int, int], angle: float, length: int, rng: np.random.Generator) -> np.ndarray:
    """Random short parallel strokes at ``angle`` degrees: noise smeared along one direction, 0-1."""
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2] = 1.0
    rotation = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (length, length))
    smeared = cv2.filter2D(rng.random(shape, np.float32), -1, kernel / kernel.sum())
    return np.clip((smeared - 0.5) * 6.0 + 0.5, 0.0, 1.0)


def pencil_sketch(
    image: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    blur: float = 4.0,
    darkness: float = 3.0,
    hatching: float = 0.4,
    angle: float = 45.0,
    paper: float = 245.0,
    pressure: float = 1.0,
    shadow: float = 0.35,
    smoothing: float = 3.0,
    variant: float = 0.0,
) -> np.ndarray:
    """Pencil portrait like an artist's sketch (FS2K, CUFS): grey, soft, hatched, uint8 HxW.

    Contours come from a colour dodge (the smoothed photo divided by a
    ``blur``-pixel blur of itself, contrast ``darkness``), which gives soft grey
    lines of varying weight rather than XDoG's near-binary ones. Dark areas
    (hair, shadows) get hatching at ``angle`` degrees, cross-hatching where
    darker, ``hatching`` its strength, ``shadow`` the tone (0-1) below which an area
    counts as dark; ``variant`` seeds the strokes. ``paper`` is the paper's grey
    level and ``pressure`` (0-1) how dark the darkest stroke is: grey pencil,
    not ink. Where ``mask`` (1 = person) is 0 the paper stays empty: artists
    draw the person, not the background.
    """
    gray = to_gray(image)
    scale = pixel_scale(gray)
    tone = smooth(gray, smoothing * scale)
    dodge = np.clip(tone / np.maximum(cv2.GaussianBlur(tone, (0, 0), blur * scale), 1e-3), 0.0, 1.0)
    lines = np.clip(1.0 - (1.0 - dodge) * darkness, 0.0, 1.0)
    shade = np.clip(1.0 - cv2.GaussianBlur(tone, (0, 0), 2.0 * scale) / shadow, 0.0, 1.0)
    rng = np.random.default_rng(round(variant * 2**32))
    length = max(3, round(11 * scale)) | 1
    hatch = shade * (1.0 - _streaks(gray.shape, angle, length, rng))
    hatch += np.clip(2.0 * shade - 1.0, 0.0, 1.0) * (1.0 - _streaks(gray.shape, angle + 90.0, length, rng))
    ink = (1.0 - lines * (1.0 - np.clip(hatching * hatch, 0.0, 0.6))) * pressure
    if mask is not None:
        ink *= mask
    return np.clip((1.0 - ink) * paper + 0.5, 0, 255).astype(np.uint8)


class NoFaceFound(ValueError):
    """A face-based style (`HEAD_STYLES`) cannot draw a photo in which dlib finds no face."""


_DRAWERS: dict[str, Callable[..., np.ndarray]] = {
    "canny": canny_edges,
    "xdog": xdog_edges,
    "pencil": pencil_sketch,
    "lineart": draw_lineart,
}


def extract_edges(
    image: np.ndarray, method: str = DEFAULT_METHOD, head: Head | None = None, **params: float
) -> np.ndarray:
    """Drawing of a square ``image`` (uint8 RGB, or gray for the edge maps) in any of `STYLES`.

    `HEAD_STYLES` need the person's head: pass ``head`` (`data_prep.head.find_head`) to reuse one,
    else it is found here (~130 ms), and :class:`NoFaceFound` is raised when there is none.
    """
    if method not in _DRAWERS:
        raise ValueError(f"unknown drawing style {method!r}; expected one of {STYLES}")
    if method not in HEAD_STYLES:
        return _DRAWERS[method](image, **params)
    if head is None:
        head = find_head(image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB))
        if head is None:
            raise NoFaceFound("no face found (dlib HOG detector), needed for the pencil and lineart styles")
    if method == "lineart":
        return draw_lineart(head, **params)
    # Pencil: a margin around the person, so the outline of the hair is drawn.
    margin = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * round(4 * pixel_scale(head.mask)) + 1,) * 2)
    return pencil_sketch(image, cv2.dilate(head.mask, margin), **params)


def edge_defaults(method: str) -> dict[str, float]:
    """The default parameters of a style (recorded in dataset manifests)."""
    if method not in _DRAWERS:
        raise ValueError(f"unknown drawing style {method!r}; expected one of {STYLES}")
    signature = inspect.signature(_DRAWERS[method])
    return {name: p.default for name, p in signature.parameters.items() if p.kind is p.KEYWORD_ONLY}


JITTER_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "canny": {"sigma": (1.0, 2.0), "smoothing": (3.0, 5.0), "high_percentile": (78.0, 88.0)},
    "xdog": {"sigma": (0.7, 1.0), "p": (35.0, 70.0), "epsilon": (-0.15, -0.05), "smoothing": (3.0, 5.0)},
    "pencil": {
        "blur": (2.0, 6.0),
        "darkness": (2.0, 5.0),
        "hatching": (0.2, 0.9),
        "angle": (20.0, 70.0),
        "paper": (225.0, 255.0),
        "pressure": (0.55, 1.0),
        "shadow": (0.3, 0.6),
        "variant": (0.0, 1.0),
    },
    "lineart": {
        "stroke_width": (1.0, 4.0),
        "wobble": (0.0, 2.5),
        "simplify": (0.0, 3.0),
        "variant": (0.0, 1.0),
        "hair": (0.0, 1.0),  # data_prep.lineart.HAIR_NONE / HAIR_CAP: none 20 %, a guessed cap 30 %, the outline 50 %
    },
}
"""Uniform ranges for per-sample parameter jitter (build time); others stay default."""


def jitter_params(method: str, rng: np.random.Generator) -> dict[str, float]:
    """Random drawing parameters of one training sample in style ``method``, for variety."""
    if method not in JITTER_RANGES:
        raise ValueError(f"unknown drawing style {method!r}; expected one of {STYLES}")
    return {name: round(float(rng.uniform(low, high)), 4) for name, (low, high) in JITTER_RANGES[method].items()}


def output_paths(paths: Sequence[Path], src: Path, dst: Path) -> dict[Path, Path]:
    """Where each drawing goes: same relative path under ``dst`` with .png, never two on one file.

    ``a.png`` and ``a.jpg`` in one folder would both become ``a.png``; such
    clashes keep their suffix in the name instead (``a_png.png``, ``a_jpg.png``).
    """
    if src.is_file():
        return {paths[0]: dst if dst.suffix.lower() == ".png" else dst / f"{paths[0].stem}.png"} if paths else {}
    plain = {path: (dst / path.relative_to(src)).with_suffix(".png") for path in paths}
    taken = Counter(plain.values())
    return {
        path: target.with_name(f"{path.stem}_{path.suffix.lstrip('.')}.png") if taken[target] > 1 else target
        for path, target in plain.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m data_prep.edges SRC DST``: photos to drawings (PNG, same relative paths).

    Returns 0 if at least one image was converted, 1 otherwise.
    """
    parser = argparse.ArgumentParser(
        prog="python -m data_prep.edges",
        description="Turn a photo or a folder of photos into drawings (dark lines on white PNG).",
    )
    parser.add_argument("src", type=Path, help="an image file or a folder (searched recursively)")
    parser.add_argument("dst", type=Path, help="output folder (or a .png path when SRC is one file)")
    parser.add_argument(
        "--method",
        choices=STYLES,
        default=DEFAULT_METHOD,
        help=f"drawing style (default {DEFAULT_METHOD}); pencil and lineart skip photos where no face is found",
    )
    parser.add_argument("--size", type=int, default=256, help="side of the square output (default 256)")
    parser.add_argument(
        "--framing",
        choices=SOURCES,
        help="face framing (default: celeba if all images are 178x218, else auto face detection)",
    )
    args = parser.parse_args(argv)
    if not args.src.exists():
        parser.error(f"{args.src} does not exist")
    if args.size < 16:
        parser.error("--size must be at least 16")

    paths = [path for path in list_files(args.src) if path.suffix.lower() in IMAGE_SUFFIXES]
    targets = output_paths(paths, args.src, args.dst)
    framing = args.framing or detect_source(image_size(path) for path in paths)
    converted, failures = 0, []
    for path in tqdm(paths, unit="image", desc="edges", dynamic_ncols=True):
        try:
            photo, head = frame_person(load_image(path), args.size, framing, find=args.method in HEAD_STYLES)
            drawing = extract_edges(photo, args.method, head)
        except ImageLoadError as error:  # its message names the file
            failures.append(str(error))
            continue
        except NoFaceFound as error:
            failures.append(f"{path}: {error}")
            continue
        targets[path].parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(drawing).save(targets[path])
        converted += 1
    for failure in failures:
        print(f"skipped {failure}", file=sys.stderr)
    print(f"{converted} drawing(s) written to {args.dst}, {len(failures)} skipped", file=sys.stderr)
    return 0 if converted else 1


if __name__ == "__main__":
    sys.exit(main())
