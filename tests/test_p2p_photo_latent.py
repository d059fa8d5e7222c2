"""p2p.photo_latent: the training latent is the photo's colours, whitened to a standard normal."""

from __future__ import annotations

import pytest
import torch

from p2p.photo_latent import STATISTICS, PhotoLatent, photo_statistics


def portraits(n: int, seed: int = 0) -> torch.Tensor:
    """n 3×64×64 images in [-1, 1]: a random background colour, a random face colour in the middle, noise."""
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 3, 1, 1, generator=g).expand(-1, -1, 64, 64).clone() * 2 - 1
    images[..., 16:48, 16:48] = torch.rand(n, 3, 1, 1, generator=g) * 2 - 1
    return (images + 0.1 * torch.randn(images.shape, generator=g)).clamp(-1, 1)


def test_statistics_read_the_face_the_background_and_the_contrast() -> None:
    flat = torch.zeros(1, 3, 64, 64)
    red_face = flat.clone()
    red_face[:, 0, 16:48, 16:48] = 1.0
    stats = dict(zip(STATISTICS, photo_statistics(torch.cat([flat, red_face])).T, strict=True))
    assert stats["face R"][1] == pytest.approx(1.0) and stats["face R"][0] == 0
    assert stats["face G"][1] == 0 and stats["border R"][1] == 0
    assert stats["contrast"][0] == 0 and stats["contrast"][1] > 0.1


def test_fitted_latent_of_the_photos_is_standard_normal() -> None:
    latent = PhotoLatent()
    latent.fit(portraits(400))
    z = latent(portraits(400))
    assert z.shape == (400, len(STATISTICS))
    assert z.mean(dim=0).abs().max() < 1e-4
    assert torch.allclose(torch.cov(z.T), torch.eye(len(STATISTICS)), atol=1e-3)
    unseen = latent(portraits(400, seed=1))  # other photos of the same kind: close to standard normal too
    assert unseen.mean(dim=0).abs().max() < 0.2 and (unseen.std(dim=0) - 1).abs().max() < 0.2


def test_fitting_needs_more_photos_than_statistics() -> None:
    with pytest.raises(ValueError, match="more than 8 photos"):
        PhotoLatent().fit(portraits(8))
