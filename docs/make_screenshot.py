"""The README's picture of the app: a face drawn with the mouse on the live canvas, and its samples.

    python docs/make_screenshot.py [--checkpoint DIR_OR_HUB_ID] [--out docs/app.jpg]

Starts `python app.py` (the shipped model unless --checkpoint), opens it in
headless Chromium (Debian's `chromium`), draws the plain face of
`examples/face_strokes.py` stroke by stroke, asks for the four samples and
saves the page as a JPEG. Nothing in it comes from a dataset.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from devtools.app_server import launch_chromium, open_app, running_app  # noqa: E402
from examples.face_strokes import face_strokes, replay  # noqa: E402

SAMPLES = "#samples .thumbnail-item img"
WAIT_S = 120


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"timed out after {WAIT_S} s waiting for {what}")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="model folder or Hub id (default: the app's)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "app.jpg")
    args = parser.parse_args(argv)

    from PIL import Image
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        with running_app(Path(tmp) / "server.log", args.checkpoint) as url:
            browser = launch_chromium(playwright)
            page = open_app(browser, url)
            face = page.locator("#face img")
            blank = face.get_attribute("src")
            replay(page, face_strokes())
            wait_for(lambda: face.get_attribute("src") != blank, "the face")
            time.sleep(2)  # the pen-up face, after the last refresh during the stroke
            page.get_by_text("Show 4 more samples").click()
            wait_for(lambda: page.locator(SAMPLES).count() == 4, "the four samples")
            time.sleep(1)  # the thumbnails' images load
            shot = Path(tmp) / "app.png"
            samples = page.locator("#samples").bounding_box()
            page.screenshot(
                path=str(shot),
                full_page=True,
                clip={"x": 0, "y": 0, "width": 1280, "height": samples["y"] + samples["height"] + 8},
            )
            browser.close()
        Image.open(shot).convert("RGB").save(args.out, quality=85, optimize=True)
    print(f"→ {args.out}")


if __name__ == "__main__":
    main()
