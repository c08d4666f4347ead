#!/usr/bin/env python3
"""Flower's simulation engine (Ray) on the workload `scripts/sim_rounds.py` gives Tessera:
MNIST split among CLIENTS clients by the same power law (Pareto, exponent 1.5, at least 10
samples, drawn with overlap), the FedAvg paper's 2NN (784-200-200-10), SGD lr 0.05, one local
epoch of batches of 10, SAMPLED clients a round, the global model evaluated on the test set
after each round. Prints the time per round after the first and the peak PSS of the process
tree (this process and Ray's workers), sampled every 0.5 s. Not run in CI; needs a venv:

    python3 -m venv /tmp/flwr-venv
    /tmp/flwr-venv/bin/pip install 'flwr[simulation]' torch==2.13.0+cpu
    /tmp/flwr-venv/bin/python scripts/flower_compare.py --clients 1000 --sampled 100 --rounds 10

Compare with `python3 scripts/sim_rounds.py --clients 1000 --sampled 100 --rounds 10`.
"""
import argparse
import gzip
import os
import struct
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peak_memory import kilobytes, tree  # noqa: E402


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2049:
        return np.frombuffer(data, dtype=np.uint8, offset=8)
    rows, cols = struct.unpack(">II", data[8:16])
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows * cols)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--sampled", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--mnist", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist"))
    parser.add_argument("--cpus", type=int, default=os.cpu_count())
    args = parser.parse_args()

    import torch
    from torch import nn
    import flwr
    from flwr.client import ClientApp, NumPyClient
    from flwr.common import Context, ndarrays_to_parameters
    from flwr.server import ServerApp, ServerAppComponents, ServerConfig
    from flwr.server.strategy import FedAvg
    from flwr.simulation import run_simulation

    torch.set_num_threads(1)
    x_train = (read_idx(os.path.join(args.mnist, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255 - 0.1307) / 0.3081
    y_train = read_idx(os.path.join(args.mnist, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    x_test = (read_idx(os.path.join(args.mnist, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255 - 0.1307) / 0.3081
    y_test = read_idx(os.path.join(args.mnist, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    order = np.random.default_rng(1).permutation(len(y_train))

    def share(client):
        rng = np.random.default_rng([1, client])
        size = int(min(len(order), np.floor(10 * (1 - rng.random()) ** (-1 / 1.5))))
        start = int(rng.integers(len(order)))
        return order[(start + np.arange(size)) % len(order)]

    def model():
        return nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 200), nn.ReLU(), nn.Linear(200, 10))

    def get(net):
        return [p.detach().numpy().copy() for p in net.state_dict().values()]

    def put(net, weights):
        net.load_state_dict({k: torch.tensor(w) for k, w in zip(net.state_dict().keys(), weights)})

    class Client(NumPyClient):
        def __init__(self, client):
            self.indices = share(client)

        def fit(self, parameters, config):
            net = model()
            put(net, parameters)
            optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
            x, y = torch.tensor(x_train[self.indices]), torch.tensor(y_train[self.indices])
            for batch in torch.randperm(len(y)).split(10):
                optimizer.zero_grad()
                nn.functional.cross_entropy(net(x[batch]), y[batch]).backward()
                optimizer.step()
            return get(net), len(y), {}

    def client_fn(context: Context):
        return Client(int(context.node_config["partition-id"])).to_client()

    marks = []

    def evaluate(server_round, parameters, config):
        net = model()
        put(net, parameters)
        with torch.no_grad():
            logits = net(torch.tensor(x_test))
        marks.append(time.monotonic())
        accuracy = float((logits.argmax(1) == torch.tensor(y_test)).float().mean())
        print(f"round {server_round}: accuracy {100 * accuracy:.2f}%", file=sys.stderr)
        return float(nn.functional.cross_entropy(logits, torch.tensor(y_test))), {"accuracy": accuracy}

    def server_fn(context: Context):
        strategy = FedAvg(fraction_fit=args.sampled / args.clients, fraction_evaluate=0.0, min_fit_clients=args.sampled,
                          min_available_clients=args.clients, evaluate_fn=evaluate,
                          initial_parameters=ndarrays_to_parameters(get(model())))
        return ServerAppComponents(strategy=strategy, config=ServerConfig(num_rounds=args.rounds))

    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], sum(kilobytes(f"/proc/{p}/smaps_rollup", "Pss") for p in tree(os.getpid())))
            time.sleep(0.5)

    threading.Thread(target=sample, daemon=True).start()
    start = time.monotonic()
    run_simulation(server_app=ServerApp(server_fn=server_fn), client_app=ClientApp(client_fn=client_fn), num_supernodes=args.clients,
                   backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0}, "init_args": {"num_cpus": args.cpus}})
    done.set()
    rounds = marks[1:]  # marks[0] is the initial model's evaluation, before round 1
    per_round = (rounds[-1] - rounds[0]) / (len(rounds) - 1) if len(rounds) > 1 else float("nan")
    print(f"flower {flwr.__version__}, {args.clients} clients, {args.sampled} sampled, 2NN: per round after the first {per_round:.3f} s; "
          f"peak PSS {peak[0] / 1e6:.2f} GB; whole run {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main()
