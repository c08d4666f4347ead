#!/usr/bin/env bash
# A secret-shared 256x256 matmul between two worker processes (a third as crypto provider)
# against the plain remote matmul on one of them: starts the three workers on loopback, runs
# `tessera bench shares`, stops them.
# Usage: shared_matmul.sh TESSERA_BINARY [SIZE] [REPS]   (default 256 5)
set -euo pipefail
bin=$1 size=${2:-256} reps=${3:-5}
logs=$(mktemp -d /tmp/tessera-shares-XXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$logs"' EXIT
endpoints=()
for name in alice bob provider; do
  "$bin" worker --bind tcp://127.0.0.1:0 --id "$name" --no-trace > "$logs/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q "serving on" "$logs/$name.log" && break; sleep 0.1; done
  endpoints+=("$(grep -o 'tcp://[0-9.:]*' "$logs/$name.log" | head -1)")
done
"$bin" bench shares --workers "$(IFS=,; echo "${endpoints[*]}")" --size "$size" --reps "$reps"
