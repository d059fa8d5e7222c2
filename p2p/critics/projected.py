"""A critic and a loss that look through a frozen ImageNet network (`p2p.critics.efficientnet`), for training.

* `ProjectedDiscriminator`: Projected GAN (Sauer et al., NeurIPS 2021). The feature maps at the ends of four
  stages of EfficientNet-Lite0 are mixed by fixed random 1×1 convolutions across channels (CCM) and,
  coarse to fine, across scales (CSM); a small trainable PatchGAN-like head judges each mixed map. The
  random mixing spreads what the pretrained features know over all channels, so that a head cannot
  win on a few of them; the network itself never changes, so the critic cannot forget what photos
  look like or memorise a few thousand of them. Unconditional: it judges faces, not pairs.
* `perceptual_loss`: the distance between the feature maps of the generated face and the photo (each
  position's feature vector scaled to unit length, as LPIPS does), which asks for the photo's edges and
  textures where an L1 distance in pixels is content with their average.
* `colour_augment`: DiffAugment's colour transforms (Zhao et al. 2020), for the critic's inputs.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

from p2p.critics.efficientnet import EfficientNetLite0

FEATURE_BLOCKS = (2, 4, 10, 15)
"""EfficientNet-Lite0 blocks whose outputs are used (24, 40, 112, 320 channels at 1/4 ... 1/32 of the image
side): the ends of stages 2, 3, 5 and 7, Projected GAN's four."""
FEATURE_CHANNELS = (24, 40, 112, 320)
PROJECTED_SIZE = 128
"""Side the critic sees faces at (resized from the training size). The feature network's forward and backward
to the input take ~3× longer at 256 px on a CPU, and the face's structure, which the critic is for,
shows at 128; details are the perceptual loss's and the eye and mouth critics' job."""
MIXED_CHANNELS = 64
"""Width of the cross-channel mixing at the finest stage, doubling per stage (Projected GAN's 64, expanded)."""
PROJECTION_SEED = 2021
"""The random mixing is the same in every run (it is also saved with the critic)."""


class RandomProjection(nn.Module):
    """Fixed random cross-channel (1×1 convolutions) and cross-scale mixing (from the coarsest map: upsample
    ×2, add the next finer map, 1×1 convolution), Kaiming-initialised from a fixed seed as in Projected GAN.
    The weights are buffers: saved with the critic, never trained."""

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(PROJECTION_SEED)
        mixed = [MIXED_CHANNELS * 2**i for i in range(len(FEATURE_CHANNELS))]  # 64, 128, 256, 512
        # Scale mixing halves the channels while it climbs; the finest map keeps its 64.
        self.channels = [mixed[0]] + [c // 2 for c in mixed[1:]]  # 64, 64, 128, 256

        def conv(c_in: int, c_out: int, name: str) -> None:
            bound = 1 / c_in**0.5  # nn.Conv2d's default initialisation (Kaiming uniform, a = √5)
            self.register_buffer(f"{name}_weight", (torch.rand(c_out, c_in, 1, 1, generator=generator) * 2 - 1) * bound)
            self.register_buffer(f"{name}_bias", (torch.rand(c_out, generator=generator) * 2 - 1) * bound)

        for i, (c_in, c_out) in enumerate(zip(FEATURE_CHANNELS, mixed)):
            conv(c_in, c_out, f"ccm{i}")
        for i, (c_in, c_out) in enumerate(zip(mixed, self.channels)):
            conv(c_in, c_out, f"csm{i}")

    def _conv(self, x: torch.Tensor, name: str) -> torch.Tensor:
        weight, bias = getattr(self, f"{name}_weight"), getattr(self, f"{name}_bias")
        return F.conv2d(x, weight.to(x.dtype), bias.to(x.dtype))

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        """The mixed maps, finest first; each at twice its stage's resolution."""
        channel_mixed = [self._conv(f, f"ccm{i}") for i, f in enumerate(features)]
        mixed: list[torch.Tensor] = []
        h = None
        for i in reversed(range(len(channel_mixed))):
            h = channel_mixed[i] if h is None else h + channel_mixed[i]
            h = self._conv(F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=True), f"csm{i}")
            mixed.insert(0, h)
        return mixed


def down_block(c_in: int, c_out: int) -> nn.Sequential:
    """Halve the side: a spectrally normalised 4×4 stride-2 convolution, then LeakyReLU."""
    return nn.Sequential(spectral_norm(nn.Conv2d(c_in, c_out, 4, 2, 1)), nn.LeakyReLU(0.2))


class ProjectedDiscriminator(nn.Module):
    """The fixed projection and one trainable head per mixed map: stride-2 blocks down to 8×8, then one
    4×4 convolution to 5×5 logits (Projected GAN's multi-scale discriminator, with spectral norm and no
    batch norm, so that a face's score does not depend on the rest of its batch). Heads' widths scale
    with `ndf` (64: Projected GAN's 64 ... 512)."""

    def __init__(self, ndf: int = 64) -> None:
        super().__init__()
        self.projection = RandomProjection()
        self.heads = nn.ModuleList()
        for stage, channels in enumerate(self.projection.channels):
            side = PROJECTED_SIZE // 2 ** (stage + 1)  # the mixed map's side (the CSM doubles each stage's)
            layers: list[nn.Module] = []
            while side > 8:
                side //= 2
                width = ndf * 512 // (8 * side)  # 64 at side 64 ... 512 at side 8 (ndf 64)
                layers.append(down_block(channels, width))
                channels = width
            layers.append(spectral_norm(nn.Conv2d(channels, 1, 4, 1, 0)))
            self.heads.append(nn.Sequential(*layers))

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        """Logits (N×1×5×5) per head for the feature maps (`FEATURE_BLOCKS`) of faces at PROJECTED_SIZE."""
        return [head(mixed) for head, mixed in zip(self.heads, self.projection(features))]


def image_features(network: EfficientNetLite0, images: torch.Tensor) -> list[torch.Tensor]:
    """The frozen network's feature maps at FEATURE_BLOCKS of RGB images in [-1, 1]."""
    return network.features(images, FEATURE_BLOCKS)


def perceptual_loss(fake: list[torch.Tensor], real: list[torch.Tensor]) -> torch.Tensor:
    """Mean over stages of the squared distance between unit-length feature vectors, averaged over positions
    (0: the same features; 2: orthogonal ones). `real` is the target and gets no gradient."""
    terms = []
    for f, r in zip(fake, real):
        f, r = F.normalize(f.float(), dim=1, eps=1e-6), F.normalize(r.detach().float(), dim=1, eps=1e-6)
        terms.append((f - r).square().sum(1).mean())
    return torch.stack(terms).mean()


def colour_augment(images: torch.Tensor) -> torch.Tensor:
    """DiffAugment's colour policy on images in [-1, 1]: random brightness (±0.5), saturation (×0..2) and
    contrast (×0.5..1.5) per image, from the global RNG. Differentiable."""
    n = len(images)
    images = images + (torch.rand(n, 1, 1, 1, device=images.device) - 0.5).to(images.dtype)
    grey = images.mean(1, keepdim=True)
    images = (images - grey) * (torch.rand(n, 1, 1, 1, device=images.device) * 2).to(images.dtype) + grey
    mean = images.mean((1, 2, 3), keepdim=True)
    return (images - mean) * (torch.rand(n, 1, 1, 1, device=images.device) + 0.5).to(images.dtype) + mean
