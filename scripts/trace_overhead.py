#!/usr/bin/env python3
"""What tracing costs: a topology launched with tracing on and off, alternated, medians; and
the traces' bytes on disk per message.

Usage: trace_overhead.py TESSERA_BINARY [--topology T] [--pairs N]

Each pair runs `tessera launch T` with `traces: true` and with `traces: false` (the order
alternating from pair to pair) and takes each run's wall time from its last line and the CPU
time of all its processes. Prints every run, the medians of each, the differences, and from the last traced run: message records' bytes
per message (a message is recorded by its sender and its receiver), and all trace bytes (headers
and spans included) per message.
"""
import argparse
import glob
import json
import os
import re
import resource
import statistics
import subprocess
import tempfile


def launch(binary, topology, runs, traced):
    """The run's wall time (its last line) and the CPU seconds of all its processes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([binary, "launch", topology, "--set", f"runs={runs}", "--set", f"traces={'true' if traced else 'false'}"],
                         capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return float(re.search(r"total wall time ([0-9.]+) s", out).group(1)), cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--topology", default="Topologies/mnist-iid-10.yaml")
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    walls, cpus = {True: [], False: []}, {True: [], False: []}
    with tempfile.TemporaryDirectory() as runs:
        for pair in range(args.pairs):
            for traced in ([True, False] if pair % 2 == 0 else [False, True]):
                seconds, cpu = launch(args.binary, args.topology, os.path.join(runs, "on" if traced else "off"), traced)
                walls[traced].append(seconds)
                cpus[traced].append(cpu)
                print(f"pair {pair + 1}: tracing {'on ' if traced else 'off'} {seconds:.1f} s wall, {cpu:.1f} s CPU", flush=True)
        run = os.path.realpath(glob.glob(os.path.join(runs, "on", "*", "latest"))[0])
        summary = subprocess.run([args.binary, "trace", "summary", run, "--json"], capture_output=True, text=True, check=True).stdout
        messages = sum(row["count"] for row in map(json.loads, summary.splitlines()) if row["table"] == "message")
        record_bytes = total_bytes = 0
        for path in glob.glob(os.path.join(run, "traces", "*.trace.jsonl")):
            with open(path, "rb") as f:
                for line in f:
                    total_bytes += len(line)
                    record_bytes += len(line) if line.startswith(b'{"t":') and b'"d":' in line else 0
    on, off = statistics.median(walls[True]), statistics.median(walls[False])
    print(f"median wall: tracing on {on:.2f} s, off {off:.2f} s: tracing costs {100 * (on - off) / off:+.2f}%")
    on, off = statistics.median(cpus[True]), statistics.median(cpus[False])
    print(f"median CPU (every process): tracing on {on:.2f} s, off {off:.2f} s: {100 * (on - off) / off:+.2f}%")
    print(f"{messages} messages: {record_bytes / messages:.0f} bytes of message records per message (both sides), "
          f"{total_bytes / messages:.0f} bytes of trace per message (headers and spans included)")


if __name__ == "__main__":
    main()
