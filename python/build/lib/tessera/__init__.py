"""Join a Tessera federation from Python.

Subclass :class:`NumPyClient` (or use :class:`TorchClient` with a PyTorch model) and hand it to
:func:`start_client`; the package speaks Tessera's protocol (docs/PROTOCOL.md): registration,
heartbeats while you train, CURVE keys, registering again when the scheduler restarts.
"""
from .client import NumPyClient, start_client
from .wire import ProtocolError

__all__ = ["NumPyClient", "start_client", "ProtocolError", "TorchClient"]


def __getattr__(name):
    # TorchClient imports torch, which a NumPy-only user need not have.
    if name == "TorchClient":
        from .torch_client import TorchClient
        return TorchClient
    raise AttributeError(name)
