"""The pix2pix networks (Isola et al., CVPR 2017), written out flat so they read top to bottom.

* `UNetGenerator`: encoder-decoder with skip connections between mirrored layers.
  Its noise is dropout in the innermost decoder blocks, kept on at inference as in
  the paper, and, with `z_dim` > 0, a latent vector; a per-sample seed picks both.
* `PatchDiscriminator`: a PatchGAN that classifies overlapping patches of the
  (drawing, photo) pair as real or fake (70×70 receptive field with 3 layers).
  `MultiscaleDiscriminator` runs several on downsampled copies (pix2pixHD) and
  also returns their intermediate features for the feature-matching loss.

Two optional changes to the paper's generator, both off by default so the
reference architecture (and older checkpoints) stay what they were:
`upsample="resize"` decodes with nearest-neighbour upsampling + 3×3 convolution
instead of transposed convolutions, which removes checkerboard artefacts (Odena
et al., Distill 2016); `z_dim` > 0 adds a per-sample noise vector, drawn from the
same seed as the dropout masks and fed in as constant input channels
(BicycleGAN's "add to input"), a noise source the mode-seeking loss makes the generator use.

The generator carries huggingface_hub's `PyTorchModelHubMixin`, which gives it
`save_pretrained` / `from_pretrained` / `push_to_hub` with `model.safetensors` +
`config.json` (see `p2p.weights` for the error handling around loading).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin

NORMS = ("instance", "batch")
UPSAMPLES = ("transpose", "resize")
CONFIG_FORMAT_VERSION = 2
"""Version of config.json: 1 (no "format_version" key) predates `upsample` and `z_dim`, which then take their
defaults; 2 has every setting."""


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        # As in the reference implementation: no affine, no running stats, so a
        # sample's output never depends on the rest of its batch.
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    raise ValueError(f"norm must be one of {NORMS}, got {kind!r}")


def init_weights(module: nn.Module) -> None:
    """The paper's initialisation: conv weights from N(0, 0.02), norm scales from N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class UNetGenerator(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="sketch2face",
    tags=["pix2pix", "image-to-image", "sketch-to-face", "gan"],
    pipeline_tag="image-to-image",
    license="other",
):
    """U-Net generator: `num_downs` stride-2 convolutions down, as many transposed ones up.

    `num_downs=8` with 256×256 inputs is the paper's unet_256 (1×1 bottleneck);
    `ngf` is the width of the first layer (the paper uses 64) and doubles per level
    up to 8·ngf. Inputs are drawings in [-1, 1] (`in_channels` = 1), outputs RGB in [-1, 1].
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 3,
        num_downs: int = 8,
        ngf: int = 64,
        norm: str = "instance",
        dropout: float = 0.5,
        upsample: str = "transpose",
        z_dim: int = 0,
    ) -> None:
        super().__init__()
        if num_downs < 5:
            raise ValueError("num_downs must be at least 5")
        if upsample not in UPSAMPLES:
            raise ValueError(f"upsample must be one of {UPSAMPLES}, got {upsample!r}")
        self.in_channels, self.out_channels, self.num_downs = in_channels, out_channels, num_downs
        self.dropout, self.z_dim = dropout, z_dim
        # config.json (written by save_pretrained / push_to_hub) says which format it is in (`p2p.weights`).
        self._hub_mixin_config = {**(self._hub_mixin_config or {}), "format_version": CONFIG_FORMAT_VERSION}
        widths = [ngf * min(2**i, 8) for i in range(num_downs)]  # ngf, 2ngf, 4ngf, 8ngf, 8ngf, ...

        def up(c_in: int, c_out: int) -> nn.Module:
            if upsample == "transpose":
                return nn.ConvTranspose2d(c_in, c_out, 4, 2, 1)
            return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1))

        # Encoder. Each block after the first starts with LeakyReLU(0.2); the innermost has no norm.
        self.downs = nn.ModuleList([nn.Conv2d(in_channels + z_dim, widths[0], 4, 2, 1)])
        for i in range(1, num_downs):
            layers = [nn.LeakyReLU(0.2), nn.Conv2d(widths[i - 1], widths[i], 4, 2, 1)]
            if i < num_downs - 1:
                layers.append(_norm(norm, widths[i]))
            self.downs.append(nn.Sequential(*layers))

        # Decoder, innermost first. Every block but the innermost sees its input
        # concatenated with the mirrored encoder output (the skip connection).
        self.ups = nn.ModuleList()
        for i in reversed(range(1, num_downs)):
            c_in = widths[i] if i == num_downs - 1 else 2 * widths[i]
            self.ups.append(nn.Sequential(nn.ReLU(), up(c_in, widths[i - 1]), _norm(norm, widths[i - 1])))
        self.ups.append(nn.Sequential(nn.ReLU(), up(2 * widths[0], out_channels), nn.Tanh()))
        # Dropout follows the decoder blocks just outside the innermost one, as in the
        # reference unet_256 (three of them for num_downs=8).
        self.dropout_after = set(range(1, num_downs - 4))
        init_weights(self)

    def forward(
        self, drawing: torch.Tensor, seeds: Sequence[int] | None = None, z: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Generate photos from drawings (N×C×H×W, H and W divisible by 2**num_downs).

        With `seeds` (one per sample) the noise (z, then the dropout masks) comes
        from a private generator per sample: the same drawing and seed give the
        same face on any device and in any batch, without touching the global RNG.
        Without seeds the noise comes from the global RNG, as in training; the
        trainer may pass the latent `z` (N × z_dim) itself. A `z` passed with
        seeds replaces their latent and keeps their dropout masks.
        """
        if seeds is not None and len(seeds) != drawing.shape[0]:
            raise ValueError(f"got {len(seeds)} seeds for a batch of {drawing.shape[0]}")
        generators = None if seeds is None else [torch.Generator().manual_seed(int(s)) for s in seeds]
        if self.z_dim:
            if z is None or generators is not None:
                drawn = self.sample_z(drawing.shape[0], generators)  # a seed draws its latent before its masks
                z = drawn if z is None else z
            z = z.to(device=drawing.device, dtype=drawing.dtype)
            drawing = torch.cat([drawing, z[:, :, None, None].expand(-1, -1, *drawing.shape[2:])], dim=1)

        skips = []
        h = drawing
        for down in self.downs:
            h = down(h)
            skips.append(h)
        h = self.ups[0](skips[-1])
        for i, up in enumerate(self.ups[1:], start=1):
            if i - 1 in self.dropout_after:
                h = self._dropout(h, generators)
            h = up(torch.cat([skips[-1 - i], h], dim=1))
        return h

    def sample_z(self, n: int, generators: list[torch.Generator] | None = None) -> torch.Tensor:
        """n noise vectors (n × z_dim, standard normal), from the per-sample generators when given."""
        if generators is None:
            z = torch.randn(n, self.z_dim)
        else:
            z = torch.stack([torch.randn(self.z_dim, generator=g) for g in generators])
        return z

    def _dropout(self, h: torch.Tensor, generators: list[torch.Generator] | None) -> torch.Tensor:
        if self.dropout == 0:
            return h
        if generators is None:
            return F.dropout(h, self.dropout, training=True)
        keep = 1.0 - self.dropout
        mask = torch.stack([torch.rand(h.shape[1:], generator=g) < keep for g in generators])
        return h * mask.to(device=h.device, dtype=h.dtype) / keep


class PhaseConvTranspose2d(nn.Module):
    """The same function as a `ConvTranspose2d(kernel 4, stride 2, padding 1)`, computed for inference
    as one 2×2 convolution per output phase (even/odd row × even/odd column) and an interleave.

    The transposed convolution's 4×4 kernel touches each output pixel with only 2×2 of its taps, which
    ones depending on the pixel's phase; as a plain convolution that is oneDNN's fast path, where
    PyTorch's CPU transposed convolution is not (about 10 % of a face's time in bf16, on a 2-core CPU).
    """

    TAPS = {0: (3, 1), 1: (2, 0)}  # output phase → kernel index for the input offsets (-1, 0) / (0, +1)

    def __init__(self, transposed: nn.ConvTranspose2d) -> None:
        super().__init__()
        if transposed.kernel_size != (4, 4) or transposed.stride != (2, 2) or transposed.padding != (1, 1):
            raise ValueError("only ConvTranspose2d(kernel 4, stride 2, padding 1) has this phase form")
        weight = transposed.weight.detach()  # C_in × C_out × 4 × 4
        c_in, self.c_out = weight.shape[:2]
        phases = weight.new_empty(2, 2, self.c_out, c_in, 2, 2)
        for py, rows in self.TAPS.items():
            for px, cols in self.TAPS.items():
                for ty, ky in enumerate(rows):
                    for tx, kx in enumerate(cols):
                        phases[py, px, :, :, ty, tx] = weight[:, :, ky, kx].t()
        self.conv = nn.Conv2d(c_in, 4 * self.c_out, 2, padding=1, bias=transposed.bias is not None)
        self.conv.weight.data = phases.reshape(4 * self.c_out, c_in, 2, 2)
        if transposed.bias is not None:
            self.conv.bias.data = transposed.bias.detach().repeat(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        z = self.conv(x).view(n, 2, 2, self.c_out, h + 1, w + 1)  # padding 1: input offsets -1..+1
        out = x.new_empty(n, self.c_out, h, 2, w, 2)
        for py in (0, 1):
            for px in (0, 1):
                out[:, :, :, py, :, px] = z[:, py, px, :, py : py + h, px : px + w]
        return out.view(n, self.c_out, 2 * h, 2 * w)


def with_phase_decoder(generator: UNetGenerator) -> UNetGenerator:
    """`generator` with every transposed convolution of its decoder replaced by `PhaseConvTranspose2d`
    (in place; the same function, faster on CPUs). A resize-convolution decoder is left as it is."""
    for block in generator.ups:
        for i, layer in enumerate(block):
            if isinstance(layer, nn.ConvTranspose2d):
                block[i] = PhaseConvTranspose2d(layer)
    return generator


class PatchDiscriminator(nn.Module):
    """PatchGAN: `n_layers` stride-2 convolutions then two stride-1 ones, one logit per patch.

    With `n_layers=3` each output sees a 70×70 patch of the input, which is the
    drawing and the photo stacked along the channels (conditional GAN).
    """

    def __init__(self, in_channels: int = 4, ndf: int = 64, n_layers: int = 3, norm: str = "instance") -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
        width = ndf
        for n in range(1, n_layers + 1):
            stride = 2 if n < n_layers else 1
            next_width = ndf * min(2**n, 8)
            layers += [nn.Conv2d(width, next_width, 4, stride, 1), _norm(norm, next_width), nn.LeakyReLU(0.2)]
            width = next_width
        layers.append(nn.Conv2d(width, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, pair: torch.Tensor) -> list[torch.Tensor]:
        """The activations after every LeakyReLU, then the patch logits last (the features feed
        pix2pixHD's feature-matching loss; plain pix2pix uses only the logits)."""
        outputs = []
        for layer in self.net:
            pair = layer(pair)
            if isinstance(layer, nn.LeakyReLU):
                outputs.append(pair)
        return outputs + [pair]


class MultiscaleDiscriminator(nn.Module):
    """`scales` PatchGANs on the (drawing, photo) pair at full, half, quarter... resolution (pix2pixHD).

    With one scale this is the paper's discriminator. Coarser scales see whole-face
    structure (a 70×70 patch at half resolution covers 140×140 pixels).
    """

    def __init__(
        self, in_channels: int = 4, ndf: int = 64, n_layers: int = 3, norm: str = "instance", scales: int = 1
    ) -> None:
        super().__init__()
        self.scales = nn.ModuleList([PatchDiscriminator(in_channels, ndf, n_layers, norm) for _ in range(scales)])

    def forward(self, drawing: torch.Tensor, photo: torch.Tensor) -> list[list[torch.Tensor]]:
        """Per scale: its features, logits last."""
        pair = torch.cat([drawing, photo], dim=1)
        results = []
        for i, discriminator in enumerate(self.scales):
            if i:
                pair = F.avg_pool2d(pair, 3, stride=2, padding=1, count_include_pad=False)
            results.append(discriminator(pair))
        return results
