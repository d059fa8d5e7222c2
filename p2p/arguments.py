"""argparse types the command-line tools share (`p2p.infer`, `evaluation.compare`, `evaluation.evaluate`), so a
seed or a count is checked alike everywhere and a bad one is refused with a one-line message."""

from __future__ import annotations

import argparse

MAX_SEED = 2**63 - 1
"""torch.Generator.manual_seed takes any int64 >= 0 (and a few more): seeds are 0..MAX_SEED."""


def count(text: str) -> int:
    """argparse type: a whole number >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: must be at least 1")
    return value


def seed(text: str) -> int:
    """argparse type: a seed in 0..MAX_SEED."""
    value = int(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text}: seeds run from 0 to {MAX_SEED}")
    return value


def seeds(text: str) -> list[int]:
    """argparse type: comma-separated seeds (`seed` each), at least one."""
    values = [seed(part) for part in text.split(",") if part.strip()]
    if not values:
        raise argparse.ArgumentTypeError(f"{text!r}: give at least one seed, like 0,1,2")
    return values
