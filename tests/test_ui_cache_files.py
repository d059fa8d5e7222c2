"""ui.cache_files: the app's images reach Gradio as PNG files that are written once and never rewritten."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from data_prep.imageio import load_image
from ui.cache_files import png_in_cache


def test_an_image_becomes_a_lossless_png_named_by_its_content(tmp_path):
    face = np.random.default_rng(0).integers(0, 256, (64, 48, 3), dtype=np.uint8)
    path = Path(png_in_cache(face, tmp_path))
    assert path.parent.parent == tmp_path and path.name == "face.png"
    np.testing.assert_array_equal(load_image(path), face)
    assert Path(png_in_cache(face[::-1], tmp_path)).parent != path.parent, "another image, another folder"


def test_the_same_image_again_reuses_the_file_without_rewriting_it(tmp_path):
    face = np.full((32, 32, 3), 120, np.uint8)
    first = Path(png_in_cache(face, tmp_path))
    first.write_bytes(b"the bytes a download in progress is reading")  # a rewrite would replace these
    os.utime(first, (0, 0))
    assert png_in_cache(face.copy(), tmp_path) == str(first)
    assert first.read_bytes() == b"the bytes a download in progress is reading"
    assert first.stat().st_mtime > 0, "touched: Gradio's delete_cache counts its age from now"
    assert [p.name for p in first.parent.iterdir()] == ["face.png"], "no staging file left behind"
