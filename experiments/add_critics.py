"""Fork a run with critics it did not have: `python -m experiments.add_critics RUN/checkpoint.pt FORK/checkpoint.pt
P2P_TRAIN_FLAGS...` copies the checkpoint and adds freshly initialised parts (networks and optimisers) for the
critics the flags switch on, e.g. `--lambda-components 1`, so that `p2p.train ... --resume` continues the same
generator and PatchGANs with the new critics beside them (`--resume` refuses a checkpoint without them).

The flags are the fork's whole `p2p.train` command line (`--data`, the architecture, the new weights).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from data_prep.files import atomic_path
from p2p.train import Trainer, parse_args


def main(argv: list[str]) -> None:
    if len(argv) < 3:
        raise SystemExit(__doc__)
    source, target, *flags = argv
    saved = torch.load(source, map_location="cpu", weights_only=True)
    parts = Trainer(parse_args(flags)).parts()
    added = [name for name in parts if name not in saved]
    if not added:
        raise SystemExit(f"{source} already has every part these flags ask for")
    saved |= {name: parts[name].state_dict() for name in added}
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(Path(target)) as temp:
        torch.save(saved, temp)
    print(f"{target}: {source} with fresh {', '.join(added)}")


if __name__ == "__main__":
    main(sys.argv[1:])
