#!/usr/bin/env python3
"""Runs a command and reports the peak memory of its whole process tree.

Every 0.5 s it sums VmRSS and Pss (shared pages split between the processes that map them,
from /proc/PID/smaps_rollup) over the command and all its descendants, and prints the peaks
when the command exits. Used for the memory figures in BENCHMARKS.md:

    python3 scripts/peak_memory.py -- .build/release/tessera launch Topologies/mnist-iid-10.yaml
"""
import os
import subprocess
import sys
import time


def children(pid):
    # Children of every thread: a process started from another thread is listed under it.
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return found


def tree(pid):
    pids, stack = [], [pid]
    while stack:
        current = stack.pop()
        pids.append(current)
        stack.extend(children(current))
    return pids


def kilobytes(path, field):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    args = sys.argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        sys.exit("usage: peak_memory.py -- COMMAND [ARGS...]")
    process = subprocess.Popen(args)
    peak_rss = peak_pss = peak_processes = 0
    while process.poll() is None:
        pids = tree(process.pid)
        rss = sum(kilobytes(f"/proc/{p}/status", "VmRSS") for p in pids)
        pss = sum(kilobytes(f"/proc/{p}/smaps_rollup", "Pss") for p in pids)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        peak_processes = max(peak_processes, len(pids))
        time.sleep(0.5)
    print(f"peak memory of the process tree: RSS {peak_rss / 1e6:.2f} GB, PSS {peak_pss / 1e6:.2f} GB "
          f"({peak_processes} processes at most; sampled every 0.5 s)", file=sys.stderr)
    sys.exit(process.returncode)


if __name__ == "__main__":
    main()
