#!/usr/bin/env bash
# The scheduler's share of wall time in an asynchronous run with many worker processes: one
# `tessera scheduler` and N `tessera worker` processes on this machine, logreg (or MODEL) on
# synthetic digits, so the workers' updates come as fast as they can and the scheduler is as busy
# as it gets. Reports the scheduler's own CPU seconds (user + system, from /proc) over wall time
# for the whole run, and for training alone: from its first metrics record (step 50) to its end,
# which leaves out making the synthetic data and welcoming the workers.
# SLOWDOWN=F makes every worker a device F times slower (its pace, not the CPU's).
# Usage: [MODEL=logreg] [SLOWDOWN=1] async_overhead.sh TESSERA_BINARY [WORKERS] [MODE] [STEPS]
set -euo pipefail
bin=$1 workers=${2:-100} mode=${3:-fedasync} steps=${4:-300}
dir=$(mktemp -d /tmp/tessera-overhead-XXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
ticks=$(getconf CLK_TCK)
cpu() { awk -v t="$ticks" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }
started=$(date +%s.%N)
"$bin" scheduler --workers "$workers" --model "${MODEL:-logreg}" --data synthetic --mode "$mode" --rounds "$steps" \
  --buffer-size 10 --evaluate-every 50 --max-concurrent-trainers "$workers" --registration-timeout 300 \
  --run-dir "$dir/run" > "$dir/scheduler.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$dir/scheduler.out" 2>/dev/null && break; sleep 0.1; done
endpoint=$(grep "listening on" "$dir/scheduler.out" | awk '{print $NF}')
for i in $(seq 0 $((workers - 1))); do
  TESSERA_THREADS=1 "$bin" worker --connect "$endpoint" --id "w$i" --no-trace --slowdown "${SLOWDOWN:-1}" > /dev/null 2>&1 &
done
until [ -s "$dir/run/metrics.jsonl" ] || ! kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
first_cpu=$(cpu "$pid") first=$(date +%s.%N)
last_cpu=$first_cpu
while kill -0 "$pid" 2>/dev/null; do last_cpu=$(cpu "$pid" 2>/dev/null || echo "$last_cpu"); last=$(date +%s.%N); sleep 0.05; done
wait "$pid" || true
tail -1 "$dir/scheduler.out"
awk -v a="$first_cpu" -v b="$last_cpu" -v s="$started" -v f="$first" -v l="$last" 'BEGIN {
  printf "whole run: %.2f s CPU over %.1f s wall, %.2f%%\n", b, l - s, 100 * b / (l - s)
  printf "training (from the first record): %.2f s CPU over %.1f s wall, %.2f%%\n", b - a, l - f, 100 * (b - a) / (l - f) }'
