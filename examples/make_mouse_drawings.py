"""Draw the evaluation set of mouse drawings by driving the real app's canvas in headless Chromium.

Each drawing is one face from `face_strokes` (random proportions, positions,
sizes, stroke styles and missing parts), drawn stroke by stroke with the mouse
on the live canvas, and saved as the page sends it to the model: 256×256,
black on white. They are this project's own drawings (no photo involved), so
they live in the repository as test data.

    python examples/make_mouse_drawings.py [--count 48] [--out tests/data/mouse_drawings]
"""

from __future__ import annotations

import argparse
import base64
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from devtools.app_server import launch_chromium, open_app, running_app  # noqa: E402
from examples.face_strokes import face_strokes, replay  # noqa: E402

EXPORT = """() => {
  const canvas = document.querySelector('#sketch canvas'), small = document.createElement('canvas');
  small.width = small.height = 256;
  const ctx = small.getContext('2d');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(canvas, 0, 0, 256, 256);
  return small.toDataURL('image/png');
}"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=48, help="drawings to make (default 48)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "tests" / "data" / "mouse_drawings")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "server.log") as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = open_app(browser, url)
        for i in range(args.count):
            page.locator("#sketch [data-action=clear]").click()
            replay(page, face_strokes(np.random.default_rng(i)), steps=2)
            png = base64.b64decode(page.evaluate(EXPORT).partition(",")[2])
            gray = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
            path = args.out / f"mouse-{i:03d}.png"
            cv2.imwrite(str(path), gray, [cv2.IMWRITE_PNG_COMPRESSION, 9])
            print(path)
        browser.close()


if __name__ == "__main__":
    main()
