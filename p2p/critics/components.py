"""Eye and mouth critics (GFPGAN's facial component discriminators, Wang et al., CVPR 2021), for training.

Whole-face critics judge the eyes and the mouth as a few patches among many, yet they are what gives a
generated face away first. Each component gets its own small critic that sees only a square crop around it,
resized to COMPONENT_SIZE, of the generated face and of the photo. The boxes come with every training
pair (`p2p.data`, from `data_prep.build`'s landmarks); a pair without boxes is left out of these losses.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

COMPONENTS = ("left_eye", "right_eye", "mouth")
"""In the order of a pair's boxes tensor (3×4: x0, y0, x1, y1 in pixels). Left and right as the photo shows
them: a horizontal flip swaps them."""
MIRRORED = ("right_eye", "left_eye", "mouth")
"""What each of COMPONENTS is in the mirror image."""
COMPONENT_SIZE = 32
"""Side of a crop as its critic sees it. `data_prep.build`'s boxes of a 256 px aligned CelebA face are squares of
about 37 px (eyes) and 70 px (mouth): the eyes keep nearly all their detail, the mouth its shape."""


def has_box(boxes: torch.Tensor) -> torch.Tensor:
    """Which boxes (… × 4) are real: an empty box (x1 <= x0 or y1 <= y0, such as all zeros) stands for none."""
    return (boxes[..., 2] > boxes[..., 0]) & (boxes[..., 3] > boxes[..., 1])


def crop_squares(images: torch.Tensor, boxes: torch.Tensor, size: int = COMPONENT_SIZE) -> torch.Tensor:
    """The square around each box (its longer side, same centre), resized to size×size by bilinear sampling:
    images N×C×H×W, boxes N×4 in pixels → N×C×size×size. Differentiable in the images; what lies outside the
    image is 0 (mid-grey), the same for a face and its photo."""
    h, w = images.shape[-2:]
    boxes = boxes.float()
    centre_x, centre_y = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    side = torch.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    theta = torch.zeros(len(boxes), 2, 3, device=images.device)
    theta[:, 0, 0], theta[:, 0, 2] = side / w, 2 * centre_x / w - 1  # pixel edges 0..w ↔ -1..1
    theta[:, 1, 1], theta[:, 1, 2] = side / h, 2 * centre_y / h - 1
    grid = F.affine_grid(theta, [len(boxes), images.shape[1], size, size], align_corners=False)
    return F.grid_sample(images, grid.to(images.dtype), mode="bilinear", padding_mode="zeros", align_corners=False)


class ComponentCritic(nn.Module):
    """GFPGAN's facial component discriminator (VGG-style: 3×3 convolutions, two stride-2), spectrally
    normalised: a COMPONENT_SIZE crop → 8×8 patch logits. `ndf` 64 is GFPGAN's width."""

    def __init__(self, ndf: int = 64) -> None:
        super().__init__()
        widths = [(3, ndf, 1), (ndf, 2 * ndf, 2), (2 * ndf, 2 * ndf, 1), (2 * ndf, 4 * ndf, 2), (4 * ndf, 4 * ndf, 1)]
        layers: list[nn.Module] = []
        for c_in, c_out, stride in widths:
            layers += [spectral_norm(nn.Conv2d(c_in, c_out, 3, stride, 1)), nn.LeakyReLU(0.2)]
        layers.append(spectral_norm(nn.Conv2d(4 * ndf, 1, 3, 1, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        return self.net(crops)


class ComponentCritics(nn.Module):
    """One critic per component of COMPONENTS."""

    def __init__(self, ndf: int = 64) -> None:
        super().__init__()
        self.critics = nn.ModuleDict({name: ComponentCritic(ndf) for name in COMPONENTS})

    def forward(self, images: torch.Tensor, boxes: torch.Tensor) -> list[torch.Tensor]:
        """Per component, the logits (N×1×8×8) of the crops of images (N×3×H×W) at boxes (N×3×4). Every image
        is judged, with or without a box (`has_box` says which count), so that every process of a
        distributed run computes the same gradients' shapes."""
        return [critic(crop_squares(images, boxes[:, i])) for i, critic in enumerate(self.critics.values())]
