#!/usr/bin/env python3
"""Scheduler overhead per round from a run's traces (one machine: all processes share the
monotonic clock).

Usage: round_overhead.py RUN_DIR
A round's window runs from the scheduler sending its first train task to it receiving the last
update. Within it, time covered by at least one worker's `train` span is training; the rest is
overhead (dispatch, encoding, transfer, aggregation waits). Evaluation is reported apart.
"""
import glob
import json
import os
import sys


def load(path):
    """A trace file's events (format 2, docs/TRACES.md) with absolute monotonic times."""
    events, origin = [], 0
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            if "trace" in record:
                origin = record["mono_ns"]
                continue
            event = {"mono_ns": origin + record["t"] * 1000, "round": record.get("r", 0)}
            if "d" in record:
                event.update(kind="message", dir="send" if record["d"] == "s" else "recv", type=record.get("m"))
            else:
                event.update(kind="span", name=record.get("n"), start_ns=origin + record.get("s", record["t"]) * 1000)
            events.append(event)
    return events


def main():
    traces = os.path.join(sys.argv[1], "traces")
    scheduler = load(os.path.join(traces, "scheduler.trace.jsonl"))
    spans = []
    for path in glob.glob(os.path.join(traces, "*.trace.jsonl")):
        if path.endswith("scheduler.trace.jsonl"):
            continue
        spans += [(e["start_ns"], e["mono_ns"]) for e in load(path) if e.get("kind") == "span" and e.get("name") == "train"]
    rounds = sorted({e["round"] for e in scheduler if e.get("type") in ("train task", "update") and e.get("round")})
    print(f"{'round':>5} {'window s':>9} {'training s':>10} {'overhead s':>10} {'overhead %':>10} {'evaluate s':>10}")
    for r in rounds:
        sends = [e["mono_ns"] for e in scheduler if e.get("type") == "train task" and e.get("dir") == "send" and e.get("round") == r]
        recvs = [e["mono_ns"] for e in scheduler if e.get("type") == "update" and e.get("dir") == "recv" and e.get("round") == r]
        if not sends or not recvs:
            continue
        start, end = min(sends), max(recvs)
        inside = sorted((max(a, start), min(b, end)) for a, b in spans if b > start and a < end)
        covered, cursor = 0, start
        for a, b in inside:
            a = max(a, cursor)
            if b > a:
                covered += b - a
                cursor = b
        evaluate = [e["mono_ns"] - e["start_ns"] for e in scheduler if e.get("name") == "evaluate" and e.get("round") == r]
        window = end - start
        print(f"{r:>5} {window / 1e9:9.2f} {covered / 1e9:10.2f} {(window - covered) / 1e9:10.3f} "
              f"{100 * (window - covered) / window:9.2f}% {(evaluate[0] / 1e9 if evaluate else 0):10.2f}")


if __name__ == "__main__":
    main()
