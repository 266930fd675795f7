"""Input transforms for tabular networks, as scikit-learn transformers.

Both come from the tabular deep-learning literature and are kept or dropped
for the recommended recipe on the real-data panel's evidence
(``docs/user_guide/real_data.md``):

- :class:`SmoothClipScaler`: robust scaling then smooth clipping of each
  feature, RealMLP's input transform (Holzmüller et al. 2024);
- :class:`PiecewiseLinearEncoder`: piecewise-linear encoding of each numerical
  feature over quantile bins (Gorishniy et al. 2022).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

__all__ = ["PiecewiseLinearEncoder", "SmoothClipScaler"]


class SmoothClipScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Robust scaling followed by smooth clipping (RealMLP's input transform).

    Each feature is centred on its median and divided by its interquartile
    range; a feature whose quartiles coincide is divided by half its range
    instead, and a constant feature becomes 0. The result ``z`` is then
    smoothly clipped to ``(-clip, clip)``:
    ``z / sqrt(1 + (z / clip) ** 2)``, which is close to the identity for
    ``|z|`` well below ``clip``, so outliers keep their order but cannot
    dominate a batch (and its BN statistics).

    Parameters
    ----------
    clip : float > 0, default=3.0
        Where the smooth clip saturates (RealMLP uses 3).

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
        The median of each feature.
    scale_ : ndarray of shape (n_features,)
        The divisor of each feature (1 for a constant feature, which is then 0).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined only when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from skbn import SmoothClipScaler
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [1000.0]])
    >>> SmoothClipScaler().fit_transform(X).round(2).ravel().tolist()
    [-0.95, -0.49, 0.0, 0.49, 3.0]
    """

    _parameter_constraints = {"clip": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, clip=3.0):
        self.clip = clip

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn each feature's median and scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : SmoothClipScaler

        Examples
        --------
        >>> from skbn import SmoothClipScaler
        >>> SmoothClipScaler().fit([[0.0], [1.0], [2.0], [3.0]]).center_.tolist()
        [1.5]
        """
        X = validate_data(self, X, dtype=(np.float64, np.float32))
        q1, median, q3 = np.percentile(X, [25, 50, 75], axis=0)
        half_range = (X.max(axis=0) - X.min(axis=0)) / 2
        scale = np.where(q3 > q1, q3 - q1, half_range)
        self.center_ = median
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, X):
        """Scale and smoothly clip ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Every value in ``[-clip, clip]`` (``clip`` itself only where rounding
            reaches it).

        Examples
        --------
        >>> from skbn import SmoothClipScaler
        >>> SmoothClipScaler().fit([[0.0], [1.0], [2.0], [3.0]]).transform([[1.5], [100.0]]).round(2).tolist()
        [[0.0], [3.0]]
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        clip = X.dtype.type(self.clip)
        with np.errstate(over="ignore"):
            z = (X - self.center_.astype(X.dtype)) / self.scale_.astype(X.dtype)
            out = z / np.sqrt(1 + (z / clip) ** 2)
        # A far outlier over a tiny scale overflows (z / clip) ** 2 (or z): its
        # value is then +-clip to working precision.
        far = ~np.isfinite(out) | (np.abs(z) > np.sqrt(np.finfo(X.dtype).max) / 2)
        if far.any():
            out[far] = np.sign(z[far]) * clip
        return out


class PiecewiseLinearEncoder(TransformerMixin, BaseEstimator):
    """Piecewise-linear encoding of numerical features (Gorishniy et al. 2022).

    Each feature's training values are cut into ``n_bins`` quantile bins with
    edges ``b_0 < b_1 < ... < b_T`` (repeated quantiles merged, so a feature
    with few distinct values gets fewer bins). A value ``x`` becomes ``T``
    numbers, one per bin ``t``: 0 below the bin, 1 above it, and
    ``(x - b_{t-1}) / (b_t - b_{t-1})`` inside it — a "thermometer" that
    fills up linearly, so that the next linear layer can give every bin its
    own slope. As in the paper, the first bin is not clipped below and the
    last not clipped above, so values outside the training range extrapolate
    linearly. A constant feature gives one column of zeros.

    Parameters
    ----------
    n_bins : int >= 1, default=16
        The most bins per feature.

    Attributes
    ----------
    bin_edges_ : list of ndarray
        The edges of each feature's bins (``T + 1`` values, or the constant).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined only when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from skbn import PiecewiseLinearEncoder
    >>> X = np.arange(5.0).reshape(-1, 1)
    >>> enc = PiecewiseLinearEncoder(n_bins=2).fit(X)
    >>> enc.bin_edges_[0].tolist()
    [0.0, 2.0, 4.0]
    >>> enc.transform([[1.0], [3.0], [5.0]]).tolist()
    [[0.5, 0.0], [1.0, 0.5], [1.0, 1.5]]
    """

    _parameter_constraints = {"n_bins": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, n_bins=16):
        self.n_bins = n_bins

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn each feature's quantile bin edges.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : PiecewiseLinearEncoder

        Examples
        --------
        >>> from skbn import PiecewiseLinearEncoder
        >>> enc = PiecewiseLinearEncoder(n_bins=2).fit([[0.0], [1.0], [2.0]])
        >>> enc.bin_edges_[0].tolist()
        [0.0, 1.0, 2.0]
        """
        X = validate_data(self, X, dtype=(np.float64, np.float32))
        quantiles = np.linspace(0, 100, self.n_bins + 1)
        self.bin_edges_ = [np.unique(np.percentile(col, quantiles)) for col in X.T]
        return self

    def transform(self, X):
        """Encode ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_output_features)
            The features' encodings side by side (a feature with ``T`` bins
            takes ``T`` columns).

        Examples
        --------
        >>> from skbn import PiecewiseLinearEncoder
        >>> enc = PiecewiseLinearEncoder(n_bins=2).fit([[0.0], [1.0], [2.0]])
        >>> enc.transform([[0.5]]).tolist()
        [[0.5, 0.0]]
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        blocks = []
        for col, edges in zip(X.T, self.bin_edges_):
            if len(edges) == 1:  # constant in training
                blocks.append(np.zeros((len(col), 1), dtype=X.dtype))
                continue
            low, width = edges[:-1], np.diff(edges)
            enc = (col[:, None] - low) / width
            enc[:, 1:] = np.maximum(enc[:, 1:], 0)
            enc[:, :-1] = np.minimum(enc[:, :-1], 1)
            blocks.append(enc.astype(X.dtype, copy=False))
        return np.hstack(blocks)

    def get_feature_names_out(self, input_features=None):
        """``<feature>_bin<t>`` for each output column.

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        feature_names_out : ndarray of str objects

        Examples
        --------
        >>> from skbn import PiecewiseLinearEncoder
        >>> enc = PiecewiseLinearEncoder(n_bins=2).fit([[0.0], [1.0], [2.0]])
        >>> enc.get_feature_names_out().tolist()
        ['x0_bin0', 'x0_bin1']
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        return np.asarray(
            [
                f"{name}_bin{t}"
                for name, e in zip(names, self.bin_edges_)
                for t in range(max(len(e) - 1, 1))
            ],
            dtype=object,
        )
