"""Class weights for imbalanced data beyond scikit-learn's ``'balanced'``."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.multiclass import check_classification_targets

__all__ = ["effective_number_weights"]


@validate_params(
    {"y": ["array-like"], "beta": [Interval(Real, 0, 1, closed="left")]},
    prefer_skip_nested_validation=True,
)
def effective_number_weights(y, beta=0.999):
    """Class weights from the effective number of samples (Cui et al., 2019).

    A class with ``n_c`` rows has the effective number
    ``E_c = (1 - beta ** n_c) / (1 - beta)``: new rows of a class add less
    and less information as it grows. Its weight is ``1 / E_c``, i.e.
    ``w_c ∝ (1 - beta) / (1 - beta ** n_c)``, rescaled so that the weights
    sum to the number of classes. ``beta = 0`` gives equal weights; as
    ``beta`` approaches 1 the weights approach inverse class frequency
    (``class_weight='balanced'`` up to scale).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    beta : float in [0, 1), default=0.999
        Cui et al. use 0.9 to 0.9999; the larger the classes, the closer to 1
        it needs to be to differ from equal weights.

    Returns
    -------
    class_weight : dict
        Label to weight, ready for ``BNMLPClassifier(class_weight=...)``.
        To recompute the weights on every fit (on each cross-validation fold
        of a search), pass the function itself:
        ``class_weight=functools.partial(effective_number_weights, beta=0.99)``.

    References
    ----------
    Y. Cui, M. Jia, T.-Y. Lin, Y. Song, S. Belongie, "Class-Balanced Loss
    Based on Effective Number of Samples", CVPR 2019.

    Examples
    --------
    >>> from skbn import effective_number_weights
    >>> y = [0] * 90 + [1] * 10
    >>> {k: round(v, 3) for k, v in effective_number_weights(y, beta=0.99).items()}
    {0: 0.277, 1: 1.723}
    """
    y = np.asarray(y)
    check_classification_targets(y)
    labels, counts = np.unique(y, return_counts=True)
    # 1 - beta**n_c, written so that it stays accurate for beta near 1.
    weights = (1.0 - beta) / -np.expm1(counts * np.log(beta)) if beta > 0 else np.ones(len(counts))
    weights *= len(labels) / weights.sum()
    return dict(zip(labels.tolist(), weights.tolist()))
