"""Robust image loading: any file or array a user hands us becomes RGB uint8.

Photo folders in the wild contain grayscale, CMYK, 16-bit, transparent and
EXIF-rotated images next to zero-byte, truncated and non-image files. Every
consumer (dataset build, app uploads, inference) goes through this module so
they all convert the same way and fail with one exception type whose message
names the file and the reason, never half-way through a long job.
"""

from __future__ import annotations

import warnings
from os import PathLike
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

JPEG_QUALITY = 95
"""Quality of the JPEGs data_prep writes (the pairs); the evaluation stores generated faces alike."""
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"})
"""File suffixes treated as images when scanning a folder."""

MAX_PIXELS = 40_000_000
"""Largest image accepted; larger ones (and decompression bombs) are refused."""
MAX_SIDE = 1024
"""Files are decoded to at most this many pixels on a side by default: a drawing never needs more (the
app's canvas is 512), nor does framing a face at 256, and a full-size 40-megapixel RGBA image would
cost over 2 GB of float copies."""

# PIL warns above its limit and only errors at twice it; make the limit ours and
# turn the warning into an error so nothing huge is ever decoded.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False


class ImageLoadError(ValueError):
    """An image that cannot be used; the message names the file and the reason."""


def _scale_to_uint8(array: np.ndarray) -> np.ndarray:
    """Map any numeric array to uint8 by its dtype's natural range."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.floating):
        finite = np.nan_to_num(array.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        # Floats are either in [0, 1] (the usual convention) or in [0, 255].
        peak = 1.0 if finite.size == 0 or finite.max() <= 1.0 else 255.0
        return np.clip(np.rint(finite * (255.0 / peak)), 0, 255).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        # 16-bit (and wider) images use their full range; small values in a wide
        # integer dtype are usually 8-bit data that was merely upcast.
        peak = 65535 if array.size and array.max() > 255 else 255
        scaled = np.rint(np.clip(array, 0, peak) * (255.0 / peak))
        return scaled.astype(np.uint8)
    raise ImageLoadError(f"unsupported array dtype {array.dtype}")


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4) or 0 in array.shape:
        raise ImageLoadError(f"unsupported image shape {array.shape}")
    channels = array.shape[2]
    array = _scale_to_uint8(array)
    if channels in (2, 4):  # gray+alpha or RGBA: composite on white, in 16-bit integers (no float copies)
        alpha = array[:, :, -1:].astype(np.uint16)
        mixed = array[:, :, :-1] * alpha + (255 - alpha) * 255 + 127
        array = (mixed // 255).astype(np.uint8)
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array)


def _pil_to_rgb(image: Image.Image) -> np.ndarray:
    image = ImageOps.exif_transpose(image)
    mode = image.mode
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        image = image.convert("RGB")
    elif mode == "1":
        image = image.convert("L")
    elif mode == "PA":
        image = image.convert("RGBA")
    elif mode.startswith("I;16") or mode == "I":
        # 16-bit grayscale: keep full precision until scaled to 8 bits.
        return _array_to_rgb(np.asarray(image).astype(np.int64))
    elif mode == "F":
        return _array_to_rgb(np.asarray(image, dtype=np.float32))
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA")
    return _array_to_rgb(np.asarray(image))


def to_rgb(image: Image.Image | np.ndarray) -> np.ndarray:
    """Return ``image`` as an HxWx3 uint8 RGB array.

    Accepts any PIL mode (EXIF orientation applied) or numpy array: gray, gray+
    alpha, RGB, RGBA (transparency composited on white, the paper colour of a
    drawing), 16-bit or float data scaled by its range.
    """
    if isinstance(image, Image.Image):
        return _pil_to_rgb(image)
    if isinstance(image, np.ndarray):
        return _array_to_rgb(image)
    raise TypeError(f"expected a PIL image or numpy array, got {type(image).__name__}")


def _too_large(size: str = "") -> str:
    """The one refusal message for images over :data:`MAX_PIXELS`, whoever noticed it."""
    return f"too large ({size + ' pixels, ' if size else ''}the limit is {MAX_PIXELS:,} pixels)"


def _shrink(image: Image.Image, max_side: int) -> Image.Image:
    """Box-average by an integer factor so the longer side is at most ``max_side``.

    A band of rows at a time: ``Image.reduce`` of a whole RGBA (or palette) image would first make a
    full-size premultiplied (or converted) copy, doubling the peak memory of a large upload.
    """
    factor = -(-max(image.size) // max_side)
    if factor <= 1:
        return image
    width, height = image.size
    band = 64 * factor
    parts = []
    for top in range(0, height, band):
        part = image.crop((0, top, width, min(top + band, height)))
        if part.mode in ("1", "P") or part.mode.startswith("I;16"):  # modes Image.reduce cannot average
            part = part.convert({"1": "L", "P": "RGBA"}.get(part.mode, "I"))
        parts.append(part.reduce(factor))
    shrunk = Image.new(parts[0].mode, (parts[0].width, sum(part.height for part in parts)))
    for index, part in enumerate(parts):
        shrunk.paste(part, (0, index * parts[0].height))
    shrunk.info = dict(image.info)  # EXIF orientation, palette transparency
    return shrunk


def load_image(path: str | PathLike[str], max_side: int | None = MAX_SIDE) -> np.ndarray:
    """Read an image file as HxWx3 uint8 RGB, or raise :class:`ImageLoadError`.

    Images with a side over ``max_side`` come back shrunk by an integer factor to at most ``max_side``
    (None: full size). JPEGs are decoded at reduced scale straight away, other formats are reduced
    right after decoding, so memory stays near the decoded file's own size.
    """
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ImageLoadError(f"{path}: empty file (0 bytes)")
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageLoadError(f"{path}: {_too_large(f'{width}x{height}')}")
                if not max_side or max(width, height) <= max_side:
                    image.load()
                    return to_rgb(image)
                scale = max_side / max(width, height)
                image.draft(None, (max(1, round(width * scale)), max(1, round(height * scale))))
                image.load()
                shrunk = _shrink(image, max_side)
            return to_rgb(shrunk)  # closing the file freed the full-size decode
    except ImageLoadError as error:
        if str(path) in str(error):
            raise
        raise ImageLoadError(f"{path}: {error}") from error
    except FileNotFoundError as error:
        raise ImageLoadError(f"{path}: file not found") from error
    except IsADirectoryError as error:
        raise ImageLoadError(f"{path}: is a directory") from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageLoadError(f"{path}: {_too_large()}") from error
    except UnidentifiedImageError as error:
        raise ImageLoadError(f"{path}: not an image or unsupported format") from error
    except OSError as error:  # truncated or corrupt data, unreadable file
        raise ImageLoadError(f"{path}: corrupt or truncated image ({error})") from error
    except (ValueError, SyntaxError, EOFError) as error:  # malformed headers in some plugins
        raise ImageLoadError(f"{path}: corrupt image ({error})") from error


def list_files(src: str | PathLike[str]) -> list[Path]:
    """``src`` itself if a file, else every non-hidden file below it, sorted.

    Non-image files are listed too, so callers can report them as skipped.
    """
    src = Path(src)
    if src.is_file():
        return [src]
    return sorted(
        path
        for path in src.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(src).parts)
    )


def image_size(path: str | PathLike[str]) -> tuple[int, int] | None:
    """(width, height) from the file header without decoding, or None if unreadable."""
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
