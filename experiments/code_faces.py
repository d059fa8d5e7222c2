"""Faces snapped to a vocabulary of photo pieces (CodeFormer, Zhou et al., NeurIPS 2022, at the test's 64 px).

Every pix2pix variant on this CPU paints faces the 64-px two-sample test catches: L1 pulls each face to the
average of the photos a drawing could come from, and critics trained from scratch on the CPU never learn
fast enough to undo the blur. Here a face is instead assembled from discrete codes that only photos made:

1. `cache`: the training pairs at 64 px (drawing, photo) and the bundled generator's face for each drawing
   (one seed per pair), in one .npz, so the stages below never touch JPEGs.
2. `autoencoder`: an autoencoder of photos at 64 px whose 16×16 latent is rounded to a finite grid
   (FSQ, Mentzer et al., ICLR 2024: 4 channels of 8/5/5/5 levels, 1,000 codes, no codebook to collapse),
   trained with L1 and a whole-face hinge critic, so its decoder paints sharp photo pieces from codes.
3. `predictor`: a network that reads the generator's face and its drawing at 64 px and predicts each
   position's code of the true photo with cross-entropy: a classification, so nothing averages faces; the
   most likely codes go through the photo decoder.
4. `evaluate`: the `--quick` validation set's faces, as the bundled model makes them and after the codes,
   in the evaluation's two-sample test at 64 px (a seed per drawing), plus the decoder's reconstructions of
   the photos themselves (the ceiling of this route).

Result (docs/experiments.md, "Faces from a vocabulary of photo pieces"): after 45 minutes the autoencoder's own
reconstructions of the validation photos fail the test more often than the bundled model's faces (92.0 against
69.1 %), so the predictor, whose faces cannot beat them, was not trained further.

    python -m experiments.code_faces cache --data DATA --out runs/codes
    python -m experiments.code_faces autoencoder --out runs/codes --minutes 45
    python -m experiments.code_faces predictor --out runs/codes --minutes 45
    python -m experiments.code_faces evaluate --data DATA --out runs/codes
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from evaluation.evaluate import framed_photos, pair_sources, photo_sample, unique_photos
from evaluation.realism import Realism, Sample
from experiments.quick_set import faces_for_drawings, quick_pairs
from p2p.data import list_pairs, read_pair
from p2p.inference import FaceGenerator, prepare_drawing

SIZE = 64
LEVELS = (8, 5, 5, 5)  # FSQ levels per latent channel: 1,000 codes
CODES = int(np.prod(LEVELS))
REALISM = Realism(sizes=(SIZE,), per_sample=300)  # the evaluation's two-sample test, at 64 px only


def small(image: np.ndarray) -> np.ndarray:
    """An image at the test's 64 px, area-averaged as the evaluation shrinks faces and photos."""
    return cv2.resize(image, (SIZE, SIZE), interpolation=cv2.INTER_AREA)


def cache(data: Path, out: Path, limit: int | None) -> None:
    """Drawings, photos and the bundled generator's faces (colour grade on, as the app shows them) of the
    training pairs, at 64 px."""
    files = list_pairs(data, "train")
    if limit:
        files = files[:: max(1, len(files) // limit)][:limit]
    generator = FaceGenerator.from_pretrained(None)
    drawings, photos, faces = [], [], []
    batch = 8
    for i in tqdm(range(0, len(files), batch), desc="pairs"):
        pairs = [read_pair(path) for path in files[i : i + batch]]
        seeds = [7_000_000 + i + j for j in range(len(pairs))]  # not the evaluation's seeds
        generated = generator.generate([drawing for drawing, _ in pairs], seeds)
        drawings += [small(drawing) for drawing, _ in pairs]
        photos += [small(photo) for _, photo in pairs]
        faces += [small(face) for face in generated]
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "train64.npz", drawings=np.stack(drawings), photos=np.stack(photos), faces=np.stack(faces))


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """N×H×W×3 (or N×H×W) uint8 → N×C×H×W float in [-1, 1]."""
    x = torch.from_numpy(images).float().div(127.5).sub(1.0)
    return x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)


def to_images(x: torch.Tensor) -> np.ndarray:
    """N×3×H×W in [-1, 1] → N×H×W×3 uint8 RGB."""
    return x.clamp(-1, 1).add(1).mul(127.5).round().byte().permute(0, 2, 3, 1).numpy()


class Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.GroupNorm(8, channels),
            nn.SiLU(),
            nn.Conv2d(channels, channels, 3, 1, 1),
            nn.GroupNorm(8, channels),
            nn.SiLU(),
            nn.Conv2d(channels, channels, 3, 1, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def encoder(in_channels: int, out_channels: int, width: int = 32, depth: int = 2) -> nn.Sequential:
    """64 px → 16×16: two stride-2 convolutions, most of the work at 16×16 where it is cheap."""
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 3, 1, 1),
        nn.SiLU(),
        nn.Conv2d(width, 2 * width, 4, 2, 1),
        Residual(2 * width),
        nn.Conv2d(2 * width, 4 * width, 4, 2, 1),
        *(Residual(4 * width) for _ in range(depth)),
        nn.GroupNorm(8, 4 * width),
        nn.SiLU(),
        nn.Conv2d(4 * width, out_channels, 1),
    )


def decoder(width: int = 32) -> nn.Sequential:
    """16×16 codes → 64-px photo."""
    return nn.Sequential(
        nn.Conv2d(len(LEVELS), 4 * width, 3, 1, 1),
        Residual(4 * width),
        Residual(4 * width),
        nn.Upsample(scale_factor=2),
        nn.Conv2d(4 * width, 2 * width, 3, 1, 1),
        Residual(2 * width),
        nn.Upsample(scale_factor=2),
        nn.Conv2d(2 * width, width, 3, 1, 1),
        Residual(width),
        nn.GroupNorm(8, width),
        nn.SiLU(),
        nn.Conv2d(width, 3, 3, 1, 1),
    )


def quantise(z: torch.Tensor) -> torch.Tensor:
    """FSQ: each channel squashed into its L equal-width bins and rounded to the bin (straight-through), the
    digit 0…L-1 then scaled to [-1, 1]."""
    levels = torch.tensor(LEVELS, dtype=z.dtype)[:, None, None]
    bounded = (torch.tanh(z) + 1) / 2 * levels - 0.5
    digits = bounded + (bounded.round().clamp(min=0).minimum(levels - 1) - bounded).detach()
    return digits / (levels - 1) * 2 - 1


def code_index(q: torch.Tensor) -> torch.Tensor:
    """Quantised latent (N×4×16×16 in [-1, 1]) → code number 0…CODES-1 per position."""
    levels = torch.tensor(LEVELS)[:, None, None]
    digits = ((q + 1) / 2 * (levels - 1)).round().long().permute(0, 2, 3, 1)  # N×16×16×4
    index = torch.zeros(digits.shape[:-1], dtype=torch.long)
    for channel, n in enumerate(LEVELS):
        index = index * n + digits[..., channel]
    return index


def code_latent(index: torch.Tensor) -> torch.Tensor:
    """Code numbers (N×16×16) → the quantised latent the decoder reads."""
    digits = []
    for n in reversed(LEVELS):
        digits.append(index % n)
        index = index // n
    levels = torch.tensor(LEVELS, dtype=torch.float32)[:, None, None]
    return torch.stack(digits[::-1], dim=1).float() / (levels - 1) * 2 - 1


def critic(width: int = 32) -> nn.Sequential:
    """A whole-face critic at 64 px: four stride-2 convolutions, spectral norm."""
    sn = nn.utils.spectral_norm
    return nn.Sequential(
        sn(nn.Conv2d(3, width, 4, 2, 1)),
        nn.LeakyReLU(0.2),
        sn(nn.Conv2d(width, 2 * width, 4, 2, 1)),
        nn.LeakyReLU(0.2),
        sn(nn.Conv2d(2 * width, 4 * width, 4, 2, 1)),
        nn.LeakyReLU(0.2),
        sn(nn.Conv2d(4 * width, 4 * width, 3, 1, 1)),
        nn.LeakyReLU(0.2),
        sn(nn.Conv2d(4 * width, 1, 3, 1, 1)),
    )


def shift(x: torch.Tensor, pixels: int = 4) -> torch.Tensor:
    """DiffAugment's translation: the same random shift (zero-padded) for the whole batch."""
    dx, dy = (int(v) for v in torch.randint(-pixels, pixels + 1, (2,)))
    return torch.roll(F.pad(x, (pixels,) * 4), (dy, dx), dims=(2, 3))[..., pixels:-pixels, pixels:-pixels]


def train_autoencoder(out: Path, minutes: float, batch: int, gan_from: int) -> None:
    """FSQ autoencoder of the cached photos: L1, then L1 + 0.1 × hinge critic from step `gan_from`."""
    photos = to_tensor(np.load(out / "train64.npz")["photos"])
    enc, dec, disc = encoder(3, len(LEVELS)), decoder(), critic()
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=2e-4, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.9))
    state_path = out / "autoencoder.pt"
    step = 0
    if state_path.exists():
        state = torch.load(state_path, weights_only=True)
        for module, key in ((enc, "enc"), (dec, "dec"), (disc, "disc"), (opt, "opt"), (opt_d, "opt_d")):
            module.load_state_dict(state[key])
        step = state["step"]
    torch.manual_seed(step)
    end = time.time() + 60 * minutes
    while time.time() < end:
        real = photos[torch.randint(len(photos), (batch,))]
        real = torch.where(torch.rand(batch)[:, None, None, None] < 0.5, real.flip(3), real)
        with torch.autocast("cpu", torch.bfloat16):
            fake = dec(quantise(enc(real).float()))
        fake = fake.float()
        loss = (fake - real).abs().mean()
        if step >= gan_from:
            loss = loss - 0.1 * disc(shift(fake)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step >= gan_from - 500:  # the critic starts a little before it is listened to
            d_loss = F.relu(1 - disc(shift(real))).mean() + F.relu(1 + disc(shift(fake.detach()))).mean()
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
        step += 1
        if step % 100 == 0:
            print(f"step {step} L1 {(fake - real).abs().mean():.4f} loss {loss.item():.4f}", flush=True)
        if step % 500 == 0 or time.time() >= end:
            state = {
                "enc": enc.state_dict(),
                "dec": dec.state_dict(),
                "disc": disc.state_dict(),
                "opt": opt.state_dict(),
                "opt_d": opt_d.state_dict(),
                "step": step,
            }
            torch.save(state, state_path)


def load_autoencoder(out: Path) -> tuple[nn.Module, nn.Module]:
    state = torch.load(out / "autoencoder.pt", weights_only=True)
    enc, dec = encoder(3, len(LEVELS)), decoder()
    enc.load_state_dict(state["enc"])
    dec.load_state_dict(state["dec"])
    return enc.eval(), dec.eval()


def predictor() -> nn.Sequential:
    """Generator's face and drawing at 64 px (4 channels) → logits of the 1,000 codes at 16×16."""
    return encoder(4, CODES, width=48, depth=6)


def train_predictor(out: Path, minutes: float, batch: int) -> None:
    """Generator's face + drawing at 64 px → the true photo's code at each of the 16×16 positions."""
    arrays = np.load(out / "train64.npz")
    enc, _ = load_autoencoder(out)
    photos = to_tensor(arrays["photos"])
    with torch.inference_mode():
        targets = torch.cat([code_index(quantise(enc(chunk))) for chunk in tqdm(photos.split(256), desc="codes")])
    inputs = torch.cat([to_tensor(arrays["faces"]), to_tensor(arrays["drawings"])], dim=1)
    net = predictor()
    opt = torch.optim.AdamW(net.parameters(), lr=4e-4, weight_decay=0.01)
    state_path = out / "predictor.pt"
    step = 0
    if state_path.exists():
        state = torch.load(state_path, weights_only=True)
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
    torch.manual_seed(step)
    end = time.time() + 60 * minutes
    while time.time() < end:
        index = torch.randint(len(inputs), (batch,))
        with torch.autocast("cpu", torch.bfloat16):
            logits = net(inputs[index])
        loss = F.cross_entropy(logits.float(), targets[index], label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            hits = (logits.argmax(1) == targets[index]).float().mean()
            print(f"step {step} CE {loss.item():.3f} code accuracy {hits:.3f}", flush=True)
        if step % 500 == 0 or time.time() >= end:
            torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "step": step}, state_path)


def coded_faces(out: Path, faces: list[np.ndarray], drawings: list[np.ndarray]) -> list[np.ndarray]:
    """The predictor's most likely codes for these faces and drawings, decoded, at 64 px."""
    _, dec = load_autoencoder(out)
    net = predictor()
    net.load_state_dict(torch.load(out / "predictor.pt", weights_only=True)["net"])
    net.eval()
    inputs = torch.cat(
        [to_tensor(np.stack([small(f) for f in faces])), to_tensor(np.stack([small(d) for d in drawings]))], dim=1
    )
    with torch.inference_mode():
        return list(to_images(dec(code_latent(net(inputs).argmax(1)))))


def scored(name: str, images: list[np.ndarray], groups: list[str], real: Sample) -> None:
    """Print the two-sample test's accuracy for `images` against `real`, as they are and layout only."""
    generated = Sample(SIZE)
    for image, group in zip(images, groups):  # 256-px faces are JPEG'd as photos were; 64-px ones not at this scale
        generated.add(image, group, generated=image.shape[0] > SIZE)
    plain = REALISM.test(generated, real)[str(SIZE)]
    layout = REALISM.test(generated.layout_only(), real.layout_only())[str(SIZE)]
    print(
        f"{name}: {100 * plain['accuracy']:.1f} ± {100 * plain['accuracy_se']:.1f} %, "
        f"layout only {100 * layout['accuracy']:.1f} ± {100 * layout['accuracy_se']:.1f} %",
        flush=True,
    )


def validation_sets(data: Path, mouse: Path) -> dict[str, tuple[list[np.ndarray], list[str], Sample]]:
    """Per set, its drawings, each one's group and the photos its faces are tested against: the `--quick`
    XDoG/Canny pairs against their photos, the mouse drawings against the re-framed validation photos (where
    `data` has re-framed validation pairs)."""
    files = quick_pairs(data)
    sets = {
        "XDoG/Canny": (
            [read_pair(path)[0] for path in files],
            [source.person for source in pair_sources(data, files)],
            photo_sample(unique_photos(data, files).values(), SIZE),
        )
    }
    try:
        framed = framed_photos(data, "val", SIZE)
    except FileNotFoundError:
        return sets
    mouse_files = sorted(mouse.glob("*.png"))
    drawings = [prepare_drawing(Image.open(path)) for path in mouse_files]
    sets["mouse"] = (drawings, [path.name for path in mouse_files], framed)
    return sets


def evaluate(data: Path, out: Path, mouse: Path) -> None:
    """The two-sample test at 64 px, a seed per drawing: the bundled model's faces, the same faces through the
    photo autoencoder ("snapped") and the predictor's codes, on the `--quick` pairs against their photos and on
    the mouse drawings against the re-framed validation photos; and the autoencoder's photo reconstructions."""
    generator = FaceGenerator.from_pretrained(None)
    enc, dec = load_autoencoder(out)
    sets = validation_sets(data, mouse)
    real = sets["XDoG/Canny"][2]
    with torch.inference_mode():
        rebuilt = list(to_images(dec(quantise(enc(to_tensor(np.stack(real.images)))))))
    scored("validation photos rebuilt by the autoencoder", rebuilt, real.groups, real)
    rows = []
    for set_name, (drawings, groups, photos) in sets.items():
        faces = faces_for_drawings(generator, drawings)
        with torch.inference_mode():  # the bundled faces through the photo autoencoder, no predictor
            snapped = list(to_images(dec(quantise(enc(to_tensor(np.stack([small(f) for f in faces])))))))
        samples = {"bundled model": faces, "snapped": snapped}
        if (out / "predictor.pt").exists():
            samples["codes"] = coded_faces(out, faces, drawings)
        for name, images in samples.items():
            scored(f"{set_name}, {name}", images, groups, photos)
        rows += [np.concatenate([small(image) for image in images[:16]], axis=1) for images in samples.values()]
    cv2.imwrite(str(out / "sheet.png"), cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=("cache", "autoencoder", "predictor", "evaluate"))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--mouse", type=Path, default=Path("tests/data/mouse_drawings"))
    parser.add_argument("--limit", type=int, help="cache only this many training pairs (a trial run)")
    parser.add_argument("--minutes", type=float, default=45)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--gan-from", type=int, default=1500)
    args = parser.parse_args(argv)
    if args.stage == "cache":
        cache(args.data, args.out, args.limit)
    elif args.stage == "autoencoder":
        train_autoencoder(args.out, args.minutes, args.batch, args.gan_from)
    elif args.stage == "predictor":
        train_predictor(args.out, args.minutes, args.batch)
    else:
        evaluate(args.data, args.out, args.mouse)


if __name__ == "__main__":
    main()
