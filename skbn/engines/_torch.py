"""The torch training engine: the NumPy engine's arithmetic on torch tensors.

Imported only when a torch backend is asked for, so ``import skbn`` never
imports torch. Tensors are made once per fit; batches are index slices of
them; the only host-to-device traffic inside an epoch is what the plan
supplies (the epoch's row order and, with dropout, the masks).
"""

import functools
import math

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
def _fused_adam_runs(device):
    """Whether ``torch._fused_adam_`` (the kernel behind ``torch.optim.Adam(fused=True)``)
    exists and runs on ``device``; the multi-tensor fallback is used otherwise."""
    if not hasattr(torch, "_fused_adam_"):
        return False
    p = torch.zeros(2, device=device)
    try:
        torch._fused_adam_(
            [p],
            [p.clone()],
            [p.clone()],
            [p.clone()],
            [],
            [torch.ones((), device=device)],
            lr=1e-3,
            beta1=0.9,
            beta2=0.999,
            weight_decay=0.0,
            eps=1e-8,
            amsgrad=False,
            maximize=False,
        )
    except (RuntimeError, TypeError, NotImplementedError):
        return False
    return True


class TorchEngine(Engine):
    """Mini-batch Adam on ``device``: autograd for the cross-entropy, then
    Adam's fused kernel (``torch.optim.Adam(fused=True)``'s), called directly.

    Calling the kernel instead of ``torch.optim.Adam.step`` saves the
    optimizer's per-step Python bookkeeping, which cost more than the update
    itself at these sizes; the L2 penalty enters as the kernel's
    (non-decoupled) weight decay on the weight matrices, so autograd never sees
    it. The arithmetic is ``torch.optim.Adam``'s, as in the NumPy engine.
    """

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

        self.exp_avg = [tensor(m.copy()) for m in adam.exp_avg]
        self.exp_avg_sq = [tensor(v.copy()) for v in adam.exp_avg_sq]
        self._step = adam.step
        # The fused kernel reads a step count per parameter; one shared tensor.
        step = torch.tensor(float(adam.step), dtype=torch.float32, device=dev)
        self._steps = [step] * len(self.params)
        self._fused = _fused_adam_runs(dev)
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
        return weighted / m

    @torch.no_grad()
    def _adam_step(self, m):
        """One Adam step; the L2 penalty ``alpha / 2 * sum ||W||^2 / m`` enters
        as its gradient ``alpha / m * W`` (Adam's non-decoupled weight decay on
        the weight matrices only). Returns the penalty's value as a tensor."""
        cfg = self.config
        n = len(self.coefs)
        penalty = torch.stack(torch._foreach_norm(self.coefs)).square().sum()
        penalty = penalty * (0.5 * cfg.alpha / m)
        self._step += 1
        groups = [(slice(0, n), cfg.alpha / m), (slice(n, None), 0.0)]
        if self._fused:
            self._steps[0].add_(1.0)  # the one tensor every entry refers to
            for part, decay in groups:
                torch._fused_adam_(
                    self.params[part],
                    [p.grad for p in self.params[part]],
                    self.exp_avg[part],
                    self.exp_avg_sq[part],
                    [],
                    self._steps[part],
                    lr=cfg.learning_rate,
                    beta1=cfg.beta_1,
                    beta2=cfg.beta_2,
                    weight_decay=decay,
                    eps=cfg.epsilon,
                    amsgrad=False,
                    maximize=False,
                )
        else:
            self._foreach_adam(groups)
        for p in self.params:
            p.grad = None
        return penalty

    def _foreach_adam(self, groups):
        """The same update with multi-tensor kernels, where no fused kernel runs."""
        cfg = self.config
        grads = [p.grad for p in self.params]
        for part, decay in groups:
            if decay:
                torch._foreach_add_(grads[part], self.params[part], alpha=decay)
        b1, b2 = cfg.beta_1, cfg.beta_2
        step_size = cfg.learning_rate / (1 - b1**self._step)
        bc2_sqrt = math.sqrt(1 - b2**self._step)
        torch._foreach_mul_(self.exp_avg, b1)
        torch._foreach_add_(self.exp_avg, grads, alpha=1 - b1)
        torch._foreach_mul_(self.exp_avg_sq, b2)
        torch._foreach_addcmul_(self.exp_avg_sq, grads, grads, value=1 - b2)
        denom = torch._foreach_sqrt(self.exp_avg_sq)
        torch._foreach_div_(denom, bc2_sqrt)
        torch._foreach_add_(denom, cfg.epsilon)
        torch._foreach_addcdiv_(self.params, self.exp_avg, denom, value=-step_size)

    def run_epoch(self, epoch_plan):
        order = torch.from_numpy(epoch_plan.order).to(self.device)
        keep = 1.0 - self.config.dropout
        losses = []  # per-batch tensors: no device sync inside the epoch
        for start, stop in epoch_plan.bounds:
            masks = epoch_plan.dropout_masks(
                stop - start, self._dropout_widths, keep, self._numpy_dtype
            )
            if masks is not None:
                masks = [torch.from_numpy(mk).to(self.device) for mk in masks]
            loss = self._loss(order[start:stop], masks)
            loss.backward()
            penalty = self._adam_step(stop - start)
            losses.append((loss.detach() + penalty) * (stop - start))
        total = torch.stack(losses).double().sum()
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
        return net, AdamState(
            self._step, [numpy(m) for m in self.exp_avg], [numpy(v) for v in self.exp_avg_sq]
        )
