#!/usr/bin/env bash
# Tessera GEMM vs numpy/OpenBLAS, interleaved shape by shape so both see the same machine
# conditions, then the side-by-side table. Usage: bench_gemm.sh TESSERA_BINARY OUT_DIR SHARED_BENCH
set -euo pipefail
bin=$1 out=$2 shared=$3
shapes="sq128 sq256 sq512 sq1024 sq2048 im2col_fwd im2col_dW im2col_dX fc_fwd"
mkdir -p "$out"
rm -f "$out/gemm.jsonl" "$out/numpy.jsonl"
# Each shape is measured in GEMM_ROUNDS alternated rounds (ours, OpenBLAS, ours, ...); the table
# gives each side's median over its rounds, so a burst of load on the shared host that hits one
# side's round does not decide the ratio.
rounds=${GEMM_ROUNDS:-3}
for shape in $shapes; do
  for _ in $(seq "$rounds"); do
    TESSERA_THREADS=2 "$bin" bench gemm --shapes "$shape" --json >> "$out/gemm.jsonl"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 "$shared/numpy_gemm.py" --threads 2 \
      --shapes "$shape" --json "$out/numpy.jsonl" | grep '^threads=' || true
  done
done
python3 "$(dirname "$0")/compare_gemm.py" "$out/gemm.jsonl" "$out/numpy.jsonl"
