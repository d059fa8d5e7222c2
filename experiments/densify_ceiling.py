"""How much could a two-stage pipeline (sparse line art → a dense sketch → the face) gain at best?

DeepPS-style pipelines first turn a sparse drawing into a dense one. A perfect first stage would hand the generator
the pencil sketch or XDoG edges of the very photo the line art was drawn from. This scores the faces from each
validation line art drawing and from those two ideal dense drawings of the same re-framed photo (a seed per
drawing, the same seed for all three) against the re-framed photos (`experiments.same_photo_drawings`): the gap
is the most such a stage can buy.

    python -m experiments.densify_ceiling --data data/celeba-2000people [--checkpoint CKPT] [--out DIR]
"""

from __future__ import annotations

import numpy as np

from data_prep.edges import NoFaceFound, extract_edges
from experiments.same_photo_drawings import compare


def line_art_and_ideal_sketches(drawing: np.ndarray, photo: np.ndarray, _: np.random.Generator) -> list | None:
    try:
        pencil = extract_edges(photo, "pencil")
    except NoFaceFound:
        return None
    return [drawing, pencil, extract_edges(photo, "xdog")]


if __name__ == "__main__":
    names = ("line art", "pencil sketch of its photo", "XDoG of its photo")
    compare(__doc__.split("\n\n")[0], names, line_art_and_ideal_sketches, "densify_ceiling")
