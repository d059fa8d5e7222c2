"""The server's memory: flat under load, however many requests it has served."""

from __future__ import annotations

import ctypes
import os

MALLOC_ARENAS = 2
"""glibc gives each of Gradio's worker threads its own malloc arena, which keeps what it frees: under 16 clients the
server grew from 510 MB after a minute to 650 MB after ten. With 2 arenas it stays at ~445 MB, as fast
(benchmarks/bench_soak.py)."""


def limit_malloc_arenas() -> None:
    """`MALLOC_ARENA_MAX=MALLOC_ARENAS` for this process (a variable set by hand wins); nothing off glibc."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        glibc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    glibc.mallopt(-8, MALLOC_ARENAS)  # -8: M_ARENA_MAX in malloc.h
