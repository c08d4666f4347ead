#!/usr/bin/env python3
"""Print Tessera's GEMM GFLOP/s beside numpy/OpenBLAS's from the same `make bench` run.

Usage: compare_gemm.py OURS.jsonl NUMPY.jsonl
OURS is `tessera bench gemm --json` output; NUMPY is ../shared/bench/numpy_gemm.py --json output.
Either may hold several alternated rounds per shape: each side's figure is the median of its
rounds' medians, the ratio is ours / OpenBLAS of those, and `rounds` lists the ratio of each
round pair. Targets are the issue's.
"""
import json
import statistics
import sys
from collections import defaultdict

TARGETS = {"sq128": 0.7, "sq512": 0.9, "sq1024": 0.9, "sq2048": 0.9, "im2col_fwd": 0.9,
           "im2col_dW": 0.9, "im2col_dX": 0.9, "fc_fwd": 0.9}


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def rounds(rows, value):
    grouped = defaultdict(list)
    for row in rows:
        grouped[(row["shape"], row["threads"])].append((row, value(row)))
    return grouped


def main():
    ours = rounds(load(sys.argv[1]), lambda r: r["gflops"])
    reference = rounds(load(sys.argv[2]), lambda r: r["median"])
    print(f"{'shape':11s} {'M':>6s} {'K':>6s} {'N':>6s} {'thr':>3s} {'tessera':>8s} {'openblas':>8s} "
          f"{'ratio':>6s} {'target':>6s}      rounds")
    for key, measured in ours.items():
        if key not in reference:
            continue
        row = measured[0][0]
        mine = statistics.median(v for _, v in measured)
        theirs = statistics.median(v for _, v in reference[key])
        ratio = mine / theirs
        per_round = " ".join(f"{a / b:.2f}" for (_, a), (_, b) in zip(measured, reference[key]))
        target = TARGETS.get(key[0])
        verdict = "  " if target is None else ("ok" if ratio >= target else "BELOW")
        target_text = f"{target:.1f}x" if target else "-"
        print(f"{key[0]:11s} {row['m']:6d} {row['k']:6d} {row['n']:6d} {key[1]:3d} {mine:8.1f} "
              f"{theirs:8.1f} {ratio:5.2f}x {target_text:>6s} {verdict:5s} {per_round}")


if __name__ == "__main__":
    main()
