#!/usr/bin/env python3
"""Runs the tested snippets of docs/DATA.md, each in a fresh folder with a stand-in for its
download, and checks the file it writes with `tessera check` (a model of the file's shape and
classes, the natural partition when the file has clients).

Usage: python3 scripts/data_snippets.py TESSERA_BINARY
Prints `ok: NAME`, `skipped: NAME: REASON` or `failed: NAME: REASON` per snippet; exits 1 if any failed.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
tessera = os.path.abspath(sys.argv[1])
doc = open(os.path.join(root, "docs", "DATA.md")).read()
# Each snippet: the bold name before it, whether it says "(tested", and its code.
snippets = re.findall(r"\*\*([^*]+)\*\* \((tested|untested)[^\n]*\n(?:[^\n]*\n)*?\n```python\n(.*?)```", doc, re.S)


def leaf_files():
    import numpy as np
    rng = np.random.default_rng(0)
    os.makedirs("leaf/data/femnist/data/train")
    for part in range(2):
        users = {f"f{part}{k:03d}_{k}": {"x": rng.random((12 + k, 784)).round(3).tolist(), "y": rng.integers(0, 62, 12 + k).tolist()}
                 for k in range(4)}
        with open(f"leaf/data/femnist/data/train/all_data_{part}.json", "w") as f:
            json.dump({"users": list(users), "num_samples": [len(u["y"]) for u in users.values()], "user_data": users}, f)


def hugging_face_stand_in():
    import datasets
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(1)

    def split(n):
        features = datasets.Features({"image": datasets.Image(), "label": datasets.ClassLabel(num_classes=10)})
        return datasets.Dataset.from_dict({"image": [Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)) for _ in range(n)],
                                           "label": rng.integers(0, 10, n).tolist()}, features=features)
    stand_in = datasets.DatasetDict({"train": split(60), "test": split(20)})
    datasets.load_dataset = lambda *args, **kwargs: stand_in


# What each tested snippet needs before it runs.
preparations = {"LEAF": leaf_files, "Hugging Face `datasets`": hugging_face_stand_in}


def check(path):
    """tessera check on the file, with a linear model of its shape and classes."""
    import numpy as np
    if path.endswith(".csv"):
        header = open(path).readline().strip().split(",")
        shape, classes, clients = [len(header) - 1], int(np.loadtxt(path, delimiter=",", skiprows=1)[:, header.index("label")].max()) + 1, False
    else:
        arrays = np.load(path)
        x = arrays["x"]
        shape = list(x.shape[1:]) if x.ndim != 3 else [1] + list(x.shape[1:])
        classes = int(max(arrays["y"].max(), arrays["y_test"].max() if "y_test" in arrays else 0)) + 1
        clients = "client" in arrays
    model = json.dumps({"name": "linear", "input": shape, "layers": ["flatten", {"linear": {"out": classes}}]})
    arguments = [tessera, "check", os.path.join(root, "Topologies", "smoke.yaml"), "--data", os.path.abspath(path), "--model", model,
                 "--workers", "2"] + (["--set", "data.partition=natural", "--set", "data.min_client_samples=1"] if clients else [])
    result = subprocess.run(arguments, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"tessera check exited {result.returncode}: {result.stdout[-400:]} {result.stderr[-400:]}")
    return [line.strip() for line in result.stdout.splitlines() if line.strip().startswith(("data:", "natural clients:", "data split:"))]


failed = False
for name, status, code in snippets:
    if status == "untested":
        print(f"skipped: {name}: marked untested in docs/DATA.md")
        continue
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            preparations.get(name, lambda: None)()
        except ImportError as error:
            print(f"skipped: {name}: {error}")
            continue
        try:
            exec(compile(code, f"docs/DATA.md ({name})", "exec"), {})
            written = [f for f in os.listdir(".") if f.endswith((".npz", ".csv", ".safetensors"))]
            if len(written) != 1:
                raise RuntimeError(f"expected one data file, found {written}")
            lines = check(written[0])
            print(f"ok: {name}: " + " | ".join(lines))
        except ImportError as error:
            print(f"skipped: {name}: {error}")
        except Exception as error:  # report every snippet, then fail
            print(f"failed: {name}: {type(error).__name__}: {error}")
            failed = True
        finally:
            os.chdir(root)
sys.exit(1 if failed else 0)
