"""Batch normalization maths in NumPy: forward (train and eval), backward, folding.

Conventions follow ``torch.nn.BatchNorm1d`` so that the NumPy and torch engines
agree and users coming from PyTorch find no surprises:

* training mode normalises with the batch mean and the **biased** batch
  variance (divide by ``m``);
* the running variance stores the **unbiased** batch variance
  (``m / (m - 1)`` times the biased one);
* ``running = (1 - momentum) * running + momentum * batch_statistic``
  (PyTorch's convention; Keras' ``momentum=0.99`` is PyTorch's ``0.01``);
* ``eps`` is added to the variance inside the square root.

Every function also takes a leading member axis (``x`` of shape
``(k, m, features)`` and parameters of shape ``(k, features)``) for the
members of an ensemble trained as one network (``ensemble_size``): each member
normalises its own batch with its own statistics. Rows are always axis -2.

A training batch of one row has no variance to normalise with. PyTorch raises
there; here such a batch is normalised with the running statistics, exactly as
in eval mode, and the running statistics are left unchanged. Gradients still
flow to the input, to ``gamma`` and to ``beta``. The training planner merges a
trailing one-row batch into the previous one (see ``skbn._plan``), so this rule
only applies when the whole training set is a single row (``partial_fit``).
"""

from dataclasses import dataclass

import numpy as np

from ._reductions import einsum, sum_rows

__all__ = [
    "BNCache",
    "LinearBNCache",
    "batchnorm_backward",
    "batchnorm_eval",
    "batchnorm_train",
    "fold_batchnorm",
    "folds_linear_batchnorm",
    "fresh",
    "linear_batchnorm_backward",
    "linear_batchnorm_train",
    "update_running_stats",
]


@dataclass
class BNCache:
    """What the backward pass needs from a training-mode forward pass."""

    xhat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    # False when the batch was normalised with the running statistics
    # (one-row batch): xhat is then an affine function of x, not of the batch.
    batch_stats: bool


def batchnorm_eval(x, gamma, beta, running_mean, running_var, eps):
    """Normalise ``x`` with the running statistics (inference mode).

    Each row's output depends on that row only.
    """
    scale = gamma / np.sqrt(running_var + eps)
    return (x - _rows(running_mean)) * _rows(scale) + _rows(beta)


def _rows(a):
    """Per-feature array ``(..., features)`` broadcast over the rows (axis -2)."""
    return a[..., None, :]


def batchnorm_train(x, gamma, beta, running_mean, running_var, eps):
    """Training-mode forward pass over a batch ``x`` of shape (m, features).

    Returns
    -------
    out : ndarray of shape (m, features)
        ``gamma * xhat + beta``.
    batch_mean, batch_var : ndarray of shape (features,) or None
        The batch mean and the *biased* batch variance, to update the running
        statistics with (``None`` for a one-row batch, which does not update
        them).
    cache : BNCache
        Input of :func:`batchnorm_backward`.
    """
    m = x.shape[-2]
    if m == 1:
        inv_std = 1.0 / np.sqrt(running_var + eps)
        xhat = (x - _rows(running_mean)) * _rows(inv_std)
        return _rows(gamma) * xhat + _rows(beta), None, None, BNCache(xhat, inv_std, gamma, False)
    mean = sum_rows(x) / m
    xhat = x - _rows(mean)
    var = einsum("...ij,...ij->...j", xhat, xhat) / m  # biased; no (m, n) temporary
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat *= _rows(inv_std)
    out = xhat * _rows(gamma)
    out += _rows(beta)
    return out, mean, var, BNCache(xhat, inv_std, gamma, True)


def update_running_stats(running_mean, running_var, batch_mean, batch_var, m, momentum):
    """Update the running statistics in place with PyTorch's momentum rule.

    ``batch_var`` is the biased variance of a batch of ``m`` rows; the running
    variance tracks the unbiased one. Nothing happens for a one-row batch.
    """
    if batch_mean is None:
        return
    running_mean *= 1.0 - momentum
    running_mean += momentum * batch_mean
    running_var *= 1.0 - momentum
    running_var += (momentum * m / (m - 1)) * batch_var


def batchnorm_backward(dout, cache):
    """Backward pass of :func:`batchnorm_train`.

    Returns ``(dx, dgamma, dbeta)``.
    """
    dgamma = einsum("...ij,...ij->...j", dout, cache.xhat)
    dbeta = sum_rows(dout)
    if not cache.batch_stats:
        return dout * _rows(cache.gamma * cache.inv_std), dgamma, dbeta
    m = dout.shape[-2]
    # d xhat_i / d x_j couples every row through the batch mean and variance:
    # dx = gamma * inv_std * (dout - mean(dout) - xhat * mean(dout * xhat)),
    # where the two means are dbeta / m and dgamma / m.
    dx = cache.xhat * _rows(-dgamma / m)
    dx += dout
    dx -= _rows(dbeta / m)
    dx *= _rows(cache.gamma * cache.inv_std)
    return dx, dgamma, dbeta


@dataclass
class LinearBNCache:
    """What :func:`linear_batchnorm_backward` needs: the centred input with a
    column of ones, ``C @ W`` (``C`` the input's biased covariance), the
    weights, ``1 / std`` and ``gamma / std``."""

    centred: np.ndarray
    cov_coef: np.ndarray
    coef: np.ndarray
    inv_std: np.ndarray
    scale: np.ndarray


def _lead(*arrays):
    """The member axis of the arrays' product: ``(k,)`` or none (shared rows
    have none; np.broadcast_shapes costs more than a small step's products)."""
    return max((a.shape[:-2] for a in arrays), key=len)


def folds_linear_batchnorm(x, coef):
    """Whether :func:`linear_batchnorm_train` is the cheaper way through the
    layer: its extra products (the input's covariance and ``C @ W``) cost no
    more than the layer's own when the input is no wider than the batch and
    than the layer. A one-row batch has no batch statistics."""
    m, fan_in = x.shape[-2:]
    return 1 < m and fan_in <= min(m, coef.shape[-1])


def fresh(name, shape, dtype):
    """A new array: the default ``empty`` of the functions that take one.

    An engine passes its own instead, which hands out the same array for the
    same ``name`` at every step: glibc gives blocks over 128 KiB back to the
    system when they are freed, and faulting fresh pages back in for each of
    a step's temporaries made a float64 step of the balanced ensemble two to
    three times slower than the arithmetic.
    """
    return np.empty(shape, dtype)


def linear_batchnorm_train(x, coef, gamma, beta, eps, empty=fresh):
    """Training-mode BN of ``z = x @ coef``, computed without passes over ``z``.

    BN of a linear layer is linear in the centred input: with
    ``xc = x - mean(x)``, ``z - mean(z) = xc @ coef`` and the biased variance
    of ``z`` is ``diag(coef.T @ C @ coef)``, ``C = xc.T @ xc / m``. So the
    output ``gamma * (z - mean(z)) / std + beta`` is one product of ``xc``
    (with a column of ones, for ``beta``) and ``coef`` scaled per unit. For a
    first layer narrower than the batch, the covariance is cheaper than the
    half-dozen elementwise passes over ``(m, units)`` it replaces, and the
    backward pass (:func:`linear_batchnorm_backward`) needs none either. The
    numbers equal ``batchnorm_train(x @ coef, ...)``'s up to rounding.

    ``x`` is ``(m, fan_in)``, or ``(k, m, fan_in)`` with ``coef`` of shape
    ``(k, fan_in, units)`` (members with their own rows or sharing ``x``).
    The output and the cache are arrays from ``empty`` (see :func:`fresh`).

    Returns
    -------
    out, batch_mean, batch_var, cache
        As :func:`batchnorm_train`'s, ``cache`` for the backward pass.
    """
    m, fan_in = x.shape[-2:]
    units, dtype = coef.shape[-1], coef.dtype
    x_mean = sum_rows(x)[..., None, :] / m
    centred = empty("lbn centred", (*x.shape[:-1], fan_in + 1), x.dtype)
    np.subtract(x, x_mean, out=centred[..., :fan_in])
    centred[..., fan_in] = 1.0
    xc = centred[..., :fan_in]
    cov = np.matmul(
        xc.swapaxes(-1, -2), xc, out=empty("lbn cov", (*x.shape[:-2], fan_in, fan_in), dtype)
    )
    cov_coef = np.matmul(cov, coef, out=empty("lbn cov coef", coef.shape, dtype))
    cov_coef /= m
    # Rounding may leave a unit's variance a hair below zero when it is ~0.
    var = np.maximum(einsum("...fj,...fj->...j", coef, cov_coef), 0.0)
    mean = (x_mean @ coef)[..., 0, :]
    inv_std = 1.0 / np.sqrt(var + eps)
    scale = gamma * inv_std
    scaled = empty("lbn scaled", (*coef.shape[:-2], fan_in + 1, units), dtype)
    np.multiply(coef, scale[..., None, :], out=scaled[..., :fan_in, :])
    scaled[..., fan_in, :] = beta
    lead = _lead(centred, scaled)
    out = np.matmul(centred, scaled, out=empty("lbn out", (*lead, m, units), dtype))
    return out, mean, var, LinearBNCache(centred, cov_coef, coef, inv_std, scale)


def linear_batchnorm_backward(dout, cache, empty=fresh):
    """Backward pass of :func:`linear_batchnorm_train`: ``(dcoef, dgamma,
    dbeta)``, without the input's gradient (a first layer needs none).

    With ``G = xc.T @ dout`` (its last row, that of the ones, is ``dbeta``),
    ``dgamma = sum_f(coef * G) / std``, and since BN's input gradient ``dz``
    sums to zero over the rows, ``x.T @ dz = xc.T @ dz
    = scale * G - C @ coef * scale * dgamma / std``.
    """
    coef = cache.coef
    fan_in = coef.shape[-2]
    lead = _lead(cache.centred, dout)
    both = empty("lbn both", (*lead, fan_in + 1, coef.shape[-1]), coef.dtype)
    np.matmul(cache.centred.swapaxes(-1, -2), dout, out=both)
    grad, dbeta = both[..., :fan_in, :], both[..., fan_in, :]
    dgamma = einsum("...fj,...fj->...j", coef, grad)
    dgamma *= cache.inv_std
    dcoef = np.multiply(
        grad, cache.scale[..., None, :], out=empty("lbn dcoef", coef.shape, coef.dtype)
    )
    along = (cache.scale * cache.inv_std * dgamma)[..., None, :]
    dcoef -= np.multiply(cache.cov_coef, along, out=empty("lbn scratch", coef.shape, coef.dtype))
    return dcoef, dgamma, dbeta


def fold_batchnorm(coef, intercept, gamma, beta, running_mean, running_var, eps):
    """Fold an eval-mode BN layer into the linear layer before it.

    In eval mode BN is affine, so ``Linear(W, c)`` followed by BN equals
    ``Linear(W * s, (c - running_mean) * s + beta)`` with
    ``s = gamma / sqrt(running_var + eps)``. Prediction then costs the same
    with and without BN.
    """
    scale = gamma / np.sqrt(running_var + eps)
    return coef * _rows(scale), (intercept - running_mean) * scale + beta
