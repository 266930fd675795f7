"""Decisions that minimise the expected cost under a cost matrix."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted

__all__ = ["CostMatrixClassifier", "minimum_cost_decisions"]


def _check_cost_matrix(cost_matrix, n_classes):
    if cost_matrix is None:
        return 1.0 - np.eye(n_classes)
    cost = np.asarray(cost_matrix, dtype=np.float64)
    if cost.shape != (n_classes, n_classes):
        raise ValueError(
            f"cost_matrix has shape {cost.shape}; it needs one row per predicted class "
            f"and one column per true class: ({n_classes}, {n_classes}), in the order "
            "of the classifier's classes_."
        )
    if not np.all(np.isfinite(cost)):
        raise ValueError("cost_matrix must hold finite costs.")
    return cost


def minimum_cost_decisions(proba, cost_matrix):
    """For each row, the class whose expected cost is the smallest.

    With ``cost_matrix[i, j]`` the cost of predicting class ``i`` when the
    truth is class ``j``, the expected cost of predicting ``i`` for a row is
    ``sum_j proba[j] * cost_matrix[i, j]``; the decision is its argmin (Elkan
    2001). For two classes with no cost for a right decision it is the
    threshold ``C_FP / (C_FP + C_FN)`` on class 1's probability. The
    probabilities must be those of the class prior the model will meet: for
    skbn's estimators, ``prior='frequencies'`` or the deployment frequencies,
    not the balanced prior of a rebalanced fit.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Class probabilities, columns in the order of the classifier's
        ``classes_``.
    cost_matrix : array-like of shape (n_classes, n_classes)
        ``cost_matrix[i, j]``: the cost of predicting class ``i`` when the
        true class is ``j``, in the same order. Only differences within a
        column matter; costs may be negative (gains).

    Returns
    -------
    decisions : ndarray of shape (n_samples,)
        Column index of the chosen class; ties go to the first.

    Examples
    --------
    >>> import numpy as np
    >>> from skbn import minimum_cost_decisions
    >>> proba = np.array([[0.9, 0.1], [0.97, 0.03]])
    >>> cost = [[0, 20], [1, 0]]  # a missed case costs 20 false alarms
    >>> minimum_cost_decisions(proba, cost)
    array([1, 0])
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2:
        raise ValueError(f"proba must be 2-D (n_samples, n_classes), got shape {proba.shape}.")
    bad = ~np.isfinite(proba).all(axis=1) | (proba < 0).any(axis=1)
    if bad.any():
        # argmin over NaN costs picks the first class, silently.
        raise ValueError(
            f"minimum_cost_decisions: proba has negative or non-finite values in "
            f"{int(bad.sum())} row(s) (e.g. row {int(np.flatnonzero(bad)[0])}); pass "
            "probabilities, as predict_proba returns them, not scores or log-probabilities."
        )
    cost = _check_cost_matrix(cost_matrix, proba.shape[1])
    return np.argmin(proba @ cost.T, axis=1)


class CostMatrixClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Predict the class of least expected cost under a cost matrix.

    scikit-learn's :class:`~sklearn.model_selection.FixedThresholdClassifier`
    and :class:`~sklearn.model_selection.TunedThresholdClassifierCV` move the
    threshold of a binary classifier; this takes any number of classes and a
    full cost matrix, and decides with :func:`minimum_cost_decisions` on the
    wrapped classifier's probabilities. Nothing is learnt from the costs: the
    decision rule is exact when the probabilities are calibrated for the
    class prior of the data the model will meet (with skbn's estimators, set
    ``prior='frequencies'``, or the frequencies expected there).

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
        Cloned and fitted in :meth:`fit`.
    cost_matrix : array-like of shape (n_classes, n_classes), default=None
        ``cost_matrix[i, j]``: the cost of predicting ``classes_[i]`` when the
        true class is ``classes_[j]``. None: zero-one costs, which predict the
        most probable class. Read at every predict, so it can be changed with
        ``set_params`` without refitting.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        The classes, as ``estimator_.classes_``.
    n_features_in_ : int
        Number of features seen in fit.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skbn import CostMatrixClassifier
    >>> X, y = make_classification(n_samples=400, weights=[0.9], random_state=0)
    >>> cost = [[0, 20], [1, 0]]  # a missed positive costs 20 false alarms
    >>> clf = CostMatrixClassifier(LogisticRegression(), cost_matrix=cost).fit(X, y)
    >>> int(clf.predict(X).sum()) > int(LogisticRegression().fit(X, y).predict(X).sum())
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "cost_matrix": ["array-like", None],
    }

    def __init__(self, estimator, cost_matrix=None):
        self.estimator = estimator
        self.cost_matrix = cost_matrix

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit a clone of ``estimator`` and check the cost matrix against its classes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : CostMatrixClassifier

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skbn import CostMatrixClassifier
        >>> X, y = make_classification(n_samples=200, weights=[0.9], random_state=0)
        >>> clf = CostMatrixClassifier(LogisticRegression(), cost_matrix=[[0, 5], [1, 0]])
        >>> clf.fit(X, y).classes_
        array([0, 1])
        """
        estimator = clone(self.estimator).fit(X, y, **fit_params)
        _check_cost_matrix(self.cost_matrix, len(estimator.classes_))
        self.estimator_ = estimator
        self.classes_ = estimator.classes_
        return self

    @property
    def n_features_in_(self):
        """Number of features seen in fit, as the fitted estimator's."""
        return self.estimator_.n_features_in_

    def predict_proba(self, X):
        """The wrapped classifier's probabilities (the costs do not change them).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skbn import CostMatrixClassifier
        >>> X, y = make_classification(n_samples=200, weights=[0.9], random_state=0)
        >>> clf = CostMatrixClassifier(LogisticRegression(), cost_matrix=[[0, 5], [1, 0]])
        >>> clf = clf.fit(X, y)
        >>> bool((clf.predict_proba(X) == clf.estimator_.predict_proba(X)).all())
        True
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        """The class of least expected cost for each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skbn import CostMatrixClassifier
        >>> X, y = make_classification(n_samples=200, weights=[0.9], random_state=0)
        >>> clf = CostMatrixClassifier(LogisticRegression(), cost_matrix=[[0, 5], [1, 0]])
        >>> clf = clf.fit(X, y)
        >>> p1 = clf.predict_proba(X)[:, 1]
        >>> bool((clf.predict(X) == (p1 > 1 / 6)).all())  # the threshold C_FP / (C_FP + C_FN)
        True
        """
        proba = self.predict_proba(X)
        return self.classes_[minimum_cost_decisions(proba, self.cost_matrix)]

    def expected_cost(self, X):
        """Each row's expected cost of each decision, ``proba @ cost_matrix.T``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        cost : ndarray of shape (n_samples, n_classes)
            Column ``i``: the expected cost of predicting ``classes_[i]``.

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skbn import CostMatrixClassifier
        >>> X, y = make_classification(n_samples=200, weights=[0.9], random_state=0)
        >>> clf = CostMatrixClassifier(LogisticRegression(), cost_matrix=[[0, 5], [1, 0]])
        >>> clf = clf.fit(X, y)
        >>> bool((clf.expected_cost(X).argmin(axis=1) == clf.predict(X)).all())
        True
        """
        proba = self.predict_proba(X)
        return proba @ _check_cost_matrix(self.cost_matrix, proba.shape[1]).T

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags = clone(self.estimator).__sklearn_tags__().input_tags
        return tags
