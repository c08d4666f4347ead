"""A federated client: your training code, and the protocol around it."""
import concurrent.futures
import json
import os
import struct
import sys
import time

import numpy as np
import zmq

from . import wire


class NumPyClient:
    """What a client does, in the spirit of Flower's NumPyClient. Weights travel as a dict of
    float32 arrays named and shaped as the run's model (`tessera model NAME` lists them).

    Override :meth:`fit` (required), and :meth:`evaluate` for federated evaluation
    (`data.held_out` > 0). :meth:`num_samples` and :meth:`label_counts` describe the data this
    client brings: the scheduler holds every update's sample count to what it registered.
    """

    def num_samples(self):
        """How many training samples this client has (registered with the scheduler)."""
        return 0

    def label_counts(self):
        """How many samples of each class it has (for the run's records); [] if unknown."""
        return []

    def setup(self, configuration):
        """Called once the scheduler welcomes this client, with the run's client configuration
        (its `model`, `clientIndex`, `clients`, `seed`: docs/PROTOCOL.md)."""

    def fit(self, weights, config):
        """Train from the global `weights` for one task. `config` holds the round's
        hyperparameters (`epochs`, `batchSize`, `learningRate`, `momentum`, `weightDecay`, ...)
        and `round`. Returns (new weights by the same names, samples trained on, metrics)."""
        raise NotImplementedError("a client must implement fit(weights, config)")

    def evaluate(self, weights, config):
        """Evaluate `weights` on held-out data: (loss, samples, metrics with `accuracy`)."""
        raise NotImplementedError("this client does not evaluate")


def _keys(directory, client_id):
    """(public, secret, server public) Z85 keys from `tessera keys generate`'s directory."""
    def read(name):
        path = os.path.join(directory, name)
        try:
            with open(path, "rb") as f:
                return f.read().strip()
        except OSError as error:
            raise FileNotFoundError("%s: %s (tessera keys generate scheduler %s --dir %s)" % (path, error.strerror, client_id, directory))
    secret = read(client_id + ".key")
    return zmq.curve_public(secret), secret, read("scheduler.pub")


class _Session:
    """One client's connection to a scheduler: the socket lives on the calling thread, your
    code runs on another, so heartbeats go out while it trains."""

    def __init__(self, endpoint, client, client_id, keys, scheduler_timeout, give_up, log):
        self.client, self.client_id, self.log = client, client_id, log
        self.scheduler_timeout, self.give_up = scheduler_timeout, give_up
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.ROUTING_ID, client_id.encode())
        self.sock.setsockopt(zmq.LINGER, 2000)
        if keys:
            self.sock.curve_publickey, self.sock.curve_secretkey, self.sock.curve_serverkey = _keys(keys, client_id)
        self.sock.connect(endpoint)
        self.next_id, self.last_sent, self.last_heard = 1, 0.0, time.monotonic()
        # Your code runs on one thread, one piece of work after another; each is answered in turn.
        self.run_id, self.pool, self.pending = None, concurrent.futures.ThreadPoolExecutor(max_workers=1), []

    def send(self, kind, body=b"", payloads=(), reply_to=0):
        self.next_id += 1
        self.sock.send_multipart([wire.header(kind, self.next_id, body, reply_to)] + list(payloads))
        self.last_sent = time.monotonic()

    def register(self):
        counts = [int(c) for c in self.client.label_counts()]
        self.send(wire.REGISTER, wire.string(self.client_id) + struct.pack("<QI", int(self.client.num_samples()), len(counts))
                  + b"".join(struct.pack("<Q", c) for c in counts))

    def error(self, code, text, reply_to):
        self.send(wire.ERROR, struct.pack("<H", code) + wire.string(text[:2000]), reply_to=reply_to)

    def start(self, work, finish, reply_to):
        """Runs `work` on the client's thread; `finish(result)` is sent when it is done."""
        self.pending.append((self.pool.submit(work), finish, reply_to))

    def finish_pending(self):
        while self.pending and self.pending[0][0].done():
            future, finish, reply_to = self.pending.pop(0)
            try:
                finish(future.result())
            except Exception as error:   # your code's failure is answered, and the client goes on
                self.log("error: %s: %s" % (type(error).__name__, error))
                self.error(wire.CLIENT_FAILED, "%s: %s" % (type(error).__name__, error), reply_to)

    def handle(self, kind, msg_id, body):
        if kind == wire.WELCOME:
            run_id, configuration = body.string(), json.loads(body.string())
            if self.run_id is not None and run_id != self.run_id:
                return self.error(wire.WRONG_RUN, "this client belongs to run %s, not %s" % (self.run_id, run_id), msg_id)
            self.run_id = run_id
            self.start(lambda: self.client.setup(configuration),
                       lambda _: self.send(wire.DONE, struct.pack("<QQ", 0, 0), reply_to=msg_id), msg_id)
        elif kind == wire.TRAIN_TASK:
            round_, version = body.take("Q"), body.take("Q")
            config = dict(json.loads(body.string()), round=round_)
            weights = body.named_tensors()

            def finish(result):
                new, samples, values = result
                missing = [name for name in weights if name not in new]
                if missing:
                    raise ValueError("fit returned no %s (it must return every weight by name)" % ", ".join(missing))
                # updatePrecision bfloat16: the change from the task's weights goes back, rounded (a delta).
                delta = config.get("updatePrecision") == "bfloat16"
                tensors, payloads = wire.named_tensor_frames(
                    [(name, np.asarray(new[name], dtype="<f4") - weights[name] if delta else new[name]) for name in weights],
                    bfloat16=delta)
                self.send(wire.UPDATE, struct.pack("<QQQB", round_, version, int(samples), 1 if delta else 0) + wire.metrics(values or {}) + tensors,
                          payloads, reply_to=msg_id)
                self.log("round %d trained on %d samples%s%s" % (round_, samples, "".join(", %s %.4f" % kv for kv in (values or {}).items()),
                                                               "; change sent in bfloat16" if delta else ""))
            self.start(lambda: self.client.fit(weights, config), finish, msg_id)
        elif kind == wire.EVALUATE_TASK:
            round_ = body.take("Q")
            weights = body.named_tensors()

            def finish(result):
                loss, samples, values = result
                correct = int(round(float((values or {}).get("accuracy", 0)) * samples))
                self.send(wire.EVALUATION, struct.pack("<QQQd", round_, int(samples), correct, float(loss)), reply_to=msg_id)
            self.start(lambda: self.client.evaluate(weights, {"round": round_}), finish, msg_id)
        elif kind == wire.ERROR:
            code, text = body.take("H"), body.string()
            if code == wire.NOT_REGISTERED:
                self.log("the scheduler does not know this client (it restarted?): registering again")
                self.register()
            else:
                self.log("the scheduler says error %d: %s" % (code, text))
        elif kind == wire.BYE:
            self.log("bye (%s)" % body.string())
            return True
        return False

    def run(self):
        self.register()
        warned = False
        while True:
            now = time.monotonic()
            if now - self.last_sent >= 1:
                self.send(wire.HEARTBEAT)
            self.finish_pending()
            silent = now - self.last_heard
            if silent >= self.give_up:
                raise TimeoutError("no message from the scheduler for %.0f s: giving up" % silent)
            if silent >= self.scheduler_timeout and not warned:
                self.log("no message from the scheduler for %.0f s; still trying (gives up after %.0f s)" % (silent, self.give_up))
                warned = True
            if not self.sock.poll(10 if self.pending else 100):   # a finished task goes out within 10 ms
                continue
            frames = self.sock.recv_multipart()
            self.last_heard, warned = time.monotonic(), False
            try:
                kind, msg_id, _, body = wire.parse(frames)
                if self.handle(kind, msg_id, body):
                    return
            except (wire.ProtocolError, ValueError, KeyError) as error:   # a bad message is logged, not fatal
                self.log("ignored a malformed message: %s" % error)

    def close(self):
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.sock.close()


def start_client(endpoint, client, id=None, keys=None, scheduler_timeout=10.0, give_up=300.0, quiet=False):
    """Joins the federation whose scheduler listens at `endpoint` (`tcp://HOST:PORT`) as `id`
    (default: python-PID) and serves `client` until the scheduler says bye. `keys`: the
    directory of `tessera keys generate` (this client's `ID.key` and `scheduler.pub`) for a
    CURVE-secured run. Raises TimeoutError after `give_up` seconds without hearing the scheduler.
    """
    client_id = id or "python-%d" % os.getpid()

    def log(text):
        if not quiet:
            print("%s: %s" % (client_id, text), file=sys.stderr, flush=True)
    session = _Session(endpoint, client, client_id, keys, scheduler_timeout, give_up, log)
    try:
        session.run()
    finally:
        session.close()
