"""Training checkpoints: everything a run needs to continue exactly where it stopped.

`checkpoint.pt` holds the run's position (`TrainState`), its configuration, the
state dicts of the networks, optimisers and grad scaler, and the RNG states, so
that N steps + resume + N steps equals a straight 2N-step run bit for bit. It is
written atomically (a reader or a kill -9 never leaves half a file) and read
with `weights_only=True`: nothing in it is unpickled as code.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from data_prep.files import atomic_path

ARCHITECTURE = ("ngf", "num_downs", "ndf", "d_scales", "norm", "z_dim")
"""Config fields that shape the weights: a resumed run must ask for the same ones."""


class Stateful(Protocol):
    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> Any: ...


@dataclass
class TrainState:
    """Where a run is: the optimiser step, the position inside the current epoch, and the CPU time the
    training process has spent so far, over every resume (what `--cpu-minutes` budgets)."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    cpu_seconds: float = 0.0


class CheckpointReadError(SystemExit):
    """A checkpoint that cannot be resumed; the message says which file and why."""


def save(path: Path, state: TrainState, config: dict[str, Any], parts: dict[str, Stateful]) -> None:
    """Write the checkpoint atomically: `path` is always either the previous or the new checkpoint."""
    payload = {
        **dataclasses.asdict(state),
        "config": config,
        **{name: part.state_dict() for name, part in parts.items()},
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp:
        torch.save(payload, temp)


def load(path: Path, config: dict[str, Any], parts: dict[str, Stateful], defaults: dict[str, Any]) -> TrainState:
    """Restore `parts` and the RNGs from `path`; refuses a missing, unreadable or other-architecture file.

    `defaults` are the config's defaults: a checkpoint written before a field existed was made with them.
    """
    if not path.exists():
        raise CheckpointReadError(f"--resume: no checkpoint at {path}; start without --resume")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a truncated or foreign file: say which and stop
        raise CheckpointReadError(f"--resume: {path} is not a readable training checkpoint ({err})") from err
    architecture = {k: saved["config"].get(k, defaults[k]) for k in ARCHITECTURE}
    asked = {k: config[k] for k in ARCHITECTURE}
    if architecture != asked:
        differ = {k: (architecture[k], asked[k]) for k in ARCHITECTURE if architecture[k] != asked[k]}
        raise CheckpointReadError(f"--resume: {path} was trained with another architecture (saved, asked): {differ}")
    missing = [name for name in parts if name not in saved]
    if missing:
        raise CheckpointReadError(f"--resume: {path} has no {', '.join(missing)} (made with other options?)")
    for name, part in parts.items():
        part.load_state_dict(saved[name])
    torch.set_rng_state(saved["rng_cpu"])
    if saved["rng_cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(saved["rng_cuda"])
    return TrainState(saved["step"], saved["epoch"], saved["batch_in_epoch"], saved.get("cpu_seconds", 0.0))
