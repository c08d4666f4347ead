#!/usr/bin/env python3
"""A PyTorch client with its own training loop beside Swift workers (pip install ./python).
Usage: torch_client.py tcp://SCHEDULER:PORT --id NAME --data FILE.safetensors --part K/N"""
import argparse, torch
from safetensors.numpy import load_file
from torch.utils.data import DataLoader, TensorDataset
import tessera

parser = argparse.ArgumentParser()
for flag in ("endpoint", "--id", "--data", "--part"): parser.add_argument(flag)
args = parser.parse_args()
k, n = map(int, args.part.split("/"))   # this client's own samples: K, K+N, K+2N, ...
data = load_file(args.data)
loader = DataLoader(TensorDataset(torch.from_numpy(data["x"][k::n]), torch.from_numpy(data["y"][k::n])), batch_size=32, shuffle=True)
model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))

def train(model, config):   # your own loop: the round's epochs and learning rate come in config
    optimizer = torch.optim.SGD(model.parameters(), lr=config["learningRate"])
    for _ in range(config["epochs"]):
        for inputs, labels in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(inputs), labels)
            loss.backward()
            optimizer.step()
    return {"loss": loss.item()}

tessera.start_client(args.endpoint, tessera.TorchClient(model, loader, train=train), id=args.id)
