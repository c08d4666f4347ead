#!/usr/bin/env python3
"""Writes the optimizer fixtures: a parameter vector after each of six steps of PyTorch's SGD
(momentum, Nesterov, weight decay), Adam and AdamW, with and without gradient clipping
(torch.nn.utils.clip_grad_norm_ before each step), from fixed random gradients, in float64.

Usage: pip install torch==2.13.0+cpu && python3 scripts/optimizer_fixtures.py > Tests/TesseraNNTests/Fixtures/optimizers.json
"""
import json

import torch

CONFIGURATIONS = [
    ("sgd", {"lr": 0.1}, 0),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}, 0),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, 0),
    ("adam", {"lr": 0.01, "weight_decay": 0.01}, 0),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1}, 0),
    ("sgd", {"lr": 0.1, "momentum": 0.9}, 1.0),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1}, 0.5),
]


def main():
    generator = torch.Generator().manual_seed(1)
    initial = torch.randn(10, generator=generator).double()
    gradients = [torch.randn(10, generator=generator).double() for _ in range(6)]
    cases = []
    for kind, options, clip in CONFIGURATIONS:
        parameter = initial.clone().requires_grad_()
        optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind]([parameter], **options)
        steps = []
        for gradient in gradients:
            parameter.grad = gradient.clone()
            if clip > 0:
                torch.nn.utils.clip_grad_norm_([parameter], clip)
            optimizer.step()
            steps.append(parameter.detach().tolist())
        cases.append({"optimizer": kind, "options": options, "clip": clip, "steps": steps})
    print(json.dumps({"torch": torch.__version__, "initial": initial.tolist(),
                      "gradients": [g.tolist() for g in gradients], "cases": cases}))


if __name__ == "__main__":
    main()
