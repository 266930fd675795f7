"""The torch training engine: the NumPy engine's arithmetic on torch tensors.

Imported only when a torch backend is asked for, so ``import skbn`` never
imports torch. Tensors are made once per fit; batches are index slices of
them; the only host-to-device traffic inside an epoch is what the plan
supplies (the epoch's row order and, with dropout, the masks).

The gradients are written out, as in the NumPy engine, instead of recorded by
autograd: for a fixed MLP the backward pass is a few matrix products and
torch's own BN and activation backward kernels, and skipping the autograd
graph (building it, then walking it) removes most of the per-batch overhead
that dominates at tabular batch sizes. The Adam step calls the fused kernel
behind ``torch.optim.Adam(fused=True)`` directly, for the same reason.
"""

import functools
import math
import warnings

import numpy as np
import torch
from scipy import sparse

from .._network import ACTIVATIONS, Network
from ._base import AdamState, Engine

__all__ = ["TorchEngine", "resolve_device"]


def _forward(name):
    """The activation's torch function, in place: every caller passes a fresh
    tensor (a matmul or BN output)."""
    kernel = ACTIVATIONS[name].torch_forward
    return (lambda z: z) if kernel is None else getattr(torch, kernel)


def _has_private_ops():
    try:
        return all(
            callable(getattr(torch, name, None))
            for name in (
                "_foreach_norm",
                "_foreach_add_",
                "_foreach_mul_",
                "_foreach_addcmul_",
                "_foreach_sqrt",
                "_foreach_div_",
                "_foreach_addcdiv_",
                "native_batch_norm",
            )
        ) and all(
            hasattr(torch.ops.aten, name)
            for name in (
                "threshold_backward",
                "tanh_backward",
                "sigmoid_backward",
                "native_batch_norm_backward",
            )
        )
    except (AttributeError, RuntimeError):
        return False


# Private torch operations (the fused and multi-tensor Adam kernels, the
# activation and BN kernels) save a kernel launch or an allocation per tensor
# and per batch; each has a fallback written with public operations, used
# where a torch release lacks one of them (the tests force it, to check that
# it walks the NumPy engine's path too). Read at each call.
PRIVATE_OPS = _has_private_ops()


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
    """Mini-batch Adam on ``device`` with explicit gradients and fused Adam."""

    def __init__(self, config, network, adam, X, y, sample_weight, n_classes, device="cpu"):
        self.config = config
        self.device = resolve_device(device)
        dev = self.device

        def tensor(a):
            # torch shares the memory of a writable array; a read-only one (a
            # memmap, a joblib-shared array) it would share and warn about.
            return torch.from_numpy(a if a.flags.writeable else a.copy()).to(dev)

        self.sparse = sparse.issparse(X)
        self.X = _SparseRows(X, dev) if self.sparse else tensor(X)
        self.y = tensor(y.astype("int64", copy=False))
        self.sample_weight = None if sample_weight is None else tensor(sample_weight)
        self.n_hidden = len(network.coefs) - 1
        self.batch_norm = network.batch_norm
        self._numpy_dtype = X.dtype
        # The engine may update the given arrays in place: on the CPU the
        # tensors share their memory.
        self.coefs = [tensor(c) for c in network.coefs]
        self.intercepts = [tensor(b) for b in network.intercepts]
        self.scales = [tensor(g) for g in network.bn_scales]
        self.shifts = [tensor(b) for b in network.bn_shifts]
        self.running_means = [tensor(m) for m in network.bn_running_means]
        self.running_vars = [tensor(v) for v in network.bn_running_vars]
        offset = config.logit_offset
        self._logit_offset = None if offset is None else tensor(np.asarray(offset, X.dtype))
        # Same order as Network.trainable(), so Adam's state maps one to one.
        self._first_intercept = self.n_hidden if self.batch_norm else 0
        self.params = (
            self.coefs + self.intercepts[self._first_intercept :] + self.scales + self.shifts
        )
        self.exp_avg = [tensor(m) for m in adam.exp_avg]
        self.exp_avg_sq = [tensor(v) for v in adam.exp_avg_sq]
        self._step = adam.step
        # The fused kernel reads a step count per parameter; one shared tensor.
        step = torch.tensor(float(adam.step), dtype=torch.float32, device=dev)
        self._steps = [step] * len(self.params)
        self._fused = PRIVATE_OPS and _fused_adam_runs(dev)
        # CUDA graphs need the fused Adam kernel (it reads the step count and
        # the learning rate from tensors, which a replay can update). float32
        # only: the kernel takes a float32 learning-rate tensor, which would
        # round a float64 model's rate.
        # Sparse batches vary in their number of stored entries, which a graph fixes.
        self._use_graphs = (
            dev.type == "cuda" and self._fused and X.dtype == np.float32 and not self.sparse
        )
        self._graphs = {}  # batch rows -> _CapturedStep
        # The epoch's loss of each member; one tensor for the engine's life
        # (graphs add to it).
        self._loss_sum = torch.zeros(network.n_members, dtype=torch.float64, device=dev)
        self._dropout_widths = [c.shape[-1] for c in network.coefs[:-1]]
        self._minus_hits = torch.empty((0, 1), dtype=self.coefs[0].dtype, device=dev)

    @torch.no_grad()
    def _loss_and_gradients(self, idx, masks):
        """The batch's weighted cross-entropy over its ``m`` rows and the
        gradients in ``self.params`` order (without the L2 penalty, which the
        Adam step adds); BN's running statistics are updated on the way."""
        cfg = self.config
        act = _forward(cfg.activation)
        m = idx.shape[-1]
        train_bn = m > 1  # one row has no batch statistics: use the running ones
        # (m, features), or (k, m, features) when each member has its own rows.
        if self.sparse:
            a = self.X.rows(idx)
        else:
            a = self.X.index_select(0, idx.reshape(-1)).view(*idx.shape, -1)
        inputs, outputs, bn_saved = [], [], []
        for i in range(self.n_hidden):
            inputs.append(a)
            if i == 0 and self.sparse:
                z = _sparse_product(a, self.coefs[0])
            else:
                z = a @ self.coefs[i]  # broadcast over the members: one batched product
            if self.batch_norm:
                z, saved = _bn_forward(
                    z,
                    self.scales[i],
                    self.shifts[i],
                    self.running_means[i],
                    self.running_vars[i],
                    train_bn,
                    cfg.bn_momentum,
                    cfg.bn_eps,
                )
                bn_saved.append(saved)
            else:
                z += self.intercepts[i].unsqueeze(-2)
            h = act(z)
            outputs.append(h)
            a = h * masks[i] if masks is not None else h
        inputs.append(a)
        if a.dim() == 2:
            logits = torch.addmm(self.intercepts[-1], a, self.coefs[-1])
        else:
            logits = torch.baddbmm(self.intercepts[-1].unsqueeze(-2), a, self.coefs[-1])
        if self._logit_offset is not None:
            logits.add_(self._logit_offset)

        logp = torch.log_softmax(logits, dim=-1)
        y = self.y.index_select(0, idx.reshape(-1)).view(idx.shape)
        y = y.expand(logp.shape[:-1]).unsqueeze(-1)  # shared batch: the same labels
        ce = logp.gather(-1, y).squeeze(-1).neg_()
        eps = cfg.label_smoothing
        if eps:  # the target is (1 - eps) * one-hot + eps / n_classes
            ce = ce.mul_(1 - eps).sub_(logp.sum(-1), alpha=eps / logp.shape[-1])
        sw = None
        if self.sample_weight is not None and self.sample_weight.dim() == 2:
            # One row of weights per member (members of different remedies).
            w = self.sample_weight
            sw = w.gather(1, idx) if idx.dim() == 2 else w.index_select(1, idx)
        elif self.sample_weight is not None:
            sw = self.sample_weight.index_select(0, idx.reshape(-1)).view(idx.shape)
        if ce.dim() == 1:
            weighted = ce.sum() if sw is None else ce @ sw
        else:
            weighted = ce.sum(-1) if sw is None else (ce * sw).sum(-1)
        delta = logp.exp_()  # softmax minus the target
        delta.scatter_add_(-1, y, self._minus_hits[:m].expand(y.shape))
        if eps:
            delta -= eps / delta.shape[-1]
        if sw is None:
            delta *= 1.0 / m
        else:
            delta *= (sw / m).unsqueeze(-1)

        n = len(self.coefs)
        coef_grads, intercept_grads = [None] * n, [None] * n
        scale_grads, shift_grads = [None] * len(bn_saved), [None] * len(bn_saved)
        for i in range(self.n_hidden, -1, -1):
            if i == 0 and self.sparse:
                coef_grads[i] = _sparse_gradient(inputs[0], delta)
            else:
                coef_grads[i] = inputs[i].transpose(-1, -2) @ delta
            if i == self.n_hidden or not self.batch_norm:
                intercept_grads[i] = delta.sum(dim=-2)
            if i == 0:
                break
            dh = delta @ self.coefs[i].transpose(-1, -2)
            if masks is not None:
                dh *= masks[i - 1]
            delta = _activation_backward(cfg.activation, dh, outputs[i - 1])
            if self.batch_norm:
                delta, scale_grads[i - 1], shift_grads[i - 1] = _bn_backward(
                    delta,
                    bn_saved[i - 1],
                    self.scales[i - 1],
                    self.running_means[i - 1],
                    self.running_vars[i - 1],
                    train_bn,
                    cfg.bn_eps,
                )
        grads = coef_grads + intercept_grads[self._first_intercept :] + scale_grads + shift_grads
        return weighted / m, grads

    @torch.no_grad()
    def _adam_step(self, grads, m, lr):
        """One Adam step; the L2 penalty ``alpha / 2 * sum ||W||^2 / m`` enters
        as its gradient ``alpha / m * W``, added to the weight matrices'
        gradients. Returns the penalty's value as a tensor."""
        cfg = self.config
        n = len(self.coefs)
        if self.coefs[0].dim() == 2 and PRIVATE_OPS:
            penalty = torch.stack(torch._foreach_norm(self.coefs)).square().sum()
        elif self.coefs[0].dim() == 2:
            penalty = sum(c.square().sum() for c in self.coefs)
        else:  # one penalty per member
            penalty = sum(c.square().sum(dim=(-2, -1)) for c in self.coefs)
        penalty = penalty * (0.5 * cfg.alpha / m)
        if cfg.alpha:
            _foreach("add_", grads[:n], self.coefs, alpha=cfg.alpha / m)
        if cfg.weight_decay:  # decoupled (AdamW), on the weight matrices only
            _foreach("mul_", self.coefs, 1.0 - lr * cfg.weight_decay)
        if self._fused:
            self._steps[0].add_(1.0)  # the one tensor every entry refers to
            torch._fused_adam_(
                self.params,
                grads,
                self.exp_avg,
                self.exp_avg_sq,
                [],
                self._steps,
                lr=lr,
                beta1=cfg.beta_1,
                beta2=cfg.beta_2,
                weight_decay=0.0,
                eps=cfg.epsilon,
                amsgrad=False,
                maximize=False,
            )
        else:
            self._foreach_adam(grads, lr)
        return penalty

    def _foreach_adam(self, grads, lr):
        """The same update with multi-tensor kernels, where no fused kernel runs."""
        cfg = self.config
        b1, b2 = cfg.beta_1, cfg.beta_2
        step_size = lr / (1 - b1**self._step)
        bc2_sqrt = math.sqrt(1 - b2**self._step)
        _foreach("mul_", self.exp_avg, b1)
        _foreach("add_", self.exp_avg, grads, alpha=1 - b1)
        _foreach("mul_", self.exp_avg_sq, b2)
        _foreach("addcmul_", self.exp_avg_sq, grads, grads, value=1 - b2)
        denom = _foreach("sqrt", self.exp_avg_sq)
        _foreach("div_", denom, bc2_sqrt)
        _foreach("add_", denom, cfg.epsilon)
        _foreach("addcdiv_", self.params, self.exp_avg, denom, value=-step_size)

    def _train_step(self, idx, masks, m, lr):
        """One step on the rows ``idx``; adds the batch's share of each
        member's epoch loss (times ``m``) to ``self._loss_sum``. ``lr`` is a
        float, or a tensor in a CUDA graph. The caller counts the step
        (``self._step``)."""
        loss, grads = self._loss_and_gradients(idx, masks)
        penalty = self._adam_step(grads, m, lr)
        self._loss_sum.add_((loss + penalty) * m)

    def _reserve_rows(self, rows):
        """Make the per-row buffer that subtracts each row's target label mass
        (:meth:`_loss_and_gradients`) hold batches of ``rows`` rows."""
        if len(self._minus_hits) < rows:
            self._minus_hits = torch.full(
                (rows, 1),
                -(1.0 - self.config.label_smoothing),
                dtype=self.coefs[0].dtype,
                device=self.device,
            )
            self._graphs = {}  # they read the old buffer

    def run_epoch(self, epoch_plan):
        order = torch.from_numpy(epoch_plan.order).to(self.device)
        keep = 1.0 - self.config.dropout
        self._reserve_rows(max(stop - start for start, stop in epoch_plan.bounds))
        self._loss_sum.zero_()  # on the device: no sync inside the epoch
        for (start, stop), lr_factor in zip(epoch_plan.bounds, epoch_plan.lr_factors):
            m = stop - start
            masks = epoch_plan.dropout_masks(m, self._dropout_widths, keep, self._numpy_dtype)
            if masks is not None:
                masks = [torch.from_numpy(mk).to(self.device) for mk in masks]
            lr = self.config.learning_rate * float(lr_factor)
            self._step += 1
            if self._use_graphs and self._graph_step(order[..., start:stop], masks, m, lr):
                continue
            self._train_step(order[..., start:stop], masks, m, lr)
        return self._loss_sum.cpu().numpy() / epoch_plan.order.shape[-1]

    def _graph_step(self, idx, masks, m, lr):
        """Replay the CUDA graph of a step of ``m`` rows, capturing it on the
        second such step; False when the step must run eagerly (the first).

        At tabular batch sizes a GPU step is a few dozen small kernels, and
        launching them from Python leaves the GPU idle most of the time; a
        graph launches them all at once. The replayed kernels are the eager
        ones, so the numbers are the same.
        """
        graph = self._graphs.get(m)
        if graph is None:
            # The first step of this size runs eagerly, on a side stream, as
            # the warm-up that capturing needs (workspaces, lazy init).
            self._graphs[m] = "warm"
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                self._train_step(idx, masks, m, lr)
            torch.cuda.current_stream(self.device).wait_stream(side)
            return True
        if graph == "warm":
            graph = _CapturedStep(self, idx, masks, m)
            self._graphs[m] = graph
        graph.replay(idx, masks, lr)
        return True

    def export(self, final=False):
        def numpy(t):
            a = t.detach().cpu().numpy()
            return a if final else a.copy()

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


class _SparseRows:
    """A SciPy CSR matrix's arrays on the device, and its batches as torch
    sparse CSR tensors, gathered on the device (no host traffic per batch).

    On the CPU the tensors share the SciPy arrays' memory: nothing is copied.
    """

    def __init__(self, X, device):
        self.shape = X.shape
        self.crow = torch.from_numpy(X.indptr).to(device)
        self.col = torch.from_numpy(X.indices).to(device)
        self.val = torch.from_numpy(X.data).to(device)
        # torch warns once per process that sparse CSR support is in beta; meet
        # that warning here, once, so the batches need no warnings context
        # (not thread-safe, and in the hot loop).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            torch.sparse_csr_tensor(self.crow[:1], self.col[:0], self.val[:0], size=(0, 0))

    def rows(self, idx):
        """The batch ``X[idx]``: a CSR tensor for ``idx`` of shape ``(m,)``, a
        list of one per member for ``(k, m)``."""
        if idx.dim() == 2:
            return [self.rows(member) for member in idx]
        start = self.crow.index_select(0, idx)
        counts = self.crow.index_select(0, idx + 1) - start
        crow = torch.zeros(len(idx) + 1, dtype=self.crow.dtype, device=idx.device)
        torch.cumsum(counts, 0, out=crow[1:])
        nnz = int(crow[-1])
        # Position of each of the batch's entries in X's arrays: its row's start
        # in X, plus its offset within the batch's run for that row.
        pos = torch.repeat_interleave((start - crow[:-1]).long(), counts.long(), output_size=nnz)
        pos += torch.arange(nnz, device=idx.device)
        return torch.sparse_csr_tensor(
            crow,
            self.col.index_select(0, pos),
            self.val.index_select(0, pos),
            size=(len(idx), self.shape[1]),
            check_invariants=False,
        )


def _sparse_product(X, W):
    """``X @ W`` for a sparse batch (or one per member), ``W`` of shape
    ``(features, units)`` or ``(k, features, units)``. A shared batch meets
    the members' weights side by side, in one sparse product."""
    if isinstance(X, list):
        return torch.stack([x @ w for x, w in zip(X, W)])
    if W.dim() == 2:
        return X @ W
    k, f, h = W.shape
    return (X @ W.transpose(0, 1).reshape(f, k * h)).view(-1, k, h).transpose(0, 1)


def _sparse_gradient(X, delta):
    """``X.T @ delta``, the first layer's weight gradient, from the sparse batch.

    Each stored entry ``x[r, c]`` adds ``x[r, c] * delta[r]`` to row ``c`` of
    the gradient: one scatter-add over the batch's entries into a zeroed
    output. (The CSC product ``X.t() @ delta`` gives the same numbers but
    measured 12 MiB more at the peak and 10 % more time at 50 000 features.)
    """
    if isinstance(X, list):
        return torch.stack([_sparse_gradient(x, d) for x, d in zip(X, delta)])
    if delta.dim() == 3:
        k, m, h = delta.shape
        side_by_side = _sparse_gradient(X, delta.transpose(0, 1).reshape(m, k * h))
        return side_by_side.view(-1, k, h).transpose(0, 1).contiguous()
    rows = torch.repeat_interleave(
        torch.arange(X.shape[0], device=delta.device), X.crow_indices().diff().long()
    )
    out = torch.zeros(X.shape[1], delta.shape[1], dtype=delta.dtype, device=delta.device)
    contributions = delta.index_select(0, rows).mul_(X.values().unsqueeze(1))
    return out.index_add_(0, X.col_indices().long(), contributions)


def _foreach(op, tensors, *others, **kwargs):
    """``torch._foreach_<op>`` over a list of tensors, or the public in-place
    (or, for ``sqrt``, out-of-place) method on each tensor in turn."""
    if PRIVATE_OPS:
        return getattr(torch, f"_foreach_{op}")(tensors, *others, **kwargs)
    lists = [o if isinstance(o, list) else [o] * len(tensors) for o in others]
    return [getattr(t, op)(*args, **kwargs) for t, *args in zip(tensors, *lists)]


def _activation_backward(name, dh, h):
    """d(loss)/dz from d(loss)/dh, written with the activation's output ``h``."""
    act = ACTIVATIONS[name]
    if act.derivative is None:
        return dh
    if not PRIVATE_OPS:
        return dh * act.derivative(h)
    kernel, *args = act.torch_backward
    return getattr(torch.ops.aten, kernel)(dh, h, *args)


def _native_bn(z, gamma, beta, running_mean, running_var, train, momentum, eps):
    """``torch.native_batch_norm`` over the rows of a 2-D ``z``, or the same
    arithmetic in public operations: ``(out, mean, invstd)``, the batch's
    statistics in training (the running ones updated in place, with the
    unbiased variance) and the running ones in evaluation."""
    if PRIVATE_OPS:
        return torch.native_batch_norm(
            z, gamma, beta, running_mean, running_var, train, momentum, eps
        )
    if train:
        mean = z.mean(dim=0)
        var = z.var(dim=0, unbiased=False)
        n = z.shape[0]
        running_mean.mul_(1 - momentum).add_(mean, alpha=momentum)
        running_var.mul_(1 - momentum).add_(var * (n / max(n - 1, 1)), alpha=momentum)
    else:
        mean, var = running_mean, running_var
    invstd = (var + eps).rsqrt()
    return (z - mean) * (invstd * gamma) + beta, mean, invstd


def _native_bn_backward(dout, z, gamma, running_mean, running_var, mean, invstd, train, eps):
    """``(dz, dgamma, dbeta)`` of :func:`_native_bn` for a 2-D batch."""
    if PRIVATE_OPS:
        return torch.ops.aten.native_batch_norm_backward(
            dout, z, gamma, running_mean, running_var, mean, invstd, train, eps, [True] * 3
        )
    if not train:
        mean, invstd = running_mean, (running_var + eps).rsqrt()
    xhat = (z - mean) * invstd
    dbeta = dout.sum(dim=0)
    dgamma = (dout * xhat).sum(dim=0)
    if train:
        n = z.shape[0]
        dz = (gamma * invstd / n) * (n * dout - dbeta - xhat * dgamma)
    else:
        dz = dout * (gamma * invstd)
    return dz, dgamma, dbeta


def _bn_forward(z, gamma, beta, running_mean, running_var, train, momentum, eps):
    """torch's BN kernel over the rows of ``z``; returns the output and what
    :func:`_bn_backward` needs. For an ensemble, ``z`` is ``(k, m, h)`` with
    parameters ``(k, h)``: the kernel sees an ``(m, k * h)`` batch, whose
    ``k * h`` channels are each member's features, and updates the running
    statistics through flat views of them."""
    if z.dim() == 2:
        out, mean, invstd = _native_bn(
            z, gamma, beta, running_mean, running_var, train, momentum, eps
        )
        return out, (z, mean, invstd)
    k, m, h = z.shape
    flat = z.transpose(0, 1).reshape(m, k * h)
    out, mean, invstd = _native_bn(
        flat,
        gamma.view(-1),
        beta.view(-1),
        running_mean.view(-1),
        running_var.view(-1),
        train,
        momentum,
        eps,
    )
    return out.view(m, k, h).transpose(0, 1), (flat, mean, invstd)


def _bn_backward(dout, saved, gamma, running_mean, running_var, train, eps):
    """torch's BN backward kernel: ``(dz, dgamma, dbeta)``. In eval mode (a
    one-row batch) it differentiates through the running statistics."""
    z, mean, invstd = saved
    if dout.dim() == 2:
        return _native_bn_backward(
            dout, z, gamma, running_mean, running_var, mean, invstd, train, eps
        )
    k, m, h = dout.shape
    dz, dgamma, dbeta = _native_bn_backward(
        dout.transpose(0, 1).reshape(m, k * h),
        z,
        gamma.view(-1),
        running_mean.view(-1),
        running_var.view(-1),
        mean,
        invstd,
        train,
        eps,
    )
    return dz.view(m, k, h).transpose(0, 1), dgamma.view(k, h), dbeta.view(k, h)


class _CapturedStep:
    """A CUDA graph of :meth:`TorchEngine._train_step` for batches of ``m`` rows,
    reading its rows, dropout masks and learning rate from static buffers."""

    def __init__(self, engine, idx, masks, m):
        self.idx = idx.clone()
        self.masks = None if masks is None else [mk.clone() for mk in masks]
        self.lr = torch.zeros((), dtype=torch.float32, device=engine.device)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):  # records, runs nothing
            engine._train_step(self.idx, self.masks, m, self.lr)

    def replay(self, idx, masks, lr):
        self.idx.copy_(idx)
        if masks is not None:
            for buf, mk in zip(self.masks, masks):
                buf.copy_(mk)
        self.lr.fill_(lr)
        self.graph.replay()
