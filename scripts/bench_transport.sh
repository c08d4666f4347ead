#!/usr/bin/env bash
# Tessera tensor transfer vs raw libzmq (../shared/bench/zmq_thr.py), then round trips and the
# codec, then the side-by-side table. Usage: bench_transport.sh TESSERA_BINARY OUT_DIR SHARED_BENCH
#
# One-way throughput is measured in TRANSPORT_ROUNDS alternated rounds per transport and size
# (one fresh sender/receiver pair of ours, then one of pyzmq's, ...); the table gives each side's
# median over its rounds, so a burst of load on the shared host in one run does not decide the
# ratio.
set -euo pipefail
bin=$1 out=$2 shared=$3
rounds=${TRANSPORT_ROUNDS:-3}
mkdir -p "$out"
rm -f "$out/transport.jsonl" "$out/zmq.jsonl"
for transport in tcp ipc; do
  for size in 4096 1048576 16777216; do
    for _ in $(seq "$rounds"); do
      "$bin" bench transport --patterns one-way --runs 1 --transports "$transport" --sizes "$size" --json \
        >> "$out/transport.jsonl"
      python3 "$shared/zmq_thr.py" thr --reps 1 --transports "$transport" --sizes "$size" \
        --json "$out/zmq.jsonl" > /dev/null
    done
  done
done
# Over CURVE: ours against pyzmq with CURVE (the same roles as zmq_thr.py), tcp, 1 and 16 MiB:
# pyzmq on the system's libzmq and libsodium (SYSTEM_PYZMQ, a venv; the like-for-like reference)
# and pyzmq's wheel with its own newer ones.
references=(python3)
[ -x "${SYSTEM_PYZMQ:-}/bin/python" ] && references+=("$SYSTEM_PYZMQ/bin/python")
for size in 1048576 16777216; do
  for _ in $(seq "$rounds"); do
    "$bin" bench transport --patterns one-way --curve --runs 1 --transports tcp --sizes "$size" --json \
      >> "$out/transport.jsonl"
    for python in "${references[@]}"; do
      "$python" "$(dirname "$0")/zmq_curve_thr.py" "$shared" "$size" --json "$out/zmq.jsonl" > /dev/null
    done
  done
done
"$bin" bench transport --patterns codec,round-trip --json >> "$out/transport.jsonl"
python3 "$(dirname "$0")/compare_transport.py" "$out/transport.jsonl" "$out/zmq.jsonl"
