#!/usr/bin/env python3
"""Writes the privacy accountant's reference values: Google's dp-accounting (PyPI
`dp-accounting`, the accountant TensorFlow Privacy uses) on a grid of sampling rates, noise
multipliers and round counts, for the Poisson-sampled Gaussian mechanism.

Usage: pip install dp-accounting==0.6.0 && python3 scripts/rdp_fixtures.py > Tests/TesseraSchedulerTests/Fixtures/rdp.json
Each case has its RDP at a few orders (one round) and epsilon at delta over the accountant's
default orders after `rounds` rounds.
"""
import json

import dp_accounting
from dp_accounting import rdp

ORDERS = [1.5, 2.0, 3.7, 10.0, 32.0, 256.0]


def main():
    cases = []
    for q in [0.001, 0.01, 0.1, 0.5, 1.0]:
        for sigma in [0.5, 1.0, 1.1, 4.0]:
            for rounds in [1, 10, 100, 1000]:
                event = dp_accounting.SelfComposedDpEvent(
                    dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), rounds)
                accountant = rdp.RdpAccountant()
                accountant.compose(event)
                single = rdp.RdpAccountant(ORDERS)
                single.compose(dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)))
                epsilon, order = accountant.get_epsilon_and_optimal_order(1e-5)
                cases.append({"q": q, "noise_multiplier": sigma, "rounds": rounds, "delta": 1e-5,
                              "epsilon": float(epsilon), "order": float(order),
                              # An order the reference cannot compute (its series does not
                              # converge) is left out of its epsilon, and of these values.
                              "rdp": {str(o): float(r) for o, r in zip(ORDERS, single._rdp) if r != float("inf")}})
    print(json.dumps({"source": f"dp-accounting {dp_accounting.__version__ if hasattr(dp_accounting, '__version__') else '0.6.0'}, RdpAccountant with its default orders",
                      "cases": cases}, indent=1))


if __name__ == "__main__":
    main()
