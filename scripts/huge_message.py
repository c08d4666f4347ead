# A 1.5 GB multipart message (1,500 frames of 1 MiB) from an unregistered peer: the scheduler
# answers it with error 7, gives back the memory, and still serves.
# Usage: python3 scripts/huge_message.py BINARY PORT (needs pyzmq)
import sys, time, zmq, subprocess, os, re
binary, port = sys.argv[1], sys.argv[2]
d = "/tmp/bigmsg-" + port
subprocess.run(["rm", "-rf", d])
s = subprocess.Popen([binary, "scheduler", "--bind", "tcp://127.0.0.1:" + port, "--workers", "2", "--rounds", "2", "--model", "logreg",
                      "--data", "synthetic", "--registration-timeout", "120", "--run-dir", d], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
time.sleep(2)
def rss():
    with open("/proc/%d/status" % s.pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) // 1024
def hwm():
    with open("/proc/%d/status" % s.pid) as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) // 1024
print("scheduler RSS before: %d MB" % rss())
ctx = zmq.Context()
sock = ctx.socket(zmq.DEALER)
sock.setsockopt(zmq.IDENTITY, b"attacker")
sock.connect("tcp://127.0.0.1:" + port)
frame = b"\0" * (1 << 20)
start = time.time()
for i in range(1499):
    sock.send(frame, zmq.SNDMORE, copy=False)
sock.send(frame)
reply = None
if sock.poll(120000):
    reply = sock.recv_multipart()
print("answered in %.1f s: %s" % (time.time() - start, reply[0][:4] if reply else None))
time.sleep(2)
print("scheduler RSS after: %d MB (peak %d MB)" % (rss(), hwm()))
# still serving?
probe = ctx.socket(zmq.DEALER); probe.connect("tcp://127.0.0.1:" + port)
import struct
hdr = b"TSRA" + bytes([1, 3, 0, 0]) + struct.pack("<QQI", 7, 0, 0)  # heartbeat from a stranger
probe.send(hdr)
print("a stranger's heartbeat answered:", probe.poll(5000) > 0)
s.terminate(); s.wait()
