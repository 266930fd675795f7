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

__all__ = ["MemberRows", "input_gradient", "input_product", "take_rows", "to_csr"]


def to_csr(X):
    """``X`` as CSR with sorted indices and ``int32`` or ``int64`` index
    arrays, copying only when it is not that already."""
    X = X.tocsr() if X.format != "csr" else X
    if not X.has_sorted_indices:
        X = X.sorted_indices()
    return X


class MemberRows:
    """Each member's own rows of a sparse ``X`` (``member_batches='independent'``
    or ``'undersampled'``): one CSR matrix per member, the sparse counterpart
    of a dense ``(k, m, features)`` batch."""

    def __init__(self, X, idx):
        self.parts = [X[rows] for rows in idx]

    @property
    def shape(self):
        m, f = self.parts[0].shape
        return (len(self.parts), m, f)


def take_rows(X, idx):
    """The batch ``X[idx]`` for a row index of shape ``(m,)`` or ``(k, m)``."""
    if not sparse.issparse(X):
        return X[idx]
    return X[idx] if idx.ndim == 1 else MemberRows(X, idx)


def input_product(X, W):
    """``X @ W`` for a dense or sparse batch; ``(k, m, units)`` when ``W``
    has a member axis."""
    if isinstance(X, MemberRows):
        return np.stack([np.asarray(x @ w) for x, w in zip(X.parts, W)])
    if not sparse.issparse(X) or W.ndim == 2:
        return np.asarray(X @ W)
    k, f, h = W.shape
    side_by_side = np.ascontiguousarray(W.transpose(1, 0, 2)).reshape(f, k * h)
    return np.asarray(X @ side_by_side).reshape(-1, k, h).transpose(1, 0, 2)


def input_gradient(X, delta):
    """``X.T @ delta``, the first layer's weight gradient; ``(k, features,
    units)`` when ``delta`` has a member axis."""
    if isinstance(X, MemberRows):
        return np.stack([np.asarray(x.T @ d) for x, d in zip(X.parts, delta)])
    if not sparse.issparse(X):
        return np.swapaxes(X, -1, -2) @ delta
    if delta.ndim == 2:
        return np.asarray(X.T @ delta)
    k, m, h = delta.shape
    side_by_side = np.ascontiguousarray(delta.transpose(1, 0, 2)).reshape(m, k * h)
    return np.ascontiguousarray(
        np.asarray(X.T @ side_by_side).reshape(-1, k, h).transpose(1, 0, 2)
    )
