"""p2p.critics: the pretrained-feature critic, the perceptual loss, the eye and mouth critics and their crops, and
the landmark loss, on small real tensors and a real generated face (the frozen network is the real one)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from p2p_testutils import face_boxes, face_pair

from data_prep.landmarks import inter_ocular, landmarks
from evaluation.likeness import UPSAMPLE
from p2p.critics.components import COMPONENT_SIZE, ComponentCritics, crop_squares, has_box
from p2p.critics.efficientnet import EfficientNetLite0, pretrained_efficientnet
from p2p.critics.landmarks import LandmarkHead, fitted_landmark_head, landmark_loss
from p2p.critics.projected import (
    PROJECTED_SIZE,
    ProjectedDiscriminator,
    colour_augment,
    image_features,
    perceptual_loss,
)
from p2p.inference import FaceGenerator
from p2p.tensors import image_to_tensor

MOUSE_DRAWINGS = Path(__file__).parent / "data" / "mouse_drawings"
BUNDLED = Path(__file__).parents[1] / "checkpoints" / "sketch2face-celeba"


@pytest.fixture(scope="module")
def network() -> EfficientNetLite0:
    return pretrained_efficientnet()


def test_the_projected_critic_trains_its_heads_only_and_passes_gradients_to_the_image(
    network: EfficientNetLite0,
) -> None:
    torch.manual_seed(0)
    critic = ProjectedDiscriminator(ndf=8)
    again = ProjectedDiscriminator(ndf=8)
    for name, buffer in critic.projection.named_buffers():  # the random mixing is the same in every run
        assert torch.equal(buffer, dict(again.projection.named_buffers())[name])
    assert not list(critic.projection.parameters())  # nothing of the mixing can be trained
    assert {name.split(".")[0] for name, _ in critic.named_parameters()} == {"heads"}

    image = (torch.rand(2, 3, PROJECTED_SIZE, PROJECTED_SIZE) * 2 - 1).requires_grad_()
    logits = critic(image_features(network, image))
    assert [tuple(l.shape) for l in logits] == [(2, 1, 5, 5)] * 4
    sum(l.mean() for l in logits).backward()
    assert image.grad.abs().sum() > 0  # the generator learns through the frozen network
    assert all(p.grad is None for p in network.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in critic.heads.parameters())


def test_perceptual_loss_is_zero_for_the_same_features_and_two_for_orthogonal_ones(
    network: EfficientNetLite0,
) -> None:
    a, b = torch.zeros(1, 4, 3, 3), torch.zeros(1, 4, 3, 3)
    a[:, 0], b[:, 1] = 5.0, 0.1  # unit length per position: the scale does not matter
    assert perceptual_loss([a], [b]).item() == pytest.approx(2.0)
    assert perceptual_loss([a, a], [a * 3, a]).item() == pytest.approx(0.0, abs=1e-6)

    photo = image_to_tensor(face_pair(0, 128)[1])[None]
    other = image_to_tensor(face_pair(1, 128)[1])[None]
    fake = photo.clone().requires_grad_()
    target = image_features(network, photo)
    assert perceptual_loss(image_features(network, fake), target).item() == pytest.approx(0.0, abs=1e-5)
    fake = other.clone().requires_grad_()
    loss = perceptual_loss(image_features(network, fake), target)
    assert loss.item() > 0.05
    loss.backward()
    assert fake.grad.abs().sum() > 0


def test_colour_augment_changes_each_image_differently_and_is_differentiable() -> None:
    torch.manual_seed(0)
    images = (torch.rand(3, 3, 16, 16) * 2 - 1).requires_grad_()
    seen = colour_augment(torch.cat([images, images]))
    assert seen.shape == (6, 3, 16, 16)
    assert not torch.allclose(seen[:3], seen[3:])  # a fresh draw per image
    seen.sum().backward()
    assert images.grad.abs().sum() > 0


def test_crops_are_squares_around_the_boxes() -> None:
    drawing, photo = face_pair(0, 256)
    image = image_to_tensor(photo)[None]
    boxes = face_boxes(0, 256)
    eye = torch.tensor([boxes["left_eye"]], dtype=torch.float32)
    crop = crop_squares(image, eye)
    assert crop.shape == (1, 3, COMPONENT_SIZE, COMPONENT_SIZE)
    middle = COMPONENT_SIZE // 2
    centre = crop[0, :, middle - 1 : middle + 1, middle - 1 : middle + 1]
    assert centre.max() < -0.6  # the dark eye (RGB 40, 30, 30) in the middle of its crop
    # A wide box (the mouth's) is cropped as the square of its width: the same as the square box itself.
    x0, y0, x1, y1 = boxes["mouth"]
    half = (x1 - x0) / 2
    square = torch.tensor([[x0, (y0 + y1) / 2 - half, x1, (y0 + y1) / 2 + half]], dtype=torch.float32)
    wide = torch.tensor([[x0, y0, x1, y1]], dtype=torch.float32)
    assert torch.allclose(crop_squares(image, wide), crop_squares(image, square))
    # The whole image as a box gives the image back, resized.
    whole = crop_squares(image, torch.tensor([[0.0, 0.0, 256.0, 256.0]]), size=256)
    assert torch.allclose(whole, image, atol=1e-4)


def test_component_critics_judge_every_crop_and_empty_boxes_say_none() -> None:
    boxes = torch.tensor(
        [[[10, 10, 20, 20], [30, 10, 40, 20], [15, 30, 35, 40]], [[0, 0, 0, 0]] * 3], dtype=torch.float
    )
    assert has_box(boxes).tolist() == [[True] * 3, [False] * 3]
    images = (torch.rand(2, 3, 64, 64) * 2 - 1).requires_grad_()
    logits = ComponentCritics(ndf=8)(images, boxes)
    assert [tuple(l.shape) for l in logits] == [(2, 1, 8, 8)] * 3
    sum(l[0].mean() for l in logits).backward()
    assert images.grad[0].abs().sum() > 0 and images.grad[1].abs().sum() == 0  # each crop from its own image


@pytest.fixture(scope="module")
def generated_face() -> np.ndarray:
    """The bundled model's face (seed 0) for one of the browser-drawn mouse drawings: what the loss judges."""
    drawing = cv2.imread(str(sorted(MOUSE_DRAWINGS.glob("*.png"))[0]), cv2.IMREAD_GRAYSCALE)
    return FaceGenerator.from_pretrained(BUNDLED).generate([drawing], [0])[0]


def head_points(network: EfficientNetLite0, head: LandmarkHead, face: np.ndarray) -> np.ndarray:
    """The head's 68 points of an RGB face, in pixels of the face."""
    small = cv2.resize(face, (PROJECTED_SIZE,) * 2, interpolation=cv2.INTER_AREA)
    with torch.no_grad():
        points = head(image_features(network, image_to_tensor(small)[None]))[0].numpy()
    return points * face.shape[1]


def test_the_fitted_landmark_head_reads_dlibs_points_and_follows_the_face(
    network: EfficientNetLite0, generated_face: np.ndarray
) -> None:
    head = fitted_landmark_head()
    assert not any(p.requires_grad for p in head.parameters())
    dlib_points = landmarks(generated_face, UPSAMPLE)
    assert dlib_points is not None
    points = head_points(network, head, generated_face)
    error = np.linalg.norm(points - dlib_points, axis=1).mean() / inter_ocular(dlib_points)
    assert error < 0.15  # held out, the head is 0.07 from dlib on such faces on average; the mean shape ~0.6
    shifted = cv2.warpAffine(generated_face, np.float32([[1, 0, 20], [0, 1, -10]]), (256, 256),
                             borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    moved = (head_points(network, head, shifted) - points).mean(0)
    assert moved == pytest.approx([20, -10], abs=5)


def test_landmark_loss_is_zero_for_the_same_face_and_reaches_the_image(
    network: EfficientNetLite0, generated_face: np.ndarray
) -> None:
    head = fitted_landmark_head()
    photo = image_to_tensor(cv2.resize(generated_face, (PROJECTED_SIZE,) * 2, interpolation=cv2.INTER_AREA))[None]
    target = image_features(network, photo)
    assert landmark_loss(head, image_features(network, photo), target).item() == pytest.approx(0.0, abs=1e-6)
    fake = torch.roll(photo, 12, dims=3).requires_grad_()  # the face 12 px (of 128) to the right
    loss = landmark_loss(head, image_features(network, fake), target)
    assert loss.item() == pytest.approx(12 / 128, abs=0.03)
    loss.backward()
    assert fake.grad.abs().sum() > 0
