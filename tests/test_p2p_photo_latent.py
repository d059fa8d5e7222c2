"""p2p.photo_latent: the training latent is the photo's colours, whitened to a standard normal."""

from __future__ import annotations

import pytest
import torch

from p2p.model import UNetGenerator
from p2p.photo_latent import LATENTS, STATISTICS, PhotoLatent, light_backdrop_prior


def portraits(n: int, seed: int = 0) -> torch.Tensor:
    """n 3×64×64 images in [-1, 1]: a random background colour, a random face colour in the middle, noise."""
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 3, 1, 1, generator=g).expand(-1, -1, 64, 64).clone() * 2 - 1
    images[..., 16:48, 16:48] = torch.rand(n, 3, 1, 1, generator=g) * 2 - 1
    return (images + 0.1 * torch.randn(images.shape, generator=g)).clamp(-1, 1)


def statistics(kind: str, photos: torch.Tensor) -> dict[str, torch.Tensor]:
    names, read = LATENTS[kind]
    return dict(zip(names, read(photos).T, strict=True))


def test_colour_statistics_read_the_face_the_background_and_the_contrast() -> None:
    flat = torch.zeros(1, 3, 64, 64)
    red_face = flat.clone()
    red_face[:, 0, 16:48, 16:48] = 1.0
    stats = statistics("colours", torch.cat([flat, red_face]))
    assert stats["face R"][1] == pytest.approx(1.0) and stats["face R"][0] == 0
    assert stats["face G"][1] == 0 and stats["border R"][1] == 0
    assert stats["contrast"][0] == 0 and stats["contrast"][1] > 0.1


def test_face_statistics_ignore_the_background_and_see_where_the_light_comes_from() -> None:
    photo = torch.zeros(1, 3, 64, 64)
    dark_background = photo.clone()
    dark_background[..., :4, :] = -1.0
    lit_from_left = photo.clone()
    lit_from_left[..., 16:48, 16:32] = 0.5
    red_hair = photo.clone()
    red_hair[:, 0, 4:16, 24:40] = 0.8
    stats = statistics("face", torch.cat([photo, dark_background, lit_from_left, red_hair]))
    assert all(torch.equal(values[0], values[1]) for values in stats.values()), "the background is not read"
    assert stats["light from the left"][2] == pytest.approx(0.5) and stats["light from the left"][0] == 0
    assert stats["light from above"][2] == pytest.approx(0.0, abs=1e-6)
    assert stats["face contrast"][2] > 0.2 and stats["face contrast"][0] == 0
    assert stats["hair redness"][3] == pytest.approx(0.8) and stats["hair brightness"][3] > 0


@pytest.mark.parametrize("kind", sorted(LATENTS))
def test_fitted_latent_of_the_photos_is_standard_normal(kind: str) -> None:
    latent = PhotoLatent(kind)
    latent.fit(portraits(400))
    z = latent(portraits(400))
    assert z.shape == (400, STATISTICS)
    assert z.mean(dim=0).abs().max() < 1e-4
    assert torch.allclose(torch.cov(z.T), torch.eye(STATISTICS), atol=1e-3)
    unseen = latent(portraits(400, seed=1))  # other photos of the same kind: close to standard normal too
    assert unseen.mean(dim=0).abs().max() < 0.2 and (unseen.std(dim=0) - 1).abs().max() < 0.2


def test_fitting_needs_more_photos_than_statistics_and_a_known_kind() -> None:
    with pytest.raises(ValueError, match="more than 8 photos"):
        PhotoLatent().fit(portraits(8))
    with pytest.raises(ValueError, match="unknown photo latent"):
        PhotoLatent("background")


def test_a_light_backdrop_prior_is_a_generator_setting_of_the_right_shape() -> None:
    latent = PhotoLatent("colours")
    latent.fit(portraits(50))
    prior = light_backdrop_prior(latent, grey=240.0)
    model = UNetGenerator(num_downs=5, ngf=8, z_dim=STATISTICS, z_prior=prior)
    z = model.sample_z(20)
    border = (z.double() @ torch.linalg.inv(latent.whiten.double()).T + latent.mean.double())[:, 3:6]
    assert torch.allclose(border, torch.full_like(border, 240 / 127.5 - 1), atol=1e-4)
    with pytest.raises(ValueError, match="map the 4-d latent to itself"):
        UNetGenerator(num_downs=5, ngf=8, z_dim=4, z_prior=prior)
    with pytest.raises(ValueError, match="'colours' photo latent"):
        light_backdrop_prior(PhotoLatent("face"))


def test_swap_takes_the_named_statistics_from_the_other_latent_and_keeps_the_rest() -> None:
    latent = PhotoLatent("colours")
    latent.fit(portraits(50))
    mine, other = latent(portraits(6, seed=1)), latent(portraits(6, seed=2))
    swapped = latent.swap(mine, other, ("border R", "border G", "border B"))

    def unwhitened(z: torch.Tensor) -> torch.Tensor:
        return z.double() @ torch.linalg.inv(latent.whiten.double()).T + latent.mean.double()

    assert torch.allclose(unwhitened(swapped)[:, 3:6], unwhitened(other)[:, 3:6], atol=1e-4)
    assert torch.allclose(unwhitened(swapped)[:, :3], unwhitened(mine)[:, :3], atol=1e-4)
    assert torch.allclose(unwhitened(swapped)[:, 6:], unwhitened(mine)[:, 6:], atol=1e-4)
    with pytest.raises(ValueError, match=r"no statistics \['hair redness'\]"):
        latent.swap(mine, other, ("hair redness",))
