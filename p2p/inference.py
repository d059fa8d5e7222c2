"""Drawing in, face out: the inference API used by `p2p.infer`, `evaluation.evaluate` and the app.

`FaceGenerator` holds one loaded generator and no other state, so one instance
can serve many users at once: every call brings its own drawing and seed, and
the seed alone decides the noise: the latent vector and the dropout masks (see `UNetGenerator.forward`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from PIL import Image

from data_prep.augment import LINE_LEVEL
from data_prep.edges import to_gray
from data_prep.imageio import to_rgb
from p2p.degrid import remove_grid
from p2p.grade import ColourGrade, GradeError, load_grade
from p2p.model import UNetGenerator, with_phase_decoder
from p2p.tensors import cpu_has_bf16, drawing_to_tensor, tensor_to_image
from p2p.weights import CheckpointError, checkpoint_folder, load_generator

ImageLike = Image.Image | np.ndarray
MIN_INK_PIXELS = 20  # fewer stroke pixels than this at 256×256 is a blank canvas


def prepare_drawing(image: ImageLike, size: int = 256) -> np.ndarray:
    """Any drawing → the generator's input convention: size×size uint8, dark lines on white.

    Handles every image mode `to_rgb` does (transparent backgrounds become white),
    white-on-black strokes (inverted when most of the picture is dark), grey paper
    (the paper's brightness is stretched to white) and any aspect ratio (padded
    with white to a square, so the face is not distorted).
    """
    gray = to_gray(to_rgb(image))
    if np.median(gray) < 128:
        gray = 255 - gray
    paper = float(np.percentile(gray, 90))
    if paper > 0:
        gray = np.clip(gray.astype(np.float32) * (255.0 / paper), 0, 255).astype(np.uint8)
    h, w = gray.shape
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    gray = cv2.copyMakeBorder(gray, top, side - h - top, left, side - w - left, cv2.BORDER_CONSTANT, value=255)
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(gray, (size, size), interpolation=interpolation)


def is_blank(drawing: np.ndarray) -> bool:
    """True for a prepared drawing with (almost) no strokes: nothing to turn into a face."""
    scale = (256 * 256) / drawing.size
    return np.count_nonzero(drawing < LINE_LEVEL) * scale < MIN_INK_PIXELS


@dataclass(frozen=True)
class Drawing:
    """A drawing in the generator's input convention: `pixels` is size×size uint8, dark lines on white."""

    pixels: np.ndarray

    @property
    def blank(self) -> bool:
        """(Almost) no strokes: nothing to turn into a face."""
        return is_blank(self.pixels)


def default_device() -> torch.device:
    """CUDA when there is a GPU, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


PRECISIONS = ("auto", "fp32", "bf16")


def inference_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The dtype of the weights and activations for `precision` on `device` (None: plain fp32). "auto" takes
    bf16 where the hardware runs it fast: about half the CPU time per face, and pixels change by well under
    1/255 on average (benchmarks/bench_inference.py measures both)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return torch.bfloat16 if device.type == "cpu" and cpu_has_bf16() else None


class FaceGenerator:
    """A loaded generator ready for drawings; thread-safe (no state changes after loading).

    The one path: `prepare(image)` → `Drawing` (check `.blank` if an empty canvas needs other
    handling), then `generate(drawings, seeds)` → faces. `generate` also takes raw images.
    """

    def __init__(
        self,
        model: UNetGenerator,
        device: str | torch.device | None = None,
        precision: str = "auto",
        degrid: bool = True,
        grade: ColourGrade | None = None,
    ) -> None:
        self.device = torch.device(device) if device else default_device()
        self.degrid = degrid  # remove the decoder's 2-px grid from every face (`p2p.degrid`)
        self.grade = grade  # then give it a photo's colour contrast (`p2p.grade`)
        self.dtype = inference_dtype(precision, self.device)
        # `model` is changed in place: its weights are stored in the inference dtype (autocast would cast
        # them on every call) and its decoder computed phase by phase (the same function, faster on CPUs).
        dtype = self.dtype or torch.float32
        self.model = with_phase_decoder(model).to(self.device, dtype=dtype).eval()
        self.size = 2**model.num_downs

    @classmethod
    def from_pretrained(
        cls,
        source: str | os.PathLike | None = None,
        device: str | None = None,
        precision: str = "auto",
        degrid: bool = True,
        grade: bool = True,
    ) -> FaceGenerator:
        """Load from a checkpoint folder or Hub id; None means the default model (see `p2p.weights`). With
        `grade`, the checkpoint's colour grade (`colour_grade.json`) is applied to every face, if it has one."""
        device = torch.device(device) if device else default_device()
        folder = checkpoint_folder(source)
        try:
            colour_grade = load_grade(folder) if grade else None
        except GradeError as err:
            raise CheckpointError(str(err)) from err
        return cls(load_generator(folder, device=device), device, precision, degrid, colour_grade)

    def prepare(self, image: ImageLike | Drawing) -> Drawing:
        """Any drawing (image or array) in the generator's input convention; a `Drawing` passes through."""
        return image if isinstance(image, Drawing) else Drawing(prepare_drawing(image, self.size))

    @torch.inference_mode()
    def generate(self, drawings: Sequence[ImageLike | Drawing], seeds: Sequence[int]) -> list[np.ndarray]:
        """One size×size×3 uint8 face per (drawing, seed), in one forward pass.

        The same drawing and seed always give the same face, whatever else is in the batch.
        """
        if len(drawings) != len(seeds):
            raise ValueError(f"got {len(drawings)} drawings and {len(seeds)} seeds")
        batch = torch.stack([drawing_to_tensor(self.prepare(d).pixels) for d in drawings])
        batch = batch.to(self.device, dtype=self.dtype or torch.float32)
        faces = [tensor_to_image(f) for f in self.model(batch, seeds=[int(s) for s in seeds])]
        if self.degrid:
            faces = [remove_grid(f) for f in faces]
        return [self.grade(f) for f in faces] if self.grade is not None else faces
