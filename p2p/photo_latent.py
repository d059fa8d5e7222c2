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

Two sets of statistics (`LATENTS`): "colours" includes the background's colour, so at inference the seed
picks the background too, even for line art, which only ever had light backdrops in training; "face"
leaves the background to the drawing and describes the face's light instead (its contrast and from which
side it is lit) and the hair's colour.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def brightness(pixels: torch.Tensor) -> torch.Tensor:
    """Luma of N×3×… colours: N×…"""
    return 0.299 * pixels[:, 0] + 0.587 * pixels[:, 1] + 0.114 * pixels[:, 2]


def regions(photos: torch.Tensor) -> dict[str, torch.Tensor]:
    """The parts of an aligned portrait the statistics read: the centre half (the face), the outer eighth
    (the background, N×3×pixels) and a band above the face's centre (hair or forehead)."""
    photos = photos.float()
    h, w = photos.shape[-2:]
    ring = torch.ones(h, w, dtype=torch.bool, device=photos.device)
    ring[h // 8 : h - h // 8, w // 8 : w - w // 8] = False
    return {
        "face": photos[..., h // 4 : 3 * h // 4, w // 4 : 3 * w // 4],
        "border": photos[..., ring],
        "hair": photos[..., h // 16 : h // 4, 3 * w // 8 : 5 * w // 8],
    }


def colour_statistics(photos: torch.Tensor) -> torch.Tensor:
    """N×3×H×W photos in [-1, 1] → N×8: the mean colour of the face and of the background, the brightness
    above the face (hair or forehead) and the standard deviation of the brightness (contrast)."""
    photos = photos.float()
    parts = regions(photos)
    hair = brightness(parts["hair"]).mean(dim=(-2, -1))
    contrast = brightness(photos).flatten(1).std(dim=1)
    return torch.cat(
        [parts["face"].mean(dim=(-2, -1)), parts["border"].mean(dim=-1), hair[:, None], contrast[:, None]], dim=1
    )


def face_statistics(photos: torch.Tensor) -> torch.Tensor:
    """N×3×H×W photos in [-1, 1] → N×8, nothing of the background: the mean colour of the face, the
    brightness and redness (red minus blue) of the hair band, the face's contrast, and how much brighter
    its left half is than its right and its upper half than its lower (where the light comes from)."""
    parts = regions(photos)
    light = brightness(parts["face"])
    half_h, half_w = light.shape[-2] // 2, light.shape[-1] // 2
    hair = parts["hair"].mean(dim=(-2, -1))
    columns = [
        *parts["face"].mean(dim=(-2, -1)).T,
        brightness(hair),
        hair[:, 0] - hair[:, 2],
        light.flatten(1).std(dim=1),
        light[..., :half_w].mean(dim=(-2, -1)) - light[..., half_w:].mean(dim=(-2, -1)),
        light[..., :half_h, :].mean(dim=(-2, -1)) - light[..., half_h:, :].mean(dim=(-2, -1)),
    ]
    return torch.stack(columns, dim=1)


LATENTS: dict[str, tuple[tuple[str, ...], Callable[[torch.Tensor], torch.Tensor]]] = {
    "colours": (
        ("face R", "face G", "face B", "border R", "border G", "border B", "hair brightness", "contrast"),
        colour_statistics,
    ),
    "face": (
        (
            "face R",
            "face G",
            "face B",
            "hair brightness",
            "hair redness",
            "face contrast",
            "light from the left",
            "light from above",
        ),
        face_statistics,
    ),
}
"""Statistics sets by name: what each latent dimension encodes before whitening, and how it is read."""
STATISTICS = 8  # every set has as many statistics as the latent of the shipped model has dimensions


class PhotoLatent(nn.Module):
    """photo → whitened statistics; `fit` sets the whitening from training photos (kept in the checkpoint)."""

    def __init__(self, kind: str = "colours") -> None:
        super().__init__()
        if kind not in LATENTS:
            raise ValueError(f"unknown photo latent {kind!r}; one of {sorted(LATENTS)}")
        self.kind, self.statistics = kind, LATENTS[kind][1]
        self.register_buffer("mean", torch.zeros(STATISTICS))
        self.register_buffer("whiten", torch.eye(STATISTICS))

    @torch.no_grad()
    def fit(self, photos: torch.Tensor) -> None:
        """ZCA whitening of the photos' statistics: afterwards they have zero mean and identity covariance."""
        stats = self.statistics(photos).double()
        if len(stats) <= STATISTICS:
            raise ValueError(f"fitting the photo latent needs more than {STATISTICS} photos, got {len(stats)}")
        mean = stats.mean(dim=0)
        values, vectors = torch.linalg.eigh(torch.cov((stats - mean).T))
        whiten = vectors @ torch.diag(values.clamp_min(1e-8).rsqrt()) @ vectors.T
        self.mean.copy_(mean.float())
        self.whiten.copy_(whiten.float())

    @torch.no_grad()
    def forward(self, photos: torch.Tensor) -> torch.Tensor:
        return (self.statistics(photos) - self.mean) @ self.whiten.T

    def projector(self, names: tuple[str, ...]) -> torch.Tensor:
        """P = W·diag(named)·W⁻¹ (float64), for whitening W: z + (other − z)·Pᵀ is the whitened latent z with
        the named statistics taken from `other` and the rest kept (un-whitening and whitening are affine)."""
        kept = LATENTS[self.kind][0]
        unknown = sorted(set(names) - set(kept))
        if unknown:
            raise ValueError(f"the {self.kind!r} photo latent has no statistics {unknown}")
        named = torch.tensor([name in names for name in kept], dtype=torch.float64, device=self.whiten.device)
        whiten = self.whiten.double()
        return whiten @ torch.diag(named) @ torch.linalg.inv(whiten)

    @torch.no_grad()
    def swap(self, z: torch.Tensor, other: torch.Tensor, names: tuple[str, ...]) -> torch.Tensor:
        """z (N×8, whitened) with the named statistics of `other` (N×8, whitened) instead of its own."""
        projector = self.projector(names).to(z)
        return z + (other - z) @ projector.T


BACKDROP = ("border R", "border G", "border B")
"""The statistics of the "colours" latent that describe the background."""


def light_backdrop_prior(latent: PhotoLatent, grey: float = 215.0) -> dict[str, list]:
    """A seed prior (`UNetGenerator(z_prior=...)`) that keeps the colours a seed draws for the face, hair and
    contrast but sets the background's to light paper of this grey level (0-255).

    With the colours latent the seed picks the background too, and on line art, which only ever had light
    backdrops in training, a dark pick gives a face on murk. Un-whitening a latent, setting its background
    statistics and whitening again is affine, z ↦ matrix·z + offset, so the published model carries it.
    """
    if latent.kind != "colours":
        raise ValueError("a light-backdrop prior needs the 'colours' photo latent (the one with a background)")
    projector = latent.projector(BACKDROP)
    paper = torch.full((STATISTICS,), grey / 127.5 - 1.0, dtype=torch.float64)  # the projector keeps its background
    offset = projector @ latent.whiten.double() @ (paper - latent.mean.double())
    matrix = torch.eye(STATISTICS, dtype=torch.float64) - projector
    return {"matrix": matrix.float().tolist(), "offset": offset.float().tolist()}
