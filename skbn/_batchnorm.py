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

__all__ = [
    "BNCache",
    "batchnorm_backward",
    "batchnorm_eval",
    "batchnorm_train",
    "fold_batchnorm",
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
    mean = x.mean(axis=-2)
    xhat = x - _rows(mean)
    var = np.einsum("...ij,...ij->...j", xhat, xhat) / m  # biased; no (m, n) temporary
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
    dgamma = np.einsum("...ij,...ij->...j", dout, cache.xhat)
    dbeta = dout.sum(axis=-2)
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


def fold_batchnorm(coef, intercept, gamma, beta, running_mean, running_var, eps):
    """Fold an eval-mode BN layer into the linear layer before it.

    In eval mode BN is affine, so ``Linear(W, c)`` followed by BN equals
    ``Linear(W * s, (c - running_mean) * s + beta)`` with
    ``s = gamma / sqrt(running_var + eps)``. Prediction then costs the same
    with and without BN.
    """
    scale = gamma / np.sqrt(running_var + eps)
    return coef * _rows(scale), (intercept - running_mean) * scale + beta
