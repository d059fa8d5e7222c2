"""Sketch to face: draw face line art and watch a pix2pix generator turn it into a face, live.

    python app.py    # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT override)

The model is `$SKETCH2FACE_MODEL` (a checkpoint folder or Hub id) or the bundled
checkpoints/sketch2face-celeba/. It is loaded once and shared by all sessions;
each request carries its own drawing and seed, so users never see each other's
results. This file is UI wiring only: the image logic is in `ui.images`, the canvas in `ui.live_canvas`.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no telemetry, no version check

import functools
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from gradio.utils import get_upload_folder

from p2p.inference import FaceGenerator
from p2p.weights import MODEL_ENV_VAR, CheckpointError
from ui import images, memory, seeds
from ui.cache_files import png_in_cache
from ui.live_canvas import SEED_JS, live_canvas

EXAMPLES = sorted((Path(__file__).resolve().parent / "examples").glob("*.png"))
MODEL_SLOT = {"concurrency_id": "model"}  # one generator: its queued events share one slot (default limit 1)
LIVE = {"trigger_mode": "always_last", "show_progress": "hidden"}  # latest value only, no spinner over the canvas
PRIVATE = {"api_visibility": "undocumented"}  # UI events: callable, but /generate is the documented API

INTRO = """# ✏️ Sketch to face
Draw a face with the pen and watch a [pix2pix](https://arxiv.org/abs/1611.07004) generator paint it as you go.
Lines work best: face outline, eyes, brows, nose, mouth and the outline of the hair.
The **noise** slider picks the model's only randomness ({noise}): same drawing + same noise = same face."""

LICENCE = """The generator was trained on CelebA face photos, whose licence allows **non-commercial research use only**;
the generated faces inherit that restriction. The example drawings were made by this project (`examples/`)."""


def _user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Show an unusable upload as a message to the person (gr.Error), not as Gradio's generic error."""

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        try:
            return fn(*args)
        except images.UploadError as err:
            raise gr.Error(str(err), print_exception=False) from err

    return wrapper


def build_demo(generator: FaceGenerator) -> gr.Blocks:
    """The app's UI around one loaded generator."""

    model_turn = threading.Lock()  # server functions skip the queue: one forward pass at a time, not 2 cores / N
    cache = get_upload_folder()  # images are returned as files already there (`ui.cache_files`: why)

    def face(request: dict) -> str:
        """The canvas's server function: the face for its drawing and seed, as a PNG data URL."""
        drawing, seed = images.from_data_url(request["drawing"]), seeds.parse_seed(request["seed"])
        with model_turn:
            face = images.face(generator, drawing, seed)
        return images.to_data_url(face)

    @_user_errors
    def generate(drawing: str | None, seed: int) -> str:
        """The face for a drawing (dark lines on light paper, any size) and a noise seed."""
        return png_in_cache(images.face(generator, images.load_upload(drawing) if drawing else None, seed), cache)

    @_user_errors
    def show_samples(drawing: str | None, seed: int) -> tuple[list[tuple[str, str]], list[int]]:
        sample_seeds = seeds.sample_seeds(seed, 4)
        faces = images.samples(generator, images.from_data_url(drawing) if drawing else None, sample_seeds)
        return [(png_in_cache(face, cache), caption) for face, caption in faces], sample_seeds

    def pick_sample(sample_seeds: list[int], evt: gr.SelectData) -> int:
        return sample_seeds[evt.index]

    @_user_errors
    def use_photo(path: str) -> tuple[np.ndarray, str]:
        photo = images.load_photo(path)
        return photo, png_in_cache(photo, cache, "photo")

    @_user_errors
    def redraw_lines(photo: np.ndarray | None, method: str, *values: float) -> str:
        return gr.skip() if photo is None else images.photo_lines(photo, method, values)

    def show_controls(method: str) -> list:
        return [gr.update(visible=m == method) for m in images.styles_with_controls()]

    with gr.Blocks(title="Sketch to face", analytics_enabled=False, delete_cache=(600, 3600)) as demo:
        noise = "a random latent vector and dropout masks" if generator.model.z_dim else "its dropout masks"
        gr.Markdown(INTRO.format(noise=noise))
        canvas = live_canvas(
            face, images.to_data_url(images.placeholder(generator.size)), 0, generator.size, elem_id="live"
        )
        with gr.Row():
            seed = seeds.seed_slider(0, label="Noise (seed)", elem_id="seed", scale=3)
            with gr.Column(min_width=160):
                dice = gr.Button("🎲 Random noise", size="sm")
                more = gr.Button("Show 4 more samples", size="sm")
        gallery = gr.Gallery(
            label="Samples: click one to keep its noise",
            columns=4,
            height="auto",
            allow_preview=False,
            elem_id="samples",
        )
        sample_seeds = gr.State([])

        example_drawing = gr.Image(type="filepath", visible=False)
        gr.Examples(
            [[str(path)] for path in EXAMPLES],
            inputs=[example_drawing],
            outputs=[canvas],
            fn=images.drawing_url,
            run_on_click=True,
            cache_examples=False,
            label="Example drawings: click one to load it into the canvas",
            elem_id="examples",
        )

        with gr.Accordion("Start from a photo: extract its line drawing, then edit it", open=False):
            photo = gr.State(None)
            with gr.Row():
                photo_file = gr.File(label="Photo", file_types=["image"], type="filepath", height=160, elem_id="photo")
                photo_view = gr.Image(label="Framed face", interactive=False, height=256, buttons=["fullscreen"])
                with gr.Column():
                    method = gr.Radio(images.style_choices(), value=images.PANEL_STYLE, label="Drawing style")
                    sliders, groups = [], []
                    for m in images.styles_with_controls():
                        with gr.Group(visible=m == images.PANEL_STYLE) as group:
                            for c in images.EDGE_CONTROLS[m]:
                                sliders.append(
                                    gr.Slider(c.minimum, c.maximum, value=c.value, step=c.step, label=c.label)
                                )
                        groups.append(group)
        gr.Markdown(LICENCE)

        # The live loop runs in the page (canvas → server function → face); the slider only tells it the seed.
        seed.change(None, seed, None, js=SEED_JS)
        # The documented API: no trigger in the page; gradio_client sends a drawing file and a seed.
        drawing_file = gr.File(label="Drawing", visible=False)
        api_face = gr.Image(label="Face", visible=False)  # `generate` returns a PNG file already in the cache
        gr.on([], generate, [drawing_file, seed], api_face, api_name="generate", **MODEL_SLOT)

        dice.click(seeds.random_seed, None, seed, api_name="random_seed", **PRIVATE)
        more.click(show_samples, [canvas, seed], [gallery, sample_seeds], api_name="samples", **PRIVATE, **MODEL_SLOT)
        gallery.select(pick_sample, sample_seeds, seed, api_name="pick_sample", **PRIVATE)

        # A photo's lines replace the drawing, and so does moving a slider; a bad upload leaves the canvas alone.
        lines = {"fn": redraw_lines, "inputs": [photo, method, *sliders], "outputs": canvas, **LIVE, **PRIVATE}
        upload = photo_file.upload(use_photo, photo_file, [photo, photo_view], api_name="photo", **PRIVATE)
        upload.success(api_name="photo_lines", **lines)
        upload.failure(lambda: None, None, photo_file, api_visibility="private")  # ready for the next try
        gr.on([method.change] + [s.change for s in sliders], api_name="redraw_lines", **lines)
        method.change(show_controls, method, groups, api_name="show_controls", **PRIVATE)
    return demo


SAMPLES_CSS = "#samples .grid-wrap { min-height: 0; }"
"""The samples are one row of four: Gradio's gallery would keep 450 px, an empty band under them, on wide screens."""

PHONE_MARGINS = """<style>
@media (max-width: 640px) {
  .gradio-container .main.app { padding-left: 8px; padding-right: 8px; }
  #live .html-container { padding: 0; }
}
</style>"""
"""On a phone, Gradio's 32-px page margins and the HTML block's padding would leave the canvas 302 of 390 px. A
`<style>` in the page's head, since Gradio scopes `css` to the blocks, inside those margins."""


QUEUE_SIZE = 64
"""Requests that may wait in the queue; one more is told "Queue is full! Please try again." instead of waiting.
Two busy cores answer ~5 `/generate` calls a second, so the last of 64 waits ~15 s (benchmarks/bench_soak.py).
Smaller limits answer fewer faces under overload: every refused call has already uploaded its drawing."""


def launch(demo: gr.Blocks, **kwargs: Any) -> None:
    """Start the server with the app's queue limits, upload cap and CSS; kwargs go to `Blocks.launch` (port...)."""
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)  # 1: the model's events share one slot anyway
    demo.launch(max_file_size=images.MAX_UPLOAD_BYTES, css=SAMPLES_CSS, head=PHONE_MARGINS, **kwargs)


def main() -> None:
    """Load the model once, then serve; without a model, stop here and say how to get one."""
    try:
        generator = FaceGenerator.from_pretrained()
    except CheckpointError as err:
        sys.exit(
            f"Cannot start the app: no generator to load.\n  {err}\n"
            f"Train one (README, 'Train your own model') and copy its generator folder to "
            f"checkpoints/sketch2face-celeba/, or point {MODEL_ENV_VAR} at a checkpoint folder or Hub id:\n"
            f"  {MODEL_ENV_VAR}=runs/my-model/generator python app.py"
        )
    memory.limit_malloc_arenas()  # before the server starts its threads
    launch(build_demo(generator))


if __name__ == "__main__":
    main()
