"""Decisions of least expected cost: brute force, the binary threshold, the wrapper."""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from skbn import BalancedBNMLPClassifier, CostMatrixClassifier, minimum_cost_decisions


def _brute_force(proba, cost):
    decisions = []
    for p in proba:
        costs = [sum(p[j] * cost[i][j] for j in range(len(p))) for i in range(len(p))]
        decisions.append(min(range(len(p)), key=lambda i: (costs[i], i)))
    return np.array(decisions)


@pytest.mark.parametrize("n_classes", [2, 3, 4])
def test_minimum_cost_decisions_match_brute_force(n_classes):
    rng = np.random.default_rng(n_classes)
    for _ in range(20):
        proba = rng.dirichlet(np.ones(n_classes), size=30)
        cost = rng.integers(-2, 20, size=(n_classes, n_classes)).astype(float)
        assert_array_equal(minimum_cost_decisions(proba, cost), _brute_force(proba, cost))


def test_two_classes_reduce_to_the_threshold_c_fp_over_c_fp_plus_c_fn():
    proba1 = np.linspace(0, 1, 1001)
    proba = np.column_stack([1 - proba1, proba1])
    for c_fp, c_fn in itertools.product([1.0, 2.0, 5.0], [1.0, 20.0, 100.0]):
        cost = [[0.0, c_fn], [c_fp, 0.0]]
        threshold = c_fp / (c_fp + c_fn)
        decided = minimum_cost_decisions(proba, cost)
        away = np.abs(proba1 - threshold) > 1e-9  # at the threshold, a tie
        assert_array_equal(decided[away], (proba1 > threshold)[away])


def test_a_constant_added_to_a_column_changes_no_decision():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(3), size=50)
    cost = rng.random((3, 3))
    shifted = cost + np.array([5.0, -1.0, 2.0])  # per true class
    assert_array_equal(minimum_cost_decisions(proba, cost), minimum_cost_decisions(proba, shifted))


@pytest.mark.parametrize(
    "cost, match",
    [([[0, 1], [1, 0]], r"shape \(2, 2\)"), ([[0, 1, 2], [1, 0, np.inf], [1, 1, 0]], "finite")],
)
def test_a_bad_cost_matrix_is_refused_with_its_shape(cost, match):
    X, y = make_classification(n_samples=90, n_classes=3, n_informative=3, random_state=0)
    with pytest.raises(ValueError, match=match):
        CostMatrixClassifier(LogisticRegression(), cost_matrix=cost).fit(X, y)


def test_the_wrapper_decides_on_its_estimators_probabilities_and_costs_can_change_after_fit():
    X, y = make_classification(
        n_samples=600,
        n_features=6,
        n_informative=4,
        n_classes=3,
        weights=[0.7, 0.2, 0.1],
        random_state=0,
    )
    labels = np.array(["a", "b", "c"])[y]
    base = BalancedBNMLPClassifier((8,), n_members=4, random_state=0, prior="frequencies")
    cost = np.array([[0, 5, 20], [1, 0, 20], [1, 1, 0]], dtype=float)
    model = CostMatrixClassifier(base, cost_matrix=cost).fit(X, labels)
    proba = model.estimator_.predict_proba(X)
    assert_array_equal(model.predict_proba(X), proba)
    assert_array_equal(model.predict(X), model.classes_[_brute_force(proba, cost)])
    assert_array_equal(model.expected_cost(X), proba @ cost.T)
    # Missing the rare class 'c' is costly: it is predicted more often than argmax does.
    assert (model.predict(X) == "c").sum() > (model.estimator_.predict(X) == "c").sum()
    # The costs are read at predict time; zero-one costs give the argmax back.
    model.set_params(cost_matrix=1 - np.eye(3))
    assert_array_equal(model.predict(X), model.estimator_.predict(X))
    assert clone(model).get_params()["cost_matrix"].shape == (3, 3)
