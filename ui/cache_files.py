"""Images handed to Gradio as PNG files in its cache, each written once and never rewritten.

Gradio saves an image that a function returns (a numpy array or PIL image) with
`processing_utils.save_pil_to_cache`: the path is the hash of the encoded bytes,
and the file is rewritten in place (`Path.write_bytes`) every time. Two requests
with the same result (an example drawing at the default seed) share that path,
so one request truncates and rewrites the file while starlette's `FileResponse`
is still sending it to another: that client gets a cut-short body ("Too little
data for declared Content-Length") or an empty file. Returning the path of a
file already in the cache makes Gradio serve it as is, so the app writes it here:
under a temporary name, renamed into place, and only when it is not there yet.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from data_prep.files import atomic_path
from ui.images import to_png


def png_in_cache(image: np.ndarray, cache_dir: str | os.PathLike, name: str = "face") -> str:
    """`image` as `cache_dir/<sha256 of the PNG>/<name>.png`: identical images share one file, written once."""
    png = to_png(image)
    folder = Path(cache_dir) / hashlib.sha256(png).hexdigest()
    path = folder / f"{name}.png"
    if path.exists():
        os.utime(path)  # Gradio's `delete_cache` ages files by ctime: a file handed out again starts a new life
        return str(path)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp:  # a reader sees no file or the whole file, never part of one
        temp.write_bytes(png)
    return str(path)
