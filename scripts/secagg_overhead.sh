#!/usr/bin/env bash
# Secure aggregation's cost in a real run: the same federation (WORKERS workers, mnist-cnn on
# MNIST, IID, ROUNDS rounds) in the clear and with training.secure_aggregation, alternated PAIRS
# times; per run the median round's wall time (metrics.jsonl) and the bytes the scheduler sent
# and received per round (tessera trace summary). Then one secure run in which DROP workers
# leave right after sending their masked input, to show the round still completes.
# Usage: secagg_overhead.sh TESSERA_BINARY [PAIRS]   (default 3)
set -euo pipefail
bin=$1 pairs=${2:-3}
workers=${WORKERS:-10} rounds=${ROUNDS:-2} drop=${DROP:-3} data=${DATA:-../shared/data/mnist}
runs=$(mktemp -d /tmp/tessera-secagg-XXXX)
trap 'rm -rf "$runs"' EXIT
common=(launch smoke --workers "$workers" --model mnist-cnn --rounds "$rounds" --set data.source="$data" --set runs="$runs")

# Prints "median-round-seconds bytes-per-round" of the newest run under $runs.
measure() {
  local run; run=$(ls -td "$runs"/*/*/ | head -1)
  python3 - "$run" "$bin" <<'PY'
import json, statistics, subprocess, sys
run, binary = sys.argv[1], sys.argv[2]
seconds = [json.loads(line)["seconds"] for line in open(run + "/metrics.jsonl")]
rows = [json.loads(line) for line in subprocess.run([binary, "trace", "summary", run, "--json"], capture_output=True, text=True, check=True).stdout.splitlines()]
rounds = [row for row in rows if row.get("table") == "round"]
print(f"{statistics.median(seconds):.2f} {statistics.mean(r['bytes_down'] + r['bytes_up'] for r in rounds) / 2**20:.1f}")
PY
}

printf "%-5s %-8s %-14s %s\n" pair mode "round s (med)" "MiB per round"
for pair in $(seq "$pairs"); do
  for mode in plain secure; do
    extra=(); [ "$mode" = secure ] && extra=(--set training.secure_aggregation=true)
    "$bin" "${common[@]}" "${extra[@]}" > /dev/null 2>&1
    read -r seconds mib < <(measure)
    printf "%-5s %-8s %-14s %s\n" "$pair" "$mode" "$seconds" "$mib"
  done
done

echo
echo "secure, $drop of $workers leaving after their masked input (round 1; detected after the heartbeat timeout):"
last=$((workers - 1)) first=$((workers - drop))
"$bin" "${common[@]}" --rounds 1 --set training.secure_aggregation=true --set "simulation.groups=$first-$last: leave=1 away=600" 2>&1 | grep '^round 1:'
