#!/usr/bin/env python3
"""Loads a Tessera checkpoint into PyTorch by name: the model is rebuilt from the checkpoint's
`architecture` metadata (scripts/tessera_torch.py) and its weights loaded with
`load_state_dict(strict=True)`, so every name and shape must match. Prints the model's state_dict
names and shapes, or with --input FILE (JSON: {"shape": [...], "values": [...]}) the model's
output on that batch as JSON.

Usage: pip install torch==2.13.0+cpu safetensors
       python3 scripts/checkpoint_in_pytorch.py runs/smoke/latest/checkpoint.safetensors [--input batch.json]
"""
import argparse
import json
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file

from tessera_torch import Declared


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--input", help="a JSON batch to run the model on")
    arguments = parser.parse_args()
    with safe_open(arguments.checkpoint, framework="pt") as file:
        metadata = file.metadata() or {}
    if "architecture" not in metadata:
        sys.exit(f"{arguments.checkpoint}: no architecture in its metadata (written by an older Tessera?)")
    model = Declared(json.loads(metadata["architecture"]))
    # Tessera's checkpoints also hold optimizer state under "optimizer."; the model takes the rest.
    weights = {name: tensor for name, tensor in load_file(arguments.checkpoint).items() if not name.startswith("optimizer.")}
    model.load_state_dict(weights, strict=True)
    model.eval()
    if arguments.input is None:
        for name, tensor in model.state_dict().items():
            print(f"{name} {list(tensor.shape)}")
        return
    with open(arguments.input) as file:
        batch = json.load(file)
    with torch.no_grad():
        output = model(torch.tensor(batch["values"], dtype=torch.float32).reshape(batch["shape"]))
    print(json.dumps({"shape": list(output.shape), "values": output.flatten().tolist()}))


if __name__ == "__main__":
    main()
