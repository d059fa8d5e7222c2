#!/usr/bin/env bash
# Faces painted at 128 px. The realism test judges faces at 64 px, and a CPU step at 128 px costs about a third
# of one at 256 px (1.4 against 0.45 steps/s at batch 8, two threads), so the CPU shows the critics three times
# as many pairs an hour. The 7-level U-Net starts from the bundled generator with its innermost level dropped
# (experiments/drop_innermost_level.py: 95.5 % two-sample before training, as a face-like start), and trains
# with the bundled model's losses and its GPU phase's batch, DiffAugment for the many epochs ahead.
#
#   DATA=/work/data/celeba-2000people bash experiments/half_resolution.sh train      # resumes after any interruption
#   DATA=/work/data/celeba-2000people bash experiments/half_resolution.sh evaluate   # the snapshots so far
#
# A variant forks the run: copy its checkpoint.pt into a new OUT and resume there with other losses, e.g.
#   mkdir -p runs/half-res/l10 && cp runs/half-res/a/checkpoint.pt runs/half-res/l10/
#   OUT=runs/half-res/l10 LAMBDA_L1=10 DATA=... bash experiments/half_resolution.sh train
# or with further trainer flags, e.g. critics the run did not have (experiments/add_critics.py adds them fresh):
#   .venv/bin/python -m experiments.add_critics runs/half-res/a/checkpoint.pt runs/half-res/comp/checkpoint.pt \
#     --data ... --out runs/half-res/comp --size 128 --num-downs 7 --ngf 32 --d-scales 2 --z-dim 8 --lambda-components 1
#   OUT=runs/half-res/comp FLAGS="--lambda-components 1" DATA=... bash experiments/half_resolution.sh train
#
# Snapshots every SNAPSHOT_EVERY steps in $OUT/snapshots/; `evaluate` scores each once with EVAL_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
DATA=${DATA:-data/celeba-combined}
OUT=${OUT:-runs/half-res/a}
STEPS=${STEPS:-40000} SNAPSHOT_EVERY=${SNAPSHOT_EVERY:-2000}
THREADS=${THREADS:-2}
LAMBDA_L1=${LAMBDA_L1:-100} # the pull to the photo (the bundled model's: 100)
read -r -a FLAGS <<< "${FLAGS:-}" # further p2p.train flags for a fork
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
EVAL_ARGS=${EVAL_ARGS:---quick}

case ${1:-} in
train)
  init=$(dirname "$OUT")/init
  [ -f "$init/model.safetensors" ] || "$PYTHON" experiments/drop_innermost_level.py checkpoints/sketch2face-celeba "$init"
  resume=()
  [ -f "$OUT/checkpoint.pt" ] && resume=(--resume)
  OMP_NUM_THREADS=$THREADS "$PYTHON" -m p2p.train --data "$DATA" --out "$OUT" --init-from "$init" --size 128 \
    --num-downs 7 @recipes/sketch2face-celeba.args --lambda-l1 "$LAMBDA_L1" --gan-mode lsgan --d-augment \
    --batch-size 8 --lr 2e-4 --steps "$STEPS" --decay-from 0.5 --workers 1 --sample-every 500 --snapshot-every "$SNAPSHOT_EVERY" "${resume[@]}" "${FLAGS[@]}"
  ;;
evaluate)
  OUT=$OUT DATA=$DATA EVAL_ARGS=$EVAL_ARGS PYTHON=$PYTHON bash experiments/evaluate_snapshots.sh
  ;;
*)
  echo "usage: bash experiments/half_resolution.sh train|evaluate" >&2
  exit 2
  ;;
esac
