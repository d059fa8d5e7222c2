#!/usr/bin/env bash
# The recipe of the bundled model, checkpoints/sketch2face-celeba: build the data, train (a CPU phase, then an
# optional GPU fine-tune), publish, evaluate. It runs in the virtual environment (.venv/bin/python, or PYTHON=...);
# every path, also those given in the variables below, is relative to the repository root:
#
#   bash recipes/sketch2face-celeba.sh          # the whole recipe: ~8.5 h on a 2-core CPU, ~3 min on one H100
#   GPU=0 bash recipes/sketch2face-celeba.sh    # the CPU phase only: its generator is published instead
#   STEPS=2 bash recipes/sketch2face-celeba.sh  # a quick check of every stage on 40 photos, in a temporary folder
#
# Run it again after an interruption (Ctrl-C, a lost session): the build resumes, each training phase goes on
# from its checkpoint.pt, and finished phases are skipped. The GPU phase runs when PyTorch sees CUDA (GPU=1 runs
# it anyway, on whatever device there is). Publishing replaces model.safetensors, config.json and
# colour_grade.json in MODEL and copies the evaluation's metrics.json beside them; the model card (README.md) is
# left alone.
#
# What was done differently for the shipped model: its CPU phase ran across sessions with --resume, and at step
# 20,064 its data was rebuilt with today's default framing (every line-art pair on a light backdrop); the GPU
# phase ran on an H100 with torch 2.11, bf16 autocast, and stopped at step 7,000 of its 17,000-step schedule
# because the discriminator won soon after (both its losses under 0.01 from step ~7,500). Faces of a rerun are
# not bit-identical to the bundled model's; its figures should be within the evaluation's noise.
set -euo pipefail
cd "$(dirname "$0")/.." # paths below are relative to the repository root

if [ -n "${STEPS:-}" ]; then # a quick check of every stage, not a model: each phase stops at STEPS of 2 x STEPS
    : "${WORK:=$(mktemp -d -t sketch2face-recipe.XXXXXX)}"
    : "${DATA:=$WORK/celeba-mix}" "${EVAL_DATA:=$WORK/celeba}" "${RUNS:=$WORK/runs}" "${MODEL:=$WORK/model}"
    : "${LIMIT:=40}" "${CPU_WORKERS:=0}" "${GPU_WORKERS:=0}"
    : "${EVAL_ARGS:=--quick --limit 8 --seeds 0,1 --sizes 32 --splits 2}"
    CPU_STEPS=$((2 * STEPS)) CPU_STOP=$STEPS GPU_STEPS=$((2 * STEPS)) GPU_STOP=$STEPS GPU_SNAPSHOT_EVERY=$STEPS
fi
PHOTOS=${PHOTOS:-../shared/data/faces/celeba}      # 5,400 aligned CelebA photos of 180 people (non-commercial)
SKETCHES=${SKETCHES:-../shared/data/sketches_dev}  # FS2K artist sketches, evaluation only (skipped if missing)
DATA=${DATA:-data/celeba-mix}       # training pairs: line art, pencil, XDoG, Canny (the build's default mix)
EVAL_DATA=${EVAL_DATA:-data/celeba} # XDoG + Canny pairs of the same photos and validation people: the metrics' set
RUNS=${RUNS:-runs/sketch2face-celeba}
MODEL=${MODEL:-checkpoints/sketch2face-celeba}
LIMIT=${LIMIT:-}                    # build from the first N photos only (empty: all)
CPU_STEPS=${CPU_STEPS:-40000} CPU_STOP=${CPU_STOP:-27300} # the CPU phase's lr schedule, and where it stopped
GPU_STEPS=${GPU_STEPS:-17000} GPU_STOP=${GPU_STOP:-7000}  # the same for the GPU fine-tune
GPU_SNAPSHOT_EVERY=${GPU_SNAPSHOT_EVERY:-1000} # earlier snapshots, in case the discriminator wins sooner
CPU_WORKERS=${CPU_WORKERS:-1} GPU_WORKERS=${GPU_WORKERS:-14}
EVAL_ARGS=${EVAL_ARGS:---seeds 0,1,2}
PYTHON=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python)}
GPU=${GPU:-$("$PYTHON" -c 'import torch; print(int(torch.cuda.is_available()))')}
limit=()
[ -n "$LIMIT" ] && limit=(--limit "$LIMIT")

# The architecture and losses of both phases, written out in recipes/sketch2face-celeba.args.
RECIPE=(--data "$DATA" @recipes/sketch2face-celeba.args)

snapshot() { echo "$1/snapshots/step_$(printf %07d "$2")"; }

# train_until OUT STOP FLAGS...: p2p.train on its own schedule until its step-STOP snapshot exists, then stop it
# as Ctrl-C would (it saves checkpoint.pt, so the run can go on later with --resume). FLAGS may set another
# --snapshot-every, as long as STOP is a multiple of it.
train_until() {
    local out=$1 stop=$2 resume=()
    shift 2
    local done_at
    done_at=$(snapshot "$out" "$stop")/config.json
    if [ -f "$done_at" ]; then
        echo "== $out: step $stop already trained"
        return
    fi
    [ -f "$out/checkpoint.pt" ] && resume=(--resume)
    "$PYTHON" -m p2p.train --out "$out" --snapshot-every "$stop" "$@" "${resume[@]}" &
    local pid=$!
    trap 'kill -TERM $pid 2>/dev/null' INT TERM
    while kill -0 "$pid" 2>/dev/null && [ ! -f "$done_at" ]; do sleep 2; done
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || true
    trap - INT TERM
    [ -f "$done_at" ] || { echo "$out: training stopped before step $stop" >&2; exit 1; }
}

echo "== 1. build: $PHOTOS -> $DATA (training pairs) and $EVAL_DATA (evaluation pairs)"
"$PYTHON" -m data_prep.build "$PHOTOS" "$DATA" "${limit[@]}"
"$PYTHON" -m data_prep.build "$PHOTOS" "$EVAL_DATA" --methods xdog,canny --small-faces 0 "${limit[@]}"

echo "== 2. CPU phase: BCE (vanilla) GAN loss, batch 2 (x 2 latent draws), lr 2e-4 decaying from half-way"
train_until "$RUNS/cpu" "$CPU_STOP" "${RECIPE[@]}" --batch-size 2 --steps "$CPU_STEPS" --decay-from 0.5 \
    --workers "$CPU_WORKERS"
final=$(snapshot "$RUNS/cpu" "$CPU_STOP")

if [ "$GPU" = 1 ]; then
    echo "== 3. GPU fine-tune: the CPU phase's generator, a fresh discriminator, LSGAN, batch 8, lr 1.5e-4"
    train_until "$RUNS/gpu" "$GPU_STOP" "${RECIPE[@]}" --init-from "$final" --gan-mode lsgan --batch-size 8 \
        --lr 1.5e-4 --steps "$GPU_STEPS" --decay-from 0.3 --workers "$GPU_WORKERS" \
        --snapshot-every "$GPU_SNAPSHOT_EVERY"
    final=$(snapshot "$RUNS/gpu" "$GPU_STOP")
else
    echo "== 3. GPU fine-tune skipped (no CUDA, or GPU=0): publishing the CPU phase's generator"
fi

echo "== 4. publish $final -> $MODEL (fp16: 27 MB), and fit its colour grade on 1,000 training pairs"
"$PYTHON" -m p2p.weights "$final" --out "$MODEL" --fp16
"$PYTHON" -m p2p.grade "$MODEL" --data "$DATA"

echo "== 5. evaluate $MODEL -> $RUNS/eval (the full run: ~20 min on a 2-core CPU)"
sketches=()
[ -d "$SKETCHES" ] && sketches=(--sketches "$SKETCHES")
# shellcheck disable=SC2086 # EVAL_ARGS is a list of flags
"$PYTHON" -m evaluation.evaluate --data "$EVAL_DATA" --checkpoint "$MODEL" --out "$RUNS/eval" --publishable \
    "${sketches[@]}" --drawings mouse=tests/data/mouse_drawings $EVAL_ARGS
cp "$RUNS/eval/metrics.json" "$MODEL/metrics.json"
echo "== done: $MODEL. Its figures beside another evaluation's: python -m evaluation.scoreboard OTHER $RUNS/eval"
