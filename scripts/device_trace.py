#!/usr/bin/env python3
"""Writes a device file for `simulation.devices` (docs/TOPOLOGY.md): one device per line,
`flops,mbps,latency,online`, drawn from a seed.

Compute is log-normal around 1 GFLOP/s (a tenth of the devices 2x slower or more), links
log-normal around 20 Mbit/s with a wider spread (0.5 to 500 Mbit/s), latency around 50 ms, slower
links slower to answer. Most devices come and go in a day: one to three windows of one to eight
hours each within the first 24 virtual hours, repeated for DAYS days; a fifth are always
reachable (their `online` is empty).

    python3 scripts/device_trace.py --devices 10000 --seed 1 --days 2 > Topologies/devices-10k.csv
"""
import argparse
import math
import random


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=2)
    args = parser.parse_args()
    if args.devices < 1 or args.days < 1:
        parser.error("--devices and --days must be at least 1")
    rng = random.Random(args.seed)
    day = 24 * 3600
    print("flops,mbps,latency,online")
    for _ in range(args.devices):
        flops = 1e9 * math.exp(rng.gauss(0, 0.5))
        link = math.exp(rng.gauss(0, 1.0))
        mbps = min(500.0, max(0.5, 20 * link))
        latency = 0.05 / math.sqrt(link) * math.exp(rng.gauss(0, 0.2))
        windows = []
        if rng.random() >= 0.2:
            starts = sorted(rng.uniform(0, day - 3600) for _ in range(rng.randint(1, 3)))
            end = 0.0
            for start in starts:
                start = max(start, end + 60)
                length = rng.uniform(3600, 8 * 3600)
                end = min(start + length, day - 1)
                if start < end:
                    windows.append((start, end))
        online = ";".join(f"{start + d * day:.0f}-{end + d * day:.0f}" for d in range(args.days) for start, end in windows)
        print(f"{flops:.4g},{mbps:.4g},{latency:.4g},{online}")


if __name__ == "__main__":
    main()
