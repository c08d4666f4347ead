#!/usr/bin/env python3
"""A Tessera federated worker in Python, on the `tessera` package (python/: pip install ./python).

Usage: worker.py tcp://SCHEDULER:PORT --id NAME --data MNIST_DIR

It takes its own share of MNIST from MNIST_DIR (every `clients`-th training image from its
client index on: the welcome says which) and trains the global model with SGD in NumPy: `logreg`
and `mnist-2nn` (Linear layers fc1, fc2, ... with ReLU between); with `data.held_out` it
evaluates too. The package does the protocol: registration, heartbeats while it trains, bye.
"""
import argparse
import gzip
import os
import struct

import numpy as np

import tessera


def idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(struct.unpack_from(">%dI" % dims, data, 4))


def load_mnist(directory):
    for suffix in (".gz", ""):
        images = os.path.join(directory, "train-images-idx3-ubyte" + suffix)
        labels = os.path.join(directory, "train-labels-idx1-ubyte" + suffix)
        if os.path.exists(images) and os.path.exists(labels):
            return idx(images), idx(labels)
    raise FileNotFoundError("no MNIST training files (train-images-idx3-ubyte[.gz]) in %s" % directory)


def forward(params, x):
    """The activations of Linear layers (weight out x in, bias out) with ReLU between."""
    activations = [x]
    for i, (w, b) in enumerate(params):
        x = x @ w.T + b
        if i < len(params) - 1:
            x = np.maximum(x, 0)
        activations.append(x)
    return activations


def log_softmax(logits):
    logits = logits - logits.max(axis=1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


class MNISTClient(tessera.NumPyClient):
    def __init__(self, directory):
        self.images, self.labels = load_mnist(directory)

    def num_samples(self):
        return len(self.labels)

    def label_counts(self):
        return np.bincount(self.labels, minlength=10).tolist()

    def setup(self, configuration):
        """Takes this client's share, normalized as Tessera does (pixel/255, then by the
        training set's mean and deviation); the last `heldOutFraction` of it held out."""
        scaled = self.images.astype(np.float32) / 255
        client, clients = configuration["clientIndex"], configuration["clients"]
        x = ((scaled[client::clients] - scaled.mean()) / scaled.std()).reshape(-1, 28 * 28)
        y = self.labels[client::clients].astype(np.int64)
        keep = len(x) - int(len(x) * configuration.get("heldOutFraction", 0))
        self.train_set, self.held_out = (x[:keep], y[:keep]), (x[keep:], y[keep:])

    def fit(self, weights, config):
        params = [(weights["fc%d.weight" % i], weights["fc%d.bias" % i]) for i in range(1, len(weights) // 2 + 1)]
        anchor = [(w.copy(), b.copy()) for w, b in params]
        (x, y), lr, mu = self.train_set, config["learningRate"], config.get("proximalMu", 0)
        rng, losses = np.random.default_rng(config["round"]), []
        for _ in range(config["epochs"]):
            order = rng.permutation(len(x))
            for start in range(0, len(x), config["batchSize"]):
                batch = order[start:start + config["batchSize"]]
                activations = forward(params, x[batch])
                probabilities = np.exp(log_softmax(activations[-1]))
                losses.append(-np.log(probabilities[np.arange(len(batch)), y[batch]] + 1e-12).mean())
                delta = probabilities
                delta[np.arange(len(batch)), y[batch]] -= 1
                delta /= len(batch)
                for i in reversed(range(len(params))):
                    (w, b), (aw, ab) = params[i], anchor[i]
                    gw, gb = delta.T @ activations[i], delta.sum(axis=0)
                    if i > 0:
                        delta = (delta @ w) * (activations[i] > 0)
                    w -= lr * (gw + mu * (w - aw))   # FedProx's proximal term when mu > 0
                    b -= lr * (gb + mu * (b - ab))
        return weights, len(x), {"loss": float(np.mean(losses))}   # the arrays were trained in place

    def evaluate(self, weights, config):
        (x, y) = self.held_out
        params = [(weights["fc%d.weight" % i], weights["fc%d.bias" % i]) for i in range(1, len(weights) // 2 + 1)]
        log_probabilities = log_softmax(forward(params, x)[-1])
        loss = float(-log_probabilities[np.arange(len(y)), y].mean())
        return loss, len(y), {"accuracy": float((log_probabilities.argmax(axis=1) == y).mean())}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("endpoint")
    parser.add_argument("--id", default="python-%d" % os.getpid())
    parser.add_argument("--data", required=True, help="directory with MNIST's train-*-idx*-ubyte[.gz] files")
    args = parser.parse_args()
    tessera.start_client(args.endpoint, MNISTClient(args.data), id=args.id)
