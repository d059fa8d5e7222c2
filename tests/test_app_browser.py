"""The app in headless Chromium: draw on the live canvas with the mouse, see the face appear and change.

Needs Debian's `chromium` at /usr/bin/chromium (`make test` installs it); Playwright
drives it through `executable_path`, so no browser download is involved.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import cv2
import numpy as np
import pytest
from p2p_testutils import CELEBA, missing_parts, needs_faces

from data_prep.head import find_head
from data_prep.imageio import load_image
from devtools.app_server import CHROMIUM, launch_chromium, open_app
from examples.face_strokes import face_strokes, replay
from ui import images

WAIT_S = 180  # generous: the CPU may be shared with training runs (60 s was not always enough with two)
SETTLE_S = 1.0  # a face is final when the image has not changed for this long

QUEUE_WARNINGS = "ignore::DeprecationWarning:gradio.queueing"  # pandas 3 deprecations inside Gradio
pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.timeout(300),
    pytest.mark.filterwarnings(QUEUE_WARNINGS),
]


PAGE_EVENTS: list[str] = []
"""The browser's console messages and failed requests, for failure messages."""
SERVER_LOG: list[Path] = []


@pytest.fixture(scope="module")
def browser(app_server_log: Path) -> Iterator[object]:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (`apt-get install chromium`, or `make test`)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    SERVER_LOG[:] = [app_server_log]
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


def watched(page: object) -> object:
    """The page, its console messages and failed requests kept for failure messages."""
    page.on("console", lambda message: PAGE_EVENTS.append(f"console {message.type}: {message.text}"))
    page.on("requestfailed", lambda request: PAGE_EVENTS.append(f"failed {request.url}: {request.failure}"))
    return page


@pytest.fixture(scope="module")
def page(browser: object, app_server: str) -> object:
    return watched(open_app(browser, app_server, height=1100, timeout_s=WAIT_S))


def wait_for(condition: Callable[[], object], what: str, state: Callable[[], str] = lambda: "") -> object:
    """`condition()`'s first truthy answer; a timeout names what the page and the app last said (and
    `state()`, what the caller can tell about the page then)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    server_log = SERVER_LOG[0].read_text()[-3000:] if SERVER_LOG and SERVER_LOG[0].is_file() else "(none)"
    page_events = "\n".join(PAGE_EVENTS[-20:]) or "(none)"
    raise AssertionError(
        f"timed out after {WAIT_S} s waiting for {what} {state()}\n"
        f"--- the page's last events:\n{page_events}\n--- the app's output:\n{server_log}"
    )


def settled_face(page: object, other_than: str | None = None) -> str:
    """The face image's src once it differs from `other_than` and has stopped changing."""
    img = page.locator("#face img")

    def settled() -> str | None:
        src = img.get_attribute("src")
        if src == other_than:
            return None
        time.sleep(SETTLE_S)
        return src if img.get_attribute("src") == src else None

    def state() -> str:  # whether the stroke reached the canvas, and what the face's title says
        ink = page.evaluate(
            "() => { const c = document.querySelector('#sketch canvas');"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " let n = 0; for (let i = 0; i < d.length; i += 4) n += d[i] < 128; return n; }"
        )
        return f"(dark canvas pixels: {ink}; face title: {page.locator('#face .title').text_content()!r})"

    return wait_for(settled, "a new face", state)


def set_seed(page: object, seed: int) -> None:
    box = page.locator("#seed input[type=number]")
    box.fill(str(seed))
    box.press("Enter")


PEN_REACHES_CANVAS = """() => {
  const canvas = document.querySelector("#sketch canvas"), box = canvas.getBoundingClientRect();
  return document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2) === canvas;
}"""


def test_drawing_with_the_mouse_makes_a_face_that_follows_the_strokes_undo_and_noise(page):
    # The page is ready (`open_app` waited for #sketch[data-ready]) only once Gradio's loading overlay, which
    # covers the canvas for a moment after load, is gone: a first stroke drawn under it used to be lost.
    assert page.evaluate(PEN_REACHES_CANVAS)
    blank = page.locator("#face img").get_attribute("src")
    np.testing.assert_array_equal(images.from_data_url(blank), images.placeholder(), "blank paper: the placeholder")

    strokes = face_strokes()
    replay(page, strokes[:1])  # the head outline
    head = settled_face(page, blank)
    assert not np.array_equal(images.from_data_url(head), images.placeholder())

    replay(page, strokes[1:])  # hair, brows, eyes, nose, mouth, neck
    whole = settled_face(page, head)

    page.locator("#sketch [data-action=undo]").click()  # back to the face without the last stroke...
    without_last = settled_face(page, whole)
    page.locator("#sketch [data-action=redo]").click()  # ...and forward to the whole face
    assert settled_face(page, without_last) == whole
    for _ in strokes[1:]:
        page.keyboard.press("Control+z")
    assert settled_face(page, whole) == head, "undoing every stroke but the first gives the first stroke's face"
    page.keyboard.press("Control+Shift+z")
    redone = settled_face(page, head)  # redoing one stroke brings a new face

    set_seed(page, 7)  # compared with the face read before, not after: seed 7's face may already be there
    seeded = settled_face(page, redone)
    set_seed(page, 0)
    assert settled_face(page, seeded) == redone, "back to seed 0: the same face, bit for bit"


def test_an_example_loads_into_the_canvas_and_undo_takes_it_back(page):
    page.locator("#sketch [data-action=clear]").click()
    blank = settled_face(page, None)
    np.testing.assert_array_equal(images.from_data_url(blank), images.placeholder())
    page.locator("#examples .gallery-item").first.click()
    example = settled_face(page, blank)
    assert not np.array_equal(images.from_data_url(example), images.placeholder())
    page.keyboard.press("Control+z")
    assert settled_face(page, example) == blank


def test_four_samples_show_in_one_row_and_a_click_keeps_its_noise(page):
    page.locator("#sketch [data-action=clear]").click()
    replay(page, face_strokes())
    settled_face(page, None)
    page.get_by_text("Show 4 more samples").click()
    thumbs = page.locator("#samples .thumbnail-item img")
    wait_for(lambda: thumbs.count() == 4, "four samples")
    boxes = [thumbs.nth(i).bounding_box() for i in range(4)]
    assert len({round(box["y"]) for box in boxes}) == 1, "one row"
    strip = page.locator("#samples .grid-wrap").bounding_box()
    assert strip["height"] < boxes[0]["height"] + 60, "no empty band under the row of samples"

    shown_seed = int(page.locator("#seed input[type=number]").input_value())
    thumbs.nth(2).click()
    wait_for(lambda: int(page.locator("#seed input[type=number]").input_value()) == shown_seed + 3, "the third seed")


@pytest.mark.parametrize("fault", ["dropped", "hung"])
def test_a_face_request_that_fails_is_retried_and_the_page_says_so(page, fault):
    page.locator("#sketch [data-action=clear]").click()
    blank = settled_face(page, None)
    title = page.locator("#face .title")
    # "hung": the route is never answered, so the canvas gives up on it after 30 s (unroute lets it through, late)
    page.route("**/component_server/", lambda route: route.abort() if fault == "dropped" else None)
    try:
        replay(page, face_strokes()[:1])
        wait_for(lambda: "trying again" in title.text_content(), "the title to say the face is being retried")
        assert page.locator("#face img").get_attribute("src") == blank
    finally:
        page.unroute("**/component_server/")  # the network is back: a retry brings the face
    assert settled_face(page, blank) != blank
    assert title.text_content() == "Generated face"


def test_a_drag_that_starts_off_the_canvas_selects_no_text(page):
    start = page.locator("#sketch .title").bounding_box()  # just above the canvas, where a stroke may begin
    page.mouse.move(start["x"] + 5, start["y"] + 5)
    page.mouse.down()
    page.mouse.move(5, 5, steps=10)  # up over the page's title and intro
    page.mouse.up()
    assert page.evaluate("window.getSelection().toString()") == ""


# --- a photo's drawing -----------------------------------------------------------------------------


def canvas_drawing(page: object) -> np.ndarray:
    """The canvas's pixels (gray, at the canvas's size)."""
    url = page.evaluate("() => document.querySelector('#sketch canvas').toDataURL('image/png')")
    return images.from_data_url(url)[:, :, 0]


def at_model_size(drawing: np.ndarray) -> np.ndarray:
    return cv2.resize(drawing, (images.PHOTO_SIZE,) * 2, interpolation=cv2.INTER_AREA)


def new_canvas(page: object, other_than: np.ndarray) -> np.ndarray:
    """The canvas's pixels once they differ from `other_than` and have stopped changing."""

    def settled() -> list[np.ndarray]:  # a list: truthy when found, whatever the pixels
        drawing = canvas_drawing(page)
        if np.array_equal(drawing, other_than):
            return []
        time.sleep(SETTLE_S)
        return [drawing] if np.array_equal(canvas_drawing(page), drawing) else []

    return wait_for(settled, "a new drawing on the canvas")[0]


@needs_faces
def test_a_photo_becomes_a_complete_drawing_and_a_face_a_style_redraws_it_and_undo_takes_it_back(page):
    photo_path = CELEBA / "000161.jpg"  # training's line art leaves out its left brow and nose; never copied here
    framed = images.load_photo(photo_path)
    head = find_head(framed)
    assert head is not None
    page.locator("#sketch [data-action=clear]").click()
    replay(page, face_strokes()[:2])
    before_face = settled_face(page, None)
    before = canvas_drawing(page)

    page.get_by_text("Start from a photo").click()
    page.locator("#photo input[type=file]").set_input_files(str(photo_path))
    drawing = new_canvas(page, before)
    scale = drawing.shape[0] / images.PHOTO_SIZE
    pencil_grey = 200  # a pencil's lines are grey: anything well darker than its paper (~245) is a stroke
    assert missing_parts(drawing, head.points * scale, dark=pencil_grey) == [], "strokes at every part of the face"
    expected = images.photo_to_drawing(framed, images.PANEL_STYLE)
    assert np.abs(at_model_size(drawing).astype(int) - expected).mean() < 8, "the panel's drawing of the photo"
    photo_face = settled_face(page, before_face)
    assert not np.array_equal(images.from_data_url(photo_face), images.placeholder()), "a face, not the placeholder"

    other = "lineart" if images.PANEL_STYLE != "lineart" else "xdog"
    page.get_by_label(images.STYLE_LABELS[other], exact=True).check()
    redrawn = new_canvas(page, drawing)
    same_photo, first = (
        np.abs(at_model_size(redrawn).astype(int) - images.photo_to_drawing(framed, other)).mean(),
        np.abs(at_model_size(redrawn).astype(int) - expected).mean(),
    )
    assert same_photo < 8 < first, f"the same photo in the other style ({same_photo:.1f} vs {first:.1f})"
    line_art = redrawn if other == "lineart" else drawing
    assert missing_parts(line_art, head.points * scale) == [], "the line art has every part"

    page.locator("#sketch [data-action=undo]").click()
    wait_for(lambda: np.array_equal(canvas_drawing(page), drawing), "undo to bring back the first style's drawing")
    page.locator("#sketch [data-action=undo]").click()
    wait_for(lambda: np.array_equal(canvas_drawing(page), before), "undo to bring back the canvas before the upload")
    face = page.locator("#face img")
    wait_for(lambda: face.get_attribute("src") == before_face, "the face of the drawing before the upload")


# --- on a phone ------------------------------------------------------------------------------------


def test_the_toolbar_buttons_are_one_height(page):
    """Gradio's prose styles give every button but a row's last a bottom margin; the toolbar's CSS takes it off."""
    heights = page.evaluate("() => [...document.querySelectorAll('#sketch .tools button')].map(b => b.offsetHeight)")
    assert len(heights) == 7 and len(set(heights)) == 1, heights


def test_on_a_desktop_the_face_is_beside_the_canvas_and_no_thumbnail_covers_it(page):
    canvas, face = page.locator("#sketch canvas").bounding_box(), page.locator("#face img").bounding_box()
    assert face["x"] >= canvas["x"] + canvas["width"] and abs(face["y"] - canvas["y"]) < 40, "side by side"
    assert page.locator("#sketch .thumb").is_hidden()


def inside(box: dict, outer: dict) -> bool:
    return (
        box["x"] >= outer["x"] - 0.5
        and box["y"] >= outer["y"] - 0.5
        and box["x"] + box["width"] <= outer["x"] + outer["width"] + 0.5
        and box["y"] + box["height"] <= outer["y"] + outer["height"] + 0.5
    )


def test_on_a_phone_the_face_stays_in_sight_while_a_finger_draws(browser, app_server, tmp_path):
    page = watched(open_app(browser, app_server, timeout_s=WAIT_S, phone=True))
    try:
        page.evaluate("() => document.querySelector('#sketch .paper').scrollIntoView({block: 'center'})")
        screen = {"x": 0, "y": 0, **page.viewport_size}
        canvas, thumb = page.locator("#sketch canvas"), page.locator("#sketch .thumb")
        box = canvas.bounding_box()
        assert inside(box, screen) and box["width"] > 0.9 * screen["width"], "the canvas spans the phone's width"
        assert page.locator("#face img").bounding_box()["y"] > box["y"] + box["height"], "the face pane wraps below"
        placeholder = thumb.get_attribute("src")

        finger = page.context.new_cdp_session(page)  # touch events, as a finger makes them (Playwright only taps)

        def touch(kind: str, x: float = 0, y: float = 0) -> None:
            points = (
                [] if kind == "touchEnd" else [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]}]
            )
            finger.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        touch("touchStart", 0.3, 0.3)
        for step in range(1, 30):  # down the left cheek, the finger never lifted while the face is checked
            touch("touchMove", 0.3 + step * 0.004, 0.3 + step * 0.015)
            time.sleep(0.05)
        wait_for(lambda: thumb.get_attribute("src") != placeholder, "a face over the canvas during the stroke")
        page.screenshot(path=str(tmp_path / "phone-drawing.png"))
        assert thumb.is_visible() and inside(thumb.bounding_box(), screen) and inside(thumb.bounding_box(), box)
        touch("touchEnd")
        assert canvas_drawing(page).min() < 128, "the finger drew"
        face = page.locator("#face img")
        wait_for(lambda: thumb.get_attribute("src") == face.get_attribute("src"), "the thumbnail to show the face")

        right = thumb.bounding_box()
        touch("touchStart", 0.9, 0.1)  # a stroke under the thumbnail: it moves to the other corner
        touch("touchMove", 0.92, 0.12)
        touch("touchEnd")
        left = thumb.bounding_box()
        assert left["x"] + left["width"] < box["x"] + box["width"] / 2 < right["x"], "the thumbnail made way"
    finally:
        page.context.close()


THUMBNAILS = """() => [...document.querySelectorAll('#samples .thumbnail-item img')].map(img => {
  if (!img.complete) return [img.src, 0, 0];
  if (!img.naturalWidth) return [img.src, -1, 0];
  const canvas = document.createElement('canvas');
  [canvas.width, canvas.height] = [img.naturalWidth, img.naturalHeight];
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let i = 0; i < rgba.length; i++) if (i % 4 !== 3) sum += rgba[i];
  return [img.src, img.naturalWidth, sum];
})"""
"""Each sample thumbnail as shown: its URL, its width once loaded (0 while not, -1 if broken) and its RGB sum."""


def test_people_asking_for_the_same_samples_at_once_all_see_them_whole(page, app_server):
    """The sample strip's faces are files: pages showing the same faces at once each get every file whole."""
    pages = [open_app(page.context.browser, app_server, timeout_s=WAIT_S) for _ in range(4)]
    try:
        for other in pages:
            blank = settled_face(other, None)
            other.locator("#examples .gallery-item").first.click()
            settled_face(other, blank)
        shown: dict[str, tuple[int, int]] = {}
        for seed in (100, 200, 300):
            for other in pages:
                set_seed(other, seed)
            for other in pages:  # as close together as the pages allow
                other.get_by_text("Show 4 more samples").click()
            for other in pages:
                wanted = f"seed {seed + 1}"

                def loaded(other: object = other, wanted: str = wanted) -> list | None:
                    thumbs = other.evaluate(THUMBNAILS)
                    assert all(width >= 0 for _, width, _ in thumbs), f"a broken sample image: {thumbs}"
                    fresh = len(thumbs) == 4 and wanted in other.locator("#samples").inner_text()
                    return thumbs if fresh and all(width for _, width, _ in thumbs) else None

                for src, width, rgb_sum in wait_for(loaded, f"four whole samples for {wanted}"):
                    shown.setdefault(src, (width, rgb_sum))
                    assert shown[src] == (width, rgb_sum), f"{src} differs from page to page"
        for src, (width, rgb_sum) in shown.items():  # each as the server wrote it
            face = load_image(unquote(src.split("/file=", 1)[1]))
            assert (width, rgb_sum) == (face.shape[1], int(face.sum())), src
    finally:
        for other in pages:
            other.close()
