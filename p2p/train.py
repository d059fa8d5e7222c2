"""Train pix2pix: `python -m p2p.train --data DATA --out runs/NAME [options]`; the bundled model's options are
in a file: `python -m p2p.train @recipes/sketch2face-celeba.args --data DATA --out runs/NAME [more options]`.

One file, top to bottom: configuration, setup (device, precision, DDP), the
losses, the trainer (models, one step, samples and logs), the loop. Runs on CUDA
(mixed precision, channels_last), Apple MPS or CPU (bf16 autocast where the CPU
has it), and on several GPUs or nodes with `torchrun --nproc_per_node N -m p2p.train ...`.

The paper's recipe is the default. Options from later work, each off by default:
an exponential moving average of the generator's weights (`--ema`, the exported
generator is the average), pix2pixHD's multi-scale discriminator (`--d-scales`) and feature-matching loss
(`--lambda-fm`), a latent noise input (`--z-dim`) with the mode-seeking loss
of Mao et al. 2019 (`--lambda-ms`) so that different seeds give different faces,
DiffAugment for the discriminator (`--d-augment`), against its overfitting a few thousand photos, and a
critics-only warm-up (`--critic-warmup`), so that a warm-started generator first meets critics that know something.

Critics that know what photos look like, each on when its weight is above 0 (all but the eye and mouth
critics need the ImageNet weights of requirements-train.txt): a Projected GAN critic on frozen EfficientNet-Lite0
features of the face at 128 px, hinge loss, DiffAugment colour, translation and cutout (`--lambda-projected`, its weight
beside the conditional PatchGAN's 1, which checks that the face matches the drawing; `--gan-mode none`
leaves it alone); a perceptual loss on the same features (`--lambda-perceptual`), so that a lower
`--lambda-l1` need not paint the average photo; GFPGAN's eye and mouth critics on crops at the boxes the
dataset's manifest gives each pair (`--lambda-components`); and the face's 68 landmarks held to the photo's, as a
head fitted to dlib's points reads them on the same features (`--lambda-landmarks`), so that every seed puts the
eyes and mouth where the drawing has them. See `p2p.critics.projected`, `p2p.critics.components` and
`p2p.critics.landmarks`.

Outputs in --out: `checkpoint.pt` (everything needed to resume, see
`p2p.checkpoint`; written every --save-every-min minutes, on Ctrl-C / SIGTERM and
at the end), `generator/` (model.safetensors + config.json, loadable by
`p2p.infer` and the app), `losses.csv`, `samples/step_NNNNNNN.png` (drawing |
generated | photo).
"""

from __future__ import annotations

import argparse
import collections
import copy
import csv
import dataclasses
import gc
import inspect
import json
import math
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors import SafetensorError
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from p2p import checkpoint
from p2p.checkpoint import TrainState
from p2p.critics.components import COMPONENTS, ComponentCritics, has_box
from p2p.critics.efficientnet import pretrained_efficientnet
from p2p.critics.landmarks import fitted_landmark_head, landmark_loss
from p2p.critics.projected import (
    PROJECTED_SIZE,
    ProjectedDiscriminator,
    colour_augment,
    image_features,
    perceptual_loss,
)
from p2p.data import PairedDataset
from p2p.model import MultiscaleDiscriminator, UNetGenerator
from p2p.tensors import cpu_has_bf16, tensor_to_image
from p2p.weights import CheckpointError, export_generator, load_generator

GAN_MODES = ("vanilla", "lsgan", "hinge", "none")
LOAD_SIZE = 286
"""The paper's jitter for 256 px: resize to 286, then crop 256 at random (the same ratio at other sizes)."""
ADAM_BETAS = (0.5, 0.999)  # the paper's


@dataclass
class TrainConfig:
    data: str = ""  # a data_prep.build output folder (DATA/train, DATA/val)
    out: str = "runs/sketch2face"  # run folder: checkpoint.pt, generator/, losses.csv, samples/
    size: int = 256  # training crop; must be 2**num_downs
    ngf: int = 64  # generator width (paper: 64)
    num_downs: int = 8  # U-Net levels: 8 for 256 px (unet_256), 7 for 128 px
    ndf: int = 64  # discriminator width
    d_scales: int = 1  # discriminators at full, 1/2, 1/4... resolution (pix2pixHD: 2-3)
    norm: str = "instance"  # instance | batch normalisation in G and D
    dropout: float = 0.5  # in the 3 decoder blocks next to the bottleneck, kept on at inference (paper)
    z_dim: int = 0  # latent noise channels drawn from the seed (0: none, the noise is dropout alone)
    gan_mode: str = "vanilla"  # vanilla | lsgan | hinge | none (L1 only)
    lambda_l1: float = 100.0  # weight of the L1 distance to the photo (paper: 100)
    lambda_fm: float = 0.0  # discriminator feature matching (pix2pixHD: 10)
    lambda_ms: float = 0.0  # mode seeking: reward faces that differ between two noise draws (Mao et al.: 1)
    lambda_projected: float = 0.0  # weight of the critic on frozen ImageNet features (Projected GAN; 0: off)
    lambda_perceptual: float = 0.0  # distance to the photo in those features (perceptual loss; 0: off)
    lambda_components: float = 0.0  # weight of the eye and mouth critics (GFPGAN; needs boxes in the data; 0: off)
    lambda_landmarks: float = 0.0  # distance of the face's landmarks to the photo's, as --landmark-head reads them
    landmark_head: str = ""  # another fitted p2p.critics.landmarks.LandmarkHead (default: the one p2p ships)
    d_augment: bool = False  # DiffAugment (Zhao et al. 2020): D sees every pair shifted and cut out
    ema: float = 0.0  # decay of the generator weights' moving average, e.g. 0.999 (0: off)
    lr: float = 2e-4  # Adam learning rate of G and D (paper: 2e-4)
    batch_size: int = 1  # drawings per step and process (paper: 1)
    steps: int = 200_000  # optimiser steps in total
    cpu_minutes: float = 0.0  # also stop once training has used this much CPU time, over resumes (equal-cost ablations)
    decay_from: float = 0.5  # constant lr until this fraction of steps, then linear decay to 0
    augment: bool = True  # on-the-fly stroke augmentations (data_prep.augment)
    workers: int = 2  # DataLoader processes (0: load in the training process)
    amp: str = "auto"  # auto | on | off: mixed precision (fp16/bf16 on CUDA, bf16 on CPU)
    device: str = "auto"  # auto | cuda | mps | cpu
    seed: int = 0  # weights, data order, augmentations and noise
    init_from: str = ""  # start G from these generator weights (a checkpoint folder), e.g. when a run is lost
    critic_warmup: int = 0  # train only the critics for the first N steps (fresh critics of a warm start know nothing)
    save_every_min: float = 10.0  # write checkpoint.pt this often (minutes)
    sample_every: int = 1000  # write samples/step_N.png (drawing | face | photo) every N steps
    snapshot_every: int = 0  # also keep generator snapshots/step_N/ every N steps (0: never)
    log_every: int = 50  # write that step's losses to losses.csv and the progress bar every N steps
    resume: bool = False  # go on from OUT/checkpoint.pt (give the same architecture flags as when it started)


def field_comments() -> dict[str, str]:
    """TrainConfig's end-of-line comments by field name: the one place each option is explained, shown by --help."""
    source = inspect.getsource(TrainConfig)
    return dict(re.findall(r"^    (\w+): [^#\n]*#\s*(.+)$", source, flags=re.MULTILINE))


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    """Command-line flags are the TrainConfig fields (`--batch-size 4`, `--no-augment`, ...); `@FILE` reads
    more from a file (a recipe such as recipes/sketch2face-celeba.args: flags split on white space, `#` comments)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], fromfile_prefix_chars="@")
    parser.convert_arg_line_to_args = lambda line: line.split("#", 1)[0].split()  # type: ignore[method-assign]
    comments = field_comments()
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        required = field.name == "data"
        help_text = comments.get(field.name, "").replace("%", "%%") + ("" if required else " (default: %(default)s)")
        if field.type == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=field.default, help=help_text)
        else:
            kind = type(field.default)
            parser.add_argument(flag, type=kind, default=field.default, required=required, help=help_text)
    config = TrainConfig(**vars(parser.parse_args(argv)))
    if config.gan_mode not in GAN_MODES:
        parser.error(f"--gan-mode must be one of {GAN_MODES}")
    if not 0 <= config.ema < 1:
        parser.error("--ema is a decay in [0, 1), e.g. 0.999")
    weights = (config.lambda_projected, config.lambda_perceptual, config.lambda_components, config.lambda_landmarks)
    if min(weights) < 0:
        parser.error("--lambda-projected, --lambda-perceptual, --lambda-components and --lambda-landmarks are >= 0")
    if config.lambda_fm and config.gan_mode == "none":
        parser.error("--lambda-fm needs a discriminator (a --gan-mode other than none)")
    if config.critic_warmup < 0:
        parser.error("--critic-warmup is a number of steps >= 0")
    if config.critic_warmup and config.gan_mode == "none" and not (config.lambda_projected or config.lambda_components):
        parser.error("--critic-warmup needs a critic (a --gan-mode other than none, or a projected or component one)")
    if config.size != 2**config.num_downs:
        parser.error(f"--size {config.size} does not fit a U-Net with {config.num_downs} downsamplings")
    return config


# ----------------------------------------------------------------------------- setup


def setup_distributed() -> tuple[int, int, int]:
    """(rank, world_size, local_rank); starts the process group when launched by torchrun."""
    if "RANK" not in os.environ:
        return 0, 1, 0
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    return dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0))


def pick_device(name: str, local_rank: int) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    return torch.device(f"cuda:{local_rank}" if name == "cuda" else name)


def autocast_dtype(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The mixed-precision dtype for this device, or None for full fp32."""
    if config.amp == "off" or device.type == "mps":
        return None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if config.amp == "on" or cpu_has_bf16() else None


# ----------------------------------------------------------------------------- losses


def gan_loss(
    logits: torch.Tensor, real: bool, mode: str, for_discriminator: bool = True, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """The adversarial loss on patch logits (N×…) for a batch that should be judged `real`; with a mask (N
    booleans) only those samples count (0 when none does, still connected to the graph)."""
    logits = logits.float()
    if mode == "vanilla":
        losses = F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(real)), reduction="none")
    elif mode == "lsgan":
        losses = (logits - float(real)).square()
    elif mode == "hinge":
        losses = -logits if not for_discriminator else F.relu(1.0 - logits) if real else F.relu(1.0 + logits)
    else:
        raise ValueError(f"unknown gan mode {mode!r}")
    if mask is None:
        return losses.mean()
    return (losses.flatten(1).mean(1) * mask).sum() / mask.sum().clamp(min=1)


def l1_per_sample(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of each sample (N values)."""
    return (a.float() - b.float()).abs().flatten(1).mean(1)


def feature_matching_loss(fake: list[list[torch.Tensor]], real: list[list[torch.Tensor]]) -> torch.Tensor:
    """pix2pixHD's loss: L1 between the discriminator's features of the fake and the real pair,
    averaged over layers and scales (the logits, last in each list, are left out)."""
    terms = [l1_per_sample(f, r.detach()) for fs, rs in zip(fake, real) for f, r in zip(fs[:-1], rs[:-1])]
    return torch.stack(terms).mean()


def mode_seeking_loss(
    fake_a: torch.Tensor, fake_b: torch.Tensor, z_a: torch.Tensor | None, z_b: torch.Tensor | None
) -> torch.Tensor:
    """Mao et al. 2019: 1 / (|G(x, z_a) - G(x, z_b)| / |z_a - z_b|); small when two noise draws give
    different faces. Without a latent (the noise is dropout alone) the denominator is 1."""
    fake_a, fake_b = fake_a.float(), fake_b.float()
    difference = (fake_a - fake_b).abs().mean()
    if z_a is not None:
        difference = difference / (z_a - z_b).abs().mean()
    return 1.0 / (difference + 1e-5)


def diff_augment(n: int, size: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """DiffAugment's translation and cutout (Zhao et al., NeurIPS 2020) for n pairs: each is shifted by up to
    1/8 of the side (the gap filled with 0, mid-grey) and a square of half the side is set to 0. The returned
    function applies the same draw to any batch of n (or k·n, repeating the draws) images: the drawing,
    the photo and the fake of a pair move together, so D still judges aligned pairs, and the feature-matching
    loss compares like with like. Differentiable, so G learns through it; D, which never sees an unaltered
    pair, can no longer memorise the training photos (seen on GPU runs: D wins after ~60k pairs)."""
    shift = torch.randint(-(size // 8), size // 8 + 1, (n, 2))
    corner = torch.randint(-(size // 4), size - size // 4 + 1, (n, 2))  # the cutout's top left, may overhang

    def apply(images: torch.Tensor) -> torch.Tensor:
        k, h, w = len(images) // n, images.shape[-2], images.shape[-1]
        dy, dx = (v.repeat(k).to(images.device)[:, None] for v in shift.unbind(1))
        cy, cx = (v.repeat(k).to(images.device)[:, None] for v in corner.unbind(1))
        rows, cols = torch.arange(h, device=images.device)[None], torch.arange(w, device=images.device)[None]
        src_y, src_x = rows - dy, cols - dx  # where each output pixel comes from: n×h, n×w
        shifted_in = ((src_y >= 0) & (src_y < h))[:, :, None] & ((src_x >= 0) & (src_x < w))[:, None, :]
        cut = ((rows >= cy) & (rows < cy + h // 2))[:, :, None] & ((cols >= cx) & (cols < cx + w // 2))[:, None, :]
        keep = shifted_in & ~cut
        batch = torch.arange(len(images), device=images.device)[:, None, None]
        moved = images[batch, :, src_y.clamp(0, h - 1)[:, :, None], src_x.clamp(0, w - 1)[:, None, :]]
        return (moved * keep[..., None].to(moved.dtype)).permute(0, 3, 1, 2)

    return apply


SATURATED = 0.01  # a D loss this small: the discriminator is sure of every real and every fake pair


CRITICS = {"D": "the PatchGAN", "P": "the projected critic", "C": "the eye and mouth critics"}
"""The critics by their losses' prefix in losses.csv (`X_real`, `X_fake`)."""


def winning_critics(logged: Collection[dict[str, float]]) -> list[str]:
    """The critics (`CRITICS`' names) whose real and fake losses were both below SATURATED at every logged step.
    Such a critic's gradient tells the generator nothing useful and faces tend to turn into coloured noise
    (seen on GPU runs: from scratch at batch 16, vanilla loss, after ~60k pairs; a fine-tune at batch 8, LSGAN,
    with a fresh discriminator, after ~60k pairs), so the loop warns while the last snapshots are good."""
    return [
        name
        for prefix, name in CRITICS.items()
        if logged
        and all(
            losses.get(f"{prefix}_real", 1.0) < SATURATED and losses.get(f"{prefix}_fake", 1.0) < SATURATED
            for losses in logged
        )
    ]


def lr_factor(step: int, config: TrainConfig) -> float:
    """Constant learning rate, then linear decay to zero over the last (1 - decay_from) of the steps."""
    start = int(config.steps * config.decay_from)
    if step < start:
        return 1.0
    return max(0.0, (config.steps - step) / max(1, config.steps - start))


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def leave_process_group(worker_id: int) -> None:
    """DataLoader workers run in a process group of their own, so a stop sent to the run's whole group reaches
    only the training process, which finishes its step and saves. PyTorch's workers die on a SIGTERM that
    their parent did not send (its C handler re-raises it), and the run then crashed with "DataLoader worker
    ... is killed by signal: Terminated" before saving. They still exit with their parent (PyTorch watches it).

    A worker is forked with the stop signals held (`Trainer.batches_of_epoch`), so a stop sent to the group
    before it gets here waits; it was meant for the run, which has it too, so the worker drops it. The signals
    stay held, and a thread takes them: a stop sent to the worker by name (`pkill -f p2p.train` reaches every
    process of the run) is dropped the same way, and only its parent's (the loader ending a worker) ends it."""
    os.setpgrp()
    while signal.sigtimedwait(STOP_SIGNALS, 0) is not None:
        pass
    threading.Thread(target=_exit_when_the_parent_stops_this_worker, daemon=True).start()


def _exit_when_the_parent_stops_this_worker() -> None:
    parent = os.getppid()
    while signal.sigwaitinfo(STOP_SIGNALS).si_pid != parent:
        pass
    os._exit(0)


# ----------------------------------------------------------------------------- the trainer


class Trainer:
    """The networks, optimisers and run position; `train()` runs the loop, `train_step()` one step."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.rank, self.world, local_rank = setup_distributed()
        self.device = pick_device(config.device, local_rank)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        self.is_main = self.rank == 0
        self.out = Path(config.out)
        self.amp_dtype = autocast_dtype(config, self.device)
        torch.manual_seed(config.seed)

        self.train_set = PairedDataset(
            config.data, "train", config.size, config.size * LOAD_SIZE // 256, True, config.augment, config.seed
        )
        try:
            self.val_set: PairedDataset | None = PairedDataset(config.data, "val", config.size, train=False)
        except FileNotFoundError:
            self.val_set = None

        self.G = UNetGenerator(1, 3, config.num_downs, config.ngf, config.norm, config.dropout, z_dim=config.z_dim).to(
            self.device
        )
        self.D = MultiscaleDiscriminator(4, config.ndf, 3, config.norm, config.d_scales).to(self.device)
        # The later critics, each only when its weight asks for it (so the paper's recipe draws the same weights).
        wants_features = config.lambda_projected or config.lambda_perceptual or config.lambda_landmarks
        self.features = pretrained_efficientnet(self.device) if wants_features else None
        self.P = ProjectedDiscriminator(config.ndf).to(self.device) if config.lambda_projected else None
        self.C = ComponentCritics(config.ndf).to(self.device) if config.lambda_components else None
        self.landmarker = None
        if config.lambda_landmarks:
            try:
                self.landmarker = fitted_landmark_head(config.landmark_head).to(self.device)
            except (OSError, RuntimeError, SafetensorError) as err:  # no such file, not a head, another head's shape
                raise SystemExit(f"--landmark-head {config.landmark_head}: not a fitted LandmarkHead ({err})") from err
        if self.C is not None and not has_box(torch.from_numpy(np.stack(self.train_set.boxes))).any():
            raise SystemExit(
                f"--lambda-components: no training pair in {config.data} has eye and mouth boxes in its "
                "manifest.json; rebuild the dataset with data_prep.build"
            )
        if config.init_from and not config.resume:
            self.start_from_generator(config.init_from)
        # The moving average is what gets exported: smoother weights, fewer GAN artefacts (Karras et al. 2018).
        self.G_ema = copy.deepcopy(self.G).requires_grad_(False) if config.ema else None
        if self.device.type == "cuda":
            for name in ("G", "D", "P", "C"):
                if getattr(self, name) is not None:
                    setattr(self, name, getattr(self, name).to(memory_format=torch.channels_last))

        def adam(module: torch.nn.Module) -> torch.optim.Adam:
            return torch.optim.Adam(module.parameters(), lr=config.lr, betas=ADAM_BETAS)

        self.opt_G, self.opt_D = adam(self.G), adam(self.D)
        self.opt_P = adam(self.P) if self.P is not None else None
        self.opt_C = adam(self.C) if self.C is not None else None
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)

        self.state = TrainState()
        if config.resume:
            defaults = dataclasses.asdict(TrainConfig())
            self.state = checkpoint.load(self.checkpoint_path, dataclasses.asdict(config), self.parts(), defaults)
            if self.is_main:
                self.forget_losses_after(self.state.step)
        if self.world > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.G_ddp: torch.nn.Module = DistributedDataParallel(self.G, device_ids=ids)
            self.D_ddp: torch.nn.Module = DistributedDataParallel(self.D, device_ids=ids)
            self.P_ddp = DistributedDataParallel(self.P, device_ids=ids) if self.P is not None else None
            self.C_ddp = DistributedDataParallel(self.C, device_ids=ids) if self.C is not None else None
        else:
            self.G_ddp, self.D_ddp, self.P_ddp, self.C_ddp = self.G, self.D, self.P, self.C
        self.stop_requested = False
        self.recent_logs: collections.deque[dict[str, float]] = collections.deque(maxlen=5)
        self.warned_critic_won = False
        self.pid = os.getpid()  # DataLoader workers inherit the signal handler; only this process acts on it

    @property
    def checkpoint_path(self) -> Path:
        return self.out / "checkpoint.pt"

    @property
    def generator(self) -> UNetGenerator:
        """The generator to sample from and export: the moving average when there is one."""
        return self.G_ema or self.G

    def parts(self) -> dict[str, checkpoint.Stateful]:
        """Everything with a state dict that a resumed run needs back."""
        parts = {"G": self.G, "D": self.D, "opt_G": self.opt_G, "opt_D": self.opt_D, "scaler": self.scaler}
        optional = {"G_ema": self.G_ema, "P": self.P, "opt_P": self.opt_P, "C": self.C, "opt_C": self.opt_C}
        return parts | {name: part for name, part in optional.items() if part is not None}

    def start_from_generator(self, source: str) -> None:
        """G's weights from a saved generator with this run's architecture, or the same one without this
        run's latent input (such as the shipped dropout-only model): then the first layer's drawing
        channels are copied and the latent channels keep their fresh initialisation, so a run of the
        mode-seeking recipe can warm-start from it."""
        try:
            weights = load_generator(source).state_dict()
        except CheckpointError as err:
            raise SystemExit(f"--init-from: {err}") from err
        first, own = "downs.0.weight", self.G.downs[0].weight
        given = weights.get(first)
        same_but_inputs = given is not None and (given.shape[0], *given.shape[2:]) == (own.shape[0], *own.shape[2:])
        if same_but_inputs and given.shape[1] < own.shape[1]:
            weights[first] = torch.cat([given, own.detach()[:, given.shape[1] :].to(given)], dim=1)
        try:
            self.G.load_state_dict(weights)
        except RuntimeError as err:  # missing, unexpected or differently shaped weights
            raise SystemExit(f"--init-from {source}: its architecture differs from this run's flags") from err

    # ------------------------------------------------------------------ one step

    def autocast(self):
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    @property
    def optimisers(self) -> list[torch.optim.Optimizer]:
        return [opt for opt in (self.opt_G, self.opt_D, self.opt_P, self.opt_C) if opt is not None]

    def train_step(
        self, drawing: torch.Tensor, photo: torch.Tensor, boxes: torch.Tensor | None = None
    ) -> dict[str, float]:
        """One optimisation step of the critics (D, and P and C when on), then G, as in the paper (G not while
        --critic-warmup lasts); returns the losses. `boxes` (N × 3 × 4, `p2p.data`) place the eye and mouth
        critics' crops; without them those critics see no pair."""
        config = self.config
        for opt in self.optimisers:
            for group in opt.param_groups:
                group["lr"] = config.lr * lr_factor(self.state.step, config)
        if boxes is None:
            boxes = torch.zeros(len(drawing), len(COMPONENTS), 4, device=drawing.device)
        if config.lambda_ms:  # two noise draws per drawing: the mode-seeking loss compares their faces
            drawing, photo, boxes = torch.cat([drawing, drawing]), torch.cat([photo, photo]), torch.cat([boxes, boxes])
        z = self.G.sample_z(len(drawing)).to(self.device) if config.z_dim else None
        # While the critics warm up, G only draws the fakes they learn from (no graph, no DDP sync).
        warming_up = self.state.step < config.critic_warmup
        with self.autocast(), torch.no_grad() if warming_up else nullcontext():
            fake = (self.G if warming_up else self.G_ddp)(drawing, z=z)
        losses = {}
        seen = diff_augment(len(drawing), drawing.shape[-1]) if config.d_augment else lambda images: images
        critic_loss, critic_optimisers = torch.zeros((), device=self.device), []

        if config.gan_mode != "none":
            # D: real and fake pairs in one forward pass (one DDP forward per backward).
            self.D.requires_grad_(True)
            with self.autocast():
                scales = self.D_ddp(seen(torch.cat([drawing, drawing])), seen(torch.cat([photo, fake.detach()])))
            loss_D_real = torch.stack([gan_loss(s[-1].chunk(2)[0], True, config.gan_mode) for s in scales]).mean()
            loss_D_fake = torch.stack([gan_loss(s[-1].chunk(2)[1], False, config.gan_mode) for s in scales]).mean()
            critic_loss = critic_loss + 0.5 * (loss_D_real + loss_D_fake)  # halved: D learns slower than G
            critic_optimisers.append(self.opt_D)
            losses |= {"D_real": loss_D_real.item(), "D_fake": loss_D_fake.item()}
        if self.P is not None:
            # The frozen network's features of the (augmented) fake serve both P's step and G's.
            self.P.requires_grad_(True)
            with torch.no_grad(), self.autocast():
                real_features = image_features(self.features, self.projected_augment(photo))
            with self.autocast():
                fake_features = image_features(self.features, self.projected_augment(fake))
                heads = self.P_ddp([torch.cat([r, f.detach()]) for r, f in zip(real_features, fake_features)])
            loss_P_real = torch.stack([gan_loss(h.chunk(2)[0], True, "hinge") for h in heads]).mean()
            loss_P_fake = torch.stack([gan_loss(h.chunk(2)[1], False, "hinge") for h in heads]).mean()
            critic_loss = critic_loss + 0.5 * (loss_P_real + loss_P_fake)
            critic_optimisers.append(self.opt_P)
            losses |= {"P_real": loss_P_real.item(), "P_fake": loss_P_fake.item()}
        if self.C is not None:
            present = has_box(boxes)  # N × 3: which pairs have which box
            self.C.requires_grad_(True)
            with self.autocast():
                crops = self.C_ddp(torch.cat([photo, fake.detach()]), torch.cat([boxes, boxes]))
            loss_C_real, loss_C_fake = (
                torch.stack(
                    [gan_loss(c.chunk(2)[j], j == 0, "hinge", mask=present[:, i]) for i, c in enumerate(crops)]
                ).mean()
                for j in (0, 1)
            )
            critic_loss = critic_loss + 0.5 * (loss_C_real + loss_C_fake)
            critic_optimisers.append(self.opt_C)
            losses |= {"C_real": loss_C_real.item(), "C_fake": loss_C_fake.item()}
        if critic_optimisers:  # one backward for all critics; each has its own optimiser
            for opt in critic_optimisers:
                opt.zero_grad(set_to_none=True)
            self.scaler.scale(critic_loss).backward()
            for opt in critic_optimisers:
                self.scaler.step(opt)
        if warming_up:
            self.scaler.update()
            self.state.step += 1
            return losses

        # G: fool the critics (through the unwrapped critics, whose parameters are frozen for this pass) and
        # match the photo.
        self.opt_G.zero_grad(set_to_none=True)
        loss_G_L1 = l1_per_sample(fake, photo).mean()
        loss_G = config.lambda_l1 * loss_G_L1
        if config.gan_mode != "none":
            self.D.requires_grad_(False)
            with self.autocast():
                fake_scales = self.D(seen(drawing), seen(fake))
            loss_G_GAN = torch.stack(
                [gan_loss(s[-1], True, config.gan_mode, for_discriminator=False) for s in fake_scales]
            ).mean()
            loss_G = loss_G + loss_G_GAN
            losses["G_GAN"] = loss_G_GAN.item()
            if config.lambda_fm:
                real_scales = [[f.chunk(2)[0] for f in s] for s in scales]
                loss_G_FM = feature_matching_loss(fake_scales, real_scales)
                loss_G = loss_G + config.lambda_fm * loss_G_FM
                losses["G_FM"] = loss_G_FM.item()
        if self.P is not None:
            self.P.requires_grad_(False)
            with self.autocast():
                heads = self.P(fake_features)
            loss_G_proj = torch.stack([gan_loss(h, True, "hinge", for_discriminator=False) for h in heads]).mean()
            loss_G = loss_G + config.lambda_projected * loss_G_proj
            losses["G_proj"] = loss_G_proj.item()
        if config.lambda_perceptual:
            with self.autocast():
                with torch.no_grad():
                    photo_features = image_features(self.features, photo)
                loss_G_perc = perceptual_loss(image_features(self.features, fake), photo_features)
            loss_G = loss_G + config.lambda_perceptual * loss_G_perc
            losses["G_perc"] = loss_G_perc.item()
        if self.landmarker is not None:
            with self.autocast():
                with torch.no_grad():
                    photo_maps = image_features(self.features, self.projected_resize(photo))
                fake_maps = image_features(self.features, self.projected_resize(fake))
            loss_G_lm = landmark_loss(self.landmarker, fake_maps, photo_maps)
            loss_G = loss_G + config.lambda_landmarks * loss_G_lm
            losses["G_lm"] = loss_G_lm.item()
        if self.C is not None:
            self.C.requires_grad_(False)
            with self.autocast():
                crops = self.C(fake, boxes)
            loss_G_comp = torch.stack(
                [gan_loss(c, True, "hinge", for_discriminator=False, mask=present[:, i]) for i, c in enumerate(crops)]
            ).mean()
            loss_G = loss_G + config.lambda_components * loss_G_comp
            losses["G_comp"] = loss_G_comp.item()
        if config.lambda_ms:
            fake_a, fake_b = fake.chunk(2)
            z_a, z_b = z.chunk(2) if z is not None else (None, None)
            loss_G_MS = mode_seeking_loss(fake_a, fake_b, z_a, z_b)
            loss_G = loss_G + config.lambda_ms * loss_G_MS
            losses["G_MS"] = loss_G_MS.item()
        self.scaler.scale(loss_G).backward()
        self.scaler.step(self.opt_G)
        self.scaler.update()
        self.update_ema()
        self.state.step += 1
        return losses | {"G_L1": loss_G_L1.item()}

    @staticmethod
    def projected_resize(images: torch.Tensor) -> torch.Tensor:
        """A batch at PROJECTED_SIZE, the side the frozen network reads faces at."""
        # In fp32: PyTorch's antialiased resize has no bf16 kernel on CPUs.
        return F.interpolate(images.float(), size=(PROJECTED_SIZE,) * 2, mode="bilinear", antialias=True)

    @classmethod
    def projected_augment(cls, images: torch.Tensor) -> torch.Tensor:
        """What P sees of a batch: resized to PROJECTED_SIZE, then DiffAugment's colour, translation and
        cutout (a fresh draw per image; P judges faces, not pairs)."""
        return diff_augment(len(images), PROJECTED_SIZE)(colour_augment(cls.projected_resize(images)))

    @torch.no_grad()
    def update_ema(self) -> None:
        """G_ema ← decay·G_ema + (1 − decay)·G, with a short warm-up so early averages are not stale."""
        if self.G_ema is None:
            return
        decay = min(self.config.ema, (1 + self.state.step) / (10 + self.state.step))
        ema, live = list(self.G_ema.parameters()), list(self.G.parameters())
        torch._foreach_lerp_(ema, live, 1.0 - decay)
        for ema_buffer, buffer in zip(self.G_ema.buffers(), self.G.buffers()):
            ema_buffer.copy_(buffer)

    # ------------------------------------------------------------------ saving, samples and logs

    def save(self) -> None:
        """The checkpoint (to resume) and the generator folder (to use), both written atomically."""
        if not self.is_main:
            return
        checkpoint.save(self.checkpoint_path, self.state, dataclasses.asdict(self.config), self.parts())
        export_generator(self.generator, self.out / "generator")

    def save_samples(self) -> None:
        """A grid of drawing | generated | photo rows for fixed validation (else training) pairs."""
        dataset = self.val_set or self.train_set
        pairs = [dataset[i] for i in range(min(4, len(dataset)))]
        drawings = torch.stack([p[0] for p in pairs]).to(self.device)
        self.generator.eval()
        with torch.no_grad(), self.autocast():
            fakes = self.generator(drawings, seeds=list(range(len(pairs))))
        self.generator.train()
        rows = [
            np.hstack([tensor_to_image(d), tensor_to_image(f), tensor_to_image(p[1])])
            for d, f, p in zip(drawings, fakes, pairs, strict=True)
        ]
        folder = self.out / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"step_{self.state.step:07d}.png"), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))

    LOSS_FIELDS = (
        *("step", "lr", "seconds", "G_GAN", "G_L1", "G_FM", "G_MS", "D_real", "D_fake"),
        *(
            "G_proj",
            "G_perc",
            "G_comp",
            "P_real",
            "P_fake",
            "C_real",
            "C_fake",
            "G_lm",
        ),  # later columns: old logs still read
    )

    def log_losses(self, losses: dict[str, float], elapsed: float) -> None:
        path = self.out / "losses.csv"
        new = not path.exists()
        with path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.LOSS_FIELDS, extrasaction="ignore")
            if new:
                writer.writeheader()
            lr = self.opt_G.param_groups[0]["lr"]
            writer.writerow(
                {"step": self.state.step, "lr": f"{lr:.3g}", "seconds": f"{elapsed:.0f}"}
                | {k: f"{v:.4f}" for k, v in losses.items()}
            )

    def watch_discriminator(self, losses: dict[str, float]) -> None:
        """Warn once when the last logged steps say a critic has won (see `winning_critics`)."""
        self.recent_logs.append(losses)
        full = len(self.recent_logs) == self.recent_logs.maxlen
        won = winning_critics(self.recent_logs) if full and not self.warned_critic_won else []
        if not won:
            return
        self.warned_critic_won = True
        tqdm.write(
            f"warning: at step {self.state.step} {' and '.join(won)} won (real and fake losses < {SATURATED} for "
            f"{len(self.recent_logs)} logs): faces usually degrade into noise from here. Keep the last snapshot "
            "from before this step (--snapshot-every); --d-augment, --gan-mode lsgan, a smaller --batch-size or a "
            "lower --lr can delay this."
        )

    def forget_losses_after(self, step: int) -> None:
        """Drop the log rows of steps after the checkpoint: a resumed run logs them again (after kill -9).

        An older log's header gets today's columns: they only ever grew at the end, so its rows still read."""
        path = self.out / "losses.csv"
        if not path.exists():
            return
        header, *rows = path.read_text().splitlines(keepends=True)
        kept = [row for row in rows if int(row.split(",", 1)[0]) <= step]
        fields = tuple(header.strip().split(","))
        newer = ",".join(self.LOSS_FIELDS) + "\n" if fields == self.LOSS_FIELDS[: len(fields)] else header
        if len(kept) < len(rows) or newer != header:
            path.write_text(newer + "".join(kept))

    # ------------------------------------------------------------------ the loop

    def batches_of_epoch(self, epoch: int, skip: int) -> Iterator[tuple[torch.Tensor, ...]]:
        """This rank's batches of one epoch, in an order fixed by (seed, epoch), minus the first `skip`.

        The loader's workers start with Ctrl-C and SIGTERM held (see `leave_process_group`); the training
        process gets a stop that came meanwhile as soon as they are forked."""
        order = torch.randperm(len(self.train_set), generator=torch.Generator().manual_seed(self.config.seed + epoch))
        per_rank = len(order) // self.world
        indices = order[self.rank * per_rank : (self.rank + 1) * per_rank].tolist()
        indices = indices[skip * self.config.batch_size :]
        self.train_set.epoch = epoch
        loader = DataLoader(
            self.train_set,
            batch_size=self.config.batch_size,
            sampler=indices,
            num_workers=self.config.workers,
            drop_last=True,
            pin_memory=self.device.type == "cuda",
            persistent_workers=False,
            # Without its own generator a DataLoader draws its workers' base seed from the global RNG, which
            # also drives the dropout masks: a resumed run would then draw different masks than a straight one.
            generator=torch.Generator().manual_seed(self.config.seed + epoch),
            worker_init_fn=leave_process_group,
        )
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            return iter(loader)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def request_stop(self, signum: int, frame: object) -> None:
        if os.getpid() != self.pid or self.stop_requested:  # a DataLoader worker, or a repeated signal
            return
        if self.is_main:
            tqdm.write(f"{signal.Signals(signum).name}: saving a checkpoint at the end of this step, then stopping")
        self.stop_requested = True

    def train(self) -> None:
        """Train to `config.steps`; Ctrl-C / SIGTERM stop after the current step with a checkpoint.

        The previous signal handlers come back afterwards, so Ctrl-C works again in a
        notebook or test session that called this.
        """
        handlers = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._train()
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    def _train(self) -> None:
        config, state = self.config, self.state
        if self.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "config.json").write_text(json.dumps(dataclasses.asdict(config), indent=2))
        batches_per_epoch = len(self.train_set) // (self.world * config.batch_size)
        if batches_per_epoch == 0:
            raise SystemExit(f"{len(self.train_set)} training images are fewer than one batch per process")
        if self.is_main:
            tqdm.write(
                f"training on {self.device} ({self.world} process(es), {self.amp_dtype or torch.float32}), "
                f"{len(self.train_set)} pairs, {batches_per_epoch} steps/epoch, from step {state.step}"
            )
        bar = tqdm(total=config.steps, initial=state.step, disable=not self.is_main, unit="step", dynamic_ncols=True)
        started = last_save = time.time()
        cpu_budget = config.cpu_minutes * 60 if config.cpu_minutes else math.inf
        cpu_clock = time.process_time()

        while state.step < config.steps and not self.stop_requested:
            for drawing, photo, boxes in self.batches_of_epoch(state.epoch, state.batch_in_epoch):
                memory = torch.channels_last if self.device.type == "cuda" else torch.contiguous_format
                drawing = drawing.to(self.device, non_blocking=True, memory_format=memory)
                photo = photo.to(self.device, non_blocking=True, memory_format=memory)
                losses = self.train_step(drawing, photo, boxes.to(self.device))
                if not all(math.isfinite(v) for v in losses.values()):
                    raise SystemExit(f"step {state.step}: a loss is not finite ({losses}); lower --lr or use --amp off")
                state.batch_in_epoch += 1
                bar.update(1)
                if self.is_main and state.step % config.log_every == 0:
                    bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()})
                    self.log_losses(losses, time.time() - started)
                    self.watch_discriminator(losses)
                if self.is_main and state.step % config.sample_every == 0:
                    self.save_samples()
                if self.is_main and config.snapshot_every and state.step % config.snapshot_every == 0:
                    export_generator(self.generator, self.out / "snapshots" / f"step_{state.step:07d}")
                state.cpu_seconds += time.process_time() - cpu_clock
                cpu_clock = time.process_time()
                save_due, budget_spent = self.agree(
                    time.time() - last_save > config.save_every_min * 60, state.cpu_seconds > cpu_budget
                )
                if save_due:
                    self.save()
                    last_save = time.time()
                if state.step >= config.steps or self.stop_requested or budget_spent:
                    break
            else:
                state.epoch, state.batch_in_epoch = state.epoch + 1, 0
                continue
            break  # out of steps, stopped, or out of CPU budget
        bar.close()

        self.save()
        if self.is_main:
            self.save_samples()
            how = "finished" if state.step >= config.steps else f"spent the {config.cpu_minutes:g} CPU minutes"
            how = "stopped early" if self.stop_requested else how
            tqdm.write(
                f"{how} at step {state.step}; checkpoint in {self.checkpoint_path}"
                + ("; continue with --resume" if self.stop_requested else "")
            )
        if self.world > 1:  # wait for rank 0's final save: a rank tearing gloo down early aborts the others
            dist.barrier()
            # The DDP wrappers' reducers hold the process group; left to the interpreter's shutdown, gloo's
            # threads are torn down half-way through it and the process can abort after a clean run.
            del self.G_ddp, self.D_ddp, self.P_ddp, self.C_ddp
            gc.collect()
            dist.destroy_process_group()

    def agree(self, save_due: bool, budget_spent: bool) -> tuple[bool, bool]:
        """With DDP every rank must stop or save at the same step: any rank's flag counts for all."""
        if self.world == 1:
            return save_due, budget_spent
        flags = torch.tensor([float(self.stop_requested), float(save_due), float(budget_spent)], device=self.device)
        dist.all_reduce(flags, op=dist.ReduceOp.MAX)
        self.stop_requested = bool(flags[0])
        return bool(flags[1]), bool(flags[2])


def main(argv: list[str] | None = None) -> None:
    config = parse_args(argv)
    trainer = Trainer(config)
    trainer.train()
    if trainer.stop_requested:
        sys.exit(130)


if __name__ == "__main__":
    main()
