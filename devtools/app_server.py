"""Run the app as a person does (`python app.py`) on a free local port, and open it in Chromium.

The one place that starts the server, waits until it answers and stops it,
so a test, a benchmark and the evaluation-set script all measure the same app.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from p2p.weights import MODEL_ENV_VAR

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 180  # generous: importing torch and gradio on a busy two-core machine is slow


class AppServerError(RuntimeError):
    """The app did not start; the message holds its log."""


def free_port() -> int:
    """A local TCP port nobody listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    """Whether the app's page loads at `url`."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def running_app(
    log: Path, model: str | os.PathLike | None = None, port: int | None = None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """`python app.py` on 127.0.0.1:`port` (default: a free one), output to `log`; yields its URL, then stops it.

    `model` is a checkpoint folder or Hub id (default: the app's own choice); `env` adds variables.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), **(env or {})}
    if model is not None:
        env[MODEL_ENV_VAR] = str(model)
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "app.py"], cwd=REPO_ROOT, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not answers(url):
            if server.poll() is not None:
                raise AppServerError(f"app.py exited with code {server.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise AppServerError(f"app.py did not answer at {url} within {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium: Playwright drives it through `executable_path`, so no browser is downloaded."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def launch_chromium(playwright: object) -> object:
    """Headless Debian Chromium from a `sync_playwright()` instance."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


CANVAS_READY = "#sketch[data-ready] canvas"
"""The live canvas once its script listens to the pen: the canvas shows a moment earlier, and a stroke
drawn in that moment is lost (and selects the page's text instead)."""


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
"""A phone's browser (an iPhone 12-14 sized screen, touch), for `open_app(..., phone=True)`."""


def open_app(browser: object, url: str, height: int = 1000, timeout_s: float = 60, phone: bool = False) -> object:
    """A new 1280-pixel-wide page on the app at `url` (or a phone's, `PHONE`), once the canvas takes strokes.

    `timeout_s` becomes the page's default timeout for every later wait, too.
    """
    page = (
        browser.new_context(**PHONE).new_page()
        if phone
        else browser.new_page(viewport={"width": 1280, "height": height})
    )
    page.set_default_timeout(timeout_s * 1000)
    page.goto(url)
    page.locator(CANVAS_READY).wait_for(state="visible")
    return page
