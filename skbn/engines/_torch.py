"""The torch training engine: the NumPy engine's arithmetic on torch tensors.

Imported only when a torch backend is asked for, so ``import skbn`` never
imports torch. Tensors are made once per fit; batches are index slices of
them; the only host-to-device traffic inside an epoch is what the plan
supplies (the epoch's row order and, with dropout, the masks).
"""

import functools

import torch
import torch.nn.functional as F

from .._network import Network
from ._base import AdamState, Engine

__all__ = ["TorchEngine", "resolve_device"]

_ACTIVATIONS = {
    "identity": lambda z: z,
    "logistic": torch.sigmoid,
    "relu": torch.relu,
    "tanh": torch.tanh,
}


def resolve_device(device):
    """A ``torch.device`` for ``device``, or a ValueError saying why it is unusable."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but torch finds no CUDA device.")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was asked for, but MPS is not available.")
    return dev


@functools.cache
def _fused_adam_available():
    """The fused kernel updates every parameter in one call (CPU since torch 2.4);
    foreach is the portable fallback. Both follow the documented Adam maths."""
    try:
        torch.optim.Adam([torch.zeros(1, requires_grad=True)], fused=True)
    except (RuntimeError, TypeError):
        return False
    return True


def _adam_kwargs(config):
    kwargs = {
        "lr": config.learning_rate,
        "betas": (config.beta_1, config.beta_2),
        "eps": config.epsilon,
    }
    kwargs["fused" if _fused_adam_available() else "foreach"] = True
    return kwargs


class TorchEngine(Engine):
    """Mini-batch Adam with ``torch.optim.Adam`` on ``device``."""

    def __init__(self, config, network, adam, X, y, sample_weight, n_classes, device="cpu"):
        self.config = config
        self.device = resolve_device(device)
        dev = self.device

        def tensor(a):
            return torch.from_numpy(a).to(dev)

        self.X = tensor(X)
        self.y = tensor(y.astype("int64", copy=False))
        self.sample_weight = None if sample_weight is None else tensor(sample_weight)
        self.n_hidden = len(network.coefs) - 1
        self.batch_norm = network.batch_norm
        self._numpy_dtype = X.dtype

        def param(a):
            return tensor(a.copy()).requires_grad_(True)

        self.coefs = [param(c) for c in network.coefs]
        self.intercepts = [tensor(b.copy()) for b in network.intercepts]
        first = self.n_hidden if self.batch_norm else 0
        for i in range(first, len(self.intercepts)):
            self.intercepts[i].requires_grad_(True)
        self.scales = [param(g) for g in network.bn_scales]
        self.shifts = [param(b) for b in network.bn_shifts]
        self.running_means = [tensor(m.copy()) for m in network.bn_running_means]
        self.running_vars = [tensor(v.copy()) for v in network.bn_running_vars]
        # Same order as Network.trainable(), so Adam's state maps one to one.
        self.params = self.coefs + self.intercepts[first:] + self.scales + self.shifts

        kwargs = _adam_kwargs(config)
        self.optimizer = torch.optim.Adam(self.params, **kwargs)
        # The fused kernel keeps Adam's step count on the parameters' device.
        step_device = dev if kwargs.get("fused") else "cpu"
        if adam.step:
            for p, m, v in zip(self.params, adam.exp_avg, adam.exp_avg_sq):
                self.optimizer.state[p] = {
                    "step": torch.tensor(
                        float(adam.step), dtype=torch.float32, device=step_device
                    ),
                    "exp_avg": tensor(m.copy()),
                    "exp_avg_sq": tensor(v.copy()),
                }
        self._step = adam.step
        self._dropout_widths = [c.shape[1] for c in network.coefs[:-1]]

    def _loss(self, idx, masks):
        cfg = self.config
        act = _ACTIVATIONS[cfg.activation]
        m = idx.shape[0]
        a = self.X.index_select(0, idx)
        for i in range(self.n_hidden):
            z = a @ self.coefs[i]
            if self.batch_norm:
                # One row has no batch statistics: use the running ones (no update).
                z = F.batch_norm(
                    z,
                    self.running_means[i],
                    self.running_vars[i],
                    self.scales[i],
                    self.shifts[i],
                    training=m > 1,
                    momentum=cfg.bn_momentum,
                    eps=cfg.bn_eps,
                )
            else:
                z = z + self.intercepts[i]
            a = act(z)
            if masks is not None:
                a = a * masks[i]
        logits = a @ self.coefs[-1] + self.intercepts[-1]
        ce = F.cross_entropy(logits, self.y.index_select(0, idx), reduction="none")
        if self.sample_weight is None:
            weighted = ce.sum()
        else:
            weighted = ce @ self.sample_weight.index_select(0, idx)
        penalty = sum((c * c).sum() for c in self.coefs)
        return (weighted + (0.5 * cfg.alpha) * penalty) / m

    def run_epoch(self, epoch_plan):
        order = torch.from_numpy(epoch_plan.order).to(self.device)
        keep = 1.0 - self.config.dropout
        total = torch.zeros((), dtype=torch.float64, device=self.device)
        for start, stop in epoch_plan.bounds:
            masks = epoch_plan.dropout_masks(
                stop - start, self._dropout_widths, keep, self._numpy_dtype
            )
            if masks is not None:
                masks = [torch.from_numpy(mk).to(self.device) for mk in masks]
            self.optimizer.zero_grad(set_to_none=True)
            loss = self._loss(order[start:stop], masks)
            loss.backward()
            self.optimizer.step()
            total += loss.detach() * (stop - start)
        self._step += len(epoch_plan.bounds)
        return float(total) / len(epoch_plan.order)

    def export(self):
        def numpy(t):
            return t.detach().cpu().numpy().copy()

        net = Network(
            [numpy(c) for c in self.coefs],
            [numpy(b) for b in self.intercepts],
            [numpy(g) for g in self.scales],
            [numpy(b) for b in self.shifts],
            [numpy(m) for m in self.running_means],
            [numpy(v) for v in self.running_vars],
        )
        if self._step == 0:
            return net, AdamState.zeros_like(net.trainable())
        states = [self.optimizer.state[p] for p in self.params]
        return net, AdamState(
            self._step,
            [numpy(s["exp_avg"]) for s in states],
            [numpy(s["exp_avg_sq"]) for s in states],
        )
