"""Is the mouse drawings' hair why their faces fail? Line art with the real hair outline against a guessed cap.

The app's mouse drawings (`examples/face_strokes.py`) give hair as a cap hugging the head, or none; the training
line art drew the real outline of hair and shoulders. This draws each validation photo's line art both ways from
the same landmarks and parameters (`data_prep.lineart.landmark_sketch` with and without the head mask) and scores
the faces (a seed per drawing) against the re-framed photos (`experiments.same_photo_drawings`).

    python -m experiments.hair_cap --data data/celeba-2000people [--checkpoint CKPT] [--out DIR]
"""

from __future__ import annotations

import numpy as np

from data_prep.head import find_head
from data_prep.lineart import landmark_sketch
from experiments.same_photo_drawings import compare


def outline_and_cap(_: np.ndarray, photo: np.ndarray, rng: np.random.Generator) -> list | None:
    head = find_head(photo)
    if head is None:
        return None
    params = {"stroke_width": float(rng.uniform(2, 5)), "variant": float(rng.random())}
    return [landmark_sketch(head.points, 256, mask, **params) for mask in (head.mask, None)]


if __name__ == "__main__":
    compare(__doc__.split("\n\n")[0], ("real hair outline", "guessed cap or none"), outline_and_cap, "hair_cap")
