"""evaluation.realism: the classifier two-sample test catches a texture a photo does not have, and only that."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from p2p_testutils import face_pair

from evaluation import realism

SIZE = 64


def photos(start: int, count: int = 48) -> tuple[list[np.ndarray], list[str]]:
    """Synthetic 'photos' (coloured background, skin ellipse, eyes) and a group per three of them."""
    return [face_pair(i, SIZE)[1] for i in range(start, start + count)], [f"p{i // 3}" for i in range(count)]


def checkered(image: np.ndarray, amplitude: int = 12) -> np.ndarray:
    """`image` with a 2×2-pixel checkerboard on top: the kind of artefact a transposed convolution leaves."""
    y, x = np.indices(image.shape[:2])
    pattern = np.where((y // 2 + x // 2) % 2, amplitude, -amplitude)[..., None]
    return np.clip(image.astype(int) + pattern, 0, 255).astype(np.uint8)


def test_halves_keep_groups_together_and_balance_them() -> None:
    groups = [f"person{i % 10}" for i in range(60)]
    half = realism.halves(groups)
    assert set(half.tolist()) == {0, 1}
    for group in set(groups):
        assert len({half[i] for i, g in enumerate(groups) if g == group}) == 1  # a person is never split
    assert sorted(np.bincount(half)) == [30, 30]  # 5 people each
    assert np.array_equal(realism.halves(list(reversed(groups))), half[::-1])  # order does not matter


def test_each_split_halves_the_people_differently() -> None:
    groups = [f"person{i}" for i in range(10)]
    splits = [realism.halves(groups, split) for split in range(realism.SPLITS)]
    assert all(sorted(np.bincount(half)) == [5, 5] for half in splits)
    distinct = {frozenset(np.flatnonzero(half == half[0]).tolist()) for half in splits}  # the half with person 0
    assert len(distinct) == realism.SPLITS
    assert np.array_equal(realism.halves(groups, 0), realism.halves(groups))


@pytest.mark.slow
def test_the_score_is_the_mean_over_splits_and_split_0_is_the_one_halving_test() -> None:
    real, real_groups = photos(0, 24)
    fake = [checkered(p, 4) for p in photos(50, 24)[0]]
    one = realism.two_sample_test(fake, real_groups, real, real_groups, 32, steps=30, splits=1)
    several = realism.two_sample_test(fake, real_groups, real, real_groups, 32, steps=30, splits=3)
    assert one["accuracy_se"] is None and one["splits"] == [one["accuracy"]]
    assert several["splits"][0] == one["accuracy"] and several["folds"] == one["folds"]
    assert several["accuracy"] == pytest.approx(np.mean(several["splits"]))
    assert several["accuracy_se"] == pytest.approx(np.std(several["splits"], ddof=1) / np.sqrt(3))
    assert len(set(several["splits"])) > 1, "other halvings, other classifiers: other accuracies"


@pytest.mark.slow
def test_a_visible_artefact_is_caught_and_equal_samples_are_not() -> None:
    real, real_groups = photos(0)
    clean, clean_groups = photos(100)
    caught = realism.two_sample_test([checkered(p) for p in clean], clean_groups, real, real_groups, SIZE, steps=80)
    assert caught["accuracy"] > 0.9 and min(caught["folds"]) > 0.85
    assert caught["counts"] == {"generated": 48, "real": 48}
    same = realism.two_sample_test(clean, clean_groups, real, real_groups, SIZE, steps=80)
    assert 0.3 < same["accuracy"] < 0.7  # chance: the two samples come from one distribution


@pytest.mark.slow
def test_the_test_is_deterministic_and_leaves_torch_as_it_was() -> None:
    real, real_groups = photos(0, 24)
    fake = [checkered(p, 6) for p in photos(50, 24)[0]]
    threads = torch.get_num_threads()
    state = torch.get_rng_state()
    tags = ["a", "b"] * 12
    first = realism.two_sample_test(fake, real_groups, real, real_groups, 32, tags, steps=30)
    assert realism.two_sample_test(fake, real_groups, real, real_groups, 32, tags, steps=30) == first
    assert set(first["by_tag"]) == {"a", "b"}
    overall = (first["generated_caught"] + first["real_passed"]) / 2  # the tags are equally many
    assert np.mean(list(first["by_tag"].values())) == pytest.approx(overall)
    assert torch.get_num_threads() == threads and torch.equal(torch.get_rng_state(), state)
    assert not torch.are_deterministic_algorithms_enabled()


def test_too_few_images_or_people() -> None:
    real, groups = photos(0, 6)
    with pytest.raises(ValueError, match="at least 4"):
        realism.two_sample_test(real[:3], groups[:3], real, groups, 32)
    with pytest.raises(ValueError, match="two groups"):
        realism.two_sample_test(real, ["one"] * 6, real, groups, 32)


def test_jpeg_roundtrip_changes_pixels_a_little() -> None:
    image = checkered(face_pair(1, SIZE)[1])
    stored = realism.jpeg_roundtrip(image, 95)
    assert stored.shape == image.shape and stored.dtype == np.uint8
    assert 0 < np.abs(stored.astype(int) - image).mean() < 3


def washed_out(image: np.ndarray) -> np.ndarray:
    """`image` with half its contrast, pulled towards mid-grey: a global change, its layout untouched."""
    return np.clip(128 + 0.5 * (image.astype(np.float32) - 128), 0, 255).astype(np.uint8)


def test_without_colour_statistics_every_image_gets_the_same_lab_mean_and_spread() -> None:
    image = photos(0, 1)[0][0]
    for changed in (image, washed_out(image)):
        lab = cv2.cvtColor(realism.without_colour_statistics(changed), cv2.COLOR_RGB2LAB)
        lab = lab.reshape(-1, 3).astype(np.float32)
        np.testing.assert_allclose(lab.mean(0), [m for m, _ in realism.LAYOUT_LAB], atol=2.5)
        np.testing.assert_allclose(lab.std(0), [s for _, s in realism.LAYOUT_LAB], rtol=0.15)
    a, b = (realism.without_colour_statistics(x).astype(int) for x in (image, washed_out(image)))
    assert np.abs(a - b).mean() < 3  # the same layout comes out the same, whatever its contrast was


@pytest.mark.slow
def test_the_layout_test_ignores_a_global_colour_change_but_not_an_artefact() -> None:
    real, real_groups = photos(0)
    clean, clean_groups = photos(100)
    sample = realism.Sample(SIZE)
    for image, group in zip(real, real_groups, strict=True):
        sample.add(image, group, generated=False)

    def accuracy(changed: list[np.ndarray]) -> tuple[float, float]:
        faces = realism.Sample(SIZE)
        for image, group in zip(changed, clean_groups, strict=True):
            faces.add(image, group, generated=True)
        tests = realism.Realism((SIZE,), 100, splits=2)
        plain, layout = tests.test(faces, sample), tests.test(faces.layout_only(), sample.layout_only())
        return plain[str(SIZE)]["accuracy"], layout[str(SIZE)]["accuracy"]

    plain, layout = accuracy([washed_out(p) for p in clean])
    assert plain > 0.9 and layout < 0.7  # caught by its contrast alone, which the layout test leaves out
    plain, layout = accuracy([checkered(p) for p in clean])
    assert plain > 0.9 and layout > 0.9  # an artefact in the layout is caught either way
