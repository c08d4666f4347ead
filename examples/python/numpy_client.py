#!/usr/bin/env python3
"""A NumPy client: softmax regression on its own part of a data file, trained with SGD.
Usage: numpy_client.py tcp://SCHEDULER:PORT --id NAME --data FILE.safetensors --part K/N
The run's model must be one linear layer (`{linear: {out: CLASSES}}`: weights fc1.weight, fc1.bias)."""
import argparse

import numpy as np
from safetensors.numpy import load_file

import tessera


class SoftmaxRegression(tessera.NumPyClient):
    def __init__(self, x, y):
        self.x, self.y = x.reshape(len(x), -1).astype(np.float32), y.astype(np.int64)

    def num_samples(self):
        return len(self.y)

    def label_counts(self):
        return np.bincount(self.y).tolist()

    def fit(self, weights, config):
        w, b = weights["fc1.weight"], weights["fc1.bias"]
        rng, losses = np.random.default_rng(config["round"]), []
        for _ in range(config["epochs"]):
            order = rng.permutation(len(self.y))
            for start in range(0, len(order), config["batchSize"]):
                batch = order[start:start + config["batchSize"]]
                logits = self.x[batch] @ w.T + b
                p = np.exp(logits - logits.max(axis=1, keepdims=True))
                p /= p.sum(axis=1, keepdims=True)
                losses.append(-np.log(p[np.arange(len(batch)), self.y[batch]] + 1e-12).mean())
                p[np.arange(len(batch)), self.y[batch]] -= 1
                w -= config["learningRate"] * (p.T @ self.x[batch]) / len(batch)
                b -= config["learningRate"] * p.sum(axis=0) / len(batch)
        return {"fc1.weight": w, "fc1.bias": b}, len(self.y), {"loss": float(np.mean(losses))}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("endpoint")
    parser.add_argument("--id")
    parser.add_argument("--data", required=True)
    parser.add_argument("--part", default="0/1", help="K/N: this client's samples are K, K+N, K+2N, ...")
    parser.add_argument("--keys", help="tessera keys generate's directory (ID.key, scheduler.pub) for a CURVE-secured run")
    args = parser.parse_args()
    k, n = map(int, args.part.split("/"))
    data = load_file(args.data)
    tessera.start_client(args.endpoint, SoftmaxRegression(data["x"][k::n], data["y"][k::n]), id=args.id, keys=args.keys)
