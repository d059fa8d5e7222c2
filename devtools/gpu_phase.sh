#!/usr/bin/env bash
# The lent GPU machine's side of devtools/gpu_kit.py: pairs arrive in parts, one call each, then one call trains
# for a fixed time and puts the generator, split into pieces that can come back, in $OUT.
#
#   bash devtools/gpu_phase.sh unpack runs/gpu-pack/part-000.tar   # a carried part into the pairs folder
#   bash devtools/gpu_phase.sh train MINUTES [p2p.train flags]       # $OUT/final: fp16 pieces; $OUT/losses.csv
#   bash devtools/gpu_phase.sh fetch STEP                            # $OUT/step_N: a snapshot's pieces (machine warm)
#
# `train` is the bundled model's GPU phase (model card: --init-from, a fresh discriminator, LSGAN, batch 8,
# lr 1.5e-4), with DiffAugment and a snapshot every 1,000 steps; flags after MINUTES are added (the last of a
# repeated flag wins). A stop at MINUTES is p2p.train's SIGTERM stop: it saves the generator, then exits.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
PAIRS=${PAIRS:-/tmp/gpu-pairs}   # outside the repository: it stays while the machine is warm
RUN=${RUN:-/tmp/gpu-run}
OUT=${OUT:?set by the device tool: the folder whose files come back}

case ${1:-} in
unpack)
    mkdir -p "$PAIRS/train"
    tar -xf "$2" -C "$PAIRS/train"
    echo "$(find "$PAIRS/train" -type f | wc -l) pairs in $PAIRS/train"
    ;;
train)
    minutes=$2
    shift 2
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
    status=0
    timeout -s TERM "${minutes}m" "$PYTHON" -m p2p.train --data "$PAIRS" --out "$RUN" \
        --init-from checkpoints/sketch2face-celeba @recipes/sketch2face-celeba.args --gan-mode lsgan \
        --batch-size 8 --lr 1.5e-4 --steps 1000000 --d-augment --workers 14 --snapshot-every 1000 \
        --sample-every 1000 "$@" || status=$?
    [ "$status" = 0 ] || [ "$status" = 124 ] || exit "$status" # 124: stopped at MINUTES, saved
    "$PYTHON" -m devtools.gpu_kit split "$RUN/generator" "$OUT/final"
    cp "$RUN/losses.csv" "$OUT/"
    ls "$RUN/snapshots" 2>/dev/null || true
    ;;
fetch)
    step=$(printf "step_%07d" "$2")
    "$PYTHON" -m devtools.gpu_kit split "$RUN/snapshots/$step" "$OUT/$step"
    ;;
*)
    echo "usage: $0 unpack PART.tar | train MINUTES [p2p.train flags] | fetch STEP" >&2
    exit 2
    ;;
esac
