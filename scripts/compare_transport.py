#!/usr/bin/env python3
"""Tessera tensor transfer beside raw libzmq (pyzmq PUSH/PULL) from the same `make bench` run.

Usage: compare_transport.py OURS.jsonl ZMQ.jsonl
OURS is `tessera bench transport --json`; ZMQ is ../shared/bench/zmq_thr.py thr --json output.
Ratios: our one-way tensor GB/s over raw libzmq GB/s for the same bytes and transport.
"""
import json
import statistics
import sys

TARGET = {1 << 20: 0.8, 16 << 20: 0.8}


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def main():
    ours = load(sys.argv[1])
    raw = {}
    for row in load(sys.argv[2]):
        if row.get("bench") != "zmq_thr":
            continue
        runs = [r["gb_s"] for r in row["runs"] if r.get("clean")] or [r["gb_s"] for r in row["runs"]]
        raw[(row["transport"], row["size"])] = statistics.median(runs)
    print(f"{'transport':9s} {'bytes':>9s} {'pattern':9s} {'tessera GB/s':>12s} {'libzmq GB/s':>11s} {'ratio':>6s} {'target':>6s}")
    for row in ours:
        key = (row["transport"], row["bytes"])
        ref = raw.get(key) if row["pattern"] == "one-way" else None
        ratio = f"{row['gbps'] / ref:5.2f}x" if ref else "-"
        target = TARGET.get(row["bytes"]) if ref else None
        verdict = "" if target is None else ("ok" if row["gbps"] / ref >= target else "BELOW")
        extra = f"  rtt {row['rtt_us']:.1f} us" if "rtt_us" in row else ""
        print(f"{row['transport']:9s} {row['bytes']:9d} {row['pattern']:9s} {row['gbps']:12.2f} "
              f"{(f'{ref:.2f}' if ref else '-'):>11s} {ratio:>6s} {(f'{target}x' if target else '-'):>6s} {verdict}{extra}")


if __name__ == "__main__":
    main()
