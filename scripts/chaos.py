#!/usr/bin/env python3
"""Chaos runs: kill -9 a random process of a running launch at a random moment, and check that
the run still ends with every round recorded once.

Usage: chaos.py TESSERA_BINARY [--runs N] [--seed S] [--dir DIR]

Each run launches the smoke topology (6 rounds, half the workers sampled, 0.3 s of simulated
latency so rounds take about a second, workers restarted on failure), waits a random 0.5-6 s,
and kill -9s either the launch itself (the scheduler dies with it; its workers leave) or one
of its workers, chosen at random. A killed launch is resumed with `tessera launch --resume`;
its final weights must be bit-identical to those of the same run never interrupted. A killed
worker is restarted by the launcher and the run goes on by itself. Every run must end with 6
metrics rows, rounds 1-6 once each. Prints one line per run and a summary; exits 1 if any
run failed a check.
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

SETTINGS = ["--rounds", "6", "--fraction", "0.5", "--simulate", "0-2: latency=0.3", "--restart", "on-failure",
            "--heartbeat-timeout", "3"]


def launch(binary, runs, *extra):
    return subprocess.Popen([binary, "launch", *extra, "--set", "runs=" + runs] + SETTINGS,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def newest_run(runs):
    return os.path.realpath(os.path.join(runs, "smoke", "latest"))


def rounds(run):
    with open(os.path.join(run, "metrics.jsonl")) as f:
        return [json.loads(line)["round"] for line in f if line.strip()]


def checkpoint(run):
    with open(os.path.join(run, "checkpoint.safetensors"), "rb") as f:
        return f.read()


def workers_of(run):
    traces = os.path.join(run, "traces")
    out = subprocess.run(["pgrep", "-f", "--", "--trace-dir " + traces], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    root = args.dir or tempfile.mkdtemp(prefix="tessera-chaos-")
    reference_runs = os.path.join(root, "reference")
    reference = launch(args.binary, reference_runs, "smoke")
    reference.communicate(timeout=300)
    assert reference.returncode == 0, "the uninterrupted run failed"
    expected = checkpoint(newest_run(reference_runs))
    failures = 0
    for index in range(args.runs):
        runs = os.path.join(root, "run-%02d" % index)
        process = launch(args.binary, runs, "smoke")
        delay = rng.uniform(0.5, 6)
        time.sleep(delay)
        run = newest_run(runs)
        victim = rng.choice(["launch", "worker"])
        workers = workers_of(run)
        if victim == "worker" and workers and process.poll() is None:
            os.kill(rng.choice(workers), signal.SIGKILL)
            process.communicate(timeout=300)
            resumed = False
        elif process.poll() is None:
            process.kill()
            process.communicate(timeout=60)
            deadline = time.time() + 10
            while workers_of(run) and time.time() < deadline:
                time.sleep(0.1)
            resume = launch(args.binary, runs, "--resume", run)
            resume.communicate(timeout=300)
            resumed = True
        else:
            victim, resumed = "nothing (the run had ended)", False
            process.communicate()
        problems = []
        done = rounds(run)
        if done != list(range(1, 7)):
            problems.append("rounds %s" % done)
        if resumed and checkpoint(run) != expected:
            problems.append("weights differ from the uninterrupted run")
        if workers_of(run):
            problems.append("workers left running")
        failures += bool(problems)
        print("run %2d: killed %-8s after %.1f s: %s" % (index, victim, delay, "; ".join(problems) or "ok"
                                                         + (", resumed bit-identical" if resumed else "")), flush=True)
    print("%d of %d chaos runs passed every check (%s)" % (args.runs - failures, args.runs, root))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
