"""Does a generator without the U-Net's outermost skip connections paint big faces better?

The bundled generator copies the drawing's strokes into its last decoder layers through the skips at 128 and 64 px,
and its faces show them: drawn lines traced dark, schematic eyes doubled over painted ones. Sketch-to-face models
without such skips (pix2pix's ResNet generator, pix2pixHD) must redraw every stroke from 32-px features, as parts of
a face. This fine-tunes the bundled model with its `--drop-skips` outermost skips cut: the decoder weights that read
them are zeroed and held at zero (their gradient masked), so the saved generator is a plain `UNetGenerator` that any
loader runs. Every other flag goes to `p2p.train` unchanged.

    python -m experiments.outer_skips --drop-skips 2 --data data/celeba-2000people \\
        --init-from checkpoints/sketch2face-celeba @recipes/sketch2face-celeba.args --gan-mode lsgan --batch-size 2 \\
        --lr 1e-4 --steps 25324 --decay-from 0.5 --workers 1 --sample-every 500 --snapshot-every 1000 --ndf 32 \\
        --out runs/outer-skips/drop2

(the half-width critics' run of `experiments/realism_ablation.sh`, `VARIANTS_RUN=base-d32`, with the skips cut).
"""

from __future__ import annotations

import sys

import torch

import p2p.train
from p2p.model import UNetGenerator


def skip_reading_weights(generator: UNetGenerator, count: int) -> list[tuple[torch.nn.Parameter, int]]:
    """(weight, skip channels) of the decoder convolutions that read the `count` outermost skips (level 0: the
    128-px skip, read by the last block); a block's input is cat([skip, h]), so the skip's channels come first."""
    widths = [generator.downs[0].out_channels] + [down[1].out_channels for down in generator.downs[1:]]
    return [(generator.ups[generator.num_downs - 1 - level][1].weight, widths[level]) for level in range(count)]


def zero_skips(generator: UNetGenerator, count: int) -> None:
    with torch.no_grad():
        for weight, channels in skip_reading_weights(generator, count):
            weight[:channels] = 0


def cut_outer_skips(generator: UNetGenerator, count: int) -> None:
    """Zero the decoder weights that read the `count` outermost skips, and keep them zero through training and
    loading (`--init-from`, `--resume`)."""
    zero_skips(generator, count)
    for weight, channels in skip_reading_weights(generator, count):
        mask = torch.ones_like(weight)
        mask[:channels] = 0
        weight.register_hook(lambda grad, mask=mask: grad * mask.to(grad))
    generator.register_load_state_dict_post_hook(lambda module, _: zero_skips(module, count))


def main(argv: list[str]) -> None:
    if "--drop-skips" not in argv:
        raise SystemExit("--drop-skips N: how many of the outermost skip connections to cut")
    at = argv.index("--drop-skips")
    count, rest = int(argv[at + 1]), argv[:at] + argv[at + 2 :]

    def generator(*args, **kwargs) -> UNetGenerator:
        made = UNetGenerator(*args, **kwargs)
        cut_outer_skips(made, count)
        return made

    p2p.train.UNetGenerator = generator  # the trainer builds its G through this name
    p2p.train.main(rest)


if __name__ == "__main__":
    main(sys.argv[1:])
