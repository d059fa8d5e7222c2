"""Stroke realism for training drawings, applied on the fly.

A generator trained only on clean, machine-extracted edges learns their exact
look (one-pixel-perfect lines that follow every photo contour) and fails on a
person's drawing: other stroke widths, gaps, wobbly lines, pencil grey. So the
training drawings are degraded towards human strokes, in two places:

* At build time (``data_prep.build``), the extraction itself varies: every
  photo gets one pair per method (Canny and XDoG) and each pair's parameters
  are jittered by a seed derived from its file name. Extraction is the slow part
  (tens of ms) and needs the photo, so it belongs in the build, and seeding by
  name keeps builds reproducible and resumable.
* During training (this module), the trainer calls :func:`augment_drawing` on
  each drawing every time it is loaded: random stroke width, missing line
  segments, a small smooth deformation and pencil-like softness. These are cheap
  (about a millisecond at 256 px) and on the fly every epoch sees a different
  variant of every drawing, far more variety than a fixed set of copies on disk.

The degradations suit the style of the drawing (``STYLES``; the trainer can
pass it from the pair's file name with :func:`style_of`, else it is guessed
from the pixels): edge maps get everything above; sparse line art, already
varied by the build, is never erased (width, warp and grey only); pencil
sketches keep their shading and get tone, softness and warp instead of binary
stroke edits.

Drawings follow the project convention: uint8 HxW, lines 0 on white 255.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

LINE_LEVEL = 128
"""Pixels darker than this count as line."""
STYLES = ("edges", "lineart", "pencil")
"""Augmentation families: dense edge maps (canny, xdog), sparse strokes (lineart), shaded pencil."""
SPARSE_STROKES = 10
"""A near-binary drawing with fewer separate strokes than this is line art (edge maps have 10-70 fragments)."""
MID_TONES = (48, 208)
"""Pencil shading lives between these levels; binary line art has only stroke rims there."""
PENCIL_MID_TONE_FRACTION = 0.04

_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
_SQUARE2 = np.ones((2, 2), np.uint8)
_DISC3 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


def vary_stroke_width(drawing: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Keep, thin or thicken the strokes (thinning never erases thin lines)."""
    choice = rng.random()
    if choice < 0.35:
        return drawing
    if choice < 0.6:  # thin: remove the rim of strokes wider than ~2 px
        lines = (drawing < LINE_LEVEL).astype(np.uint8)
        core = cv2.erode(lines, _CROSS)
        wide = cv2.dilate(core, _DISC3)
        rim = (lines > 0) & (wide > 0) & (core == 0)
        return np.where(rim, np.uint8(255), drawing)
    kernel = _SQUARE2 if choice < 0.85 else _DISC3
    return cv2.erode(drawing, kernel)  # the minimum filter grows dark lines


def erase_segments(drawing: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Erase a few small patches of line, like strokes a person left out."""
    count = int(rng.integers(0, 7))
    if count == 0:
        return drawing
    rows, cols = np.nonzero(drawing < LINE_LEVEL)
    if rows.size == 0:
        return drawing
    picks = rng.integers(0, rows.size, count)
    radii = rng.integers(2, max(3, drawing.shape[0] // 25) + 1, count)
    out = drawing.copy()
    for index, radius in zip(picks, radii):
        cv2.circle(out, (int(cols[index]), int(rows[index])), int(radius), 255, thickness=-1)
    return out


@lru_cache(maxsize=8)
def _identity_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return xs, ys


def deform(drawing: np.ndarray, rng: np.random.Generator, max_shift: float = 3.0) -> np.ndarray:
    """Smooth random warp of up to ~``max_shift`` pixels (wobbly hand, off proportions)."""
    height, width = drawing.shape
    amplitude = rng.uniform(0.0, max_shift) * max(height, width) / 256.0
    if amplitude < 0.25:
        return drawing
    # A coarse random grid, upsampled smoothly, is a low-frequency displacement field.
    coarse = rng.normal(0.0, amplitude / 2.0, size=(2, 4, 4)).astype(np.float32)
    dx = cv2.resize(coarse[0], (width, height), interpolation=cv2.INTER_CUBIC)
    dy = cv2.resize(coarse[1], (width, height), interpolation=cv2.INTER_CUBIC)
    xs, ys = _identity_grid(height, width)
    return cv2.remap(
        drawing,
        xs + dx,
        ys + dy,
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,  # the paper's own tone at the edges (pencil paper is not white)
    )


def pencil(drawing: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sometimes soften the strokes and make them grey, like pencil or a light pen."""
    out = drawing
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 0.9))
    if rng.random() < 0.3:
        darkness = rng.uniform(0.45, 0.9)  # 1 = black lines
        out = (255.0 - (255.0 - out.astype(np.float32)) * darkness).astype(np.uint8)
    return out


def pencil_tone(drawing: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lighter or darker shading and another paper tone, like another pencil, hand or scan."""
    gamma = rng.uniform(0.7, 1.4)  # > 1 darkens the greys, < 1 lightens them
    paper = max(float(np.percentile(drawing, 90)), 1.0)
    out = np.clip(drawing.astype(np.float32) / paper, 0.0, 1.0) ** gamma * rng.uniform(225.0, 255.0)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 0.8))
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def guess_style(drawing: np.ndarray) -> str:
    """The augmentation family of a drawing from its pixels (one of ``STYLES``)."""
    low, high = MID_TONES
    if np.count_nonzero((drawing >= low) & (drawing < high)) > PENCIL_MID_TONE_FRACTION * drawing.size:
        return "pencil"
    strokes = cv2.connectedComponents((drawing < LINE_LEVEL).astype(np.uint8), connectivity=8)[0] - 1
    return "lineart" if strokes < SPARSE_STROKES else "edges"


def style_of(name: str) -> str:
    """The augmentation family of a build method or pair file (``data_prep.build`` writes ``{stem}_{method}.jpg``)."""
    method = Path(name).stem.rsplit("_", 1)[-1]
    return method if method in ("lineart", "pencil") else "edges"


def augment_drawing(drawing: np.ndarray, rng: np.random.Generator, style: str | None = None) -> np.ndarray:
    """A randomly degraded copy of a training drawing (uint8 HxW, lines 0 on 255).

    ``style`` (one of ``STYLES``, guessed from the pixels when None) picks degradations that suit the
    drawing. Deterministic for a given ``rng`` state; returns the same shape and dtype.
    """
    if drawing.dtype != np.uint8 or drawing.ndim != 2:
        raise ValueError(f"expected a uint8 HxW drawing, got {drawing.dtype} {drawing.shape}")
    style = style or guess_style(drawing)
    if style == "pencil":
        return deform(pencil_tone(drawing, rng), rng, max_shift=2.0)
    if style == "lineart":
        return pencil(deform(vary_stroke_width(drawing, rng), rng, max_shift=4.0), rng)
    if style != "edges":
        raise ValueError(f"unknown drawing style {style!r}; expected one of {STYLES}")
    out = vary_stroke_width(drawing, rng)
    out = erase_segments(out, rng)
    out = deform(out, rng)
    return pencil(out, rng)
