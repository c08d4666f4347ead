"""A PyTorch model as a Tessera client."""
import numpy as np
import torch
import torch.nn.functional as F

from .client import NumPyClient


class TorchClient(NumPyClient):
    """Trains a PyTorch `model` on `loader` (a DataLoader of (inputs, labels)) for each task.

    The run's weights are mapped onto the model's `state_dict` by name when the names agree
    (a module built by scripts/tessera_torch.py), else in order, each pair checked for shape
    (Tessera's layouts are PyTorch's: Linear `[out, in]`, Conv2d `[out, in, kh, kw]`).

    `train(model, config)`, when given, is your own training loop for one task (config holds
    `epochs`, `batchSize`, `learningRate`, `momentum`, `weightDecay`, `round`); it returns a
    dict of metrics. Without it, SGD on cross-entropy with the task's settings.
    `eval_loader`, when given, serves federated evaluation.
    """

    def __init__(self, model, loader, train=None, eval_loader=None):
        self.model, self.loader, self.train, self.eval_loader = model, loader, train, eval_loader

    def num_samples(self):
        return len(self.loader.dataset)

    def _names(self, weights):
        """Pairs (run's name, state_dict name), checked for shape."""
        state = self.model.state_dict()
        ours = [name for name in state if state[name].is_floating_point() and not name.endswith("num_batches_tracked")]
        theirs = list(weights)
        if set(theirs) <= set(ours):
            pairs = [(name, name) for name in theirs]
        elif len(theirs) == len(ours):
            pairs = list(zip(theirs, ours))
        else:
            raise ValueError("the run's model has %d weights (%s) and this module %d (%s)" % (len(theirs), ", ".join(theirs), len(ours), ", ".join(ours)))
        for run_name, torch_name in pairs:
            if tuple(weights[run_name].shape) != tuple(state[torch_name].shape):
                raise ValueError("the run's %s is %s, this module's %s is %s" % (run_name, list(weights[run_name].shape), torch_name, list(state[torch_name].shape)))
        return pairs

    def _load(self, weights):
        pairs = self._names(weights)
        state = self.model.state_dict()
        for run_name, torch_name in pairs:
            state[torch_name] = torch.from_numpy(np.ascontiguousarray(weights[run_name]))
        self.model.load_state_dict(state)
        return pairs

    def fit(self, weights, config):
        pairs = self._load(weights)
        self.model.train()
        if self.train is not None:
            values = self.train(self.model, config) or {}
        else:
            optimizer = torch.optim.SGD(self.model.parameters(), lr=config["learningRate"], momentum=config.get("momentum", 0),
                                        weight_decay=config.get("weightDecay", 0))
            total, count = 0.0, 0
            for _ in range(config.get("epochs", 1)):
                for inputs, labels in self.loader:
                    optimizer.zero_grad()
                    loss = F.cross_entropy(self.model(inputs), labels)
                    loss.backward()
                    optimizer.step()
                    total, count = total + loss.item() * len(labels), count + len(labels)
            values = {"loss": total / max(count, 1)}
        state = self.model.state_dict()
        return {run_name: state[torch_name].detach().cpu().numpy().astype(np.float32) for run_name, torch_name in pairs}, self.num_samples(), values

    def evaluate(self, weights, config):
        if self.eval_loader is None:
            raise NotImplementedError("no eval_loader was given")
        self._load(weights)
        self.model.eval()
        total, correct, count = 0.0, 0, 0
        with torch.no_grad():
            for inputs, labels in self.eval_loader:
                logits = self.model(inputs)
                total += F.cross_entropy(logits, labels, reduction="sum").item()
                correct += int((logits.argmax(dim=1) == labels).sum())
                count += len(labels)
        return total / max(count, 1), count, {"accuracy": correct / max(count, 1)}
