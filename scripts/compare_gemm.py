#!/usr/bin/env python3
"""Print Tessera's GEMM GFLOP/s beside numpy/OpenBLAS's from the same `make bench` run.

Usage: compare_gemm.py OURS.jsonl NUMPY.jsonl
OURS is `tessera bench gemm --json` output; NUMPY is ../shared/bench/numpy_gemm.py --json output.
Ratios are ours / OpenBLAS at the same shape and thread count, with the issue's targets.
"""
import json
import sys

TARGETS = {"sq128": 0.7, "sq512": 0.9, "sq1024": 0.9, "sq2048": 0.9, "im2col_fwd": 0.9,
           "im2col_dW": 0.9, "im2col_dX": 0.9, "fc_fwd": 0.9}


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def main():
    ours = {(r["shape"], r["threads"]): r for r in load(sys.argv[1])}
    reference = {(r["shape"], r["threads"]): r for r in load(sys.argv[2])}
    print(f"{'shape':11s} {'M':>6s} {'K':>6s} {'N':>6s} {'thr':>3s} {'tessera':>8s} {'openblas':>8s} "
          f"{'ratio':>6s} {'target':>6s}")
    for key, row in ours.items():
        ref = reference.get(key)
        if ref is None:
            continue
        ratio = row["gflops"] / ref["median"]
        target = TARGETS.get(key[0])
        verdict = "" if target is None else ("ok" if ratio >= target else "BELOW")
        target_text = f"{target:.1f}x" if target else "-"
        print(f"{key[0]:11s} {row['m']:6d} {row['k']:6d} {row['n']:6d} {key[1]:3d} {row['gflops']:8.1f} "
              f"{ref['median']:8.1f} {ratio:5.2f}x {target_text:>6s} {verdict}")


if __name__ == "__main__":
    main()
