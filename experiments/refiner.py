"""A refiner after the generator, trained against photos without L1 to them (SimGAN's refiner: Shrivastava et al.,
CVPR 2017, "Learning from simulated and unsupervised images through adversarial training").

Every fine-tune of the generator lost realism because L1 at weight 100 pulls each face to the average of the
photos its drawing could come from, faster than critics learnt on this CPU push back (docs/experiments.md,
"Why every fine-tune loses realism"). A refiner takes the bundled model's face as it is and only learns to make
it more photo-like: a small U-Net at the test's 64 px adds a residual to the face, judged by critics that see
whole faces and patches, and tied to the face it was given only at 16 px (its layout of light and dark, so the
person stays where the drawing put them), never to the true photo. Its residual, upsampled, goes onto the 256-px
face, whose finer detail stays the generator's. At 64 px a training step is cheap, so the CPU can give it
many epochs, the regime in which a critic learns what photos look like.

With `--projected` the critic is Projected GAN's on frozen EfficientNet-Lite0 features (`p2p.critics.projected`)
instead. Results: docs/experiments.md, "A refiner trained against photos, not towards them".

    python -m experiments.code_faces cache --data DATA --out runs/refiner                 # train64.npz
    python -m experiments.refiner train --out runs/refiner --minutes 60 [--projected --batch 8]   # resumes
    python -m experiments.refiner evaluate --data DATA --out runs/refiner                  # the --quick test
    python -m experiments.refiner latency                                                 # ms a face
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm

from benchmarks.bench_inference import percentiles
from experiments.code_faces import SIZE, scored, small, to_images, to_tensor, validation_sets
from experiments.quick_set import faces_for_drawings
from p2p.critics.efficientnet import pretrained_efficientnet
from p2p.critics.projected import PROJECTED_SIZE, ProjectedDiscriminator, image_features
from p2p.inference import FaceGenerator
from p2p.train import diff_augment

WIDTHS = (32, 64, 128, 256)  # the refiner's U-Net at 64, 32, 16 and 8 px
EMA_DECAY = 0.999  # the moving average of the refiner's weights that is evaluated, as the bundled generator's


def block(c_in: int, c_out: int) -> nn.Sequential:
    """3×3 convolution, group norm, SiLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, 1, 1), nn.GroupNorm(8, c_out), nn.SiLU())


class Refiner(nn.Module):
    """Face (3 channels) and drawing (1) at 64 px → a residual for the face, zero at the start."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS) -> None:
        super().__init__()
        self.stem = block(4, widths[0])
        self.downs = nn.ModuleList(
            nn.Sequential(nn.Conv2d(a, b, 4, 2, 1), nn.GroupNorm(8, b), nn.SiLU(), block(b, b))
            for a, b in zip(widths, widths[1:])
        )
        self.ups = nn.ModuleList(
            nn.ModuleList([block(b, a), block(2 * a, a)]) for a, b in zip(widths[::-1][1:], widths[::-1])
        )
        self.out = nn.Conv2d(widths[0], 3, 3, 1, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, face: torch.Tensor, drawing: torch.Tensor) -> torch.Tensor:
        skips = [self.stem(torch.cat([face, drawing], 1))]
        for down in self.downs:
            skips.append(down(skips[-1]))
        h = skips.pop()
        for (widen, merge), skip in zip(self.ups, reversed(skips)):
            h = merge(torch.cat([widen(F.interpolate(h, scale_factor=2.0, mode="nearest")), skip], 1))
        return self.out(h)


def critic(depth: int, whole: bool) -> nn.Sequential:
    """Spectrally normalised strided convolutions at 64 px: `whole` pools to one logit per face (as the test's
    classifier judges), else a map of logits for patches."""
    layers: list[nn.Module] = []
    channels = 3
    for i in range(depth):
        width = min(64 * 2**i, 256)
        layers += [spectral_norm(nn.Conv2d(channels, width, 4, 2, 1)), nn.LeakyReLU(0.2)]
        channels = width
    head = [nn.AdaptiveAvgPool2d(1), nn.Flatten()] if whole else []
    conv = nn.Linear(channels, 1) if whole else nn.Conv2d(channels, 1, 3, 1, 1)
    return nn.Sequential(*layers, *head, spectral_norm(conv))


class ScratchCritics(nn.Module):
    """A whole-face and a patch critic learnt from scratch at 64 px, each face shifted and cut out first."""

    def __init__(self) -> None:
        super().__init__()
        self.critics = nn.ModuleList([critic(4, whole=True), critic(3, whole=False)])

    def forward(self, faces: torch.Tensor, augment: Callable[[torch.Tensor], torch.Tensor]) -> list[torch.Tensor]:
        return [d(augment(faces)) for d in self.critics]


class ProjectedCritic(nn.Module):
    """Projected GAN's critic (`p2p.critics.projected`) on frozen ImageNet features of the face at 128 px."""

    def __init__(self) -> None:
        super().__init__()
        self.heads = ProjectedDiscriminator()
        self.network = [pretrained_efficientnet()]  # in a list: frozen, not saved with the heads

    def forward(self, faces: torch.Tensor, augment: Callable[[torch.Tensor], torch.Tensor]) -> list[torch.Tensor]:
        larger = F.interpolate(faces, size=(PROJECTED_SIZE,) * 2, mode="bilinear", align_corners=False)
        return self.heads(image_features(self.network[0], augment(larger)))


def refine(refiner: Refiner, faces: torch.Tensor, drawings: torch.Tensor) -> torch.Tensor:
    """The 64-px faces with the refiner's residual added."""
    return (faces + refiner(faces, drawings)).clamp(-1, 1)


def train(out: Path, minutes: float, batch: int, tie: float, tie_size: int, projected: bool, lr: float) -> None:
    """Hinge GAN with critics from scratch or the projected one (DiffAugment's translation and cutout on their
    inputs), the refined face tied to the given one at `tie_size` px by L1 at weight `tie`. Saves every 5 min."""
    cached = np.load(out / "train64.npz")
    faces, drawings, photos = (to_tensor(cached[name]) for name in ("faces", "drawings", "photos"))
    refiner, critics = Refiner(), ProjectedCritic() if projected else ScratchCritics()
    average = copy.deepcopy(refiner).requires_grad_(False)
    side = PROJECTED_SIZE if projected else SIZE
    opt_r = torch.optim.Adam(refiner.parameters(), lr=lr, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam(critics.parameters(), lr=lr, betas=(0.0, 0.99))
    step, state = 0, out / "refiner.pt"
    if state.exists():
        saved = torch.load(state, weights_only=True)
        refiner.load_state_dict(saved["refiner"])
        critics.load_state_dict(saved["critics"])
        opt_r.load_state_dict(saved["opt_r"])
        opt_d.load_state_dict(saved["opt_d"])
        average.load_state_dict(saved.get("average", saved["refiner"]))  # runs saved before it start it here
        step = saved["step"]
        for group in (*opt_r.param_groups, *opt_d.param_groups):
            group["lr"] = lr  # a resumed run may change it
    torch.manual_seed(step)

    def save() -> None:
        torch.save(
            {
                "refiner": refiner.state_dict(),
                "average": average.state_dict(),
                "critics": critics.state_dict(),
                "opt_r": opt_r.state_dict(),
                "opt_d": opt_d.state_dict(),
                "step": step,
            },
            out / "refiner.tmp",
        )
        (out / "refiner.tmp").replace(state)

    start = last_save = time.time()
    log = (out / "log.csv").open("a")
    while time.time() - start < minutes * 60:
        pick, real_pick = torch.randint(len(faces), (batch,)), torch.randint(len(photos), (batch,))
        face, drawing, real = faces[pick], drawings[pick], photos[real_pick]
        augment = diff_augment(batch, side)
        with torch.autocast("cpu", torch.bfloat16):
            fake = refine(refiner, face, drawing)
            real_logits, fake_logits = critics(real, augment), critics(fake.detach(), augment)
            d_loss = sum(F.relu(1 - r).mean() + F.relu(1 + f).mean() for r, f in zip(real_logits, fake_logits))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        with torch.autocast("cpu", torch.bfloat16):
            adversarial = sum(-logits.mean() for logits in critics(fake, augment))
            held = F.l1_loss(F.adaptive_avg_pool2d(fake, tie_size), F.adaptive_avg_pool2d(face, tie_size))
            r_loss = adversarial + tie * held
        opt_r.zero_grad()
        r_loss.backward()
        opt_r.step()
        with torch.no_grad():
            for kept, trained in zip(average.parameters(), refiner.parameters(), strict=True):
                kept.lerp_(trained, 1 - EMA_DECAY)
        step += 1
        if step % 50 == 0:
            log.write(f"{step},{d_loss.item():.4f},{adversarial.item():.4f},{held.item():.4f}\n")
            log.flush()
        if time.time() - last_save > 300:
            save()
            last_save = time.time()
    save()
    print(f"step {step}")


def load_refiner(out: Path, average: bool = True) -> Refiner:
    """The refiner of a training folder's refiner.pt (the moving average of its weights, where the run kept
    one, unless not `average`), in eval mode."""
    saved = torch.load(out / "refiner.pt", weights_only=True)
    refiner = Refiner()
    refiner.load_state_dict(saved.get("average", saved["refiner"]) if average else saved["refiner"])
    return refiner.eval()


def refined_faces(refiner: Refiner, faces: list[np.ndarray], drawings: list[np.ndarray]) -> list[np.ndarray]:
    """256-px faces with the refiner's 64-px residual, upsampled, added."""
    x = to_tensor(np.stack([small(f) for f in faces]))
    d = to_tensor(np.stack([small(d) for d in drawings]))
    with torch.inference_mode():
        residual = refiner(x, d)
        big = to_tensor(np.stack(faces))
        up = F.interpolate(residual, size=big.shape[-2:], mode="bilinear", align_corners=False)
        return list(to_images(big + up))


def latency(runs: int = 50) -> None:
    """Milliseconds (p50 / p90) that refining one 256-px face takes, at the trained widths and at half of them,
    fp32, with all threads: what the app would add to each face."""
    rng = np.random.default_rng(0)
    face, drawing = rng.integers(0, 256, (256, 256, 3), np.uint8), rng.integers(0, 256, (256, 256), np.uint8)

    def timed(refiner: Refiner) -> tuple[float, float]:
        return percentiles(lambda _: refined_faces(refiner, [face], [drawing]), runs, 10, torch.device("cpu"))

    for widths in (WIDTHS, tuple(w // 2 for w in WIDTHS)):
        p50, p90 = timed(Refiner(widths).eval())
        print(f"widths {widths}: {p50:.1f} / {p90:.1f} ms p50 / p90 a face")


def evaluate(data: Path, out: Path, mouse: Path, average: bool) -> None:
    """The two-sample test at 64 px, a seed per drawing, on the bundled model's faces and the refined ones."""
    generator, refiner = FaceGenerator.from_pretrained(None), load_refiner(out, average)
    rows = []
    for set_name, (drawings, groups, photos) in validation_sets(data, mouse).items():
        faces = faces_for_drawings(generator, drawings)
        refined = refined_faces(refiner, faces, drawings)
        for name, images in (("bundled model", faces), ("refined", refined)):
            scored(f"{set_name}, {name}", images, groups, photos)
        rows += [
            np.concatenate([cv2.resize(f, (128, 128), interpolation=cv2.INTER_AREA) for f in images[:12]], 1)
            for images in (faces, refined)
        ]
    cv2.imwrite(str(out / "sheet.png"), cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=("train", "evaluate", "latency"))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tie", type=float, default=10.0, help="weight of L1 to the given face, pooled")
    parser.add_argument("--tie-size", type=int, default=16, help="side the faces are pooled to for the tie")
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam's learning rate, refiner and critics")
    parser.add_argument("--projected", action="store_true", help="the projected critic instead of the scratch ones")
    parser.add_argument("--mouse", type=Path, default=Path("tests/data/mouse_drawings"))
    parser.add_argument("--trained", action="store_true", help="evaluate the trained weights, not their average")
    args = parser.parse_args(argv)
    if args.stage != "latency" and args.out is None:
        parser.error(f"{args.stage} needs --out, the run's folder")
    if args.stage == "train":
        train(args.out, args.minutes, args.batch, args.tie, args.tie_size, args.projected, args.lr)
    elif args.stage == "latency":
        latency()
    else:
        evaluate(args.data, args.out, args.mouse, not args.trained)


if __name__ == "__main__":
    main()
