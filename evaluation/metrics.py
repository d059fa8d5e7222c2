"""Image-quality metrics for generated faces, as pure functions on uint8 RGB arrays.

Against the true photo: `l1`, `psnr`, `ssim`. A sketch has many plausible
faces, so these only say how close a sample lands to the one photo the drawing
was made from; the reference-free ones say whether the outputs look like photos
at all: `colorfulness` (a generator that collapsed to grey scores ~0),
`sharpness` (blurry averages score low), `checkerboard` (the 2-pixel grid that transposed
convolutions leave, which `sharpness` counts as detail), `backdrop` (how light the background
is), `face_detected` (does a stock face detector see a face). Across seeds: `seed_diversity` (does the dropout noise
change the face at all) and `color_spread` (does it change the face's colouring,
e.g. skin or hair tone, rather than only the texture).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import cv2
import numpy as np

from data_prep.edges import to_gray
from data_prep.framing import detect_face

SSIM_WINDOW, SSIM_SIGMA = 11, 1.5  # Wang et al. 2004: 11×11 Gaussian window, σ = 1.5
SSIM_C1 = (0.01 * 255) ** 2
SSIM_C2 = (0.03 * 255) ** 2


def _check_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    return a.astype(np.float64), b.astype(np.float64)


def l1(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute pixel difference, in 0-255 units (the training G_L1 loss × 127.5)."""
    a, b = _check_pair(a, b)
    return float(np.abs(a - b).mean())


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB for 8-bit images; inf for identical images."""
    a, b = _check_pair(a, b)
    mse = float(((a - b) ** 2).mean())
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity (Wang et al. 2004, Gaussian window) averaged over pixels and channels; 1.0 = identical."""
    a, b = _check_pair(a, b)

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (SSIM_WINDOW, SSIM_WINDOW), SSIM_SIGMA, borderType=cv2.BORDER_REFLECT)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + SSIM_C1) * (2 * cov + SSIM_C2)) / (
        (mu_a**2 + mu_b**2 + SSIM_C1) * (var_a + var_b + SSIM_C2)
    )
    pad = SSIM_WINDOW // 2 if min(a.shape[:2]) > SSIM_WINDOW else 0  # as Wang et al.: only full windows
    return float(ssim_map[pad : ssim_map.shape[0] - pad, pad : ssim_map.shape[1] - pad].mean())


def seed_diversity(samples: Sequence[np.ndarray]) -> float:
    """Mean absolute pixel difference (0-255) over all pairs of samples of one drawing; 0 = the seed does nothing."""
    if len(samples) < 2:
        raise ValueError("seed diversity needs at least two samples")
    return float(np.mean([l1(a, b) for a, b in itertools.combinations(samples, 2)]))


def color_spread(samples: Sequence[np.ndarray], mask: np.ndarray | None = None) -> float:
    """Standard deviation over samples of the mean colour inside `mask` (all pixels if None), averaged over
    R, G and B, in 0-255: 0 when every seed colours the face alike, however much its texture changes."""
    if len(samples) < 2:
        raise ValueError("colour spread needs at least two samples")
    region = np.ones(samples[0].shape[:2], bool) if mask is None else mask.astype(bool)
    if not region.any():
        raise ValueError("the mask selects no pixel")
    means = np.array([sample[region].reshape(-1, 3).astype(np.float64).mean(0) for sample in samples])
    return float(means.std(0).mean())


def colorfulness(image: np.ndarray) -> float:
    """Hasler & Süsstrunk (2003) colourfulness: ~0 for grey, ~15-60 for natural photos of people."""
    r, g, b = (image[..., i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def sharpness(image: np.ndarray) -> float:
    """Variance of the Laplacian of the grey image: low for blurry, washed-out outputs."""
    return float(cv2.Laplacian(to_gray(image), cv2.CV_64F).var())


def checkerboard(image: np.ndarray) -> float:
    """Power of the grey image's finest frequencies (periods of 2 px along either axis, where a stride-2
    transposed convolution leaves its grid) over that of the band just inside them (periods 2.2-2.5 px).
    Photos fade towards the finest scale (0.4 for the CelebA validation photos), white noise is flat (about 1),
    a grid is a peak (tens to thousands). 0 for a flat image."""
    grey = to_gray(image).astype(np.float64)
    grey -= grey.mean()
    window = np.outer(np.hanning(grey.shape[0]), np.hanning(grey.shape[1]))  # no leakage from the borders
    power = np.abs(np.fft.fft2(grey * window)) ** 2
    fy, fx = (np.abs(np.fft.fftfreq(n)) for n in grey.shape)  # cycles per pixel, 0.5 = a 2-px period
    finest = np.maximum(fy[:, None], fx[None, :])
    outer = power[finest >= 0.5 - 1.5 / min(grey.shape)].mean()
    inner = power[(finest >= 0.4) & (finest < 0.45)].mean()
    return 0.0 if outer == 0 else float(outer / max(inner, np.finfo(float).tiny))


def backdrop(image: np.ndarray) -> float:
    """Mean brightness (grey, 0-255) of the outer eighth of the image on every side: the backdrop of an
    aligned portrait. Sparse line art says nothing about the background, so its faces should stand on a light
    or neutral one (training draws them on 215-235), never on the dark murk a random latent can ask for."""
    grey = to_gray(image).astype(np.float64)
    h, w = grey.shape
    inside = np.zeros((h, w), bool)
    inside[h // 8 : h - h // 8, w // 8 : w - w // 8] = True
    return float(grey[~inside].mean())


def face_detected(image: np.ndarray) -> bool:
    """Whether the dataset builder's Haar face detector finds a face: a cheap "looks like a face" check."""
    return detect_face(image) is not None
