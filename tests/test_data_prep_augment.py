"""data_prep.augment: on-the-fly stroke realism keeps the convention and is reproducible."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from data_prep.augment import (
    MID_TONES,
    augment_drawing,
    deform,
    erase_segments,
    guess_style,
    style_of,
    vary_stroke_width,
)


def drawing() -> np.ndarray:
    """A face-like line drawing: black strokes on white."""
    image = np.full((256, 256), 255, np.uint8)
    cv2.ellipse(image, (128, 128), (70, 95), 0, 0, 360, 0, 2)
    for x in (100, 156):
        cv2.ellipse(image, (x, 110), (14, 7), 0, 0, 360, 0, 1)
    cv2.line(image, (128, 115), (122, 150), 0, 2)
    cv2.ellipse(image, (128, 170), (25, 10), 0, 0, 180, 0, 2)
    return image


def test_shape_dtype_and_convention_are_kept() -> None:
    source = drawing()
    for seed in range(20):
        out = augment_drawing(source, np.random.default_rng(seed))
        assert out.shape == source.shape and out.dtype == np.uint8
        assert np.median(out) == 255  # still white paper
        assert (out < 200).sum() > 0.3 * (source < 128).sum()  # strokes survive


def test_deterministic_for_an_rng_state_and_varied_across_states() -> None:
    source = drawing()
    first = augment_drawing(source, np.random.default_rng(7))
    np.testing.assert_array_equal(first, augment_drawing(source, np.random.default_rng(7)))
    variants = {augment_drawing(source, np.random.default_rng(seed)).tobytes() for seed in range(10)}
    assert len(variants) == 10
    np.testing.assert_array_equal(source, drawing())  # input untouched


def test_each_augmentation_does_what_it_says() -> None:
    source = drawing()
    widths = {int((vary_stroke_width(source, np.random.default_rng(s)) < 128).sum()) for s in range(30)}
    assert min(widths) < (source < 128).sum() < max(widths)  # thinner and thicker variants
    erased = [erase_segments(source, np.random.default_rng(s)) for s in range(10)]
    assert any((e < 128).sum() < (source < 128).sum() for e in erased)
    assert all(((e < 128) <= (source < 128)).all() for e in erased)  # erasing never adds ink
    warped = [deform(source, np.random.default_rng(s)) for s in range(10)]
    assert any(not np.array_equal(w, source) for w in warped)
    for w in warped:  # small: strokes stay within a few pixels of where they were
        near = cv2.erode(source, np.ones((11, 11), np.uint8)) < 128
        assert (w < 128)[~near].sum() == 0


def test_blank_page_stays_blank() -> None:
    blank = np.full((64, 80), 255, np.uint8)
    for seed in range(5):
        assert (augment_drawing(blank, np.random.default_rng(seed)) == 255).all()


def test_fast_enough_for_on_the_fly_use() -> None:
    source, rng = drawing(), np.random.default_rng(0)
    augment_drawing(source, rng)
    start = time.perf_counter()
    for _ in range(50):
        augment_drawing(source, rng)
    per_call = (time.perf_counter() - start) / 50
    assert per_call < 0.02  # ~1.5 ms on a laptop core; generous for slow CI machines


def edge_map() -> np.ndarray:
    """Many short fragments, like a Canny or XDoG map of a photo."""
    image, rng = np.full((256, 256), 255, np.uint8), np.random.default_rng(0)
    for _ in range(40):
        x, y = rng.integers(10, 246, 2)
        cv2.line(image, (int(x), int(y)), (int(x + rng.integers(-9, 10)), int(y + rng.integers(-9, 10))), 0, 1)
    return image


def pencil_sketch() -> np.ndarray:
    """Grey shading and soft strokes on off-white paper."""
    image = np.full((256, 256), 240, np.uint8)
    cv2.ellipse(image, (128, 80), (90, 50), 0, 0, 360, 150, -1)  # shaded hair
    cv2.ellipse(image, (128, 135), (70, 95), 0, 0, 360, 90, 2)
    return cv2.GaussianBlur(image, (0, 0), 1.5)


def mid_tones(image: np.ndarray) -> float:
    return float(((image >= MID_TONES[0]) & (image < MID_TONES[1])).mean())


def test_style_is_guessed_from_the_pixels_or_read_from_the_file_name() -> None:
    assert guess_style(drawing()) == "lineart"
    assert guess_style(edge_map()) == "edges"
    assert guess_style(pencil_sketch()) == "pencil"
    assert [style_of(n) for n in ("000001_lineart.jpg", "a_b_pencil.jpg", "x_xdog.jpg", "canny")] == [
        "lineart",
        "pencil",
        "edges",
        "edges",
    ]
    with pytest.raises(ValueError, match="unknown drawing style"):
        augment_drawing(drawing(), np.random.default_rng(0), style="charcoal")


def test_sparse_line_art_is_never_erased() -> None:
    """Every stroke of a ten-stroke drawing survives (within the warp), while edge maps get gaps."""
    source = drawing()

    def gaps(style: str, seed: int) -> int:
        out = augment_drawing(source, np.random.default_rng(seed), style=style)
        near_ink = cv2.dilate((out < 200).astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
        return int(((source < 128) & ~near_ink).sum())

    assert all(gaps("lineart", seed) == 0 for seed in range(40))
    assert any(gaps("edges", seed) > 0 for seed in range(40))


def test_pencil_shading_is_kept() -> None:
    source = pencil_sketch()
    for seed in range(20):
        out = augment_drawing(source, np.random.default_rng(seed))
        assert out.shape == source.shape and out.dtype == np.uint8
        assert mid_tones(out) > 0.5 * mid_tones(source)  # still shaded, not binarised
        assert 215 < np.median(out) < 256  # paper, lighter or darker
        assert np.abs(out.astype(int) - source).mean() < 40  # the same sketch
