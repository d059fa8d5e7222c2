"""Contact sheets: faces and drawings laid out in labelled grids, for people to look at before they trust a number.

Shared by `evaluation.evaluate` (its validation and folder sheets) and `evaluation.compare` (models side by side).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from data_prep.imageio import IMAGE_SUFFIXES, list_files

T = TypeVar("T")


def drawing_files(folder: Path) -> list[Path]:
    """The images in `folder` (searched recursively), in a stable order."""
    return [path for path in list_files(folder) if path.suffix.lower() in IMAGE_SUFFIXES]


def spread(items: Sequence[T], count: int) -> list[T]:
    """At most `count` items evenly spread over `items` (all of them when count <= 0)."""
    if count <= 0 or count >= len(items):
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, count).round().astype(int)]


def tile(image: np.ndarray, size: int) -> np.ndarray:
    """An RGB size×size thumbnail of a grey or RGB image."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


def join(images: Sequence[np.ndarray], axis: int, spacing: int) -> np.ndarray:
    """Same-size images side by side (axis 1) or stacked (axis 0), with white space between them."""
    shape = list(images[0].shape)
    shape[axis] = spacing
    space = np.full(shape, 255, np.uint8)
    return np.concatenate([part for image in images for part in (space, image)][1:], axis=axis)


def fitted(label: str, width: int, scale: float) -> str:
    """The label, shortened to "start..end" if it is wider than `width` px, so it stays over its column."""

    def wide(text: str) -> bool:
        return cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] > width

    text, keep = label, len(label)
    while wide(text) and keep > 2:
        keep -= 1  # characters kept: the first half of them from the start, the rest from the end
        text = f"{label[: keep // 2]}..{label[len(label) - (keep - keep // 2) :]}"
    return text


def sheet(cells: Sequence[Sequence[np.ndarray]], size: int, columns: int = 1, labels: Sequence[str] = ()) -> np.ndarray:
    """Cells (each a few images shown side by side) laid out `columns` per row, with an optional header row."""
    inner, outer = 2, max(4, size // 12)
    strips = [join([tile(image, size) for image in cell], 1, inner) for cell in cells]
    strips += [np.full_like(strips[0], 255)] * (-len(strips) % columns)
    out = join([join(strips[r : r + columns], 1, outer) for r in range(0, len(strips), columns)], 0, outer)
    if labels:
        header = np.full((size // 6, out.shape[1], 3), 255, np.uint8)
        for i, label in enumerate(labels):
            origin = (i * (size + inner) + 4, size // 8)
            text = fitted(label, size - 8, size / 400)
            cv2.putText(header, text, origin, cv2.FONT_HERSHEY_SIMPLEX, size / 400, (0, 0, 0), 1, cv2.LINE_AA)
        out = np.vstack([header, out])
    return out


def write_png(path: Path, rgb: np.ndarray) -> None:
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
