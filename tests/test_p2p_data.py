"""p2p.data: the eye and mouth boxes of the manifest follow every pair through resize, crop and flip."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from p2p_testutils import make_dataset

from p2p.critics.components import COMPONENTS, has_box
from p2p.data import PairedDataset

EYE_RGB = torch.tensor([40, 30, 30]) / 127.5 - 1  # face_pair's eyes


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("data"), train=4, val=2, size=128, boxes=True)


def centre_colour(photo: torch.Tensor, box: torch.Tensor) -> torch.Tensor:
    """The colour of the pixel at the centre of a box (x0, y0, x1, y1 in pixel edges)."""
    return photo[:, int((box[1] + box[3]) / 2), int((box[0] + box[2]) / 2)]


def test_boxes_follow_the_random_crop_and_flip(data: Path) -> None:
    dataset = PairedDataset(data, "train", size=128, load_size=144, augment=False)
    for epoch in range(6):
        dataset.epoch = epoch
        for index in range(len(dataset)):
            _, photo, boxes = dataset[index]
            assert boxes.shape == (len(COMPONENTS), 4) and has_box(boxes).all()
            for eye in boxes[:2]:  # each eye box is centred on an eye of the jittered photo
                assert torch.allclose(centre_colour(photo, eye), EYE_RGB, atol=0.2), (epoch, index, boxes)
            left, right = boxes[0], boxes[1]
            assert left[0] < right[0]  # after a flip, the eye on the left is still called the left eye
            assert boxes[:, [0, 2]].min() > -8 and boxes[:, [1, 3]].max() < 128 + 8  # inside, give or take the crop
    unflipped = PairedDataset(data, "val", size=64, train=False)[0][2]
    assert torch.allclose(unflipped[0, 2] - unflipped[0, 0], unflipped[1, 2] - unflipped[1, 0])


def test_a_flip_mirrors_the_boxes_and_swaps_the_eyes(data: Path) -> None:
    dataset = PairedDataset(data, "train", size=128, load_size=128, augment=False)  # no crop: only the flip varies
    samples = {}
    for epoch in range(20):
        dataset.epoch = epoch
        _, photo, boxes = dataset[0]
        samples[photo[:, :, 0].sum().item()] = (photo, boxes)
    assert len(samples) == 2, "20 epochs should show the pair both ways"
    (photo_a, boxes_a), (photo_b, boxes_b) = samples.values()
    assert torch.equal(photo_a.flip(-1), photo_b)
    mirrored = torch.stack([128 - boxes_a[:, 2], boxes_a[:, 1], 128 - boxes_a[:, 0], boxes_a[:, 3]], dim=1)
    assert torch.allclose(boxes_b, mirrored[[1, 0, 2]])  # left ↔ right eye, the mouth stays


def test_validation_boxes_scale_with_the_size(data: Path) -> None:
    full = PairedDataset(data, "val", size=128, train=False)[1][2]
    half = PairedDataset(data, "val", size=64, train=False)[1][2]
    assert torch.allclose(half, full / 2)


def test_pairs_without_boxes_have_empty_ones(tmp_path: Path) -> None:
    bare = make_dataset(tmp_path / "bare", train=2, val=0)
    _, _, boxes = PairedDataset(bare, "train", size=64, load_size=72)[0]
    assert not has_box(boxes).any()
    # data_prep.build writes "boxes": null for a photo where it found no face
    data = make_dataset(tmp_path / "some", train=2, val=0, boxes=True)
    manifest = json.loads((data / "manifest.json").read_text())
    manifest["pairs"][0]["boxes"] = None
    (data / "manifest.json").write_text(json.dumps(manifest))
    dataset = PairedDataset(data, "train", size=64, load_size=72)
    assert [bool(has_box(dataset[i][2]).all()) for i in range(2)] == [False, True]


def test_a_run_below_the_pairs_size_shrinks_them_by_averaging(tmp_path: Path) -> None:
    """Pixel-wide stripes shrunk to a small training size turn grey, as inference and evaluation shrink images."""
    (tmp_path / "train").mkdir()
    stripes = np.zeros((128, 128, 3), np.uint8)
    stripes[:, ::2] = 255
    cv2.imwrite(str(tmp_path / "train" / "0000.png"), np.hstack([stripes, stripes]))
    dataset = PairedDataset(tmp_path, "train", size=16, load_size=18, augment=False)
    drawing, photo, _ = dataset[0]
    assert photo.std() < 0.1 and drawing.std() < 0.1, (photo.std(), drawing.std())
    assert photo.mean().abs() < 0.1  # mid-grey in [-1, 1]
