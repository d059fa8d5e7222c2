"""The live canvas: a plain `<canvas>` and the face beside it, built with Gradio's own gr.HTML.

Why not gr.Sketchpad: its every stroke costs component-server calls, two PNG
uploads, a queue round trip and a file download (1.6 s from pen-up to face on
two cores). Here the page sends the 256-pixel drawing as a data URL straight to
a Python server function and shows the data URL it returns (tens of ms).
The drawing logic is `live_canvas.js`, the look `live_canvas.css`.

On a phone the face pane wraps below the canvas, out of sight while a finger
draws; there a thumbnail of the face (`.thumb`) sits over a top corner of the
canvas, moving to the other corner when the pen comes under it. Wider screens
never show it, so the desktop layout is the two panes side by side.

Hooks for other components and for tests: the drawing surface is the `<canvas>`
in `#sketch`, the face the `<img>` in `#face` (and `#sketch .thumb` on a phone);
`props.value` carries drawings into the canvas (and holds the current one);
`SEED_JS` tells it a new seed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import gradio as gr

HERE = Path(__file__).resolve().parent
CANVAS_SIDE = 512
"""Canvas pixels: twice the model's input, so strokes look smooth; the page halves the drawing before sending it."""
PENS = (("Fine", 3), ("Pen", 4), ("Bold", 8))
"""Pen widths in canvas pixels; the canvas is twice the model's 256, so the default pen draws 2-pixel lines there."""
DEFAULT_PEN = "Pen"
ERASER_WIDTH = 28

TEMPLATE = """
<div class="live">
  <div id="sketch" class="pane">
    <span class="title">Your drawing</span>
    <div class="tools" role="toolbar" aria-label="Drawing tools">
      {pens}
      <button type="button" data-width="{eraser}" data-eraser="1" aria-pressed="false">Eraser</button>
      <span class="gap"></span>
      <button type="button" data-action="undo" title="Undo (Ctrl+Z)">↶ Undo</button>
      <button type="button" data-action="redo" title="Redo (Ctrl+Shift+Z)">↷ Redo</button>
      <button type="button" data-action="clear">Clear</button>
    </div>
    <div class="paper">
      <canvas width="{side}" height="{side}" aria-label="Drawing canvas: draw a face with the pen"></canvas>
      <img class="thumb" alt="" aria-hidden="true" src="${{placeholder}}">
    </div>
  </div>
  <div id="face" class="pane">
    <span class="title" aria-live="polite">Generated face</span>
    <img alt="The face generated from your drawing" src="${{placeholder}}">
    <a href="${{placeholder}}" download="sketch2face.png">⬇ Download the face</a>
  </div>
</div>
"""


def _template() -> str:
    pens = "\n".join(
        f'<button type="button" data-width="{width}" aria-pressed="{str(name == DEFAULT_PEN).lower()}">{name}</button>'
        for name, width in PENS
    )
    return TEMPLATE.format(pens=pens, eraser=ERASER_WIDTH, side=CANVAS_SIDE)


def live_canvas(
    face: Callable[[dict], str], placeholder: str, seed: int, model_side: int = 256, **kwargs: object
) -> gr.HTML:
    """The canvas and face; `face({"drawing": data URL, "seed": int})` returns the face's data URL.

    `placeholder` (a data URL) is shown until the first face, `seed` is the slider's start value,
    and drawings are sent at `model_side` pixels (the generator's input).
    """
    return gr.HTML(
        value=None,
        html_template=_template(),
        css_template=(HERE / "live_canvas.css").read_text(),
        js_on_load=(HERE / "live_canvas.js").read_text(),
        server_functions=[face],
        placeholder=placeholder,
        seed=seed,
        model_side=model_side,
        **kwargs,
    )


SEED_JS = "(seed) => { document.getElementById('sketch').dispatchEvent(new CustomEvent('seed', {detail: seed})); }"
"""A js-only event handler that hands the slider's value to the canvas (no round trip to Python)."""
