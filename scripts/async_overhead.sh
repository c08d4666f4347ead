#!/usr/bin/env bash
# The scheduler's share of wall time in an asynchronous run with many worker processes: one
# `tessera scheduler` (timed by /usr/bin/time: its own user + system CPU seconds over its wall
# time) and N `tessera worker` processes on this machine, logreg on synthetic digits, so the
# workers' updates come as fast as they can and the scheduler is as busy as it gets.
# Usage: [MODEL=logreg] async_overhead.sh TESSERA_BINARY [WORKERS] [MODE] [STEPS]
set -euo pipefail
bin=$1 workers=${2:-100} mode=${3:-fedasync} steps=${4:-300}
dir=$(mktemp -d /tmp/tessera-overhead-XXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
/usr/bin/time -f "scheduler cpu %U user %S system, %e s wall, %M KB peak" -o "$dir/time" \
  "$bin" scheduler --workers "$workers" --model "${MODEL:-logreg}" --data synthetic --mode "$mode" --rounds "$steps" \
  --buffer-size 10 --evaluate-every 50 --max-concurrent-trainers "$workers" --registration-timeout 300 \
  --run-dir "$dir/run" > "$dir/scheduler.out" 2>&1 &
for _ in $(seq 100); do grep -q "listening on" "$dir/scheduler.out" 2>/dev/null && break; sleep 0.1; done
endpoint=$(grep "listening on" "$dir/scheduler.out" | awk '{print $NF}')
for i in $(seq 0 $((workers - 1))); do
  TESSERA_THREADS=1 "$bin" worker --connect "$endpoint" --id "w$i" --no-trace > /dev/null 2>&1 &
done
wait %1 || true
cat "$dir/time"
tail -1 "$dir/scheduler.out"
awk '/scheduler cpu/ { printf "scheduler share of wall time: %.2f%%\n", 100 * ($3 + $5) / $7 }' "$dir/time"
