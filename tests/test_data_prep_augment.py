"""data_prep.augment: on-the-fly stroke realism keeps the convention and is reproducible."""

from __future__ import annotations

import cv2
import numpy as np

from data_prep.augment import (
    augment_drawing,
    deform,
    erase_segments,
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
