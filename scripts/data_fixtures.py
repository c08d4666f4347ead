#!/usr/bin/env python3
"""Writes the small data files Tests/TesseraDataTests reads (Fixtures/), with NumPy and
safetensors themselves, so the readers are tested against what users' tools write.

Values follow formulas the tests recompute:
  image sample i, pixel (r, c):  (i * 7 + r * 3 + c) % 256          (uint8)
  table sample i, feature j:     i * 0.5 - j                        (float)
  label of sample i:             i % 3
  natural client of sample i:    the client sizes 3, 7, 10, 12, 13, 15 in order (60 samples)
Usage: python3 scripts/data_fixtures.py
"""
import os
import numpy as np
from safetensors.numpy import save_file

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "TesseraDataTests", "Fixtures")
os.makedirs(out, exist_ok=True)


def images(n, offset=0):
    i = np.arange(offset, offset + n)[:, None, None]
    r = np.arange(8)[None, :, None]
    c = np.arange(8)[None, None, :]
    return ((i * 7 + r * 3 + c) % 256).astype(np.uint8)


def table(n):
    return (np.arange(n)[:, None] * 0.5 - np.arange(4)[None, :]).astype(np.float32)


sizes = [3, 7, 10, 12, 13, 15]
clients = np.repeat(np.array([101, 205, 307, 402, 511, 600]), sizes)  # ids need not be dense
labels = np.arange(60) % 3

np.savez(f"{out}/images.npz", x=images(60), y=labels, client=clients, x_test=images(20, 1000), y_test=np.arange(20) % 3)
np.savez_compressed(f"{out}/images-compressed.npz", x=images(60), y=labels, client=clients,
                    x_test=images(20, 1000), y_test=np.arange(20) % 3)
# The same with zip64 records throughout (sizes, offsets, the end record), as NumPy writes
# archives over 4 GB: zipfile's threshold lowered so that a small file shows them.
import zipfile
limit, zipfile.ZIP64_LIMIT = zipfile.ZIP64_LIMIT, 64
np.savez(f"{out}/images-zip64.npz", x=images(60), y=labels, client=clients, x_test=images(20, 1000), y_test=np.arange(20) % 3)
zipfile.ZIP64_LIMIT = limit
save_file({"x": table(50), "y": (np.arange(50) % 3).astype(np.int64), "client": (np.arange(50) // 10).astype(np.int32)},
          f"{out}/table.safetensors")
np.savez(f"{out}/float64.npz", x=table(30).astype(np.float64), y=(np.arange(30) % 3).astype(np.int32))

with open(f"{out}/table.csv", "w") as f:
    f.write('f0,label,"f1",client,f2,f3\n')
    for i in range(50):
        x = table(50)[i]
        f.write(f"{x[0]},{i % 3},{x[1]},writer {i // 10},{x[2]},{x[3]}\r\n" if i % 2 else f"{x[0]},{i % 3},{x[1]},writer {i // 10},{x[2]},{x[3]}\n")
    f.write("\n")

# Files that are wrong in one way each.
np.savez(f"{out}/bad-y-length.npz", x=images(10), y=np.arange(9) % 3)
np.savez(f"{out}/bad-label.npz", x=images(10), y=np.array([0, 1, 2, -1, 0, 1, 2, 0, 1, 2]))
np.savez(f"{out}/bad-float-labels.npz", x=images(10), y=(np.arange(10) % 3).astype(np.float32))
np.savez(f"{out}/bad-client-length.npz", x=images(10), y=np.arange(10) % 3, client=np.arange(12))
x = table(10)
x[4, 2] = np.nan
np.savez(f"{out}/bad-nan.npz", x=x, y=np.arange(10) % 3)
np.savez(f"{out}/bad-no-y.npz", x=images(10), labels=np.arange(10) % 3)
np.savez(f"{out}/bad-fortran.npz", x=np.asfortranarray(table(10)), y=np.arange(10) % 3)
np.savez(f"{out}/bad-test-without-labels.npz", x=images(10), y=np.arange(10) % 3, x_test=images(5))
np.savez(f"{out}/bad-rank.npz", x=np.arange(10, dtype=np.float32), y=np.arange(10) % 3)
np.savez(f"{out}/bad-strings.npz", x=np.array(["a", "b"]), y=np.arange(2))
with open(f"{out}/bad-ragged.csv", "w") as f:
    f.write("a,b,label\n1,2,0\n3,4,1\n5,6\n7,8,1\n")
with open(f"{out}/bad-value.csv", "w") as f:
    f.write("a,b,label\n1,2,0\n3,x,1\n")
with open(f"{out}/bad-no-label.csv", "w") as f:
    f.write("a,b,target\n1,2,0\n")
print("wrote", sorted(os.listdir(out)))
