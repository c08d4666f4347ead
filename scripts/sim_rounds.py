#!/usr/bin/env python3
"""Measures a simulated federation's rounds: time per round, and where the CPU went.

Writes a topology of CLIENTS clients hosted CLIENTS_PER_PROCESS to a worker process (power-law
shares of the data, SAMPLED clients a round), runs it with `tessera launch`, and reports, per
round between the first and the last (the last one's line may come as the run ends and its threads
exit): the wall time; the scheduler's CPU seconds split by thread: its message
loop (sampling, receiving, checking and aggregating updates: Dispatch's threads and ZeroMQ's
I/O thread), its background thread `tessera-bg` (the test-set evaluation and the round's
records) and the kernel pool (which splits the evaluation's products and large additions); the
worker processes' CPU seconds (training, and their share of messages; with `--launch
in-process`, the launch's worker threads instead). The scheduler's share of a round is its
message loop's CPU over the round's wall time, and how much of it the close's aggregation took
(`aggregationSeconds` in the metrics: wall seconds, on the loop's thread). Also the
registration time and the peak PSS of the process tree. Used for the simulation figures in
BENCHMARKS.md:

    python3 scripts/sim_rounds.py --clients 10000 --sampled 100 --rounds 20
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peak_memory import kilobytes, tree  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except OSError:
        return 0.0


def cpu_by_thread(pid):
    """CPU seconds of each of `pid`'s threads, summed by name (the kernel pool's threads are
    `tessera-pool<N>`, ZeroMQ's I/O thread `ZMQbg/IO/0`, the scheduler's evaluations and records
    `tessera-bg`, in-process workers' loops `tessera-host` and their training `tessera-task`;
    the scheduler's message loop runs on Dispatch's threads)."""
    totals = {}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return totals
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        name = ("kernel pool" if name.startswith("tessera-pool") else "ZeroMQ I/O" if name.startswith("ZMQbg")
                else "hosts" if name.startswith("tessera-host") else "training" if name.startswith("tessera-task")
                else "background" if name.startswith("tessera-bg") else "Dispatch")
        totals[name] = totals.get(name, 0.0) + cpu_seconds(f"{pid}/task/{tid}")
    return totals


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/tessera")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--clients-per-process", type=int, default=0, help="default: clients / 4")
    parser.add_argument("--sampled", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--model", default="mnist-2nn")
    parser.add_argument("--data", default="auto")
    parser.add_argument("--epochs", type=int, default=1, help="local epochs a round (E)")
    parser.add_argument("--bind", default="tcp://127.0.0.1:0", help="the scheduler's endpoint (ipc://PATH: a Unix socket)")
    parser.add_argument("--launch", default="local", choices=["local", "in-process"],
                        help="workers as processes, or as threads of the launch over the in-process channel")
    parser.add_argument("--update-precision", default="float32", choices=["float32", "bfloat16"],
                        help="training.update_precision: models in float32, or changes in bfloat16")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any other topology setting, passed on to `tessera launch --set` (repeatable)")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 (the rounds between the first and the last are measured)")
    per_process = args.clients_per_process or max(1, args.clients // 4)
    directory = tempfile.mkdtemp(prefix="tessera-sim-")
    topology = os.path.join(directory, "sim.yaml")
    with open(topology, "w") as f:
        f.write(f"""name: sim
runs: {directory}/runs
traces: false
scheduler:
  bind: {args.bind}
workers:
  launch: {args.launch}
  count: {args.clients}
  clients_per_process: {per_process}
data:
  source: {args.data}
  partition: power-law
model: {args.model}
training:
  rounds: {args.rounds}
  fraction: {args.sampled / args.clients!r}
  local_epochs: {args.epochs}
  batch_size: 10
  lr: 0.05
  update_precision: {args.update_precision}
  deadline: 300
  registration_timeout: 900
  seed: 1
""")
    start = time.monotonic()
    overrides = [word for setting in args.set for word in ("--set", setting)]
    launch = subprocess.Popen([args.binary, "launch", topology, *overrides], stdout=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], sum(kilobytes(f"/proc/{p}/smaps_rollup", "Pss") for p in tree(launch.pid)))
            time.sleep(0.5)

    threading.Thread(target=sample, daemon=True).start()
    marks, registered = {}, None
    for line in launch.stdout:
        if "workers registered in" in line and line.startswith(f"{args.clients} of"):
            registered = float(line.split(" in ")[1].split(" s")[0])
        for round_number in (1, args.rounds - 1):
            if line.startswith(f"round {round_number}:"):
                workers = [p for p in tree(launch.pid) if p != launch.pid]
                marks[round_number] = (time.monotonic(), cpu_seconds(launch.pid), sum(cpu_seconds(p) for p in workers),
                                       cpu_by_thread(launch.pid))
    launch.wait()
    done.set()
    if launch.returncode != 0 or len(marks) < 2:
        sys.exit(f"the run failed (exit {launch.returncode}); its files are in {directory}")
    with open(os.path.join(directory, "runs", "sim", "latest", "metrics.jsonl")) as f:
        rows = [json.loads(line) for line in f][1:-1]
    shutil.rmtree(directory)  # kept only when the run failed, for its logs
    rounds = args.rounds - 2
    (t0, s0, w0, threads0), (t1, s1, w1, threads1) = marks[1], marks[args.rounds - 1]
    wall, scheduler, workers = (t1 - t0) / rounds, (s1 - s0) / rounds, (w1 - w0) / rounds

    def thread_seconds(*names):
        return sum(threads1.get(name, 0) - threads0.get(name, 0) for name in names) / rounds

    if args.launch == "in-process":
        # The workers are threads of the launch: their loops and their training are theirs.
        hosted = thread_seconds("hosts", "training")
        scheduler, workers = scheduler - hosted, hosted
    loop = thread_seconds("Dispatch", "ZeroMQ I/O")
    evaluation = sum(row.get("evaluationSeconds", 0) for row in rows) / len(rows)
    # The close's sum of the updates (and the model's step), which the loop's CPU includes.
    aggregation = sum(row.get("aggregationSeconds", 0) for row in rows) / len(rows)
    print(f"clients {args.clients} on {-(-args.clients // per_process)} processes ({args.launch}), {args.sampled} sampled, {args.model}, E = {args.epochs}: "
          f"registered in {registered} s; per round after the first (to the one before the last): wall {wall:.3f} s, scheduler CPU {scheduler:.3f} s "
          f"(message loop {loop:.3f} s, evaluation and records {thread_seconds('background'):.3f} s, kernel pool {thread_seconds('kernel pool'):.3f} s; "
          f"the evaluation took {evaluation:.3f} s of wall time), workers CPU {workers:.3f} s; "
          f"scheduler's message loop {100 * loop / wall:.1f}% of the round (of which the close's aggregation "
          f"{1000 * aggregation:.1f} ms a round, {100 * aggregation / wall:.1f}%; the rest {100 * (loop - aggregation) / wall:.1f}%); "
          f"peak PSS {peak[0] / 1e6:.2f} GB; whole run {time.monotonic() - start:.1f} s")
    print("launch CPU per round by thread: " + ", ".join(
        f"{name} {(threads1.get(name, 0) - threads0.get(name, 0)) / rounds:.3f} s" for name in sorted(threads1)))


if __name__ == "__main__":
    main()
