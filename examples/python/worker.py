#!/usr/bin/env python3
"""A Tessera federated worker in Python: pyzmq + struct + numpy, nothing else (docs/PROTOCOL.md,
"Joining a federated run").

Usage: worker.py tcp://SCHEDULER:PORT --id NAME --data MNIST_DIR

It registers with a `tessera scheduler`, takes its own share of MNIST from MNIST_DIR (every
`clients`-th training image from its client index on: the welcome says which), and answers
every train task by training the global model with SGD in numpy: `logreg` and `mnist-2nn`
(Linear layers fc1, fc2, ... with ReLU between). It heartbeats every second, also while it
trains, and leaves when the scheduler says bye. Exits 0 then.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import zmq

REGISTER, WELCOME, HEARTBEAT, BYE, DONE = 1, 2, 3, 4, 16
TRAIN_TASK, UPDATE, EVALUATE_TASK, EVALUATION, ERROR = 20, 21, 23, 24, 30


# --- the wire format: a header frame, then one frame per tensor ---------------------------

def header(kind, msg_id, body, reply_to=0):
    return b"TSRA" + struct.pack("<BBHQQI", 1, kind, 0, msg_id, reply_to, len(body)) + body


def string(text):
    data = text.encode()
    return struct.pack("<I", len(data)) + data


class Reader:
    """Reads a message body field by field."""

    def __init__(self, body, payloads):
        self.body, self.offset, self.payloads = body, 0, list(payloads)

    def take(self, fmt):
        values = struct.unpack_from("<" + fmt, self.body, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def string(self):
        n = self.take("I")
        text = self.body[self.offset:self.offset + n].decode()
        self.offset += n
        return text

    def named_tensors(self):
        tensors = []
        for _ in range(self.take("I")):
            name = self.string()
            dtype, rank = self.take("B"), self.take("B")
            assert dtype == 1, dtype
            shape = [self.take("I") for _ in range(rank)]
            tensors.append((name, np.frombuffer(self.payloads.pop(0), dtype="<f4").reshape(shape).copy()))
        return tensors


def receive(sock):
    """(type, id, reply-to, Reader) of the next message."""
    frames = sock.recv_multipart()
    h = frames[0]
    if h[:4] != b"TSRA" or h[4] != 1:
        raise ValueError("not a Tessera message")
    msg_id, reply_to, n = struct.unpack_from("<QQI", h, 8)
    return h[5], msg_id, reply_to, Reader(h[28:28 + n], frames[1:])


def named_tensor_frames(tensors):
    """The body part and payload frames of a list of named tensors."""
    body, payloads = struct.pack("<I", len(tensors)), []
    for name, array in tensors:
        array = np.asarray(array, dtype="<f4", order="C")   # asarray keeps rank 0 (ascontiguousarray would not)
        body += string(name) + struct.pack("<BB", 1, array.ndim) + b"".join(struct.pack("<I", d) for d in array.shape)
        payloads.append(array.tobytes())
    return body, payloads


# --- data: the worker's own share of MNIST -------------------------------------------------

def idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack_from(">%dI" % dims, data, 4)
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_mnist(directory):
    for suffix in (".gz", ""):
        images = os.path.join(directory, "train-images-idx3-ubyte" + suffix)
        labels = os.path.join(directory, "train-labels-idx1-ubyte" + suffix)
        if os.path.exists(images) and os.path.exists(labels):
            return idx(images), idx(labels)
    raise FileNotFoundError("no MNIST training files (train-images-idx3-ubyte[.gz]) in %s" % directory)


def my_share(images, labels, client, clients, held_out):
    """Every clients-th image from index `client` on; the last `held_out` fraction held out.
    Inputs are normalized as Tessera does: pixel/255, then by the whole training set's mean
    and standard deviation."""
    scaled = images.astype(np.float32) / 255
    mean, std = scaled.mean(), scaled.std()
    x = ((scaled[client::clients] - mean) / std).reshape(-1, 28 * 28)
    y = labels[client::clients].astype(np.int64)
    keep = len(x) - int(len(x) * held_out)
    return (x[:keep], y[:keep]), (x[keep:], y[keep:])


# --- the model: Linear layers fc1..fcN (weight out x in, bias out), ReLU between --------------

def layers(weights):
    by_name = dict(weights)
    count = sum(1 for name, _ in weights if name.endswith(".weight"))
    return [(by_name["fc%d.weight" % i], by_name["fc%d.bias" % i]) for i in range(1, count + 1)]


def forward(params, x):
    activations = [x]
    for i, (w, b) in enumerate(params):
        x = x @ w.T + b
        if i < len(params) - 1:
            x = np.maximum(x, 0)
        activations.append(x)
    return activations


def loss_and_gradients(params, x, y):
    activations = forward(params, x)
    logits = activations[-1]
    logits = logits - logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    loss = -np.log(probabilities[np.arange(len(y)), y] + 1e-12).mean()   # crossEntropy: the batch mean
    delta = probabilities
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    gradients = []
    for i in reversed(range(len(params))):
        w, _ = params[i]
        gradients.append((delta.T @ activations[i], delta.sum(axis=0)))
        if i > 0:
            delta = (delta @ w) * (activations[i] > 0)
    return loss, gradients[::-1]


class Worker:
    def __init__(self, endpoint, worker_id, data):
        self.sock = zmq.Context().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.ROUTING_ID, worker_id.encode())
        self.sock.setsockopt(zmq.LINGER, 1000)
        self.sock.connect(endpoint)
        self.worker_id, self.data, self.next_id, self.last_heartbeat = worker_id, data, 1, 0.0
        self.train_set = self.held_out = None

    def send(self, kind, body=b"", payloads=(), reply_to=0):
        self.next_id += 1
        self.sock.send_multipart([header(kind, self.next_id, body, reply_to)] + list(payloads))

    def heartbeat(self):
        if time.monotonic() - self.last_heartbeat >= 1:
            self.send(HEARTBEAT)
            self.last_heartbeat = time.monotonic()

    def welcome(self, configuration):
        images, labels = self.images, self.labels
        self.train_set, self.held_out = my_share(images, labels, configuration["clientIndex"],
                                                 configuration["clients"], configuration.get("heldOutFraction", 0))
        print("worker %s joined as client %d of %d with %d samples" % (
            self.worker_id, configuration["clientIndex"], configuration["clients"], len(self.train_set[0])), flush=True)

    def train(self, weights, hyper, seed):
        names = [name for name, _ in weights]
        params = layers(weights)
        anchor = [(w.copy(), b.copy()) for w, b in params]
        x, y = self.train_set
        rng, lr, mu, losses = np.random.default_rng(seed), hyper["learningRate"], hyper.get("proximalMu", 0), []
        for _ in range(hyper["epochs"]):
            order = rng.permutation(len(x))
            for start in range(0, len(x), hyper["batchSize"]):
                self.heartbeat()   # the scheduler takes a worker silent for its heartbeat timeout for dead
                batch = order[start:start + hyper["batchSize"]]
                loss, gradients = loss_and_gradients(params, x[batch], y[batch])
                losses.append(loss)
                for (w, b), (gw, gb), (aw, ab) in zip(params, gradients, anchor):
                    w -= lr * (gw + mu * (w - aw))   # FedProx's proximal term when mu > 0
                    b -= lr * (gb + mu * (b - ab))
        trained = dict(("fc%d.weight" % (i + 1), w) for i, (w, _) in enumerate(params))
        trained.update(("fc%d.bias" % (i + 1), b) for i, (_, b) in enumerate(params))
        return [(name, trained[name]) for name in names], float(np.mean(losses))

    def evaluate(self, weights):
        x, y = self.held_out
        logits = forward(layers(weights), x)[-1]
        logits = logits - logits.max(axis=1, keepdims=True)
        log_probabilities = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        loss = float(-log_probabilities[np.arange(len(y)), y].mean())
        return len(y), int((logits.argmax(axis=1) == y).sum()), loss

    def run(self):
        # This worker brings its own data: it registers its size and label histogram, and the
        # scheduler holds its sample-count claims to that.
        self.images, self.labels = load_mnist(self.data)
        histogram = np.bincount(self.labels, minlength=10)
        self.send(REGISTER, string(self.worker_id) + struct.pack("<QI", len(self.labels), len(histogram))
                  + b"".join(struct.pack("<Q", int(count)) for count in histogram))
        while True:
            self.heartbeat()
            if not self.sock.poll(100):
                continue
            kind, msg_id, reply_to, body = receive(self.sock)
            if kind == WELCOME:
                body.string()                                    # run id
                self.welcome(json.loads(body.string()))
                self.send(DONE, struct.pack("<QQ", 0, 0), reply_to=msg_id)   # ready: the scheduler waits for this
            elif kind == TRAIN_TASK:
                round_, version = body.take("Q"), body.take("Q")
                hyper = json.loads(body.string())
                weights, loss = self.train(body.named_tensors(), hyper, seed=round_)
                metrics = struct.pack("<I", 1) + string("loss") + struct.pack("<d", loss)
                tensors, payloads = named_tensor_frames(weights)
                self.send(UPDATE, struct.pack("<QQQB", round_, version, len(self.train_set[0]), 0) + metrics + tensors,
                          payloads, reply_to=msg_id)
                print("worker %s: round %d trained, loss %.4f" % (self.worker_id, round_, loss), flush=True)
            elif kind == EVALUATE_TASK:
                round_ = body.take("Q")
                count, correct, loss = self.evaluate(body.named_tensors())
                self.send(EVALUATION, struct.pack("<QQQd", round_, count, correct, loss), reply_to=msg_id)
            elif kind == ERROR:
                code = body.take("H")
                print("worker %s: scheduler says error %d: %s" % (self.worker_id, code, body.string()), flush=True)
            elif kind == BYE:
                print("worker %s: bye (%s)" % (self.worker_id, body.string()), flush=True)
                return


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("endpoint")
    parser.add_argument("--id", default="python-%d" % os.getpid())
    parser.add_argument("--data", required=True, help="directory with MNIST's train-*-idx*-ubyte[.gz] files")
    args = parser.parse_args()
    Worker(args.endpoint, args.id, args.data).run()


if __name__ == "__main__":
    sys.exit(main())
