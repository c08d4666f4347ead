#!/usr/bin/env python3
"""Drive a Tessera worker from Python with pyzmq + struct + numpy (docs/PROTOCOL.md).

Usage: client.py tcp://127.0.0.1:PORT
Puts two matrices and an image batch on the worker, runs matmul, relu and conv2d there, gets
the results back and checks them against numpy. Prints "ok" and exits 0 when all match.
"""
import struct
import sys

import numpy as np
import zmq

PUT, GET, TENSOR, EXEC, DONE, ERROR = 10, 11, 12, 14, 16, 30
MATMUL, RELU, CONV2D = 30, 10, 31


def header(kind, msg_id, body, reply_to=0):
    return b"TSRA" + struct.pack("<BBHQQI", 1, kind, 0, msg_id, reply_to, len(body)) + body


def tensor_desc(a):
    return struct.pack("<BB", 1, a.ndim) + b"".join(struct.pack("<I", d) for d in a.shape)


def put(sock, msg_id, tid, a):
    a = np.asarray(a, dtype="<f4", order="C")   # not ascontiguousarray: it turns a rank-0 array into shape [1]
    sock.send_multipart([header(PUT, msg_id, struct.pack("<Q", tid) + tensor_desc(a)), a.tobytes()])
    return read_reply(sock)


def exec_op(sock, msg_id, code, inputs, output, params=b""):
    body = struct.pack("<B", code) + params + struct.pack("<I", len(inputs))
    body += b"".join(struct.pack("<Q", i) for i in inputs) + struct.pack("<Q", output)
    sock.send_multipart([header(EXEC, msg_id, body)])
    return read_reply(sock)


def get(sock, msg_id, tid):
    sock.send_multipart([header(GET, msg_id, struct.pack("<Q", tid))])
    return read_reply(sock)


def read_reply(sock):
    frames = sock.recv_multipart()
    h = frames[0]
    assert h[:4] == b"TSRA", h[:4]
    kind = h[5]
    (n,) = struct.unpack_from("<I", h, 24)
    body = h[28:28 + n]
    if kind == TENSOR:
        rank = body[9]
        shape = struct.unpack_from("<%dI" % rank, body, 10)
        return np.frombuffer(frames[1], dtype="<f4").reshape(shape)
    if kind == ERROR:
        code, length = struct.unpack_from("<HI", body)
        raise RuntimeError(code, body[6:6 + length].decode())
    assert kind == DONE, kind
    return kind


def conv2d_reference(x, w, padding):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((n, o, h + 2 * padding - kh + 1, wd + 2 * padding - kw + 1), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + out.shape[2], j:j + out.shape[3]]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return out


def main():
    sock = zmq.Context().socket(zmq.DEALER)
    sock.setsockopt(zmq.RCVTIMEO, 10000)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(sys.argv[1])
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 7)).astype(np.float32)
    b = rng.standard_normal((7, 3)).astype(np.float32)
    put(sock, 1, 1, a)
    put(sock, 2, 2, b)
    exec_op(sock, 3, MATMUL, [1, 2], 3)
    exec_op(sock, 4, RELU, [3], 4)
    relu = get(sock, 5, 4)
    assert np.allclose(relu, np.maximum(a @ b, 0), atol=1e-5), relu

    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    put(sock, 6, 10, x)
    put(sock, 7, 11, w)
    exec_op(sock, 8, CONV2D, [10, 11], 12, struct.pack("<6I", 1, 1, 1, 1, 1, 1))
    conv = get(sock, 9, 12)
    assert np.allclose(conv, conv2d_reference(x, w, 1), atol=1e-4), "conv2d differs"

    try:
        get(sock, 10, 999)
        raise AssertionError("unknown id accepted")
    except RuntimeError as error:
        assert error.args[0] == 100, error
    print("ok")


if __name__ == "__main__":
    main()
