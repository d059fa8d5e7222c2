"""Training throughput in images per second of `Trainer.train_step` (D step + G step), per configuration.

    python benchmarks/bench_train.py [--quick] [--steps N]

unet_256 generators of width ngf = 32 and 64 with the paper's 70×70 PatchGAN,
batch 4 at 256×256, on a fixed batch from a synthetic dataset (data loading is
not timed: with --workers it overlaps the steps). On CPU with bf16 autocast off
and on (fast only with AVX512-BF16 / AMX), on CUDA with the trainer's automatic
mixed precision. Prints a markdown table.
"""

from __future__ import annotations

import argparse
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
from p2p.inference import cpu_has_bf16  # noqa: E402
from p2p.train import TrainConfig, Trainer  # noqa: E402

BATCH = 4


def write_dataset(root: Path, pairs: int = BATCH) -> None:
    """A few 256×512 A|B training images: random colour photos beside a line drawing."""
    (root / "train").mkdir(parents=True)
    rng = np.random.default_rng(0)
    drawing = cv2.cvtColor(rasterize(face_strokes()), cv2.COLOR_GRAY2BGR)
    for i in range(pairs):
        photo = cv2.GaussianBlur(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8), (0, 0), 4)
        cv2.imwrite(str(root / "train" / f"{i}.jpg"), np.hstack([drawing, photo]))


def throughput(config: TrainConfig, steps: int, warmup: int) -> tuple[float, str]:
    """(images per second, precision) of `train_step` on one fixed batch."""
    trainer = Trainer(config)
    drawing, photo, _ = (torch.stack(t).to(trainer.device) for t in zip(*(trainer.train_set[i] for i in range(BATCH))))
    if trainer.device.type == "cuda":  # as in the training loop
        drawing = drawing.contiguous(memory_format=torch.channels_last)
        photo = photo.contiguous(memory_format=torch.channels_last)

    def sync() -> None:
        if trainer.device.type == "cuda":
            torch.cuda.synchronize(trainer.device)

    for _ in range(warmup):
        trainer.train_step(drawing, photo)
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        trainer.train_step(drawing, photo)
    sync()
    precision = str(trainer.amp_dtype or torch.float32).removeprefix("torch.")
    return steps * BATCH / (time.perf_counter() - start), precision


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few steps: a smoke test, not a measurement")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per configuration (default 10, quick 3)")
    args = parser.parse_args(argv)
    steps = args.steps or (3 if args.quick else 10)
    warmup = 1 if args.quick else 2
    runs = [("cpu", "off"), ("cpu", "on")] + ([("cuda", "auto")] if torch.cuda.is_available() else [])

    print(
        f"Training throughput, Trainer.train_step, batch {BATCH} at 256×256, {steps} steps after {warmup} "
        f"warm-up\n{machine_info()}; CPU bf16 (AVX512-BF16/AMX): {'yes' if cpu_has_bf16() else 'no'}\n"
    )
    print("| generator | device | precision | images/s | s/step |\n|---|---|---|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(Path(tmp) / "data")
        for ngf in (32, 64):
            for device, amp in runs:
                config = TrainConfig(
                    data=str(Path(tmp) / "data"),
                    out=str(Path(tmp) / "run"),
                    ngf=ngf,
                    batch_size=BATCH,
                    workers=0,
                    device=device,
                    amp=amp,
                )
                rate, precision = throughput(config, steps, warmup)
                where = torch.cuda.get_device_name() if device == "cuda" else "CPU"
                print(f"| unet_256, ngf={ngf} (D ndf=64) | {where} | {precision} | {rate:.2f} | {BATCH / rate:.2f} |")
    print(f"\n{SHARED_CPU_NOTE}")


if __name__ == "__main__":
    main()
