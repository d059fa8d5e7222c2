"""The app in headless Chromium: draw on the canvas with the mouse, see the face appear and change.

Needs Debian's `chromium` at /usr/bin/chromium (`make test` installs it); Playwright
drives it through `executable_path`, so no browser download is involved.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from p2p import canvas

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_S = 60  # generous: the CPU may be shared with training

QUEUE_WARNINGS = "ignore::DeprecationWarning:gradio.queueing"  # pandas 3 deprecations inside Gradio
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300), pytest.mark.filterwarnings(QUEUE_WARNINGS)]


@pytest.fixture(scope="module")
def page(app_server: str) -> Iterator[object]:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (`apt-get install chromium`, or `make test`)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.set_default_timeout(WAIT_S * 1000)
            page.goto(app_server)
            yield page
        finally:
            browser.close()


def wait_for(condition: Callable[[], object], what: str) -> object:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out after {WAIT_S} s waiting for {what}")


def test_drawing_with_the_mouse_makes_a_face_appear_and_change(page):
    face_img = page.locator("#face img")
    sketch = page.locator("#sketch canvas").first
    sketch.wait_for(state="visible")
    page.locator("#sketch").get_by_text("%").first.wait_for()  # the zoom level shows once the editor is ready

    def face() -> np.ndarray:
        body = page.request.get(face_img.get_attribute("src")).body()
        return cv2.cvtColor(cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    blank_src = face_img.get_attribute("src")
    np.testing.assert_array_equal(face(), canvas.placeholder(), "a blank canvas shows the placeholder")

    box = sketch.bounding_box()
    side = min(box["width"], box["height"])
    left, top = box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2

    def stroke(points: list[tuple[float, float]]) -> None:
        """Drag the pen through points given as fractions of the canvas."""
        page.mouse.move(left + points[0][0] * side, top + points[0][1] * side)
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(left + x * side, top + y * side)
        page.mouse.up()

    head = [(0.5 + 0.25 * np.sin(t), 0.5 - 0.32 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 13)]
    stroke(head)
    head_src = wait_for(lambda: (s := face_img.get_attribute("src")) != blank_src and s, "the first stroke's face")
    with_head = face()
    assert with_head.shape == (256, 256, 3) and not np.array_equal(with_head, canvas.placeholder())

    stroke([(0.38, 0.45), (0.45, 0.44)])  # an eye
    stroke([(0.55, 0.44), (0.62, 0.45)])  # the other
    wait_for(lambda: face_img.get_attribute("src") not in (blank_src, head_src), "the face to follow the new strokes")
    assert not np.array_equal(face(), with_head)
