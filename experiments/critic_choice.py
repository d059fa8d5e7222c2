"""Best of K faces by a photo critic (discriminator rejection sampling, Azadi et al., ICLR 2019, at test time).

The bundled model's seeds differ in how photo-like their faces are (--quick, seed 0 / 1 / 2: 91.5 / 87.4 /
92.1 %). A critic that tells its faces from photos, trained on the training people only, can choose for each
drawing the most photo-like of K faces; the evaluation's two-sample test, a fresh classifier on held-out people,
then says whether the choice fools a critic that was not used to make it. Nothing is retrained: if this helps,
the cost is K generator passes per face.

    python -m experiments.code_faces cache --data DATA --out runs/codes      # training faces and photos, 64 px
    python -m experiments.critic_choice --data DATA --cache runs/codes/train64.npz --candidates 8
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from torch import nn

from evaluation.realism import SEED_PER_DRAWING, classifier
from experiments.code_faces import scored, small, to_tensor, validation_sets
from p2p.inference import FaceGenerator

CANDIDATE_STRIDE = 100_003  # candidate k of drawing i has seed SEED_PER_DRAWING + i + k * CANDIDATE_STRIDE


def train_critic(cache: Path, steps: int, batch: int = 64) -> nn.Module:
    """The two-sample test's CNN, trained longer on the cached training faces (1) against their photos (0)."""
    arrays = np.load(cache)
    x = torch.cat([to_tensor(arrays["faces"]), to_tensor(arrays["photos"])])
    y = torch.cat([torch.ones(len(arrays["faces"])), torch.zeros(len(arrays["photos"]))])
    torch.manual_seed(0)
    critic = classifier()
    optimiser = torch.optim.Adam(critic.parameters(), lr=1e-3)
    for step in range(steps):
        index = torch.randint(len(x), (batch,))
        images = x[index]
        images = torch.where(torch.rand(batch)[:, None, None, None] < 0.5, images.flip(3), images)
        loss = nn.functional.binary_cross_entropy_with_logits(critic(images).squeeze(1), y[index])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if (step + 1) % 500 == 0:
            print(f"critic step {step + 1}: loss {loss.item():.3f}", flush=True)
    return critic.eval()


def chosen_faces(
    generator: FaceGenerator, critic: nn.Module, drawings: list[np.ndarray], candidates: int
) -> list[np.ndarray]:
    """For drawing i, of the faces with seeds SEED_PER_DRAWING + i + k * CANDIDATE_STRIDE (k < candidates), the
    one the critic finds least generated-looking; candidates=1 gives the evaluation's seed per drawing."""
    chosen = []
    for i, drawing in enumerate(drawings):
        seeds = [SEED_PER_DRAWING + i + k * CANDIDATE_STRIDE for k in range(candidates)]
        faces = generator.generate([drawing] * candidates, seeds)
        with torch.inference_mode():
            scores = critic(to_tensor(np.stack([small(face) for face in faces]))).squeeze(1)
        chosen.append(faces[int(scores.argmin())])
    return chosen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True, help="experiments.code_faces cache output")
    parser.add_argument("--mouse", type=Path, default=Path("tests/data/mouse_drawings"))
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--critic-steps", type=int, default=3000)
    args = parser.parse_args(argv)
    critic = train_critic(args.cache, args.critic_steps)
    generator = FaceGenerator.from_pretrained(None)
    sets = validation_sets(args.data, args.mouse)
    for name, (drawings, groups, photos) in sets.items():
        for candidates in (1, args.candidates):
            faces = chosen_faces(generator, critic, drawings, candidates)
            scored(f"{name}, best of {candidates}", faces, groups, photos)


if __name__ == "__main__":
    main()
