"""Average generators' weights (a "model soup", Wortsman et al. ICML 2022; WiSE-FT, CVPR 2022).

Every CPU fine-tune of the bundled generator keeps the person better and loses realism. Fine-tunes of one
model stay in its basin, so points on the line between them are generators too, and averaging removes
what each run learnt by chance. This writes such a point for `evaluation.evaluate` to score:

    python -m experiments.weight_soup runs/soup/half checkpoints/sketch2face-celeba runs/ablation/base/generator
    python -m experiments.weight_soup runs/soup/a25 checkpoints/sketch2face-celeba:3 runs/ablation/base/generator:1

Each source is a generator folder (`config.json` + `model.safetensors`, all with the same config), optionally
with `:weight`; weights are normalised to sum to 1, equal when none are given. The soup is saved in fp16.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from p2p.weights import CONFIG_NAME, WEIGHTS_NAME, check_checkpoint


def parse_source(text: str) -> tuple[Path, float]:
    """'folder' or 'folder:weight'."""
    folder, _, weight = text.rpartition(":") if ":" in text else (text, "", "1")
    return Path(folder), float(weight)


def soup(sources: list[tuple[Path, float]]) -> dict[str, torch.Tensor]:
    """The weighted average of the sources' tensors, in fp32."""
    configs = {json.dumps(json.loads((folder / CONFIG_NAME).read_text()), sort_keys=True) for folder, _ in sources}
    if len(configs) != 1:
        raise SystemExit("the generators differ in config.json; only one architecture can be averaged")
    total = sum(weight for _, weight in sources)
    averaged: dict[str, torch.Tensor] = {}
    for folder, weight in sources:
        for name, tensor in load_file(folder / WEIGHTS_NAME).items():
            averaged[name] = averaged.get(name, 0) + tensor.float() * (weight / total)
    return averaged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("sources", nargs="+", help="generator folders, each optionally with :weight")
    args = parser.parse_args()
    sources = [parse_source(text) for text in args.sources]
    for folder, _ in sources:
        check_checkpoint(folder)
    tensors = soup(sources)
    args.out.mkdir(parents=True, exist_ok=True)
    save_file({name: tensor.half().contiguous() for name, tensor in tensors.items()}, args.out / WEIGHTS_NAME)
    shutil.copyfile(sources[0][0] / CONFIG_NAME, args.out / CONFIG_NAME)
    print(f"{args.out}: {' + '.join(f'{w:g} × {f}' for f, w in sources)}")


if __name__ == "__main__":
    main()
