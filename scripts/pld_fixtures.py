#!/usr/bin/env python3
"""Writes the PLD accountant's reference values: Google's dp-accounting (PyPI `dp-accounting`)
PLDAccountant, at its default grid step of 1e-4, for the Poisson-sampled Gaussian mechanism on
the grid the RDP fixtures use, for runs whose rounds changed settings midway (a resumed run),
and the RDP accountant's epsilon beside each for comparison.

Usage: pip install dp-accounting==0.6.0 && python3 scripts/pld_fixtures.py 2>/dev/null > Tests/TesseraSchedulerTests/Fixtures/pld.json
"""
import json

import dp_accounting
from dp_accounting import pld, rdp

DELTA = 1e-5


def epsilons(runs):
    """PLD and RDP epsilon at DELTA after `runs`, a list of (q, sigma, rounds)."""
    events = [dp_accounting.SelfComposedDpEvent(
        dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), rounds)
        for q, sigma, rounds in runs]
    event = dp_accounting.ComposedDpEvent(events)
    loss = pld.PLDAccountant()
    loss.compose(event)
    renyi = rdp.RdpAccountant()
    renyi.compose(event)
    return float(loss.get_epsilon(DELTA)), float(renyi.get_epsilon(DELTA))


def main():
    cases = []
    grid = [[(q, sigma, rounds)] for q in [0.001, 0.01, 0.1, 0.5, 1.0]
            for sigma in [0.5, 1.0, 1.1, 4.0] for rounds in [1, 10, 100, 1000]]
    # Resumed runs: settings changed between runs of rounds.
    resumed = [[(0.1, 1.0, 3), (0.1, 100.0, 1)], [(0.01, 1.0, 50), (0.05, 2.0, 50)],
               [(1.0, 1.0, 3), (1.0, 2.0, 5)], [(0.1, 1.1, 20), (1.0, 4.0, 10)]]
    for runs in grid + resumed:
        loss, renyi = epsilons(runs)
        cases.append({"runs": [{"q": q, "noise_multiplier": s, "rounds": n} for q, s, n in runs],
                      "delta": DELTA, "epsilon": loss, "rdp_epsilon": renyi})
    print(json.dumps({"source": "dp-accounting 0.6.0, PLDAccountant(value_discretization_interval=1e-4) and RdpAccountant",
                      "cases": cases}, indent=1))


if __name__ == "__main__":
    main()
