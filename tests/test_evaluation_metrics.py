"""evaluation.metrics against values known in closed form and a brute-force SSIM."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from p2p_testutils import CELEBA, REPO_ROOT, face_pair, needs_faces

from data_prep.framing import frame_face
from data_prep.imageio import load_image
from evaluation import metrics


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return face_pair(3, size=64)[1]


def noisy(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def test_identical_images(image: np.ndarray) -> None:
    assert metrics.l1(image, image) == 0.0
    assert metrics.psnr(image, image) == math.inf
    assert metrics.ssim(image, image) == pytest.approx(1.0)


def test_l1_and_psnr_of_a_constant_offset(image: np.ndarray) -> None:
    darker = np.full((16, 16, 3), 100, np.uint8)
    assert metrics.l1(darker, darker + 10) == pytest.approx(10.0)
    assert metrics.psnr(darker, darker + 10) == pytest.approx(10 * math.log10(255**2 / 100))
    with pytest.raises(ValueError, match="shape"):
        metrics.l1(image, image[:10])


def test_ssim_of_flat_images_is_the_luminance_term() -> None:
    a, b = np.full((32, 32, 3), 100, np.uint8), np.full((32, 32, 3), 150, np.uint8)
    c1 = metrics.SSIM_C1
    assert metrics.ssim(a, b) == pytest.approx((2 * 100 * 150 + c1) / (100**2 + 150**2 + c1))


def test_ssim_matches_a_brute_force_window_by_window_computation() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (21, 23), dtype=np.uint8)
    b = noisy(a, 40, seed=1)
    ax = np.arange(11) - 5
    window = np.outer(*[np.exp(-(ax**2) / (2 * 1.5**2))] * 2)
    window /= window.sum()
    values = []
    for y in range(5, a.shape[0] - 5):  # Wang et al.: every full 11×11 window
        for x in range(5, a.shape[1] - 5):
            pa, pb = (p[y - 5 : y + 6, x - 5 : x + 6].astype(float) for p in (a, b))
            ma, mb = (window * pa).sum(), (window * pb).sum()
            va, vb = (window * pa**2).sum() - ma**2, (window * pb**2).sum() - mb**2
            cov = (window * pa * pb).sum() - ma * mb
            c1, c2 = metrics.SSIM_C1, metrics.SSIM_C2
            values.append((2 * ma * mb + c1) * (2 * cov + c2) / ((ma**2 + mb**2 + c1) * (va + vb + c2)))
    assert metrics.ssim(a, b) == pytest.approx(np.mean(values), abs=1e-6)


def test_ssim_and_psnr_fall_as_noise_grows(image: np.ndarray) -> None:
    ssims = [metrics.ssim(image, noisy(image, s)) for s in (2, 10, 40)]
    psnrs = [metrics.psnr(image, noisy(image, s)) for s in (2, 10, 40)]
    assert ssims == sorted(ssims, reverse=True) and psnrs == sorted(psnrs, reverse=True)
    assert metrics.ssim(image, noisy(image, 10)) == pytest.approx(metrics.ssim(noisy(image, 10), image))


def test_seed_diversity(image: np.ndarray) -> None:
    flat = np.full((8, 8, 3), 100, np.uint8)
    assert metrics.seed_diversity([image, image, image]) == 0.0
    assert metrics.seed_diversity([flat, flat + 10, flat + 20]) == pytest.approx((10 + 20 + 10) / 3)
    with pytest.raises(ValueError):
        metrics.seed_diversity([image])


def test_colorfulness() -> None:
    drawing = face_pair(3, size=64)[0]
    assert metrics.colorfulness(cv2.cvtColor(drawing, cv2.COLOR_GRAY2RGB)) == pytest.approx(0.0)
    skin = np.full((8, 8, 3), (224, 172, 140), np.uint8)  # flat: only the mean term, 0.3·|(R−G, (R+G)/2 − B)|
    assert metrics.colorfulness(skin) == pytest.approx(0.3 * math.hypot(224 - 172, (224 + 172) / 2 - 140))
    assert 15 < metrics.colorfulness(noisy(skin, 20)) < 60  # skin-like photos land in the usual 20-60
    saturated = np.zeros((8, 8, 3), np.uint8)
    saturated[::2, :, 0] = saturated[1::2, :, 1] = 255  # red and green stripes
    assert metrics.colorfulness(saturated) > 100


def test_backdrop_reads_the_outer_eighth_not_the_face() -> None:
    paper = np.full((64, 64, 3), 230, np.uint8)
    paper[8:56, 8:56] = 20  # a dark face filling the middle changes nothing
    assert metrics.backdrop(paper) == pytest.approx(230, abs=0.5)
    murk = paper.copy()
    murk[:8] = (90, 60, 40)  # brown (grey 67) across the top eighth: 512 of the ring's 1,792 pixels
    assert metrics.backdrop(murk) == pytest.approx((1280 * 230 + 512 * 67) / 1792, abs=0.5)
    assert metrics.backdrop(np.full((32, 48), 100, np.uint8)) == pytest.approx(100)  # grey, not square


@needs_faces
def test_checkerboard_sees_a_two_pixel_grid_that_detail_and_noise_do_not_make() -> None:
    photo = frame_face(load_image(CELEBA / "000002.jpg"), 256, "celeba")
    grid = np.indices(photo.shape[:2]).sum(0) % 2 * 12 - 6  # ±6 grey levels, alternating pixel by pixel
    gridded = np.clip(photo.astype(int) + grid[..., None], 0, 255).astype(np.uint8)
    assert metrics.checkerboard(photo) < 1  # a photo's spectrum fades towards the finest scale
    assert metrics.checkerboard(gridded) > 50 * metrics.checkerboard(photo)
    stripes = np.clip(photo.astype(int) + (np.arange(photo.shape[1]) % 2 * 12 - 6)[None, :, None], 0, 255)
    assert metrics.checkerboard(stripes.astype(np.uint8)) > 20 * metrics.checkerboard(photo)  # one axis is enough
    assert 0.5 < metrics.checkerboard(noisy(np.full((64, 64, 3), 128, np.uint8), 20)) < 2  # white noise: flat
    assert metrics.checkerboard(np.full((16, 16, 3), 90, np.uint8)) == 0.0
    assert metrics.sharpness(gridded) > 2 * metrics.sharpness(photo)  # what sharpness alone would read as detail


def test_sharpness(image: np.ndarray) -> None:
    assert metrics.sharpness(np.full((16, 16, 3), 90, np.uint8)) == 0.0
    assert metrics.sharpness(cv2.GaussianBlur(image, (0, 0), 2)) < 0.5 * metrics.sharpness(image)
    assert metrics.sharpness(image) == metrics.sharpness(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))


def test_face_detected() -> None:
    assert metrics.face_detected(np.full((256, 256, 3), 200, np.uint8)) is False
    gradient = np.tile(np.linspace(0, 255, 256, dtype=np.uint8), (256, 1))
    assert metrics.face_detected(np.dstack([gradient] * 3)) is False
    examples = sorted(Path(REPO_ROOT, "examples").glob("*.png"))  # face line art drawn from code, no photos
    if not examples:
        pytest.skip("no example drawings in examples/")
    assert any(metrics.face_detected(load_image(path)) for path in examples)


def test_color_spread(image: np.ndarray) -> None:
    flat = np.full((8, 8, 3), 100, np.uint8)
    assert metrics.color_spread([image, image]) == 0.0
    assert metrics.color_spread([flat, flat + 10, flat + 20]) == pytest.approx(np.std([100, 110, 120]))
    redder = flat.copy()
    redder[..., 0] = 130  # only R moves: a third of the channel mean
    assert metrics.color_spread([flat, redder]) == pytest.approx(15 / 3)
    mask = np.zeros((8, 8), bool)
    mask[:4] = True
    half = flat.copy()
    half[4:] = 250  # outside the mask: not part of the face
    assert metrics.color_spread([flat, half], mask) == 0.0
    assert metrics.color_spread([flat, half]) > 0
    with pytest.raises(ValueError):
        metrics.color_spread([flat])
