#!/usr/bin/env bash
# DP-FedAvg's accuracy against epsilon: the same federation (100 workers, logistic regression on
# MNIST, IID, each worker sampled with probability FRACTION per round, changes clipped to CLIP)
# without noise and at each noise multiplier given, ROUNDS rounds each; prints the final
# accuracy and the epsilon spent at delta 1e-5.
# Usage: dp_tradeoff.sh TESSERA_BINARY [NOISE...]   (default noise: 0.5 1 2)
set -euo pipefail
bin=$1; shift
noises=${*:-0.5 1 2}
rounds=${ROUNDS:-50} fraction=${FRACTION:-0.3} clip=${CLIP:-0.5} data=${DATA:-../shared/data/mnist}
runs=$(mktemp -d /tmp/tessera-dp-XXXX)
trap 'rm -rf "$runs"' EXIT
printf "%-8s %-10s %s\n" noise accuracy "epsilon (delta 1e-5)"
for noise in 0 $noises; do
  out=$("$bin" launch smoke --workers 100 --model logreg --set data.source="$data" --rounds "$rounds" --fraction "$fraction" \
        --set privacy.clip="$clip" --set privacy.noise_multiplier="$noise" --set runs="$runs" 2>&1)
  last=$(grep "^round $rounds:" <<< "$out")
  accuracy=$(sed -E 's/.*accuracy ([0-9.]+%).*/\1/' <<< "$last")
  epsilon=$(sed -E 's/.*(ε [^,]*),.*/\1/' <<< "$last")
  printf "%-8s %-10s %s\n" "$noise" "$accuracy" "$epsilon"
done
