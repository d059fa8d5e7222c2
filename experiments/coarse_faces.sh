#!/usr/bin/env bash
# Can a generator that only paints 64-px faces pass the realism test? The test judges faces at 64 px and finds
# them by their shading and layout, not their texture (docs/experiments.md, "What the evaluation itself
# taught"); a 256-px generator fine-tuned on the CPU at batch 2 sees too few pairs for its critics to learn
# that. At 64 px a step costs a sixteenth of the pixels, so the CPU trains from scratch, at batch 8, for many
# epochs, with critics (two PatchGANs, at 64 and 32 px) that see the whole face. If its faces beat the bundled
# model's realism, a second stage that paints 256 px over them is the next step (pix2pixHD's coarse-to-fine).
#
#   DATA=/work/data/celeba-2000people bash experiments/coarse_faces.sh train      # resumes after any interruption
#   DATA=/work/data/celeba-2000people bash experiments/coarse_faces.sh evaluate   # the snapshots so far, meanwhile
#   STEPS=20 SNAPSHOT_EVERY=10 EVAL_ARGS="--quick --limit 20 --splits 1" bash experiments/coarse_faces.sh train
#
# The run keeps a snapshot every SNAPSHOT_EVERY steps in $OUT/snapshots/; `evaluate` scores each one once
# ($OUT/evals/step_N/metrics.json; compare with `python -m evaluation.scoreboard runs/ablation/evals/shipped ...`).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
DATA=${DATA:-data/celeba-combined}
OUT=${OUT:-runs/coarse64/a}
STEPS=${STEPS:-100000} SNAPSHOT_EVERY=${SNAPSHOT_EVERY:-2000}
THREADS=${THREADS:-1}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} # threads that wait sleep: a test or evaluation beside a run no longer stalls it
EVAL_ARGS=${EVAL_ARGS:---quick}

case ${1:-} in
train)
  resume=()
  [ -f "$OUT/checkpoint.pt" ] && resume=(--resume)
  OMP_NUM_THREADS=$THREADS "$PYTHON" -m p2p.train --data "$DATA" --out "$OUT" --size 64 --num-downs 6 --ngf 64 \
    --ndf 64 --d-scales 2 --lambda-fm 10 --ema 0.999 --z-dim 8 --lambda-ms 1 --gan-mode lsgan --d-augment \
    --batch-size 8 --lr 2e-4 --steps "$STEPS" --decay-from 0.5 --workers 1 --seed 0 --sample-every 1000 \
    --snapshot-every "$SNAPSHOT_EVERY" "${resume[@]}"
  ;;
evaluate)
  OUT=$OUT DATA=$DATA EVAL_ARGS=$EVAL_ARGS PYTHON=$PYTHON bash experiments/evaluate_snapshots.sh
  ;;
*)
  echo "usage: bash experiments/coarse_faces.sh train|evaluate" >&2
  exit 2
  ;;
esac
