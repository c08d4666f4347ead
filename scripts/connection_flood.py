# 10,000 idle or slow-loris TCP connections against a scheduler while a 3-worker run completes.
# Usage: python3 scripts/connection_flood.py BINARY PORT SOFT_LIMIT HARD_LIMIT [COUNT] (the open-file limits the scheduler is started with; this process needs over 10,000 for itself)
import sys, time, socket, subprocess, re, resource
binary, port = sys.argv[1], int(sys.argv[2])
soft, hard = int(sys.argv[3]), int(sys.argv[4])
count = int(sys.argv[5]) if len(sys.argv) > 5 else 10000   # 0: the reference run, without the flood
d = "/tmp/connection-flood-%d" % port
subprocess.run(["rm", "-rf", d])
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
s = subprocess.Popen([binary, "scheduler", "--bind", "tcp://127.0.0.1:%d" % port, "--workers", "3", "--rounds", "5", "--model", "mnist-2nn",
                      "--data", "synthetic", "--run-dir", d], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                     preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)))
time.sleep(1)
workers = [subprocess.Popen([binary, "worker", "--connect", "tcp://127.0.0.1:%d" % port, "--id", "w%d" % i, "--data", "synthetic",
                             "--slow", "2", "--no-trace"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(3)]
def status(key):
    with open("/proc/%d/status" % s.pid) as f:
        return int(re.search(key + r":\s+(\d+)", f.read()).group(1)) // 1024
def fds():
    import os
    return len(os.listdir("/proc/%d/fd" % s.pid))
print("scheduler RSS before the flood: %d MB" % status("VmRSS"))
conns = []
start = time.time()
for i in range(count):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    if i % 2 == 0:
        try: c.send(b"\xff\0\0\0\0")   # half a ZMTP greeting, then nothing (slow loris)
        except OSError: pass
    conns.append(c)
time.sleep(3)
print("%d connections opened (3 s later) in %.1f s; scheduler holds %d descriptors, RSS %d MB" % (count, time.time() - start, fds(), status("VmRSS")))
out = []
for line in s.stdout:
    out.append(line.rstrip())
    if "final accuracy" in line:
        try: print("peak RSS of the scheduler: %d MB" % status("VmHWM"))
        except Exception as e: print("peak RSS unreadable:", e)
        break
s.wait(timeout=120)
print("\n".join(l for l in out if "round" in l or "final" in l or "refused" in l or "rror" in l))
print("scheduler exit %s" % s.returncode)
for w in workers: w.terminate()
