#!/usr/bin/env bash
# Score each snapshot of a run once: $OUT/snapshots/step_N → $OUT/evals/step_N/metrics.json, with
# `evaluation.evaluate --data $DATA $EVAL_ARGS`. Called by the run scripts' `evaluate` step; compare the results
# with `python -m evaluation.scoreboard runs/ablation/evals/shipped $OUT/evals/step_*`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
: "${OUT:?OUT is the run folder}" "${DATA:?DATA is the dataset the run trains on}"
EVAL_ARGS=${EVAL_ARGS:---quick}

for snapshot in "$OUT"/snapshots/step_*; do
  [ -d "$snapshot" ] || continue
  eval_dir=$OUT/evals/$(basename "$snapshot")
  [ -f "$eval_dir/metrics.json" ] && continue
  # shellcheck disable=SC2086  # EVAL_ARGS is a list of flags
  "$PYTHON" -m evaluation.evaluate --data "$DATA" --checkpoint "$snapshot" --out "$eval_dir" $EVAL_ARGS
done
