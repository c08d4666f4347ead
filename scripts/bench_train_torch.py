#!/usr/bin/env python3
"""PyTorch's training step (forward, cross-entropy, backward, SGD update) on a Tessera model
declaration, on random data: the reference `scripts/bench_models.sh` runs beside
`tessera bench train`. Prints one JSON line: samples_per_s (median of REPS timed steps).

Usage: python3 scripts/bench_train_torch.py DECLARATION.json BATCH [THREADS] [REPS]
"""
import json
import statistics
import sys
import time

import torch

from tessera_torch import Declared


def main():
    declaration = json.load(open(sys.argv[1]))
    batch = int(sys.argv[2])
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = Declared(declaration)
    first = declaration["layers"][0]
    if isinstance(first, dict) and "embedding" in first:
        x = torch.randint(0, first["embedding"]["vocab"], [batch] + declaration["input"]).float()
    else:
        x = torch.randn([batch] + declaration["input"])
    with torch.no_grad():
        classes = model(x[:1]).shape[-1]
    labels = torch.arange(batch) % classes
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(json.dumps({"bench": "torch-train", "model": declaration.get("name", "declared"), "batch": batch, "threads": threads,
                      "torch": torch.__version__, "samples_per_s": batch / median, "seconds": median}))


if __name__ == "__main__":
    main()
