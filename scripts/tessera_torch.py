"""A Tessera model declaration (docs/TOPOLOGY.md, "Your own model") as a PyTorch module whose
state_dict names are Tessera's weight names (docs/PROTOCOL.md), so that a Tessera checkpoint
loads into it with `load_state_dict(strict=True)`, and fixtures made with it name weights as
Tessera does.

    from tessera_torch import Declared
    model = Declared(json.load(open("model.json")))
    model.load_state_dict(safetensors.torch.load_file("checkpoint.safetensors"))
"""
import torch
from torch import nn
import torch.nn.functional as F

# Layers with weights are numbered per kind under these stems; the others by their index.
STEMS = {"conv": "conv", "linear": "fc", "batchnorm": "bn", "groupnorm": "gn", "layernorm": "ln", "residual": "block",
         "embedding": "embedding", "lstm": "lstm"}


def kind_and_sizes(item):
    """A declared layer's kind and sizes (a residual's list alone is its layers)."""
    if isinstance(item, str):
        return item, {}
    (kind, sizes), = item.items()
    if kind == "residual" and isinstance(sizes, list):
        sizes = {"layers": sizes}
    return kind, sizes or {}


class Function(nn.Module):
    """A layer without weights."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def forward(self, x):
        return {
            "relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "gelu": F.gelu,
            "logsoftmax": lambda v: F.log_softmax(v, dim=-1), "flatten": lambda v: v.flatten(1),
            "globalavgpool": lambda v: v.mean(dim=tuple(range(2, v.dim()))),
            "last": lambda v: v[:, -1, :],
        }[self.kind](x)


class Embedding(nn.Embedding):
    """nn.Embedding of token indices stored as floats."""

    def forward(self, x):
        return super().forward(x.long())


class LSTM(nn.LSTM):
    """nn.LSTM (batch first, zero initial states) giving every step's hidden state."""

    def forward(self, x):
        return super().forward(x)[0]


class Chain(nn.Module):
    """Declared layers in order, each registered under its Tessera name."""

    def __init__(self, items, shape):
        super().__init__()
        counts, self.order = {}, []
        for index, item in enumerate(items):
            kind, sizes = kind_and_sizes(item)
            if kind in STEMS:
                counts[kind] = counts.get(kind, 0) + 1
                name = STEMS[kind] + str(counts[kind])
            else:
                name = kind + str(index)
            module, shape = layer(kind, sizes, shape)
            self.add_module(name, module)
            self.order.append(name)
        self.shape = shape

    def forward(self, x):
        for name in self.order:
            x = getattr(self, name)(x)
        return x


class Residual(nn.Module):
    """`layers(x) + x`, or `layers(x) + shortcut(x)` with a projection."""

    def __init__(self, sizes, shape):
        super().__init__()
        branch = Chain(sizes["layers"], shape)
        for name in branch.order:
            self.add_module(name, getattr(branch, name))
        self.order = branch.order
        self.shortcut = Chain(sizes["projection"], shape) if sizes.get("projection") else None
        self.shape = branch.shape

    def forward(self, x):
        out = x
        for name in self.order:
            out = getattr(self, name)(out)
        return out + (self.shortcut(x) if self.shortcut is not None else x)


class BatchNorm(nn.modules.batchnorm._BatchNorm):
    """PyTorch's batch normalization (momentum 0.1, eps 1e-5) without num_batches_tracked,
    which Tessera does not keep (with a fixed momentum PyTorch does not read it)."""

    def __init__(self, channels, rank):
        super().__init__(channels, eps=1e-5, momentum=0.1)
        self.register_buffer("num_batches_tracked", None)
        self.rank = rank

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, *rest):
        # A state dict without metadata is taken for an old one, given num_batches_tracked.
        super()._load_from_state_dict(state_dict, prefix, {**local_metadata, "version": 2}, *rest)

    def _check_input_dim(self, x):
        if x.dim() != self.rank + 1:
            raise ValueError(f"expected {self.rank + 1}D input, got {x.dim()}D")


def layer(kind, sizes, shape):
    """The module of one declared layer receiving per-sample `shape`, and the shape it makes."""
    if kind == "conv":
        k, stride, pad = sizes["kernel"], sizes.get("stride", 1), sizes.get("padding", 0)
        out = [sizes["out"], (shape[1] + 2 * pad - k) // stride + 1, (shape[2] + 2 * pad - k) // stride + 1]
        return nn.Conv2d(shape[0], sizes["out"], k, stride=stride, padding=pad), out
    if kind == "linear":
        return nn.Linear(shape[0], sizes["out"]), [sizes["out"]]
    if kind == "batchnorm":
        return BatchNorm(shape[0], rank=len(shape)), shape
    if kind == "groupnorm":
        return nn.GroupNorm(sizes["groups"], shape[0], eps=1e-5), shape
    if kind == "layernorm":
        return nn.LayerNorm(shape[-sizes.get("dims", 1):], eps=1e-5), shape
    if kind == "embedding":
        return Embedding(sizes["vocab"], sizes["dim"]), shape + [sizes["dim"]]
    if kind == "lstm":
        return LSTM(shape[1], sizes["hidden"], sizes.get("layers", 1), batch_first=True), [shape[0], sizes["hidden"]]
    if kind == "last":
        return Function(kind), [shape[1]]
    if kind == "residual":
        block = Residual(sizes, shape)
        return block, block.shape
    if kind in ("maxpool", "avgpool"):
        k = sizes["kernel"]
        stride = sizes.get("stride", k)
        pool = nn.MaxPool2d(k, stride) if kind == "maxpool" else nn.AvgPool2d(k, stride)
        return pool, [shape[0], (shape[1] - k) // stride + 1, (shape[2] - k) // stride + 1]
    if kind == "dropout":
        return nn.Dropout(sizes["p"]), shape
    if kind == "globalavgpool":
        return Function(kind), [shape[0]]
    if kind == "flatten":
        size = 1
        for dimension in shape:
            size *= dimension
        return Function(kind), [size]
    return Function(kind), shape


class Declared(Chain):
    """The model a declaration {"input": [...], "layers": [...]} describes."""

    def __init__(self, declaration):
        super().__init__(declaration["layers"], list(declaration["input"]))
