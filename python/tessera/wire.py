"""Tessera's wire format (docs/PROTOCOL.md): a header frame, then one frame per tensor."""
import struct

import numpy as np

REGISTER, WELCOME, HEARTBEAT, BYE, DONE = 1, 2, 3, 4, 16
TRAIN_TASK, UPDATE, EVALUATE_TASK, EVALUATION, ERROR = 20, 21, 23, 24, 30
# Error codes a client answers or acts on.
NOT_REGISTERED, WRONG_RUN, CLIENT_FAILED = 101, 100, 1
MAGIC, VERSION, HEADER_BYTES = b"TSRA", 1, 28


class ProtocolError(Exception):
    """A message that does not follow docs/PROTOCOL.md."""


def header(kind, msg_id, body, reply_to=0):
    """The header frame of a message of `kind` with `body`."""
    return MAGIC + struct.pack("<BBHQQI", VERSION, kind, 0, msg_id, reply_to, len(body)) + body


def string(text):
    data = text.encode()
    return struct.pack("<I", len(data)) + data


def metrics(values):
    """A metrics map: a count, then name and float64 value pairs."""
    finite = {k: float(v) for k, v in values.items() if np.isfinite(float(v))}
    return struct.pack("<I", len(finite)) + b"".join(string(k) + struct.pack("<d", v) for k, v in finite.items())


class Reader:
    """Reads a message body field by field; every read is bounds-checked."""

    def __init__(self, body, payloads):
        self.body, self.offset, self.payloads = body, 0, list(payloads)

    def take(self, fmt):
        size = struct.calcsize("<" + fmt)
        if self.offset + size > len(self.body):
            raise ProtocolError("message body ends early")
        values = struct.unpack_from("<" + fmt, self.body, self.offset)
        self.offset += size
        return values if len(values) > 1 else values[0]

    def string(self):
        n = self.take("I")
        if self.offset + n > len(self.body):
            raise ProtocolError("string runs past the message body")
        text = self.body[self.offset:self.offset + n].decode()
        self.offset += n
        return text

    def named_tensors(self):
        """The named tensors that follow, in order, as a dict name -> float32 array (bfloat16
        ones, dtype 3, widened)."""
        tensors = {}
        for _ in range(self.take("I")):
            name = self.string()
            dtype, rank = self.take("B"), self.take("B")
            if dtype not in (1, 3):
                raise ProtocolError("tensor %s has element type %d, not float32 (1) or bfloat16 (3)" % (name, dtype))
            shape = [self.take("I") for _ in range(rank)]
            if not self.payloads:
                raise ProtocolError("tensor %s has no payload frame" % name)
            payload = self.payloads.pop(0)
            width = 4 if dtype == 1 else 2
            if len(payload) != width * int(np.prod(shape, dtype=np.int64)):
                raise ProtocolError("tensor %s: %d bytes do not make %s" % (name, len(payload), shape))
            if dtype == 1:
                tensors[name] = np.frombuffer(payload, dtype="<f4").reshape(shape).copy()
            else:
                wide = np.frombuffer(payload, dtype="<u2").astype("<u4") << 16
                tensors[name] = wide.view("<f4").reshape(shape)
        return tensors


def parse(frames):
    """(type, id, reply-to, Reader) of a received multipart message."""
    if not frames or len(frames[0]) < HEADER_BYTES or frames[0][:4] != MAGIC or frames[0][4] != VERSION:
        raise ProtocolError("not a Tessera message")
    h = frames[0]
    msg_id, reply_to, n = struct.unpack_from("<QQI", h, 8)
    if HEADER_BYTES + n > len(h):
        raise ProtocolError("header says %d body bytes, the frame has fewer" % n)
    return h[5], msg_id, reply_to, Reader(h[HEADER_BYTES:HEADER_BYTES + n], frames[1:])


def bfloat16_bits(array):
    """The bfloat16 nearest each float32 of `array` (ties to even, as PyTorch rounds), as
    uint16 bits; a NaN stays a NaN, a value beyond bfloat16's range becomes infinite."""
    bits = np.asarray(array, dtype="<f4").view("<u4")
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))) >> 16
    nan = (bits & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000)
    return np.where(nan, (bits >> 16) | np.uint32(0x40), rounded).astype("<u2")


def named_tensor_frames(tensors, bfloat16=False):
    """The body part and payload frames of named tensors (a dict or pairs), in order: float32
    (dtype 1), or rounded to bfloat16 (dtype 3, half the bytes)."""
    items = list(tensors.items()) if isinstance(tensors, dict) else list(tensors)
    body, payloads = struct.pack("<I", len(items)), []
    for name, array in items:
        array = np.asarray(array, dtype="<f4", order="C")   # asarray keeps rank 0 (ascontiguousarray would not)
        body += string(name) + struct.pack("<BB", 3 if bfloat16 else 1, array.ndim) + b"".join(struct.pack("<I", d) for d in array.shape)
        payloads.append(bfloat16_bits(array).tobytes() if bfloat16 else array.tobytes())
    return body, payloads
