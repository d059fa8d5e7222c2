"""Inference latency of one 256×256 drawing, per generator size: p50 / p90 of `FaceGenerator.generate`.

    python benchmarks/bench_inference.py [--quick] [--runs N]

Times what the app does per request (prepare the drawing, one forward pass, back to uint8,
remove the decoder's grid) with all CPU cores, for unet_256 generators of width ngf = 64 /
32 / 16 (randomly initialised: only the architecture matters for speed; ngf=64
is the paper's unet_256; ngf=32 also with `--upsample resize`) and for the shipped checkpoint when it is there; on
CUDA also on the GPU. Each in fp32 and in the precision `FaceGenerator` picks by
default ("auto": bf16 autocast where the CPU has AVX512-BF16/AMX), with the mean
absolute difference of the auto faces from the fp32 ones (0-255, over 8 seeds).
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from examples.face_strokes import face_strokes, rasterize  # noqa: E402
from p2p.grade import ColourGrade, load_grade  # noqa: E402
from p2p.inference import FaceGenerator  # noqa: E402
from p2p.model import UNetGenerator  # noqa: E402
from p2p.weights import DEFAULT_CHECKPOINT, load_generator  # noqa: E402

SHARED_CPU_NOTE = "CPU numbers are noisy when other jobs (e.g. a training run) share the cores."


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else whatever `platform` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_info() -> str:
    """One line naming the software and hardware the numbers come from."""
    gpu = f", GPU: {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ", no GPU"
    return (
        f"torch {torch.__version__}, Python {platform.python_version()}, CPU: {cpu_name()} "
        f"({os.cpu_count()} logical cores, torch threads {torch.get_num_threads()}){gpu}"
    )


def percentiles(fn: Callable[[int], object], runs: int, warmup: int, device: torch.device) -> tuple[float, float]:
    """(p50, p90) in milliseconds of `fn(i)` over `runs` calls after `warmup` untimed ones."""
    times = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        fn(i)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    p50, p90 = np.percentile(np.array(times[warmup:]) * 1000, [50, 90])
    return float(p50), float(p90)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few runs: a smoke test, not a measurement")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per model (default 30, quick 5)")
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT, help="the shipped model, if present")
    args = parser.parse_args(argv)
    runs = args.runs or (5 if args.quick else 30)
    warmup = 1 if args.quick else 3
    torch.set_num_threads(os.cpu_count() or 1)

    # The shipped model first, as the app runs it: alone in a fresh process. Timed after the other four
    # models, its p50 came out ~2 ms slower (21 vs 19 ms) than in a process of its own.
    models: list[tuple[str, UNetGenerator, ColourGrade | None]] = []
    if (args.checkpoint / "model.safetensors").is_file():
        shipped, grade = load_generator(args.checkpoint), load_grade(args.checkpoint)
        graded = ", colour grade" if grade else ""
        name = f"shipped {args.checkpoint.name} (ngf={shipped.downs[0].out_channels}{graded})"
        models.append((name, shipped, grade))
    models += [(f"unet_256, ngf={n}", UNetGenerator(num_downs=8, ngf=n), None) for n in (64, 32, 16)]
    resize = UNetGenerator(num_downs=8, ngf=32, upsample="resize")
    models.append(("unet_256, ngf=32, resize-conv decoder", resize, None))
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    drawing = rasterize(face_strokes())  # the content does not change the timing

    print(
        f"Inference latency, one 256×256 drawing (prepare + forward + to uint8 + degrid, + the colour grade where "
        f"the checkpoint has one), {runs} runs after "
        f"{warmup} warm-up\n{machine_info()}\n"
    )
    print(
        "| model | parameters | device | precision | p50 ms | p90 ms | vs fp32 (0-255) |\n"
        "|---|---:|---|---|---:|---:|---:|"
    )
    seeds = list(range(8))
    for name, model, grade in models:
        params = sum(p.numel() for p in model.parameters())
        for device in devices:
            reference = None
            for precision in ("fp32", "auto"):
                generator = FaceGenerator(copy.deepcopy(model), device=device, precision=precision, grade=grade)
                p50, p90 = percentiles(lambda i, g=generator: g.generate([drawing], [i])[0], runs, warmup, device)
                faces = np.stack(generator.generate([drawing] * len(seeds), seeds)).astype(np.float64)
                reference = faces if reference is None else reference
                where = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
                dtype = {None: "fp32", torch.bfloat16: "bf16"}[generator.dtype]
                print(
                    f"| {name} | {params / 1e6:.1f} M | {where} | {precision} ({dtype}) | {p50:.1f} | {p90:.1f} "
                    f"| {np.abs(faces - reference).mean():.2f} |"
                )
    if not (args.checkpoint / "model.safetensors").is_file():
        print(f"\n(no shipped checkpoint at {args.checkpoint}: not timed)")
    print(f"\n{SHARED_CPU_NOTE}")


if __name__ == "__main__":
    main()
