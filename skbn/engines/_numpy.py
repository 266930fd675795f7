"""The NumPy training engine: vectorised over the batch, float32 or float64."""

import functools
import math

import numpy as np

from .._batchnorm import (
    batchnorm_backward,
    batchnorm_train,
    folds_linear_batchnorm,
    fresh,
    linear_batchnorm_backward,
    linear_batchnorm_train,
    update_running_stats,
)
from .._network import ACTIVATIONS, log_softmax_
from .._reductions import einsum, identity, sum_last, sum_rows
from .._sparse import input_gradient, input_product, take_rows
from ._base import Engine

__all__ = ["NumpyEngine", "loss_and_gradients"]


def _activation_grad(activation, h, slope, dh):
    """d(loss)/dz from d(loss)/dh (updated in place), with the slope the
    forward pass kept or written with the activation's output ``h``."""
    if slope is not None:
        return np.multiply(dh, slope, out=dh)
    if activation.derivative is not None:
        np.multiply(dh, activation.derivative(h), out=dh)
    return dh


@functools.lru_cache(maxsize=16)
def _offset_array(offset, dtype):
    """The config's logit offset (nested tuples) as a read-only array, made
    once: converting it at every step cost 5 us of a small step's ~1.5 ms."""
    a = np.asarray(offset, dtype=dtype)
    a.flags.writeable = False
    return a


def _batch_weights(weights, idx):
    """The loss weights of a batch's rows ``idx``: ``weights`` is one per row,
    or one row per member (``(k, n)``, members of different remedies)."""
    if weights.ndim == 1:
        return weights[idx]
    if idx.ndim == 2:  # each member its own rows
        return np.take_along_axis(weights, idx, axis=1)
    return weights[:, idx]


def loss_and_gradients(net, config, X, y, sample_weight, masks):
    """Training-mode loss of one batch and its gradients (see
    :func:`member_losses_and_gradients`); the loss is the members' mean, a float."""
    losses, grads, bn_stats = member_losses_and_gradients(net, config, X, y, sample_weight, masks)
    return float(np.mean(losses)), grads, bn_stats


def member_losses_and_gradients(net, config, X, y, sample_weight, masks, empty=fresh):
    """Training-mode loss of one batch and its gradients.

    The loss is ``(sum_i w_i * CE_i + alpha / 2 * sum ||W||^2) / m`` for a batch
    of ``m`` rows, ``w_i`` the per-sample weight (1 when ``sample_weight`` is
    None), as scikit-learn's MLPs scale their L2 penalty.

    For an ensemble (arrays with a leading member axis of ``k``), ``X`` is
    ``(m, features)`` when the members share the batch or ``(k, m, features)``
    when each has its own (``y`` and ``sample_weight`` then ``(k, m)``; a
    sparse ``X`` is then a list of ``k`` CSR batches, see
    :func:`skbn._sparse.take_rows`). Each
    member gets the gradient of its own loss, exactly as if it trained alone
    (Adam is elementwise, so this is the gradient of the members' summed loss).

    Returns
    -------
    losses : ndarray of shape (n_members,)
        Each member's loss (one for a single network).
    grads : list of ndarray
        In the order of ``net.trainable()``.
    bn_stats : list of (mean, biased var) per BN layer, ``(None, None)`` for a
        one-row batch. Nothing in ``net`` is modified.

    The largest arrays come from ``empty`` (see :func:`skbn._batchnorm.fresh`):
    an engine's are the same at every step, so the gradients are valid until
    its next step.
    """
    activation = ACTIVATIONS[config.activation]
    m = y.shape[-1]  # X may be one sparse batch per member (a list)
    n_hidden = len(net.coefs) - 1
    bn = net.batch_norm
    inputs, outputs, slopes, caches, bn_stats = [], [], [], [], []
    a = X  # may be sparse: only the first product sees it
    # BN of the first layer through its input's covariance (see
    # linear_batchnorm_train): no passes over the layer's output but one.
    linear_bn = bn and n_hidden and isinstance(X, np.ndarray)
    linear_bn = linear_bn and folds_linear_batchnorm(X, net.coefs[0])
    for i in range(n_hidden):
        inputs.append(a)
        if i == 0 and linear_bn:
            z, mean, var, cache = linear_batchnorm_train(
                a, net.coefs[0], net.bn_scales[0], net.bn_shifts[0], config.bn_eps, empty
            )
        else:
            z = input_product(a, net.coefs[i]) if i == 0 else a @ net.coefs[i]
            if bn:
                z, mean, var, cache = batchnorm_train(
                    z,
                    net.bn_scales[i],
                    net.bn_shifts[i],
                    net.bn_running_means[i],
                    net.bn_running_vars[i],
                    config.bn_eps,
                )
            else:
                z += net.intercepts[i][..., None, :]
        if bn:
            caches.append(cache)
            bn_stats.append((mean, var))
        if activation.slope is None:
            h, slope = activation.forward(z), None
        else:
            slope = activation.slope(z, empty(f"slope {i}", z.shape, z.dtype))
            h = np.multiply(z, slope, out=z)
        outputs.append(h)
        slopes.append(slope)
        a = h * masks[i] if masks is not None else h
    inputs.append(a)
    logits = a @ net.coefs[-1] + net.intercepts[-1][..., None, :]
    if config.logit_offset is not None:
        logits += _offset_array(config.logit_offset, logits.dtype)

    logp = log_softmax_(logits)
    # The target distribution: (1 - eps) * one-hot + eps / n_classes, the
    # members' shared labels broadcast when they share the batch.
    n_classes = logp.shape[-1]
    eps = config.label_smoothing
    # Taken into a kept array (the codes are valid: no bounds check), as
    # fancy indexing took ~20 us of a small step's ~1.5 ms.
    shape = (*y.shape, n_classes)
    target = empty("target", shape, logp.dtype)
    np.take(identity(n_classes, logp.dtype), y, axis=0, out=target, mode="clip")
    if eps:
        target *= 1 - eps
        target += eps / n_classes
    ce = -sum_last(logp * target)
    weighted = sum_last(ce) if sample_weight is None else sum_last(ce * sample_weight)
    penalty = sum(einsum("...ij,...ij->...", c, c) for c in net.coefs)
    losses = ((weighted + 0.5 * config.alpha * penalty) / m).astype(np.float64).reshape(-1)

    delta = np.exp(logp)  # softmax minus the target
    delta -= target
    if sample_weight is None:
        delta *= 1.0 / m
    else:
        delta *= (sample_weight / m)[..., None]

    coef_grads = [None] * len(net.coefs)
    intercept_grads = [None] * len(net.coefs)
    scale_grads, shift_grads = [None] * len(caches), [None] * len(caches)
    for i in range(n_hidden, -1, -1):
        if i == 0 and linear_bn:
            coef_grads[0], scale_grads[0], shift_grads[0] = linear_batchnorm_backward(
                delta, caches[0], empty
            )
        else:
            coef_grads[i] = input_gradient(inputs[i], delta)
        coef = net.coefs[i]
        penalty_grad = empty(f"penalty {i}", coef.shape, coef.dtype)
        coef_grads[i] += np.multiply(coef, config.alpha / m, out=penalty_grad)
        if i == n_hidden or not bn:
            intercept_grads[i] = sum_rows(delta)
        if i == 0:
            break
        coef = net.coefs[i].swapaxes(-1, -2)
        dh = np.matmul(
            delta, coef, out=empty(f"dh {i}", (*delta.shape[:-1], coef.shape[-1]), delta.dtype)
        )
        if masks is not None:
            dh *= masks[i - 1]
        delta = _activation_grad(activation, outputs[i - 1], slopes[i - 1], dh)
        if bn and not (i == 1 and linear_bn):
            delta, scale_grads[i - 1], shift_grads[i - 1] = batchnorm_backward(
                delta, caches[i - 1]
            )
    first = n_hidden if bn else 0
    grads = coef_grads + intercept_grads[first:] + scale_grads + shift_grads
    return losses, grads, bn_stats


def _flat(arrays):
    """One buffer holding ``arrays`` back to back, and views of it shaped as
    they are (holding their values)."""
    flat = np.empty(sum(a.size for a in arrays), dtype=arrays[0].dtype)
    views, start = [], 0
    for a in arrays:
        view = flat[start : start + a.size].reshape(a.shape)
        view[...] = a
        views.append(view)
        start += a.size
    return flat, views


def _set_trainable(net, arrays):
    """Put ``arrays`` in the places of ``net.trainable()``, in its order."""
    n = len(net.coefs)
    first = n - 1 if net.batch_norm else 0
    rest = iter(arrays)
    for target, start in (
        (net.coefs, 0),
        (net.intercepts, first),
        (net.bn_scales, 0),
        (net.bn_shifts, 0),
    ):
        for i in range(start, len(target)):
            target[i] = next(rest)


class NumpyEngine(Engine):
    """Mini-batch Adam in NumPy. The arithmetic mirrors ``torch.optim.Adam``.

    The parameters, Adam's moments and the gradients each live in one
    buffer, so that an Adam step is a dozen passes over one array however
    many layers (and members) the network has: at the sizes of a balanced
    ensemble's steps the per-array calls, not the arithmetic, were its cost
    (``benchmarks/bench_step.py``).
    """

    def __init__(self, config, network, adam, X, y, sample_weight, n_classes):
        self.config = config
        self.net = network
        self.adam = adam
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self._flat_params, params = _flat(network.trainable())
        _set_trainable(network, params)
        self._flat_avg, adam.exp_avg = _flat(adam.exp_avg)
        self._flat_avg_sq, adam.exp_avg_sq = _flat(adam.exp_avg_sq)
        self._flat_grad, self._grads = _flat(params)
        self._dropout_widths = [c.shape[-1] for c in network.coefs[:-1]]
        self._buffers = {}

    def run_epoch(self, epoch_plan):
        # A diverging fit overflows here first; the epoch loop stops it with a
        # clear error on the non-finite loss, so numpy's warnings add nothing.
        with np.errstate(over="ignore", invalid="ignore"):
            return self._run_epoch(epoch_plan)

    def _run_epoch(self, epoch_plan):
        cfg, net = self.config, self.net
        total = np.zeros(net.n_members)
        for (start, stop), lr_factor in zip(epoch_plan.bounds, epoch_plan.lr_factors):
            idx = epoch_plan.order[..., start:stop]
            m = stop - start
            sw = None if self.sample_weight is None else _batch_weights(self.sample_weight, idx)
            masks = epoch_plan.dropout_masks(
                m, self._dropout_widths, 1.0 - cfg.dropout, self.X.dtype
            )
            losses, grads, bn_stats = member_losses_and_gradients(
                net, cfg, self._rows(idx), self.y[idx], sw, masks, self._empty
            )
            for i, (mean, var) in enumerate(bn_stats):
                update_running_stats(
                    net.bn_running_means[i],
                    net.bn_running_vars[i],
                    mean,
                    var,
                    m,
                    cfg.bn_momentum,
                )
            # A Python float, as torch gets it: a NumPy float64 scalar would run the
            # step's float32 updates in float64 (NEP 50), slower and rounded twice.
            self._adam_step(grads, cfg.learning_rate * float(lr_factor))
            del grads  # before the next batch's gradients are made
            total += losses * m
        return total / epoch_plan.order.shape[-1]

    def _empty(self, name, shape, dtype):
        """The step's array ``name``, the same from one step to the next
        (see :func:`skbn._batchnorm.fresh`)."""
        a = self._buffers.get(name)
        if a is None or a.shape != shape or a.dtype != dtype:
            a = self._buffers[name] = np.empty(shape, dtype)
        return a

    def _rows(self, idx):
        if not isinstance(self.X, np.ndarray):
            return take_rows(self.X, idx)
        out = self._empty("rows", (*idx.shape, self.X.shape[1]), self.X.dtype)
        return np.take(self.X, idx, axis=0, out=out, mode="clip")  # the plan's rows are valid

    def _adam_step(self, grads, lr):
        cfg, state = self.config, self.adam
        if cfg.weight_decay:  # decoupled (AdamW), on the weight matrices only
            for c in self.net.coefs:
                c *= 1 - lr * cfg.weight_decay
        state.step += 1
        b1, b2 = cfg.beta_1, cfg.beta_2
        step_size = lr / (1 - b1**state.step)
        bc2_sqrt = math.sqrt(1 - b2**state.step)
        for view, g in zip(self._grads, grads):
            np.copyto(view, g)
        p, g, m, v = self._flat_params, self._flat_grad, self._flat_avg, self._flat_avg_sq
        # In place, with the gradient as scratch once it is used: no temporaries
        # the size of the weights (the same operations, in the same order).
        m *= b1
        m += np.multiply(g, 1 - b1, out=self._empty("adam", g.shape, g.dtype))
        v *= b2
        np.multiply(g, g, out=g)
        g *= 1 - b2
        v += g
        denom = np.sqrt(v, out=g)
        denom /= bc2_sqrt
        denom += cfg.epsilon
        np.divide(m, denom, out=denom)
        denom *= step_size
        p -= denom

    def export(self, final=False):
        if final:
            return self.net, self.adam
        return self.net.copy(), self.adam.copy()
