"""The latent vector as the photo's colours and light: a fixed encoder for training (`--z-from-photo`).

A drawing says nothing about the photo's exposure, skin tone, hair colour or background. With a random
latent, the L1 loss teaches the generator the average of those, so its faces are all lit and coloured
alike: on the validation drawings the brightness contrast of a face varies half as much from face to face
as a photo's does, one of the cues that give the faces away. BicycleGAN's answer is an encoder that tells
the generator, in training, the latent of the photo it must reproduce. This is that encoder without
weights to learn: eight colour statistics of the target photo, whitened over the training photos so that
they are roughly standard normal. The generator then learns to paint the colours it is given, and at
inference a seed's standard-normal latent (`UNetGenerator.sample_z`) picks one set of colours from the
photos' own spread. The inference code does not change; only training does.
"""

from __future__ import annotations

import torch
from torch import nn

STATISTICS = ("face R", "face G", "face B", "border R", "border G", "border B", "hair brightness", "contrast")
"""What each latent dimension encodes before whitening (ZCA keeps dimension i closest to statistic i)."""


def photo_statistics(photos: torch.Tensor) -> torch.Tensor:
    """N×3×H×W photos in [-1, 1] → N×8: the mean colour of the centre half (the face of a portrait) and of
    the outer eighth (the background), the brightness above the face's centre (hair or forehead) and the
    standard deviation of the brightness (contrast)."""
    photos = photos.float()
    h, w = photos.shape[-2:]
    face = photos[..., h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].mean(dim=(-2, -1))
    ring = torch.ones(h, w, dtype=torch.bool, device=photos.device)
    ring[h // 8 : h - h // 8, w // 8 : w - w // 8] = False
    border = photos[..., ring].mean(dim=-1)
    luminance = 0.299 * photos[:, 0] + 0.587 * photos[:, 1] + 0.114 * photos[:, 2]
    hair = luminance[:, h // 16 : h // 4, 3 * w // 8 : 5 * w // 8].mean(dim=(-2, -1))
    contrast = luminance.flatten(1).std(dim=1)
    return torch.cat([face, border, hair[:, None], contrast[:, None]], dim=1)


class PhotoLatent(nn.Module):
    """photo → whitened statistics; `fit` sets the whitening from training photos (kept in the checkpoint)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(len(STATISTICS)))
        self.register_buffer("whiten", torch.eye(len(STATISTICS)))

    @torch.no_grad()
    def fit(self, photos: torch.Tensor) -> None:
        """ZCA whitening of the photos' statistics: afterwards they have zero mean and identity covariance."""
        stats = photo_statistics(photos).double()
        if len(stats) <= len(STATISTICS):
            raise ValueError(f"fitting the photo latent needs more than {len(STATISTICS)} photos, got {len(stats)}")
        mean = stats.mean(dim=0)
        values, vectors = torch.linalg.eigh(torch.cov((stats - mean).T))
        whiten = vectors @ torch.diag(values.clamp_min(1e-8).rsqrt()) @ vectors.T
        self.mean.copy_(mean.float())
        self.whiten.copy_(whiten.float())

    @torch.no_grad()
    def forward(self, photos: torch.Tensor) -> torch.Tensor:
        return (photo_statistics(photos) - self.mean) @ self.whiten.T
