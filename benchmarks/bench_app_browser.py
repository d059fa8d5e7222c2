"""Pen-up → face in a real browser: the live canvas as a person uses it, timed in headless Chromium.

Starts `python app.py` (the shipped model, or --checkpoint) and draws faces on
the canvas with the mouse, stroke by stroke (`examples/face_strokes.py`).
Times are taken in the page (performance.now): from each stroke's pointer-up
to the `load` of the last face image it brings. Three measurements:

1. one browser: pointer-up → new face rendered, p50 / p90 over --strokes strokes;
2. one browser: face refreshes per second during a slow 2-second stroke;
3. --users browsers drawing at once: the same pointer-up figure, and a check
   that no browser ever shows a face another one got (each draws its own faces
   with its own seed).

    python benchmarks/bench_app_browser.py [--strokes 30] [--users 4] [--checkpoint DIR_OR_HUB_ID]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from devtools.app_server import launch_chromium, open_app, running_app  # noqa: E402
from examples.face_strokes import face_strokes, replay  # noqa: E402

WARMUP_STROKES = 3
SETTLE_S = 0.4  # a face is final when no other one loads for this long
TIMEOUT_S = 20

INSTRUMENT = """() => {
  const img = document.querySelector('#face img'), canvas = document.querySelector('#sketch canvas');
  const hash = (s) => {
    let h = 5381;
    for (let i = 0; i < s.length; i += 7) h = (h * 33 + s.charCodeAt(i)) | 0;
    return h;
  };
  const placeholder = hash(img.src);
  window.bench = {loads: [], faces: [], ups: [], downs: []};
  img.addEventListener('load', () => {
    bench.loads.push(performance.now());
    if (hash(img.src) !== placeholder) bench.faces.push(hash(img.src));
  });
  canvas.addEventListener('pointerdown', () => bench.downs.push(performance.now()), true);
  canvas.addEventListener('pointerup', () => bench.ups.push(performance.now()), true);
}"""


def open_seeded_app(playwright: object, url: str, seed: int) -> tuple[object, object]:
    browser = launch_chromium(playwright)
    page = open_app(browser, url)
    page.evaluate(INSTRUMENT)
    seed_box = page.locator("#seed input[type=number]")
    seed_box.fill(str(seed))
    seed_box.press("Enter")
    return browser, page


def settled_latency(page: object) -> float:
    """Seconds from the last pointer-up to the last face loaded after it, once faces stop coming."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        state = page.evaluate("() => [bench.ups.at(-1), bench.loads.at(-1) ?? -1, performance.now()]")
        up, load, now = state
        if load > up and now - load > SETTLE_S * 1000:
            return (load - up) / 1000
        time.sleep(0.05)
    return math.nan


def stroke_plan(count: int, rng: np.random.Generator) -> list[list | None]:
    """Strokes of whole faces, one after another; None marks 'clear the canvas' between faces."""
    plan: list[list | None] = []
    while sum(s is not None for s in plan) < count:
        plan += [*face_strokes(rng), None]
    return plan


def draw_and_time(page: object, plan: list[list | None], count: int) -> list[float]:
    times = []
    for stroke in plan:
        if stroke is None:
            page.locator("#sketch [data-action=clear]").click()
            time.sleep(SETTLE_S)
            continue
        replay(page, [stroke])
        times.append(settled_latency(page))
        if len(times) == count:
            break
    return times


def user(url: str, seed: int, count: int, start: threading.Barrier, results: dict) -> None:
    """One person: their own browser, drawing their own faces with their own seed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser, page = open_seeded_app(playwright, url, seed)
        try:
            plan = stroke_plan(count + WARMUP_STROKES, np.random.default_rng(seed))
            start.wait()
            times = draw_and_time(page, plan, count + WARMUP_STROKES)[WARMUP_STROKES:]
            results[seed] = (times, set(page.evaluate("() => bench.faces")))
        finally:
            browser.close()


def slow_stroke_rate(url: str, duration_s: float = 2.0) -> float:
    """Face images loaded per second while one stroke is drawn slowly over `duration_s`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser, page = open_seeded_app(playwright, url, 0)
        try:
            replay(page, face_strokes()[:1])  # a head outline to draw into; then warm up
            settled_latency(page)
            box = page.locator("#sketch canvas").bounding_box()
            moves = int(duration_s / 0.02)
            page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
            page.mouse.down()
            for i in range(1, moves + 1):
                t = i / moves
                x = 0.3 + 0.4 * t
                y = 0.4 + 0.15 * math.sin(6 * math.pi * t)
                page.mouse.move(box["x"] + box["width"] * x, box["y"] + box["height"] * y)
                time.sleep(0.02)
            page.mouse.up()
            settled_latency(page)
            down, up, loads = page.evaluate("() => [bench.downs.at(-1), bench.ups.at(-1), bench.loads]")
            during = [t for t in loads if down <= t <= up]
            return len(during) / ((up - down) / 1000)
        finally:
            browser.close()


def percentiles(times_s: list[float]) -> str:
    ms = np.asarray(times_s) * 1000
    missed = int(np.isnan(ms).sum())
    ms = ms[~np.isnan(ms)]
    p50, p90 = np.percentile(ms, [50, 90])
    note = f", {missed} without a face" if missed else ""
    return f"p50 {p50:6.1f} ms   p90 {p90:6.1f} ms   (min {ms.min():.1f}, max {ms.max():.1f}, n={len(ms)}{note})"


def run_users(url: str, users: int, strokes: int) -> dict:
    results: dict = {}
    start = threading.Barrier(users)
    threads = [threading.Thread(target=user, args=(url, 100 + i, strokes, start, results)) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(results) != users:
        sys.exit(f"only {len(results)} of {users} browsers finished")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Pen-up → face in headless Chromium, one and several users.")
    parser.add_argument("--strokes", type=int, default=30, help="timed strokes per browser (default 30)")
    parser.add_argument("--users", type=int, default=4, help="browsers drawing at once (default 4)")
    parser.add_argument("--checkpoint", help="model folder or Hub id (default: the app's)")
    args = parser.parse_args(argv)

    print(f"machine: {os.cpu_count()} CPU cores; Chromium headless, software rendering")
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        with running_app(Path(tmp) / "server.log", args.checkpoint) as url:
            ((times, _),) = run_users(url, 1, args.strokes).values()
            print(f"1 browser, pointer-up → face rendered:        {percentiles(times)}")
            print(f"1 browser, refreshes during a 2 s stroke:       {slow_stroke_rate(url):.1f} faces/s")
            results = run_users(url, args.users, args.strokes)
            everyone = [t for times, _ in results.values() for t in times]
            print(f"{args.users} browsers at once, pointer-up → face rendered: {percentiles(everyone)}")
            faces = [f for _, f in results.values()]
            shared = sum(len(a & b) for i, a in enumerate(faces) for b in faces[i + 1 :])
            print(f"{args.users} browsers: faces seen by more than one browser: {shared} (of {sum(map(len, faces))})")


if __name__ == "__main__":
    main()
