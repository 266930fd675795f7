"""Products with a sparse input matrix, for the first layer.

Only the first layer ever sees ``X``: its output is dense, so sparse input
changes two products, ``X @ W`` forward and ``X.T @ delta`` for the weight
gradient. Both stay sparse-times-dense here (SciPy's CSR/CSC kernels), so a
batch, and ``X`` itself, is never densified. ``W`` may carry a leading
member axis ``(k, features, units)``: the members' weights are laid side by
side as one ``(features, k * units)`` matrix so the sparse matrix is read
once, not once per member.
"""

import numpy as np
from scipy import sparse

__all__ = ["input_gradient", "input_product", "sorted_csr", "take_rows"]


def sorted_csr(X):
    """A CSR matrix with its column indices sorted within each row (torch's
    CSR kernels expect them so), copied only when they are not."""
    return X if X.has_sorted_indices else X.sorted_indices()


def take_rows(X, idx):
    """The batch ``X[idx]`` for a row index of shape ``(m,)`` or ``(k, m)``;
    for a sparse ``X`` and ``(k, m)``, a list of one CSR batch per member (the
    sparse counterpart of a dense ``(k, m, features)`` batch)."""
    if sparse.issparse(X) and idx.ndim == 2:
        return [X[rows] for rows in idx]
    return X[idx]


def input_product(X, W):
    """``X @ W`` for a dense or sparse batch; ``(k, m, units)`` when ``W``
    has a member axis."""
    if isinstance(X, list):
        return np.stack([np.asarray(x @ w) for x, w in zip(X, W)])
    if not sparse.issparse(X) or W.ndim == 2:
        return np.asarray(X @ W)
    k, f, h = W.shape
    side_by_side = np.ascontiguousarray(W.transpose(1, 0, 2)).reshape(f, k * h)
    return np.asarray(X @ side_by_side).reshape(-1, k, h).transpose(1, 0, 2)


def input_gradient(X, delta):
    """``X.T @ delta``, the first layer's weight gradient; ``(k, features,
    units)`` when ``delta`` has a member axis."""
    if isinstance(X, list):
        return np.stack([np.asarray(x.T @ d) for x, d in zip(X, delta)])
    if not sparse.issparse(X):
        return X.swapaxes(-1, -2) @ delta
    if delta.ndim == 2:
        return np.asarray(X.T @ delta)
    k, m, h = delta.shape
    side_by_side = np.ascontiguousarray(delta.transpose(1, 0, 2)).reshape(m, k * h)
    return np.ascontiguousarray(
        np.asarray(X.T @ side_by_side).reshape(-1, k, h).transpose(1, 0, 2)
    )
