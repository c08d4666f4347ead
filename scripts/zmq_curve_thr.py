#!/usr/bin/env python3
"""Raw libzmq PUSH/PULL throughput with CURVE, through pyzmq, for sizes the shared baseline's
`curve` table does not cover (1 MiB and 16 MiB): one fresh process pair per run, by the shared
script's own roles (../shared/bench/zmq_thr.py), so both sides count the same way.

Usage: zmq_curve_thr.py SHARED_BENCH SIZE [--json OUT]; prints and appends
{"bench": "zmq_curve", "mode": "curve", "size": SIZE, "count": N, "runs": [...], "libzmq": VERSION,
"bundled": BOOL}. Run by the python of a pyzmq wheel (which bundles its own libzmq and libsodium)
or of a pyzmq built on the system's libzmq (`make bench-deps` makes one), "bundled" says which.
"""
import os
import json
import sys

import zmq

sys.path.insert(0, sys.argv[1])
import zmq_thr  # noqa: E402


def main():
    size = int(sys.argv[2])
    out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    spub, ssec = zmq.curve_keypair()
    cpub, csec = zmq.curve_keypair()
    keys = dict(server_pub=spub.decode(), server_sec=ssec.decode(), client_pub=cpub.decode(), client_sec=csec.decode())
    count = zmq_thr.default_count(size)
    result = zmq_thr.pair("pull", "push", zmq_thr.endpoint("tcp"), size, count, keys)
    # A wheel's libzmq lives in pyzmq.libs beside the package; a source build links the system's.
    bundled = os.path.isdir(os.path.join(os.path.dirname(os.path.dirname(zmq.__file__)), "pyzmq.libs"))
    row = dict(bench="zmq_curve", mode="curve", size=size, count=count, runs=[result],
               libzmq=zmq.zmq_version(), bundled=bundled)
    print(json.dumps(row))
    if out:
        with open(out, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
