"""scikit-learn's and imbalanced-learn's own estimator checks."""

from _imblearn_checks import parametrize_with_checks as imblearn_parametrize_with_checks
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

import importlib.util

from skbn import (
    BalancedBNMLPClassifier,
    BNMLPClassifier,
    CostMatrixClassifier,
    PiecewiseLinearEncoder,
    SmoothClipScaler,
)

BACKENDS = ["numpy"] + (["torch"] if importlib.util.find_spec("torch") else [])

# Small and quick, but able to learn the checks' toy problems: some of them
# have 100 rows, one batch per epoch, hence the larger step.
ESTIMATORS = [
    BNMLPClassifier(
        (16,),
        learning_rate_init=1e-2,
        max_iter=200,
        batch_norm=bn,
        backend=backend,
        random_state=0,
    )
    for backend in BACKENDS
    for bn in (True, False)
] + [
    # An ensemble trained as one network, members on their own batches.
    BNMLPClassifier(
        (16,),
        learning_rate_init=1e-2,
        max_iter=200,
        ensemble_size=3,
        member_batches="independent",
        backend=backend,
        random_state=0,
    )
    for backend in BACKENDS
] + [
    # The balanced ensemble: members each on its own balanced subset.
    BalancedBNMLPClassifier(
        (16,),
        n_members=3,
        replacement=replacement,
        learning_rate_init=1e-2,
        max_iter=200,
        backend=backend,
        random_state=0,
    )
    for replacement, backend in [(True, "numpy"), (True, "torch"), (False, "numpy")]
    if backend in BACKENDS
] + [
    # With a second kind of member, weighed from out-of-bag rows.
    BalancedBNMLPClassifier(
        (16,), n_members=3, n_fold_members=2, learning_rate_init=1e-2, random_state=0
    )
]


REPEATED_ROWS = (
    "mini-batch training cannot be equivalent to repeating rows: a repeated "
    "row changes the batches and the BN statistics (sklearn marks its own "
    "SGD estimators the same way)"
)


def expected_failed_checks(estimator):
    return {
        "check_sample_weight_equivalence_on_dense_data": REPEATED_ROWS,
        "check_sample_weight_equivalence_on_sparse_data": REPEATED_ROWS,
    }


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@imblearn_parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_imblearn_compatible(estimator, check):
    check(estimator)


@parametrize_with_checks(
    [
        CostMatrixClassifier(LogisticRegression()),
        CostMatrixClassifier(
            BalancedBNMLPClassifier((16,), n_members=3, learning_rate_init=1e-2, random_state=0)
        ),
    ]
)
def test_the_cost_wrapper_is_sklearn_compatible(estimator, check):
    check(estimator)


@parametrize_with_checks([SmoothClipScaler(), PiecewiseLinearEncoder(n_bins=4)])
def test_transformers_are_sklearn_compatible(estimator, check):
    check(estimator)
