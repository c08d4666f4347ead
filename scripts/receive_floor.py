#!/usr/bin/env python3
"""The least CPU a process spends receiving a round's updates over ZeroMQ on this machine.

A ROUTER socket (the scheduler's kind) binds; WORKERS processes connect DEALER sockets and send
MESSAGES messages of BYTES bytes between them (a round's updates: by default 100 of mnist-2nn's
796,840 bytes), as fast as they can. The receiving process does nothing with a message but take
it (pyzmq, `copy=False`: no copy to Python bytes), so its CPU (its own thread and libzmq's I/O
thread: the kernel copying from the socket, the allocations) is about the floor under what any
scheduler spends on the same bytes. Reported per round, over ROUNDS rounds, for tcp and ipc. Run it
as Tessera's scheduler runs (its heaps kept between rounds, `M_TOP_PAD` 64 MiB):

    GLIBC_TUNABLES=glibc.malloc.top_pad=67108864 python3 scripts/receive_floor.py

"""
import argparse
import os
import resource
import statistics
import time

import zmq


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sender(address, identity, count, size):
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.IDENTITY, identity)
    socket.setsockopt(zmq.LINGER, 5000)
    socket.connect(address)
    payload = os.urandom(size)
    socket.recv()  # the go
    for _ in range(count):
        socket.send_multipart([b"update", payload], copy=False)
    socket.send_multipart([b"done", b""])
    socket.close()
    context.term()


def one_round(address, workers, messages, size):
    """CPU seconds the receiver spent on one round's messages, and the wall time."""
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.RCVHWM, 0)
    router.bind(address)
    address = router.getsockopt_string(zmq.LAST_ENDPOINT)
    share = [messages // workers + (1 if index < messages % workers else 0) for index in range(workers)]
    children = []
    for index in range(workers):
        pid = os.fork()
        if pid == 0:
            router.close(linger=0)
            sender(address, b"w%d" % index, share[index], size)
            os._exit(0)
        children.append(pid)
    time.sleep(0.3)  # the dealers connect
    for index in range(workers):
        router.send_multipart([b"w%d" % index, b"go"])
    start_cpu, start = cpu(), time.monotonic()
    done = received = 0
    while done < workers:
        frames = router.recv_multipart(copy=False)
        if frames[1].bytes == b"done":
            done += 1
        else:
            received += 1
    spent, wall = cpu() - start_cpu, time.monotonic() - start
    for pid in children:
        os.waitpid(pid, 0)
    router.close(linger=0)
    context.term()
    assert received == messages, (received, messages)
    return spent, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100, help="updates a round")
    parser.add_argument("--bytes", type=int, default=796_840, help="bytes an update (mnist-2nn's model)")
    parser.add_argument("--workers", type=int, default=4, help="sending processes")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    for address in ("tcp://127.0.0.1:*", "ipc:///tmp/tessera-receive-floor-%d" % os.getpid()):
        rounds = [one_round(address, args.workers, args.messages, args.bytes) for _ in range(args.rounds)]
        cpus = sorted(spent for spent, _ in rounds)
        print(f"{address.split(':')[0]}: receiving {args.messages} messages of {args.bytes} bytes from {args.workers} processes "
              f"costs the receiver {1e3 * statistics.median(cpus):.1f} ms of CPU a round (median of {args.rounds}; "
              f"{1e3 * cpus[0]:.1f}-{1e3 * cpus[-1]:.1f}), wall {1e3 * statistics.median(w for _, w in rounds):.1f} ms")


if __name__ == "__main__":
    main()
