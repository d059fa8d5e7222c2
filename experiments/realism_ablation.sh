#!/usr/bin/env bash
# Realism ablation at equal CPU time: the critics on frozen ImageNet features (--lambda-projected), the perceptual
# loss on the same features (--lambda-perceptual) with L1 at 100 / 10 / 1, and the eye and mouth critics
# (--lambda-components), each a fine-tune of the bundled generator on the combined data, against the bundled
# recipe continued for the same CPU time. Every run has the same seed, data order and CPU budget (p2p.train
# --cpu-minutes counts the training process's CPU time, so runs compare fairly on a shared machine).
#
#   bash experiments/realism_ablation.sh            # every variant, then the evaluation of each
#   CPU_MINUTES=2 EVAL_ARGS="--quick --limit 20 --splits 1" bash experiments/realism_ablation.sh   # a quick check
#   VARIANTS_RUN="base proj-l10" bash experiments/realism_ablation.sh   # some variants only
#   # the critic warm-up tests (docs/experiments.md), two at a time on one thread each:
#   VARIANTS_RUN=warm CPU_MINUTES=50 THREADS=1 bash experiments/realism_ablation.sh & (and warm-ms3, warm-l10)
#   # the GPU phase's batch of 8 as a long CPU run, snapshots scored as it goes (docs/experiments.md):
#   OUT=runs/realism-b8 VARIANTS_RUN=b8 CPU_MINUTES=0 STEPS=8000 DECAY_FROM=0.3 SNAPSHOT_EVERY=500 \
#       bash experiments/realism_ablation.sh
#   # a variant run on for one epoch of 25,291 pairs, lr decaying over its second half, from its ablation run:
#   mkdir -p runs/realism-long && cp -r runs/ablation/proj-only runs/realism-long/ && rm runs/realism-long/proj-only/trained
#   OUT=runs/realism-long VARIANTS_RUN=proj-only CPU_MINUTES=0 STEPS=12645 DECAY_FROM=0.5 SNAPSHOT_EVERY=2000 \
#       bash experiments/realism_ablation.sh
#   # proj-only with warm critics, run long on the bundled model's own pairs (docs/experiments.md):
#   DATA=data/celeba-mix OUT=runs/proj-long VARIANTS_RUN=proj-warm CPU_MINUTES=0 STEPS=16000 DECAY_FROM=0.5 \
#       SNAPSHOT_EVERY=1000 bash experiments/realism_ablation.sh
#   # the bundled recipe continued for two epochs of the 2,000-people build, lr decaying over the second:
#   DATA=data/celeba-2000people OUT=runs/base-long2 VARIANTS_RUN=base CPU_MINUTES=0 STEPS=25324 DECAY_FROM=0.5 \
#       SNAPSHOT_EVERY=2000 bash experiments/realism_ablation.sh
#   # the same with critics of half the width (a quarter of their cost), which makes a step 2.4 times cheaper:
#   DATA=data/celeba-2000people OUT=runs/base-long2 VARIANTS_RUN=base-d32 CPU_MINUTES=0 STEPS=25324 DECAY_FROM=0.5 \
#       SNAPSHOT_EVERY=2000 SNAPSHOTS_FROM=12000 bash experiments/realism_ablation.sh   # scores steps 12,000, 14,000...
#   # the landmark loss against the same recipe without it, 50 CPU-minutes each, lr annealed over 1,500-3,000:
#   DATA=data/celeba-2000people OUT=runs/landmarks VARIANTS_RUN="base-d32 lm-d32 lm50-d32" CPU_MINUTES=50 STEPS=3000 \
#       DECAY_FROM=0.5 bash experiments/realism_ablation.sh
#
# Resumable: a variant that spent its budget is not trained again (an interrupted one resumes with the rest of its
# budget: p2p.train counts CPU time over resumes), an evaluation
# whose metrics.json exists is not run again. Results: runs/ablation/evals/*/metrics.json, a scoreboard and a
# sheet of mouse drawings.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
DATA=${DATA:-data/celeba-combined}        # python -m data_prep.build ../shared/data/faces/celeba ../shared/data/faces/celeba_more data/celeba-combined
OUT=${OUT:-runs/ablation}
CPU_MINUTES=${CPU_MINUTES:-120}           # per variant, CPU time of the training process (0: no limit)
STEPS=${STEPS:-1000000} DECAY_FROM=${DECAY_FROM:-1} # the lr schedule: constant unless STEPS is reached first
SNAPSHOT_EVERY=${SNAPSHOT_EVERY:-0}       # keep generator snapshots every N steps (0: none)
SNAPSHOTS_FROM=${SNAPSHOTS_FROM:-0}       # also score each variant's snapshots from this step on (0: none)
THREADS=${THREADS:-2}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} # threads that wait sleep: a test or evaluation beside a run no longer stalls it
EVAL_ARGS=${EVAL_ARGS:---quick}
SKETCHES=${SKETCHES:-../shared/data/sketches_dev}

# The bundled model's architecture and losses, warm-started from it with a fresh discriminator (its GPU phase's
# LSGAN), a constant learning rate: only the variant's flags differ between runs.
COMMON=(--data "$DATA" --init-from checkpoints/sketch2face-celeba @recipes/sketch2face-celeba.args --gan-mode lsgan
  --batch-size 2 --lr 1e-4 --steps "$STEPS" --decay-from "$DECAY_FROM" --workers 1 --cpu-minutes "$CPU_MINUTES"
  --sample-every 500 --snapshot-every "$SNAPSHOT_EVERY")

declare -A VARIANTS=(
  [base]=""
  [proj-l100]="--lambda-projected 1 --lambda-perceptual 1 --d-augment"
  [proj-l10]="--lambda-projected 1 --lambda-perceptual 1 --d-augment --lambda-l1 10"
  [proj-l1]="--lambda-projected 1 --lambda-perceptual 1 --d-augment --lambda-l1 1"
  [proj-l10-comp]="--lambda-projected 1 --lambda-perceptual 1 --d-augment --lambda-l1 10 --lambda-components 1"
  [proj-only]="--lambda-projected 1 --d-augment" # the projected critic without the perceptual loss, L1 at 100
  [proj-warm]="--lambda-projected 1 --d-augment --critic-warmup 1000" # proj-only, its critics trained 1,000 steps first
  [warm]="--critic-warmup 1000"                    # the bundled recipe, its fresh critics trained 1,000 steps first
  [warm-ms3]="--critic-warmup 1000 --d-scales 3"   # + a third PatchGAN at 64 px, which sees the whole face
  [warm-l10]="--critic-warmup 1000 --lambda-l1 10" # warm, with a tenth of the pull to the average photo
  [b8]="--batch-size 8 --lr 1.5e-4 --d-augment"     # the bundled model's GPU phase (batch 8), on the CPU, more people
  [base-d32]="--ndf 32" # the bundled recipe with critics of half the width: 0.80 against 1.89 CPU s a step
  [base-d32-clean]="--ndf 32 --no-augment" # base-d32 on the drawings as built: no stroke width, gaps or warp
  # base-d32 + the face's landmarks held to the photo's (p2p.critics.landmarks)
  [lm-d32]="--ndf 32 --lambda-landmarks 200"
  [lm50-d32]="--ndf 32 --lambda-landmarks 50"
)
# shellcheck disable=SC2206  # VARIANTS_RUN is a list of names
ORDER=(${VARIANTS_RUN:-base proj-l100 proj-l10 proj-l1 proj-l10-comp})

for name in "${ORDER[@]}"; do
  run=$OUT/$name
  [ -f "$run/trained" ] && continue # its CPU budget is spent
  resume=()
  [ -f "$run/checkpoint.pt" ] && resume=(--resume)
  echo "== train $name: ${VARIANTS[$name]:-(the bundled recipe)}"
  # shellcheck disable=SC2086  # the variant's flags are words
  OMP_NUM_THREADS=$THREADS "$PYTHON" -m p2p.train "${COMMON[@]}" --out "$run" ${VARIANTS[$name]} "${resume[@]}"
  touch "$run/trained"
done

# Every variant, each with its own colour grade (p2p.grade, fitted on DATA's training pairs as the bundled
# model's was), and the bundled model as the reference (the scoreboard's first column, its paired changes'
# baseline), on the same validation people, drawings and seeds.
mouse=tests/data/mouse_drawings
declare -A GENERATOR=([shipped]=checkpoints/sketch2face-celeba)
scored=(shipped)
for name in "${ORDER[@]}"; do
  if [ "$SNAPSHOTS_FROM" -gt 0 ]; then # its snapshots from that step on, in order, before its last generator
    for snapshot in "$OUT/$name"/snapshots/step_*; do
      [ -d "$snapshot" ] || continue
      step=$((10#${snapshot##*step_}))
      [ "$step" -ge "$SNAPSHOTS_FROM" ] && GENERATOR[$name@$step]=$snapshot && scored+=("$name@$step")
    done
  fi
  GENERATOR[$name]=$OUT/$name/generator scored+=("$name")
done
evals=() generators=()
for name in "${scored[@]}"; do
  evals+=("$OUT/evals/$name") generators+=("${GENERATOR[$name]}")
  [ -f "$OUT/evals/$name/metrics.json" ] && continue
  if [ ! -f "${GENERATOR[$name]}/colour_grade.json" ]; then # scored as the app would show its faces
    echo "== fit the colour grade of $name"
    "$PYTHON" -m p2p.grade "${GENERATOR[$name]}" --data "$DATA"
  fi
  echo "== evaluate $name"
  folders=(--drawings "mouse=$mouse" --framed-photos "$DATA") # the issue's targets for these folders
  [ -d "$SKETCHES" ] && folders+=(--sketches "$SKETCHES")
  # shellcheck disable=SC2086
  "$PYTHON" -m evaluation.evaluate --data "$DATA" --checkpoint "${GENERATOR[$name]}" --out "$OUT/evals/$name" \
    "${folders[@]}" $EVAL_ARGS
done

"$PYTHON" -m evaluation.scoreboard "${evals[@]}" | tee "$OUT/scoreboard.md"
"$PYTHON" -m evaluation.compare "$mouse" "${generators[@]}" --seeds 0 --count 6 --out "$OUT/mouse_sheet.jpg"
