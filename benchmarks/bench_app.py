"""Stroke → face latency through the real app server: p50 and p90 of `/generate` round trips.

Starts `python app.py` on a free local port with the default model (or
--checkpoint), then plays a person drawing: N drawings that grow stroke by
stroke, sent one at a time through gradio_client with a fixed seed, each timed
from upload to the downloaded face (what the page does per stroke). The
generator alone, in this process, is timed too, to show the server's share.

    python benchmarks/bench_app.py [--n 50] [--checkpoint DIR_OR_HUB_ID]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from data_prep.imageio import load_image  # noqa: E402
from devtools.app_server import running_app  # noqa: E402
from p2p.inference import FaceGenerator  # noqa: E402
from p2p.weights import MODEL_ENV_VAR, default_checkpoint  # noqa: E402

WARMUP = 3


def growing_drawings(count: int) -> list[np.ndarray]:
    """The example drawings revealed top to bottom in ten steps: like a face drawn stroke by stroke."""
    examples = [cv2.cvtColor(load_image(p), cv2.COLOR_RGB2GRAY) for p in sorted((REPO_ROOT / "examples").glob("*.png"))]
    drawings = []
    for i in range(count):
        example = examples[(i // 10) % len(examples)]
        visible = example.shape[0] * (i % 10 + 1) // 10
        drawing = np.full_like(example, 255)
        drawing[:visible] = example[:visible]
        drawings.append(drawing)
    return drawings


def percentiles(times_s: list[float]) -> str:
    ms = np.asarray(times_s) * 1000
    p50, p90 = np.percentile(ms, [50, 90])
    return f"p50 {p50:6.1f} ms   p90 {p90:6.1f} ms   (min {ms.min():.1f}, max {ms.max():.1f})"


def time_generator(model: str, drawings: list[np.ndarray], seed: int) -> list[float]:
    generator = FaceGenerator.from_pretrained(model, device="cpu")
    for drawing in drawings[:WARMUP]:
        generator.generate([drawing], [seed])[0]
    times = []
    for drawing in drawings:
        start = time.perf_counter()
        generator.generate([drawing], [seed])[0]
        times.append(time.perf_counter() - start)
    return times


def time_server(url: str, paths: list[Path], seed: int, downloads: Path) -> list[float]:
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False, download_files=str(downloads), analytics_enabled=False)
    for path in paths[:WARMUP]:
        client.predict(handle_file(path), seed, api_name="/generate")
    times = []
    for path in paths:
        start = time.perf_counter()
        client.predict(handle_file(path), seed, api_name="/generate")
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stroke → face latency through the real app server.")
    parser.add_argument("--n", type=int, default=50, help="drawings to send (default 50)")
    parser.add_argument("--checkpoint", help=f"model folder or Hub id (default: ${MODEL_ENV_VAR} or the shipped one)")
    parser.add_argument("--seed", type=int, default=0, help="noise seed, fixed as while drawing (default 0)")
    args = parser.parse_args(argv)
    model = args.checkpoint or default_checkpoint()
    drawings = growing_drawings(args.n)

    print(f"model: {model}")
    print(f"machine: {os.cpu_count()} CPU cores, torch {torch.__version__} with {torch.get_num_threads()} threads")
    print(f"generator alone ({args.n} drawings):        {percentiles(time_generator(model, drawings, args.seed))}")
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        paths = []
        for i, drawing in enumerate(drawings):
            paths.append(Path(tmp) / f"drawing-{i:03d}.png")
            cv2.imwrite(str(paths[-1]), drawing)
        with running_app(Path(tmp) / "server.log", model) as url:
            times = time_server(url, paths, args.seed, Path(tmp) / "faces")
    print(f"stroke → face via /generate ({args.n} drawings): {percentiles(times)}")


if __name__ == "__main__":
    main()
