#!/usr/bin/env python3
"""Writes the layer fixtures: for small declared models (docs/TOPOLOGY.md, "Your own model"),
PyTorch's output, and its gradients of the input and of every parameter for a random output
gradient, with random inputs and parameters. The Swift tests hold each layer kind to them.

The model is interpreted here with torch.nn.functional, naming parameters as Tessera does
(conv, linear, groupnorm, layernorm and residual layers numbered per kind: conv1, fc2, gn1, ln1,
block1; a residual block's own layers under its name, its projection under NAME.shortcut).

Usage: pip install torch==2.13.0+cpu && python3 scripts/layer_fixtures.py > Tests/TesseraNNTests/Fixtures/layers.json
"""
import json

import torch
import torch.nn.functional as F

STEMS = {"conv": "conv", "linear": "fc", "groupnorm": "gn", "layernorm": "ln", "residual": "block"}


def kind_and_sizes(item):
    if isinstance(item, str):
        return item, {}
    (kind, sizes), = item.items()
    if kind == "residual" and isinstance(sizes, list):
        sizes = {"layers": sizes}
    return kind, sizes or {}


def build(items, shape, prefix, params, generator):
    """Makes random parameters for `items` receiving per-sample `shape`; returns the layers as
    (kind, sizes, name) and the shape they make."""
    counts, layers = {}, []
    for index, item in enumerate(items):
        kind, sizes = kind_and_sizes(item)
        if kind in STEMS:
            counts[kind] = counts.get(kind, 0) + 1
            name = prefix + STEMS[kind] + str(counts[kind])
        else:
            name = prefix + kind + str(index)

        def param(suffix, size, scale=0.5, offset=0.0):
            params[name + "." + suffix] = (torch.randn(size, generator=generator) * scale + offset).double()

        if kind == "conv":
            out, k = sizes["out"], sizes["kernel"]
            stride, pad = sizes.get("stride", 1), sizes.get("padding", 0)
            param("weight", (out, shape[0], k, k), scale=(shape[0] * k * k) ** -0.5)
            param("bias", (out,), scale=0.1)
            shape = [out, (shape[1] + 2 * pad - k) // stride + 1, (shape[2] + 2 * pad - k) // stride + 1]
        elif kind == "linear":
            param("weight", (sizes["out"], shape[0]), scale=shape[0] ** -0.5)
            param("bias", (sizes["out"],), scale=0.1)
            shape = [sizes["out"]]
        elif kind == "groupnorm":
            param("weight", (shape[0],), scale=0.3, offset=1.0)
            param("bias", (shape[0],), scale=0.3)
        elif kind == "layernorm":
            dims = sizes.get("dims", 1)
            param("weight", tuple(shape[-dims:]), scale=0.3, offset=1.0)
            param("bias", tuple(shape[-dims:]), scale=0.3)
        elif kind == "residual":
            branch, out = build(sizes["layers"], shape, name + ".", params, generator)
            projection, _ = build(sizes.get("projection", []), shape, name + ".shortcut.", params, generator)
            sizes = {"layers": branch, "projection": projection}
            shape = out
        elif kind == "globalavgpool":
            shape = [shape[0]]
        elif kind == "flatten":
            shape = [int(torch.tensor(shape).prod())]
        layers.append((kind, sizes, name))
    return layers, shape


def forward(layers, x, params):
    for kind, sizes, name in layers:
        p = lambda suffix: params[name + "." + suffix]
        if kind == "conv":
            x = F.conv2d(x, p("weight"), p("bias"), stride=sizes.get("stride", 1), padding=sizes.get("padding", 0))
        elif kind == "linear":
            x = F.linear(x, p("weight"), p("bias"))
        elif kind == "groupnorm":
            x = F.group_norm(x, sizes["groups"], p("weight"), p("bias"), eps=1e-5)
        elif kind == "layernorm":
            x = F.layer_norm(x, p("weight").shape, p("weight"), p("bias"), eps=1e-5)
        elif kind == "residual":
            shortcut = forward(sizes["projection"], x, params) if sizes["projection"] else x
            x = forward(sizes["layers"], x, params) + shortcut
        elif kind == "relu":
            x = F.relu(x)
        elif kind == "sigmoid":
            x = torch.sigmoid(x)
        elif kind == "tanh":
            x = torch.tanh(x)
        elif kind == "gelu":
            x = F.gelu(x)
        elif kind == "logsoftmax":
            x = F.log_softmax(x, dim=-1)
        elif kind == "globalavgpool":
            x = x.mean(dim=tuple(range(2, x.dim())))
        elif kind == "flatten":
            x = x.flatten(1)
        else:
            raise ValueError(kind)
    return x


def values(tensor):
    return [float(v) for v in tensor.detach().flatten().tolist()]


def case(name, declaration, batch, seed):
    generator = torch.Generator().manual_seed(seed)
    params = {}
    layers, _ = build(declaration["layers"], declaration["input"], "", params, generator)
    x = (torch.randn([batch] + declaration["input"], generator=generator) * 2).double().requires_grad_()
    for tensor in params.values():
        tensor.requires_grad_()
    out = forward(layers, x, params)
    seed_gradient = torch.randn(out.shape, generator=generator).double()
    (out * seed_gradient).sum().backward()
    return {
        "name": name, "model": declaration, "batch": batch,
        "input": values(x), "output_gradient": values(seed_gradient),
        "output_shape": list(out.shape), "output": values(out), "input_gradient": values(x.grad),
        "parameters": {k: {"shape": list(v.shape), "values": values(v), "gradient": values(v.grad)} for k, v in params.items()},
    }


def main():
    block = [{"conv": {"out": 4, "kernel": 3, "padding": 1}}, {"groupnorm": {"groups": 2}}, "relu",
             {"conv": {"out": 4, "kernel": 3, "padding": 1}}, {"groupnorm": {"groups": 2}}]
    cases = [
        case("sigmoid", {"input": [7], "layers": ["sigmoid"]}, 3, 1),
        case("tanh", {"input": [7], "layers": ["tanh"]}, 3, 2),
        case("gelu", {"input": [2, 9], "layers": ["gelu"]}, 3, 3),
        case("logsoftmax", {"input": [11], "layers": ["logsoftmax"]}, 4, 4),
        case("globalavgpool", {"input": [3, 4, 5], "layers": ["globalavgpool"]}, 2, 5),
        case("groupnorm", {"input": [6, 3, 3], "layers": [{"groupnorm": {"groups": 3}}]}, 2, 6),
        case("groupnorm of one group", {"input": [4, 5, 5], "layers": [{"groupnorm": {"groups": 1}}]}, 2, 7),
        case("layernorm", {"input": [19], "layers": [{"layernorm": {}}]}, 3, 8),
        case("layernorm over two dimensions", {"input": [3, 4, 5], "layers": [{"layernorm": {"dims": 2}}]}, 2, 9),
        case("residual", {"input": [4, 6, 6], "layers": [{"residual": block}, "relu"]}, 2, 10),
        case("residual with a projection", {"input": [4, 6, 6], "layers": [{"residual": {
            "layers": [{"conv": {"out": 8, "kernel": 3, "stride": 2, "padding": 1}}, {"groupnorm": {"groups": 4}}, "gelu"],
            "projection": [{"conv": {"out": 8, "kernel": 1, "stride": 2}}, {"groupnorm": {"groups": 2}}]}}]}, 2, 11),
        case("small resnet", {"input": [3, 8, 8], "layers": [
            {"conv": {"out": 4, "kernel": 3, "padding": 1}}, {"groupnorm": {"groups": 2}}, "relu",
            {"residual": block}, "relu", "globalavgpool", {"layernorm": {}}, {"linear": {"out": 5}}, "tanh",
            {"linear": {"out": 3}}, "logsoftmax"]}, 3, 12),
    ]
    print(json.dumps({"torch": torch.__version__, "cases": cases}))


if __name__ == "__main__":
    main()
