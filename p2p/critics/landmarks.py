"""A face-geometry loss for training: where the generated face's 68 landmarks lie against its photo's.

An L1 distance in pixels is content with a face whose eyes and mouth are smeared near the right place; a
landmark regressor reads where they are. `LandmarkHead` turns the frozen EfficientNet-Lite0 features the
projected critic already computes (`p2p.critics.projected.image_features`, at PROJECTED_SIZE) into 68 points:
the three finest maps brought to 1/4 of the image side, two convolutions to one heatmap per point, and the
expectation of each heatmap's softmax (soft-argmax), so that a point moves smoothly with the image and its
gradient lands where the feature is. It is fitted to dlib's landmarks (`data_prep.landmarks`) on photos and
generated faces (`experiments/landmark_head.py`; the fitted head, 0.3 MB, ships as FITTED_HEAD);
`landmark_loss` compares its points for the face and the photo, so no labels are needed while the generator
trains.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file

from p2p.critics.projected import FEATURE_CHANNELS

POINTS = 68
HEAD_STAGES = 3
"""The finest three of the projected critic's four feature maps (1/4, 1/8, 1/16 of the side)."""
FITTED_HEAD = Path(__file__).with_name("landmark_head.safetensors")
"""Fitted on 4,000 pairs of the 2,000-people build: held out, 0.041 inter-ocular distances from dlib's points
on photos and 0.070 on the bundled model's faces (docs/experiments.md, "Landmarks held to the photo's")."""


class LandmarkHead(nn.Module):
    """Feature maps (`image_features`) → N × 68 × 2 points, (x, y) in [0, 1] of the image."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.mix = nn.Sequential(
            nn.Conv2d(sum(FEATURE_CHANNELS[:HEAD_STAGES]), width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, POINTS, 1),
        )

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        side = features[0].shape[-1]
        maps = [features[0]] + [
            F.interpolate(f, size=(side, side), mode="bilinear", align_corners=False) for f in features[1:HEAD_STAGES]
        ]
        heat = self.mix(torch.cat(maps, 1).float()).flatten(2).softmax(-1).unflatten(2, (side, side))
        centres = (torch.arange(side, device=heat.device, dtype=heat.dtype) + 0.5) / side
        x = (heat.sum(2) * centres).sum(-1)  # each point's heatmap summed over rows: its distribution over columns
        y = (heat.sum(3) * centres).sum(-1)
        return torch.stack([x, y], -1)


def fitted_landmark_head(path: str | Path = "") -> LandmarkHead:
    """A frozen LandmarkHead with the weights at `path` (default: FITTED_HEAD), in fp32."""
    head = LandmarkHead()
    head.load_state_dict({name: weight.float() for name, weight in load_file(path or FITTED_HEAD).items()})
    return head.requires_grad_(False).eval()


def landmark_loss(head: LandmarkHead, fake: list[torch.Tensor], photo: list[torch.Tensor]) -> torch.Tensor:
    """Mean distance between the face's and the photo's points, in units of the image side (the photo's
    points are the target and get no gradient)."""
    with torch.no_grad():
        target = head(photo)
    return (head(fake) - target).norm(dim=-1).mean()
