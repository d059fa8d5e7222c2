"""Train pix2pix: `python -m p2p.train --data DATA --out runs/NAME [options]`.

One file, top to bottom: configuration, setup (device, precision, DDP), the
loss, the training step, checkpoints, the loop. Runs on CUDA (mixed precision,
channels_last), Apple MPS or CPU (bf16 autocast where the CPU has it), and on
several GPUs or nodes with `torchrun --nproc_per_node N -m p2p.train ...`.

Outputs in --out: `checkpoint.pt` (everything needed to resume, written
atomically every --save-every-min minutes, on Ctrl-C / SIGTERM and at the end),
`generator/` (model.safetensors + config.json, loadable by `p2p.infer` and the
app), `losses.csv`, `samples/step_NNNNNNN.png` (drawing | generated | photo).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import os
import shutil
import signal
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from p2p.data import PairedDataset
from p2p.inference import tensor_to_image
from p2p.model import PatchDiscriminator, UNetGenerator

GAN_MODES = ("vanilla", "lsgan", "hinge", "none")


@dataclass
class TrainConfig:
    data: str = ""  # a data_prep.build output folder (DATA/train, DATA/val)
    out: str = "runs/sketch2face"
    size: int = 256  # training crop; must be 2**num_downs
    load_size: int = 286  # jitter: resize to this, then random crop `size`
    ngf: int = 64  # generator width (paper: 64)
    num_downs: int = 8  # unet_256
    ndf: int = 64  # discriminator width
    d_layers: int = 3  # 3 = 70×70 PatchGAN
    norm: str = "instance"
    dropout: float = 0.5
    gan_mode: str = "vanilla"  # vanilla | lsgan | hinge | none (L1 only)
    lambda_l1: float = 100.0
    lr: float = 2e-4
    beta1: float = 0.5
    batch_size: int = 1
    steps: int = 200_000  # optimiser steps in total
    decay_from: float = 0.5  # constant lr until this fraction of steps, then linear decay to 0
    augment: bool = True  # on-the-fly stroke augmentations (data_prep.augment)
    workers: int = 2
    amp: str = "auto"  # auto | on | off: mixed precision (fp16/bf16 on CUDA, bf16 on CPU)
    device: str = "auto"  # auto | cuda | mps | cpu
    seed: int = 0
    save_every_min: float = 10.0
    sample_every: int = 1000
    snapshot_every: int = 0  # also keep generator snapshots/step_N/ every N steps (0: never)
    log_every: int = 50
    resume: bool = False


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    """Command-line flags are the TrainConfig fields (`--batch-size 4`, `--no-augment`, ...)."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        if field.type == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=field.default)
        else:
            parser.add_argument(flag, type=type(field.default), default=field.default, required=field.name == "data")
    config = TrainConfig(**vars(parser.parse_args(argv)))
    if config.gan_mode not in GAN_MODES:
        parser.error(f"--gan-mode must be one of {GAN_MODES}")
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


def cpu_has_bf16() -> bool:
    """bf16 matmuls are fast only with AVX512-BF16 or AMX; elsewhere bf16 autocast is slower than fp32."""
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast_dtype(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The mixed-precision dtype for this device, or None for full fp32."""
    if config.amp == "off" or device.type == "mps":
        return None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if config.amp == "on" or cpu_has_bf16() else None


# ----------------------------------------------------------------------------- losses


def gan_loss(logits: torch.Tensor, real: bool, mode: str, for_discriminator: bool = True) -> torch.Tensor:
    """The adversarial loss on PatchGAN logits for a batch that should be judged `real`."""
    logits = logits.float()
    if mode == "vanilla":
        target = torch.ones_like(logits) if real else torch.zeros_like(logits)
        return F.binary_cross_entropy_with_logits(logits, target)
    if mode == "lsgan":
        return F.mse_loss(logits, torch.full_like(logits, 1.0 if real else 0.0))
    if mode == "hinge":
        if not for_discriminator:
            return -logits.mean()
        return F.relu(1.0 - logits).mean() if real else F.relu(1.0 + logits).mean()
    raise ValueError(f"unknown gan mode {mode!r}")


def lr_factor(step: int, config: TrainConfig) -> float:
    """Constant learning rate, then linear decay to zero over the last (1 - decay_from) of the steps."""
    start = int(config.steps * config.decay_from)
    if step < start:
        return 1.0
    return max(0.0, (config.steps - step) / max(1, config.steps - start))


# ----------------------------------------------------------------------------- the trainer


class Trainer:
    """Holds the networks, optimisers and counters; `train()` runs the loop."""

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
            config.data, "train", config.size, config.load_size, True, config.augment, config.seed
        )
        try:
            self.val_set: PairedDataset | None = PairedDataset(config.data, "val", config.size, train=False)
        except FileNotFoundError:
            self.val_set = None

        self.G = UNetGenerator(1, 3, config.num_downs, config.ngf, config.norm, config.dropout).to(self.device)
        self.D = PatchDiscriminator(4, config.ndf, config.d_layers, config.norm).to(self.device)
        if self.device.type == "cuda":
            self.G = self.G.to(memory_format=torch.channels_last)
            self.D = self.D.to(memory_format=torch.channels_last)
        betas = (config.beta1, 0.999)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=config.lr, betas=betas)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=config.lr, betas=betas)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.step = 0

        if config.resume:
            self.load_checkpoint()
        if self.world > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.G_ddp: torch.nn.Module = DistributedDataParallel(self.G, device_ids=ids)
            self.D_ddp: torch.nn.Module = DistributedDataParallel(self.D, device_ids=ids)
        else:
            self.G_ddp, self.D_ddp = self.G, self.D
        self.stop_requested = False

    # ------------------------------------------------------------------ one step

    def autocast(self):
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def train_step(self, drawing: torch.Tensor, photo: torch.Tensor) -> dict[str, float]:
        """One optimisation step of D, then G, as in the paper; returns the losses."""
        config = self.config
        for group in (*self.opt_G.param_groups, *self.opt_D.param_groups):
            group["lr"] = config.lr * lr_factor(self.step, config)
        with self.autocast():
            fake = self.G_ddp(drawing)
        losses = {}

        if config.gan_mode != "none":
            # D: real and fake pairs in one forward pass (one DDP forward per backward).
            self.D.requires_grad_(True)
            self.opt_D.zero_grad(set_to_none=True)
            with self.autocast():
                logits = self.D_ddp(torch.cat([drawing, drawing]), torch.cat([photo, fake.detach()]))
            real_logits, fake_logits = logits.chunk(2)
            loss_D_real = gan_loss(real_logits, True, config.gan_mode)
            loss_D_fake = gan_loss(fake_logits, False, config.gan_mode)
            loss_D = 0.5 * (loss_D_real + loss_D_fake)  # halved: D learns slower than G
            self.scaler.scale(loss_D).backward()
            self.scaler.step(self.opt_D)
            losses |= {"D_real": loss_D_real.item(), "D_fake": loss_D_fake.item()}

        # G: fool D (through the unwrapped D, whose parameters are frozen for this pass) and match the photo.
        self.opt_G.zero_grad(set_to_none=True)
        loss_G_L1 = F.l1_loss(fake.float(), photo)
        loss_G = config.lambda_l1 * loss_G_L1
        if config.gan_mode != "none":
            self.D.requires_grad_(False)
            with self.autocast():
                loss_G_GAN = gan_loss(self.D(drawing, fake), True, config.gan_mode, for_discriminator=False)
            loss_G = loss_G + loss_G_GAN
            losses["G_GAN"] = loss_G_GAN.item()
        self.scaler.scale(loss_G).backward()
        self.scaler.step(self.opt_G)
        self.scaler.update()
        self.step += 1
        return losses | {"G_L1": loss_G_L1.item()}

    # ------------------------------------------------------------------ checkpoints

    def checkpoint_path(self) -> Path:
        return self.out / "checkpoint.pt"

    def save_checkpoint(self, epoch_state: dict[str, int]) -> None:
        """Write checkpoint.pt atomically (temp file + rename) and export the generator."""
        if not self.is_main:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        state = {
            "step": self.step,
            **epoch_state,
            "config": dataclasses.asdict(self.config),
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        }
        tmp = self.checkpoint_path().with_suffix(".pt.tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.checkpoint_path())
        export_generator(self.G, self.out / "generator")

    def load_checkpoint(self) -> None:
        path = self.checkpoint_path()
        if not path.exists():
            raise SystemExit(f"--resume: no checkpoint at {path}; start without --resume")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # a truncated or foreign file: say which and stop
            raise SystemExit(f"--resume: {path} is not a readable training checkpoint ({err})") from err
        architecture = ("ngf", "num_downs", "ndf", "d_layers", "norm")
        saved = {k: state["config"][k] for k in architecture}
        asked = {k: getattr(self.config, k) for k in architecture}
        if saved != asked:
            raise SystemExit(f"--resume: {path} was trained with {saved}, but this run asks for {asked}")
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["rng_cpu"])
        if state["rng_cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng_cuda"])
        self.step = state["step"]
        self.resume_epoch, self.resume_batch = state["epoch"], state["batch_in_epoch"]

    # ------------------------------------------------------------------ samples and logs

    def save_samples(self) -> None:
        """A grid of drawing | generated | photo rows for fixed validation (else training) pairs."""
        dataset = self.val_set or self.train_set
        pairs = [dataset[i] for i in range(min(4, len(dataset)))]
        drawings = torch.stack([p[0] for p in pairs]).to(self.device)
        self.G.eval()
        with torch.no_grad(), self.autocast():
            fakes = self.G(drawings, seeds=list(range(len(pairs))))
        self.G.train()
        rows = [
            np.hstack([tensor_to_image(d), tensor_to_image(f), tensor_to_image(p[1])])
            for d, f, p in zip(drawings, fakes, pairs, strict=True)
        ]
        folder = self.out / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"step_{self.step:07d}.png"), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))

    def log_losses(self, losses: dict[str, float], elapsed: float) -> None:
        path = self.out / "losses.csv"
        fields = ["step", "lr", "seconds", "G_GAN", "G_L1", "D_real", "D_fake"]
        new = not path.exists()
        with path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            if new:
                writer.writeheader()
            lr = self.opt_G.param_groups[0]["lr"]
            writer.writerow(
                {"step": self.step, "lr": f"{lr:.3g}", "seconds": f"{elapsed:.0f}"}
                | {k: f"{v:.4f}" for k, v in losses.items()}
            )

    # ------------------------------------------------------------------ the loop

    def batches_of_epoch(self, epoch: int, skip: int) -> DataLoader:
        """This rank's batches of one epoch, in an order fixed by (seed, epoch), minus the first `skip`."""
        order = torch.randperm(len(self.train_set), generator=torch.Generator().manual_seed(self.config.seed + epoch))
        per_rank = len(order) // self.world
        indices = order[self.rank * per_rank : (self.rank + 1) * per_rank].tolist()
        indices = indices[skip * self.config.batch_size :]
        self.train_set.epoch = epoch
        return DataLoader(
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
        )

    def request_stop(self, signum: int, frame: object) -> None:
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
        config = self.config
        if self.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "config.json").write_text(json.dumps(dataclasses.asdict(config), indent=2))

        batches_per_epoch = len(self.train_set) // (self.world * config.batch_size)
        if batches_per_epoch == 0:
            raise SystemExit(f"{len(self.train_set)} training images are fewer than one batch per process")
        epoch, batch = getattr(self, "resume_epoch", 0), getattr(self, "resume_batch", 0)
        bar = tqdm(total=config.steps, initial=self.step, disable=not self.is_main, unit="step", dynamic_ncols=True)
        started, last_save, losses = time.time(), time.time(), {}
        if self.is_main:
            precision = self.amp_dtype or torch.float32
            tqdm.write(
                f"training on {self.device} ({self.world} process(es), {precision}), "
                f"{len(self.train_set)} pairs, {batches_per_epoch} steps/epoch, from step {self.step}"
            )
        while self.step < config.steps and not self.stop_requested:
            for drawing, photo in self.batches_of_epoch(epoch, batch):
                drawing = drawing.to(self.device, non_blocking=True)
                photo = photo.to(self.device, non_blocking=True)
                if self.device.type == "cuda":
                    drawing = drawing.contiguous(memory_format=torch.channels_last)
                    photo = photo.contiguous(memory_format=torch.channels_last)
                losses = self.train_step(drawing, photo)
                if not all(math.isfinite(v) for v in losses.values()):
                    raise SystemExit(f"step {self.step}: a loss is not finite ({losses}); lower --lr or use --amp off")
                batch += 1
                bar.update(1)
                if self.is_main and self.step % config.log_every == 0:
                    bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()})
                    self.log_losses(losses, time.time() - started)
                if self.is_main and self.step % config.sample_every == 0:
                    self.save_samples()
                if self.is_main and config.snapshot_every and self.step % config.snapshot_every == 0:
                    export_generator(self.G, self.out / "snapshots" / f"step_{self.step:07d}")
                due = time.time() - last_save > config.save_every_min * 60
                if self.world > 1:  # every rank must agree to stop or save at the same step
                    flags = torch.tensor([float(self.stop_requested), float(due)], device=self.device)
                    dist.all_reduce(flags, op=dist.ReduceOp.MAX)
                    self.stop_requested, due = bool(flags[0]), bool(flags[1])
                if due:
                    self.save_checkpoint({"epoch": epoch, "batch_in_epoch": batch})
                    last_save = time.time()
                if self.step >= config.steps or self.stop_requested:
                    break
            else:
                epoch, batch = epoch + 1, 0
        bar.close()
        self.save_checkpoint({"epoch": epoch, "batch_in_epoch": batch})
        if self.is_main:
            self.save_samples()
            how = "stopped early" if self.stop_requested else "finished"
            tqdm.write(
                f"{how} at step {self.step}; checkpoint in {self.checkpoint_path()}"
                + ("; continue with --resume" if self.stop_requested else "")
            )
        if self.world > 1:  # wait for rank 0's final save: a rank tearing gloo down early aborts the others
            dist.barrier()
            dist.destroy_process_group()


def export_generator(generator: UNetGenerator, folder: Path) -> None:
    """save_pretrained into a temporary folder, then swap it in, so `folder` is never half-written."""
    tmp, old = folder.with_name(folder.name + ".tmp"), folder.with_name(folder.name + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    generator.save_pretrained(tmp)
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    config = parse_args(argv)
    trainer = Trainer(config)
    trainer.train()
    if trainer.stop_requested:
        sys.exit(130)


if __name__ == "__main__":
    main()
