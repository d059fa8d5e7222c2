"""The noise seed: the generator's only randomness (latent vector, dropout masks), from a slider, the dice or a sample.

Seeds are whole numbers from 0 to MAX_SEED. Whatever sends one (the slider,
the live canvas, or an API client posting raw JSON) gets the same check, so a
NaN, a string or 1.5 is refused with a message instead of failing deep inside
the model or being rounded silently.
"""

from __future__ import annotations

import math
import random
from typing import Any

import gradio as gr

MAX_SEED = 9999


class SeedError(ValueError):
    """A seed that is not a whole number from 0 to MAX_SEED; the message says so."""


def parse_seed(value: object) -> int:
    """`value` as a seed, or `SeedError`: whole numbers in range only (7 and 7.0 pass, 7.5 does not)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SeedError(f"The seed must be a whole number from 0 to {MAX_SEED}, not {value!r}.")
    if value != int(value) or not 0 <= value <= MAX_SEED:
        raise SeedError(f"The seed must be a whole number from 0 to {MAX_SEED}, not {value}.")
    return int(value)


def sample_seeds(seed: int, count: int) -> list[int]:
    """The `count` seeds after `seed` (wrapping at MAX_SEED): other noise for the same drawing."""
    return [(seed + i) % (MAX_SEED + 1) for i in range(1, count + 1)]


def random_seed() -> int:
    """A fresh seed for the dice button."""
    return random.randint(0, MAX_SEED)


def _checked(payload: Any) -> int:
    try:
        return parse_seed(payload)
    except SeedError as err:
        raise gr.Error(str(err), print_exception=False) from err


def seed_slider(value: int = 0, **kwargs: Any) -> gr.Slider:
    """The noise slider; what reaches Python through it (from the page or an API call) passes `parse_seed`.

    Gradio's own slider check lets NaN through and fails on a string with a generic error, so the
    instance's `preprocess` is replaced (a Slider subclass would make Gradio write a .pyi stub here).
    """
    slider = gr.Slider(0, MAX_SEED, value=value, step=1, precision=0, **kwargs)
    slider.preprocess = _checked
    return slider
