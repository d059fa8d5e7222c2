"""Turn a U-Net generator for 2**n px into one for 2**(n-1) px by dropping its innermost level.

A warm start for `p2p.train --size 128 --num-downs 7 --init-from OUT` from the bundled 256-px generator: every
layer keeps its weights but the encoder and decoder blocks of the level just outside the bottleneck (the
bottleneck's own pair is kept), so the 7-level net starts from filters that already draw faces (at twice the
scale) instead of from noise.

    python experiments/drop_innermost_level.py checkpoints/sketch2face-celeba runs/half-res/init
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from safetensors.torch import load_file, save_file


def drop_innermost_level(weights: dict, num_downs: int) -> dict:
    """The state dict of the same U-Net with num_downs - 1 levels: encoder levels 0..n-3 and the innermost
    (no norm) kept, level n-2 dropped; the decoder's innermost kept, the one after it dropped."""
    kept = {}
    for name, tensor in weights.items():
        part, index, rest = re.fullmatch(r"(downs|ups)\.(\d+)\.(.*)", name).groups()
        index = int(index)
        if part == "downs" and index < num_downs - 2:
            kept[name] = tensor
        elif part == "downs" and index == num_downs - 1:
            kept[f"downs.{index - 1}.{rest}"] = tensor
        elif part == "ups" and index == 0:
            kept[name] = tensor
        elif part == "ups" and index >= 2:
            kept[f"ups.{index - 1}.{rest}"] = tensor
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="a generator folder (config.json + model.safetensors)")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    config = json.loads((args.source / "config.json").read_text())
    weights = drop_innermost_level(load_file(args.source / "model.safetensors"), config["num_downs"])
    config["num_downs"] -= 1
    args.out.mkdir(parents=True, exist_ok=True)
    save_file(weights, args.out / "model.safetensors")
    (args.out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    print(f"{args.out}: {config['num_downs']} levels, for {2 ** config['num_downs']} px drawings")


if __name__ == "__main__":
    main()
