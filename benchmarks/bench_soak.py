"""Soak: many clients asking the app for faces at once for a while, as a hosted Space is used.

Starts `python app.py` on a free local port with the default model (or
--checkpoint), asks one client for the face of every (drawing, seed) pair, then
lets N clients ask over the same pairs for S seconds, each as soon as it has its
last answer: API users through gradio_client's `/generate` (uploads, the queue,
a downloaded file), or with `--via canvas` people drawing (the live canvas's
server function: data URLs, no queue). It reports faces/s, p50/p95/max latency,
answers that are "busy, try again" (the queue was full), errors (a failed or
cut-short download, a timeout), faces that differ from the single client's, the
server's CPU use and its resident memory at the start, after the first minute,
at its peak and at the end.

    python benchmarks/bench_soak.py [--clients 16] [--seconds 180] [--via canvas] [--checkpoint DIR_OR_HUB_ID]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from data_prep.imageio import load_image  # noqa: E402
from devtools.app_server import running_app  # noqa: E402
from p2p.weights import MODEL_ENV_VAR, default_checkpoint  # noqa: E402
from ui import images  # noqa: E402

DRAWINGS = (
    sorted((REPO_ROOT / "examples").glob("*.png"))
    + sorted((REPO_ROOT / "tests" / "data" / "mouse_drawings").glob("*.png"))[:4]
)
"""The example drawings (what people click) and drawings made with a mouse on the real canvas."""


@dataclass
class Tally:
    """What the clients saw, shared by their threads."""

    latencies_s: list[float] = field(default_factory=list)
    busy_latencies_s: list[float] = field(default_factory=list)
    wrong: int = 0
    errors: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_s(pid: int) -> float:
    """CPU time (user + system) process `pid` has used, in seconds (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid() -> int:
    """The `python app.py` that `running_app` started: this process's child."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"app.py" in cmdline:
            return int(stat.parent.name)
    raise RuntimeError("the app server process was not found")


Caller = Callable[[Path, int], bytes]
"""One client's way to ask for a face: (drawing file, seed) → the face's pixels; raises what its client raises."""


def generate_caller(url: str, downloads: Path, timeout_s: float) -> Caller:
    """An API user: gradio_client uploads the drawing to `/generate` and downloads the face's file."""
    from gradio_client import Client, handle_file

    gradio = Client(url, verbose=False, download_files=str(downloads), analytics_enabled=False)

    def ask(drawing: Path, seed: int) -> bytes:
        job = gradio.submit(handle_file(drawing), seed, api_name="/generate")
        try:
            path = job.result(timeout=timeout_s)
        except FutureTimeout:
            job.cancel()
            raise
        try:
            return load_image(path).tobytes()
        finally:
            Path(path).unlink(missing_ok=True)

    return ask


def canvas_caller(url: str, downloads: Path, timeout_s: float) -> Caller:
    """A person drawing: the live canvas posts its drawing as a data URL to its server function, the face comes back
    as one (no queue, no files), one request at a time."""
    import httpx

    http = httpx.Client(timeout=timeout_s)
    config = http.get(f"{url}config").json()
    (canvas,) = [c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "live"]
    session = downloads.name

    @functools.cache
    def data_url(drawing: Path) -> str:
        return images.to_data_url(load_image(drawing))

    def ask(drawing: Path, seed: int) -> bytes:
        body = {"data": {"drawing": data_url(drawing), "seed": seed}, "component_id": canvas, "fn_name": "face"}
        response = http.post(f"{url}gradio_api/component_server/", json={**body, "session_hash": session})
        response.raise_for_status()
        return images.from_data_url(response.json()).tobytes()

    return ask


CALLERS = {"generate": generate_caller, "canvas": canvas_caller}


def soak(
    ask: Caller, index: int, pairs: list, expected: dict, deadline: float, busy_pause_s: float, tally: Tally
) -> None:
    """One client: request after request over the pairs (each client starting elsewhere) until the deadline.

    `expected` maps each pair to the single client's face."""
    from gradio_client.utils import QueueError

    for drawing, seed in itertools.islice(itertools.cycle(pairs), index, None):
        if time.monotonic() > deadline:
            return
        start = time.monotonic()
        try:
            pixels = ask(drawing, seed)
        except QueueError:  # the server's "Queue is full! Please try again."
            with tally.lock:
                tally.busy_latencies_s.append(time.monotonic() - start)
            time.sleep(busy_pause_s)  # as a person would, before trying again
            continue
        except FutureTimeout:
            outcome = "no answer in time (--timeout)"
        except Exception as err:  # what a broken download looks like: counted by kind, shown at the end
            outcome = f"{type(err).__name__}: {str(err)[:100]}"
        else:
            outcome = None
        with tally.lock:
            if outcome:
                tally.errors[outcome] += 1
            else:
                tally.latencies_s.append(time.monotonic() - start)
                tally.wrong += pixels != expected[drawing, seed]


def watch_memory(pid: int, samples: list[tuple[float, float]], stop: threading.Event) -> None:
    """(seconds since the soak began, server RSS in MB), once a second."""
    start = time.monotonic()
    while not stop.is_set():
        samples.append((time.monotonic() - start, rss_mb(pid)))
        stop.wait(1.0)


def report(args: argparse.Namespace, tally: Tally, elapsed_s: float, memory: list[tuple[float, float]]) -> None:
    done = len(tally.latencies_s)
    failed = sum(tally.errors.values())
    ms = np.asarray(tally.latencies_s or [np.nan]) * 1000
    p50, p95 = np.percentile(ms, [50, 95])
    after_minute = next((mb for t, mb in memory if t >= 60), memory[-1][1])
    print(f"{args.clients} clients via {args.via}, {elapsed_s:.0f} s, {len(DRAWINGS)} drawings × seeds {args.seeds}")
    print(
        f"faces: {done} ({done / elapsed_s:.1f}/s), latency p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {ms.max():.0f} ms"
    )
    busy = np.asarray(tally.busy_latencies_s or [0.0]) * 1000
    print(
        f"busy, try again: {len(tally.busy_latencies_s)} (p95 {np.percentile(busy, 95):.0f}, max {busy.max():.0f} ms)"
    )
    print(f"errors: {failed}   faces unlike the single client's: {tally.wrong}")
    for outcome, count in tally.errors.most_common(5):
        print(f"  {count} × {outcome}")
    print(
        f"server RSS: start {memory[0][1]:.0f} MB, after 1 min {after_minute:.0f} MB, "
        f"peak {max(mb for _, mb in memory):.0f} MB, end {memory[-1][1]:.0f} MB"
    )
    by_minute = [
        f"{next(mb for t, mb in memory if t >= minute * 60):.0f}" for minute in range(int(memory[-1][0] // 60) + 1)
    ]
    print(f"server RSS each minute (MB): {' '.join(by_minute)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Many API clients calling /generate at once for a while.")
    parser.add_argument("--via", choices=CALLERS, default="generate", help="/generate (default) or the live canvas")
    parser.add_argument("--clients", type=int, default=16, help="clients calling at once (default 16)")
    parser.add_argument("--seconds", type=float, default=180, help="how long they call (default 180)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2], help="noise seeds (default 1 2)")
    parser.add_argument("--drawings", type=int, default=len(DRAWINGS), help=f"drawings used (default {len(DRAWINGS)})")
    parser.add_argument("--timeout", type=float, default=60, help="a request unanswered this long is an error (60)")
    parser.add_argument("--busy-pause", type=float, default=2, help="seconds before retrying after busy (2)")
    parser.add_argument("--checkpoint", help=f"model folder or Hub id (default: ${MODEL_ENV_VAR} or the shipped one)")
    args = parser.parse_args(argv)
    model = args.checkpoint or default_checkpoint()
    pairs = [(drawing, seed) for drawing in DRAWINGS[: args.drawings] for seed in args.seeds]

    print(f"model: {model}")
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp, running_app(Path(tmp) / "server.log", model) as url:
        callers = [CALLERS[args.via](url, Path(tmp) / f"client-{i}", args.timeout) for i in range(args.clients + 1)]
        expected = {(drawing, seed): callers[-1](drawing, seed) for drawing, seed in pairs}  # one client alone
        pid, memory, stop, tally = server_pid(), [], threading.Event(), Tally()
        watcher = threading.Thread(target=watch_memory, args=(pid, memory, stop), daemon=True)
        watcher.start()
        start, server_cpu, own_cpu = time.monotonic(), cpu_s(pid), cpu_s(os.getpid())
        deadline = start + args.seconds
        with ThreadPoolExecutor(args.clients) as pool:
            clients = [
                pool.submit(soak, callers[i], i, pairs, expected, deadline, args.busy_pause, tally)
                for i in range(args.clients)
            ]
            for done in clients:
                done.result()  # a client that could not even start is a failure of the benchmark itself
        elapsed = time.monotonic() - start
        server_cpu, own_cpu = cpu_s(pid) - server_cpu, cpu_s(os.getpid()) - own_cpu
        stop.set()
        watcher.join()
    report(args, tally, elapsed, memory)
    print(f"CPU used: server {server_cpu / elapsed:.2f} cores, these clients {own_cpu / elapsed:.2f} cores")
    print(f"load average during the run (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU cores")


if __name__ == "__main__":
    main()
