"""Training throughput in images per second of `Trainer.train_step` (D step + G step), per configuration.

    python benchmarks/bench_train.py [--quick] [--steps N] [--critics | --critic-widths]

unet_256 generators of width ngf = 32 and 64 with the paper's 70×70 PatchGAN,
batch 4 at 256×256, on a fixed batch from a synthetic dataset (data loading is
not timed: with --workers it overlaps the steps). On CPU with bf16 autocast off
and on (fast only with AVX512-BF16 / AMX), on CUDA with the trainer's automatic
mixed precision. With --critics: ngf 64 on the CPU with bf16 autocast, the paper's recipe and then each
later critic on its own and all together (--lambda-projected, --lambda-perceptual, --lambda-components;
they need requirements-train.txt). With --critic-widths: the bundled model's recipe on the CPU (batch 2, bf16,
two-scale PatchGANs with feature matching, the latent with mode seeking) with PatchGANs of width ndf 64 and 32,
where the critics cost most of a step. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench_inference import SHARED_CPU_NOTE, machine_info  # noqa: E402

from examples.face_strokes import face_strokes, rasterize  # noqa: E402
from p2p.tensors import cpu_has_bf16  # noqa: E402
from p2p.train import TrainConfig, Trainer, parse_args  # noqa: E402

BATCH = 4
BOXES = {"left_eye": [72, 104, 112, 134], "right_eye": [144, 104, 184, 134], "mouth": [96, 170, 160, 200]}
"""Where a CelebA-aligned face's eyes and mouth are in a 256 px pair, about (the eye and mouth critics' crops)."""
CRITICS = {
    "+ projected": {"lambda_projected": 1.0},
    "+ perceptual": {"lambda_perceptual": 1.0},
    "+ components": {"lambda_components": 1.0},
    "+ all three": {"lambda_projected": 1.0, "lambda_perceptual": 1.0, "lambda_components": 1.0},
}
BUNDLED_RECIPE = ["@" + str(Path(__file__).resolve().parent.parent / "recipes" / "sketch2face-celeba.args")]
BUNDLED_RECIPE += ["--batch-size", "2", "--gan-mode", "lsgan"]
"""`p2p.train` flags of the bundled model as its CPU fine-tunes train it (experiments/realism_ablation.sh)."""


def write_dataset(root: Path, pairs: int = BATCH) -> None:
    """A few 256×512 A|B training images: random colour photos beside a line drawing, with a manifest that
    gives each pair eye and mouth boxes."""
    (root / "train").mkdir(parents=True)
    rng = np.random.default_rng(0)
    drawing = cv2.cvtColor(rasterize(face_strokes()), cv2.COLOR_GRAY2BGR)
    for i in range(pairs):
        photo = cv2.GaussianBlur(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8), (0, 0), 4)
        cv2.imwrite(str(root / "train" / f"{i}.jpg"), np.hstack([drawing, photo]))
    manifest = {"pairs": [{"output": f"train/{i}.jpg", "boxes": BOXES} for i in range(pairs)]}
    (root / "manifest.json").write_text(json.dumps(manifest))


def throughput(config: TrainConfig, steps: int, warmup: int) -> tuple[float, float, str]:
    """(images per second, CPU seconds per step, precision) of `train_step` on one fixed batch. The CPU time
    (this process's, all threads) is what `--cpu-minutes` budgets, and it varies less than the wall time when
    other jobs share the cores."""
    trainer = Trainer(config)
    size = config.batch_size
    batch = [torch.stack(t).to(trainer.device) for t in zip(*(trainer.train_set[i] for i in range(size)))]
    if trainer.device.type == "cuda":  # as in the training loop
        batch[:2] = [images.contiguous(memory_format=torch.channels_last) for images in batch[:2]]

    def sync() -> None:
        if trainer.device.type == "cuda":
            torch.cuda.synchronize(trainer.device)

    for _ in range(warmup):
        trainer.train_step(*batch)
    sync()
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(steps):
        trainer.train_step(*batch)
    sync()
    precision = str(trainer.amp_dtype or torch.float32).removeprefix("torch.")
    return steps * size / (time.perf_counter() - start), (time.process_time() - cpu_start) / steps, precision


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few steps: a smoke test, not a measurement")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per configuration (default 10, quick 3)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--critics", action="store_true", help="time the later critics (ngf 64, CPU bf16)")
    which.add_argument(
        "--critic-widths", action="store_true", help="time the bundled recipe with PatchGANs of ndf 64 and 32"
    )
    args = parser.parse_args(argv)
    steps = args.steps or (3 if args.quick else 10)
    warmup = 1 if args.quick else 2
    runs = [("cpu", "off"), ("cpu", "on")] + ([("cuda", "auto")] if torch.cuda.is_available() else [])

    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(Path(tmp) / "data")
        data, out = str(Path(tmp) / "data"), str(Path(tmp) / "run")

        def ours(ngf: int, device: str = "cpu", amp: str = "on", **options: object) -> TrainConfig:
            return TrainConfig(
                data=data, out=out, ngf=ngf, workers=0, device=device, amp=amp, batch_size=BATCH, **options
            )

        configurations = [(f"unet_256, ngf={ngf} (D ndf=64)", ours(ngf, *run)) for ngf in (32, 64) for run in runs]
        if args.critics:
            configurations = [("unet_256, ngf=64, paper's recipe", ours(64))]
            configurations += [(f"unet_256, ngf=64 {name}", ours(64, **o)) for name, o in CRITICS.items()]
        if args.critic_widths:
            flags = ["--data", data, "--out", out, "--workers", "0", "--device", "cpu", "--amp", "on"]
            configurations = [
                (
                    f"unet_256, ngf=32, the bundled recipe, D ndf={ndf}",
                    parse_args([*BUNDLED_RECIPE, *flags, "--ndf", str(ndf)]),
                )
                for ndf in (64, 32)
            ]
        print(
            f"Training throughput, Trainer.train_step, batch {configurations[0][1].batch_size} at 256×256, {steps} "
            f"steps after {warmup} warm-up\n{machine_info()}; CPU bf16 (AVX512-BF16/AMX): "
            f"{'yes' if cpu_has_bf16() else 'no'}\n"
        )
        print("| generator | device | precision | images/s | s/step | CPU s/step |\n|---|---|---|---:|---:|---:|")
        for name, config in configurations:
            rate, cpu_seconds, precision = throughput(config, steps, warmup)
            where = torch.cuda.get_device_name() if config.device == "cuda" else "CPU"
            print(
                f"| {name} | {where} | {precision} | {rate:.2f} | {config.batch_size / rate:.2f} | {cpu_seconds:.2f} |"
            )
    print(f"\n{SHARED_CPU_NOTE}")


if __name__ == "__main__":
    main()
