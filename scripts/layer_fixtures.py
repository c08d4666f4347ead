#!/usr/bin/env python3
"""Writes the layer fixtures: for small declared models (docs/TOPOLOGY.md, "Your own model"),
PyTorch's output, and its gradients of the input and of every parameter for a random output
gradient, with random inputs and parameters, all in float64. The Swift tests hold each layer
kind to them. The model is built by scripts/tessera_torch.py, which names weights as Tessera does.

Usage: pip install torch==2.13.0+cpu && python3 scripts/layer_fixtures.py > Tests/TesseraNNTests/Fixtures/layers.json
"""
import json

import torch

from tessera_torch import Declared


def values(tensor):
    return [float(v) for v in tensor.detach().flatten().tolist()]


def case(name, declaration, batch, seed, vocabulary=None):
    """A fixture of `declaration` on a random batch: of token indices below `vocabulary` when
    given, else of values around 0."""
    generator = torch.Generator().manual_seed(seed)
    model = Declared(declaration).double()
    with torch.no_grad():
        for parameter_name, parameter in model.named_parameters():
            # Away from the initial values, so that scales and shifts are tested too.
            fan_in = parameter[0].numel() if parameter.dim() > 1 else 1
            noise = torch.randn(parameter.shape, generator=generator).double()
            if parameter_name.startswith("lstm") or ".lstm" in parameter_name:
                parameter.copy_(noise * 0.3)
            elif parameter.dim() > 1:
                parameter.copy_(noise * fan_in ** -0.5)
            elif parameter_name.split(".")[-2].startswith(("gn", "ln", "bn")) and parameter_name.endswith("weight"):
                parameter.copy_(1 + 0.3 * noise)
            else:
                parameter.copy_(0.3 * noise)
        # Running statistics away from their start too (batch normalization's buffers).
        for _, buffer in model.named_buffers():
            noise = torch.randn(buffer.shape, generator=generator).double()
            buffer.copy_(1 + 0.5 * noise.abs() if _.endswith("running_var") else 0.3 * noise)
    buffers_before = {k: values(v) for k, v in model.named_buffers()}
    if vocabulary is None:
        x = (torch.randn([batch] + declaration["input"], generator=generator) * 2).double().requires_grad_()
    else:
        x = torch.randint(0, vocabulary, [batch] + declaration["input"], generator=generator).double()
    fixture_extras = {}
    if buffers_before:
        # Evaluation mode reads the running statistics; training moves them.
        model.eval()
        with torch.no_grad():
            fixture_extras["eval_output"] = values(model(x))
        model.train()
    out = model(x)
    if buffers_before:
        fixture_extras["buffers"] = {k: {"shape": list(v.shape), "values": buffers_before[k], "updated": values(v)}
                                     for k, v in model.named_buffers()}
    seed_gradient = torch.randn(out.shape, generator=generator).double()
    (out * seed_gradient).sum().backward()
    return {
        "name": name, "model": declaration, "batch": batch,
        "input": values(x), "output_gradient": values(seed_gradient),
        "output_shape": list(out.shape), "output": values(out),
        "input_gradient": values(x.grad) if x.grad is not None else [0.0] * x.numel(),
        "parameters": {k: {"shape": list(v.shape), "values": values(v), "gradient": values(v.grad)}
                       for k, v in model.named_parameters()},
        **fixture_extras,
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
        case("lstm", {"input": [5, 3], "layers": [{"lstm": {"hidden": 4}}]}, 2, 13),
        case("two-layer lstm", {"input": [6, 3], "layers": [{"lstm": {"hidden": 5, "layers": 2}}]}, 3, 14),
        case("embedding", {"input": [7], "layers": [{"embedding": {"vocab": 9, "dim": 4}}]}, 2, 15, vocabulary=9),
        case("character model", {"input": [8], "layers": [
            {"embedding": {"vocab": 12, "dim": 4}}, {"lstm": {"hidden": 6, "layers": 2}}, "last",
            {"linear": {"out": 12}}]}, 3, 16, vocabulary=12),
        case("batchnorm", {"input": [3, 4, 5], "layers": ["batchnorm"]}, 4, 17),
        case("batchnorm of features", {"input": [6], "layers": ["batchnorm"]}, 5, 18),
        case("convolutions with batchnorm", {"input": [3, 6, 6], "layers": [
            {"conv": {"out": 4, "kernel": 3, "padding": 1}}, "batchnorm", "relu",
            {"residual": {"layers": [{"conv": {"out": 4, "kernel": 3, "padding": 1}}, "batchnorm"]}},
            "globalavgpool", {"linear": {"out": 3}}]}, 3, 19),
        # Twelve units: eight through the vectorized gate pass, four through its scalar tail.
        case("lstm of twelve units", {"input": [6, 5], "layers": [{"lstm": {"hidden": 12, "layers": 2}}]}, 3, 20),
        # Thirty-two units: two threads, each with whole 16-column strips of every gate.
        case("lstm of thirty-two units", {"input": [5, 3], "layers": [{"lstm": {"hidden": 32, "layers": 2}}]}, 2, 21),
    ]
    print(json.dumps({"torch": torch.__version__, "cases": cases}))


if __name__ == "__main__":
    main()
