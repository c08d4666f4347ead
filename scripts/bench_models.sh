#!/usr/bin/env bash
# Training-step samples/s of the literature models, Tessera beside PyTorch in the same run,
# alternated ROUNDS times (medians reported by each side per run): resnet20-gn at batch 32 and
# shakespeare-lstm at batch 10 (sequence 80), 2 threads.
# Usage: scripts/bench_models.sh [TESSERA_BINARY] [ROUNDS]   (needs torch: pip install torch==2.13.0+cpu)
set -euo pipefail
cd "$(dirname "$0")/.."
tessera=${1:-.build/release/tessera}
rounds=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for pair in resnet20-gn:32 shakespeare-lstm:10; do
  model=${pair%%:*}; batch=${pair##*:}
  "$tessera" model "$model" --declaration > "$work/$model.json"
  for round in $(seq "$rounds"); do
    "$tessera" bench train --model "$model" --batch "$batch" --threads 2 --no-layers --json | grep '"step"'
    (cd scripts && python3 bench_train_torch.py "$work/$model.json" "$batch" 2)
  done
done
