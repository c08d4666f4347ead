#!/usr/bin/env python3
"""Converts FedScale's device traces into a device file for `simulation.devices`.

FedScale ships two pickled dictionaries keyed by client id (its docs, "Device Trace File
Formats"):

- `client_device_capacity`: {'computation': inference latency, ms a sample, 'communication':
  link, kbit/s};
- `client_behave_trace` (optional): {'active': [s], 'inactive': [s], 'finish_time': s, ...}:
  the client is reachable from active[i] to inactive[i], the pattern repeating every finish_time
  seconds.

Mapping, one row per capacity entry in client-id order (Tessera's client i takes row i mod rows):

- `flops` = 2 x REFERENCE_PARAMETERS / (computation / 1000). FedScale charges 3 x the
  inference latency a sample for training; Tessera charges 6 FLOPs a parameter a sample at
  `flops`. So a model of REFERENCE_PARAMETERS parameters gets FedScale's compute times exactly.
  Give the parameter count of the model the latencies were measured for (default: mnist-2nn's
  199,210). Larger models take proportionally longer.
- `mbps` = communication / 1000; `latency` = 0 (FedScale has none).
- `online`: the behave trace's windows, repeated every finish_time up to HORIZON seconds. The
  n-th row takes the n-th behave entry in client-id order, mod entries. Without a behave trace
  every device is always reachable.

    python3 scripts/fedscale_devices.py client_device_capacity client_behave_trace > devices.csv
"""
import argparse
import pickle
import sys


def windows(trace, horizon):
    """The trace's active windows, repeated every finish_time, that start before horizon."""
    period = float(trace["finish_time"])
    pairs = list(zip(trace["active"], trace["inactive"]))
    if period <= 0 or not pairs:
        raise ValueError(f"a behave trace needs finish_time > 0 and active/inactive windows, got {trace!r}")
    found = []
    offset = 0.0
    while offset < horizon:
        for start, end in pairs:
            if start > end:
                raise ValueError(f"window {start}-{end} ends before it starts")
            if offset + start < horizon:
                found.append((offset + start, min(offset + end, horizon)))
        offset += period
    return ";".join(f"{start:g}-{end:g}" for start, end in found)


def load(path):
    """The dictionary pickled at path, or exits saying why not."""
    try:
        with open(path, "rb") as f:
            loaded = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError) as error:
        sys.exit(f"{path}: cannot read it: {error}")
    if not isinstance(loaded, dict) or not loaded:
        sys.exit(f"{path}: not a dictionary of clients, or no clients")
    return loaded


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("capacity", help="FedScale's client_device_capacity (a pickle)")
    parser.add_argument("behave", nargs="?", help="FedScale's client_behave_trace (a pickle); none: always reachable")
    parser.add_argument("--reference-parameters", type=float, default=199_210,
                        help="parameters of the model the latencies were measured for (default: mnist-2nn's)")
    parser.add_argument("--horizon", type=float, default=2 * 24 * 3600, help="virtual seconds of windows to write (default: two days)")
    args = parser.parse_args()
    capacity = load(args.capacity)
    behave = load(args.behave) if args.behave else None
    traces = [behave[key] for key in sorted(behave)] if behave else []
    rows = ["flops,mbps,latency,online"]
    for row, key in enumerate(sorted(capacity)):
        entry = capacity[key]
        try:
            latency_ms, kbps = float(entry["computation"]), float(entry["communication"])
            online = windows(traces[row % len(traces)], args.horizon) if traces else ""
        except (KeyError, TypeError, ValueError) as error:
            sys.exit(f"client {key}: malformed entry ({error!r}): {entry!r}")
        if latency_ms <= 0 or kbps <= 0:
            sys.exit(f"{args.capacity}: client {key}: computation and communication must be positive, got {entry!r}")
        flops = 2 * args.reference_parameters / (latency_ms / 1000)
        rows.append(f"{flops:.6g},{kbps / 1000:.6g},0,{online}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
