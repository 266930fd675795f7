"""Resamplers for imbalanced data, compatible with imbalanced-learn.

imbalanced-learn already provides random over- and under-sampling, SMOTE and
its variants; use them as they are (``imblearn.pipeline.Pipeline`` puts any of
them in front of :class:`skbn.BNMLPClassifier`). This module adds minority
augmentation by Gaussian jitter, written as an imbalanced-learn over-sampler.
"""

from numbers import Real

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_target_type
from scipy import sparse
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

__all__ = ["GaussianNoiseOverSampler"]


class GaussianNoiseOverSampler(BaseOverSampler):
    """Over-sample by adding Gaussian noise to copies of a class's rows.

    Each new row of class ``c`` is a row of ``c`` drawn at random (with
    replacement) plus noise drawn from ``N(0, (noise_scale ** 2) * S_c)``,
    where ``S_c`` is the spread of class ``c``: the per-feature variances
    (``covariance='diag'``) or the full covariance matrix
    (``covariance='full'``) of its rows. Scaling by the class's own spread
    keeps the jitter small on features where the class is tight and leaves
    constant features constant.

    With ``covariance='diag'`` this is a smoothed bootstrap, as in
    :class:`imblearn.over_sampling.RandomOverSampler` with ``shrinkage``, whose
    bandwidth also includes Silverman's rule-of-thumb factor; here the
    bandwidth is set directly as a fraction of each feature's spread. With
    ``covariance='full'`` the noise follows the class's correlations, so
    new rows stay near the subspace the class occupies (correlated or
    redundant features stay consistent with each other).

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default='auto'
        Which classes to over-sample and to what size, as in every
        imbalanced-learn over-sampler (``'auto'``: every class but the
        majority, up to the majority's size).
    noise_scale : float >= 0, default=0.1
        Standard deviation of the noise in units of the class's spread.
        ``0`` makes it random over-sampling.
    covariance : {'diag', 'full'}, default='diag'
        Per-feature spread, or the full covariance of the class's rows.
    random_state : int, RandomState instance or None, default=None
        Controls the rows drawn and the noise.

    Attributes
    ----------
    sampling_strategy_ : dict
        Class label to the number of rows to add.
    n_features_in_ : int
        Number of features seen during ``fit_resample``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` has string column names.

    Notes
    -----
    Input must be numeric. With sparse input (CSR or CSC) the noise is added
    to the stored entries of each copied row only, so a new row keeps the
    sparsity pattern of the row it copies (jittering the zeros would fill
    the matrix); the spread is still that of the whole class, zeros
    included, computed from the sparse rows for ``covariance='diag'``
    (``'full'`` densifies the rows of the class being over-sampled, never
    the whole of ``X``), and the output has the input's sparse format. A class to be
    over-sampled needs at least two rows, or it has no spread to scale the
    noise by (``ValueError``); use
    :class:`~imblearn.over_sampling.RandomOverSampler` for such a class. The
    original rows come first, unchanged, followed by the new rows class by
    class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from skbn import GaussianNoiseOverSampler
    >>> X, y = make_classification(n_samples=200, weights=[0.9], random_state=0)
    >>> X_res, y_res = GaussianNoiseOverSampler(random_state=0).fit_resample(X, y)
    >>> np.bincount(y).tolist(), np.bincount(y_res).tolist()
    ([180, 20], [180, 180])
    >>> bool((X_res[:200] == X).all())
    True
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "noise_scale": [Interval(Real, 0, None, closed="left")],
        "covariance": [StrOptions({"diag", "full"})],
    }

    def __init__(
        self, *, sampling_strategy="auto", noise_scale=0.1, covariance="diag", random_state=None
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.noise_scale = noise_scale
        self.covariance = covariance
        self.random_state = random_state

    def _check_X_y(self, X, y):
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        X, y = validate_data(
            self, X, y, reset=True, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32]
        )
        return X, y, binarize_y

    def _fit_resample(self, X, y):
        rng = check_random_state(self.random_state)
        X_parts, y_parts = [X], [y]
        for label, n_new in self.sampling_strategy_.items():
            if n_new == 0:
                continue
            rows = X[y == label]
            if rows.shape[0] < 2:
                raise ValueError(
                    f"Class {label!r} has {rows.shape[0]} row(s): its spread, which scales "
                    "the noise, needs at least 2. Over-sample it with "
                    "imblearn.over_sampling.RandomOverSampler instead, or drop it."
                )
            base = rows[rng.randint(rows.shape[0], size=n_new)]
            if sparse.issparse(X):
                X_parts.append(self._sparse_jitter(rows, base, rng))
            else:
                X_parts.append(base + self._noise(rows, n_new, rng).astype(X.dtype))
            y_parts.append(np.full(n_new, label, dtype=y.dtype))
        if sparse.issparse(X):
            return sparse.vstack(X_parts, format=X.format), np.hstack(y_parts)
        return np.vstack(X_parts), np.hstack(y_parts)

    def _sparse_jitter(self, rows, base, rng):
        """``base`` (sparse copies of rows of the class) with noise on its stored
        entries only, without densifying the class when the spread is diagonal."""
        base = sparse.csr_matrix(base, copy=True)
        if self.covariance == "diag":
            # The class's per-feature spread from its sparse moments, zeros included.
            mean = np.asarray(rows.mean(axis=0)).ravel()
            mean_sq = np.asarray(rows.multiply(rows).mean(axis=0)).ravel()
            spread = np.sqrt(np.maximum(mean_sq - mean**2, 0.0))
            noise = self.noise_scale * rng.standard_normal(base.nnz) * spread[base.indices]
        else:  # the full spread needs the class densely (its rows only)
            dense = self._noise(rows.toarray(), base.shape[0], rng)
            noise = dense[np.repeat(np.arange(base.shape[0]), np.diff(base.indptr)), base.indices]
        base.data += noise.astype(base.dtype)
        return base

    def _noise(self, rows, n_new, rng):
        centred = rows - rows.mean(axis=0)
        if self.covariance == "diag":
            spread = np.sqrt(np.mean(centred**2, axis=0))
            return self.noise_scale * rng.standard_normal((n_new, rows.shape[1])) * spread
        # g @ centred / sqrt(n) has covariance centred.T @ centred / n, the
        # class's (biased) covariance, without factorising it: exact even
        # when the class has fewer rows than features.
        g = rng.standard_normal((n_new, len(rows)))
        return self.noise_scale * (g @ centred) / np.sqrt(len(rows))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
