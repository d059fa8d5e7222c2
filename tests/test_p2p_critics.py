"""p2p.critics.projected and p2p.critics.components: the pretrained-feature critic, the perceptual loss, the eye
and mouth critics and their crops, on small real tensors (the frozen network is the real one)."""

from __future__ import annotations

import pytest
import torch
from p2p_testutils import face_boxes, face_pair

from p2p.critics.components import COMPONENT_SIZE, ComponentCritics, crop_squares, has_box
from p2p.critics.efficientnet import EfficientNetLite0, pretrained_efficientnet
from p2p.critics.projected import (
    PROJECTED_SIZE,
    ProjectedDiscriminator,
    colour_augment,
    image_features,
    perceptual_loss,
)
from p2p.tensors import image_to_tensor


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
