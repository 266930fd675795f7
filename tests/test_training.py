"""Training behaviour: batches of one, reproducibility, warm start, partial_fit,
early stopping, weights, dtype policy, convergence, pickling without torch."""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from _torchless import BLOCK_TORCH
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, recall_score
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_class_weight

from skbn import BNMLPClassifier
from skbn._plan import TrainingPlan, batch_bounds

X, y = make_classification(
    n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
)


def clf(**params):
    params = {"hidden_layer_sizes": (16, 8), "max_iter": 5, "random_state": 0, **params}
    return BNMLPClassifier(**params)


def assert_same_model(a, b):
    for name in (
        "coefs_",
        "intercepts_",
        "bn_scales_",
        "bn_shifts_",
        "bn_running_means_",
        "bn_running_vars_",
    ):
        for u, v in zip(getattr(a, name), getattr(b, name), strict=True):
            assert_array_equal(u, v)
    assert a.loss_curve_ == b.loss_curve_


# ---------------------------------------------------------------- batches of one


@given(st.integers(1, 500), st.integers(1, 64))
def test_planned_batches_cover_every_row_once_and_never_hold_one_row(n, batch_size):
    bounds = batch_bounds(n, batch_size, merge_singleton=True)
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    sizes = [stop - start for start, stop in bounds]
    if n >= 2 and batch_size >= 2:
        assert min(sizes) >= 2
    assert max(sizes) <= batch_size + 1
    merged = batch_size > 1 and n > batch_size and n % batch_size == 1
    assert len(bounds) == -(-n // batch_size) - merged


@pytest.mark.parametrize(
    "n_samples, sizes",
    [(21, [10, 11]), (31, [10, 10, 11]), (42, [10, 10, 10, 10, 2]), (1, [1])],
)
def test_a_trailing_batch_of_one_is_merged_and_training_works(n_samples, sizes):
    plan = TrainingPlan(0, 10, True, merge_singleton=True, dropout=0.0)
    plan = plan.epoch(0, np.zeros(n_samples, dtype=int))
    assert [b - a for a, b in plan.bounds] == sizes
    assert sorted(plan.order) == list(range(n_samples))
    if n_samples > 1:
        model = clf(batch_size=10).fit(X[:n_samples], y[:n_samples])
        assert np.isfinite(model.predict_proba(X)).all()


def test_partial_fit_on_a_single_row_uses_and_keeps_the_running_statistics():
    model = clf().partial_fit(X[:1], y[:1], classes=[0, 1, 2])  # a single row first
    assert_array_equal(model.bn_running_means_[0], 0)
    model.partial_fit(X, y)
    means = [m.copy() for m in model.bn_running_means_]
    variances = [v.copy() for v in model.bn_running_vars_]
    coefs = [c.copy() for c in model.coefs_]
    model.partial_fit(X[5:6], y[5:6])
    for before, after in zip(means + variances, model.bn_running_means_ + model.bn_running_vars_):
        assert_array_equal(before, after)
    assert not np.array_equal(coefs[0], model.coefs_[0])  # but it learned
    assert np.isfinite(model.predict_proba(X)).all()


def test_batch_size_one_with_bn_warns_and_trains():
    with pytest.warns(UserWarning, match="batch_size=1 with batch_norm=True"):
        model = clf(batch_size=1, max_iter=2).fit(X[:20], y[:20])
    assert np.isfinite(model.predict_proba(X)).all()


# ------------------------------------------------------------- reproducibility


@pytest.mark.parametrize(
    "params",
    [{}, {"dropout": 0.3}, {"early_stopping": True}, {"batch_norm": False, "shuffle": False}],
)
def test_same_random_state_gives_bitwise_identical_models(params):
    a = clf(**params).fit(X, y)
    b = clf(**params).fit(X, y)
    assert_same_model(a, b)
    assert_same_model(a, clone(a).fit(X, y))


def test_different_random_states_differ():
    assert not np.array_equal(
        clf(random_state=1).fit(X, y).coefs_[0], clf(random_state=2).fit(X, y).coefs_[0]
    )


def test_fit_equals_the_same_number_of_partial_fit_calls():
    """Epoch k is planned from (seed, k), whichever call reaches it."""
    fitted = clf(max_iter=4, tol=0.0, dropout=0.2).fit(X, y)
    stepped = clf(dropout=0.2)
    for _ in range(4):
        stepped.partial_fit(X, y, classes=np.unique(y))
    assert_same_model(fitted, stepped)
    assert (stepped.n_iter_, stepped.t_) == (4, 4 * len(X))


def test_pickle_round_trip_and_prediction_without_torch(tmp_path):
    model = clf(dropout=0.1).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    np.save(tmp_path / "X.npy", X)
    code = (
        BLOCK_TORCH
        + f"""
import pickle, numpy as np
model = pickle.loads(open({str(path)!r}, "rb").read())
np.save({str(tmp_path / "p.npy")!r}, model.predict_proba(np.load({str(tmp_path / "X.npy")!r})))
assert "torch" not in sys.modules
"""
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert_array_equal(np.load(tmp_path / "p.npy"), model.predict_proba(X))


def test_importing_skbn_does_not_import_torch():
    code = "import sys, skbn; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------- warm start and partial_fit


def test_warm_start_continues_from_the_fitted_state():
    model = clf(warm_start=True, max_iter=3, tol=0.0).fit(X, y)
    coefs = [c.copy() for c in model.coefs_]
    model.fit(X, y)
    assert model.n_iter_ == 6 and len(model.loss_curve_) == 6
    assert not np.array_equal(coefs[0], model.coefs_[0])
    cold = clf(max_iter=3, tol=0.0).fit(X, y)
    assert cold.n_iter_ == 3
    cold.fit(X, y)  # without warm start, a refit starts over
    assert cold.n_iter_ == 3


def test_partial_fit_accepts_float64_after_float32_and_keeps_the_dtype():
    model = clf().partial_fit(X.astype(np.float32), y, classes=[0, 1, 2])
    model.partial_fit(X, y)
    assert model.coefs_[0].dtype == np.float32


# ----------------------------------------------------------- stopping rules


def test_convergence_warning_when_max_iter_is_reached():
    with pytest.warns(ConvergenceWarning, match="maximum iterations \\(5\\) reached"):
        clf().fit(X, y)


def test_stops_when_the_loss_stops_improving():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = clf(max_iter=500, tol=10.0, n_iter_no_change=2).fit(X, y)
    # As in scikit-learn: stop at the first epoch after n_iter_no_change epochs
    # without improvement (epoch 1 sets best_loss_, epochs 2-4 do not improve).
    assert model.n_iter_ == 4
    assert model.best_loss_ == min(model.loss_curve_)
    assert model.validation_scores_ is None and model.best_validation_score_ is None


@pytest.mark.parametrize("scoring", ["loss", "accuracy"])
def test_early_stopping_keeps_the_best_epoch(scoring):
    model = clf(
        max_iter=60,
        early_stopping=True,
        scoring=scoring,
        n_iter_no_change=3,
        validation_fraction=0.25,
        learning_rate_init=0.05,
    ).fit(X, y)
    assert model.n_iter_ < 60
    assert len(model.validation_scores_) == model.n_iter_
    assert len(model.validation_recall_per_class_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.best_loss_ is None
    # The split is stratified and planned from the model's seed; the kept
    # weights score the best validation score on it.
    _, X_val, _, y_val = train_test_split(
        X,
        np.searchsorted(model.classes_, y),
        test_size=0.25,
        stratify=y,
        random_state=np.random.RandomState(model._seed),
    )
    labels = model.classes_[y_val]
    if scoring == "loss":
        kept = -log_loss(labels, model.predict_proba(X_val), labels=model.classes_)
    else:
        kept = model.score(X_val, labels)
    assert kept == pytest.approx(model.best_validation_score_)
    best = int(np.argmax(model.validation_scores_))
    assert_allclose(
        model.validation_recall_per_class_[best],
        recall_score(labels, model.predict(X_val), average=None),
    )


# ------------------------------------------------------------ weights, loss


def test_class_weight_and_sample_weight_multiply_the_per_sample_loss():
    rng = np.random.default_rng(0)
    sw = rng.uniform(0.5, 2.0, len(y))
    cw = {0: 0.5, 1: 2.0, 2: 3.0}
    combined = clf(class_weight=cw).fit(X, y, sample_weight=sw)
    as_sample_weight = clf().fit(X, y, sample_weight=sw * np.array([cw[c] for c in y]))
    for a, b in zip(combined.coefs_, as_sample_weight.coefs_):
        assert_allclose(a, b, rtol=1e-12)
    # ... and weights change the model
    assert not np.allclose(clf().fit(X, y).coefs_[0], combined.coefs_[0])


def test_balanced_class_weight_uses_sklearns_formula():
    yi = np.r_[np.zeros(90, int), np.ones(20, int), np.full(10, 2)]
    weights = compute_class_weight("balanced", classes=np.unique(yi), y=yi)
    balanced = clf(class_weight="balanced").fit(X, yi)
    explicit = clf(class_weight=dict(enumerate(weights))).fit(X, yi)
    assert_same_model(balanced, explicit)


def test_softmax_output_for_two_classes():
    yb = (y > 0).astype(int)
    model = clf().fit(X, yb)
    assert model.n_outputs_ == 2 and model.coefs_[-1].shape == (8, 2)
    assert model.out_activation_ == "softmax" and model.n_layers_ == 4
    proba = model.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1)
    assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-10)
    assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])


@pytest.mark.parametrize(
    "dtype, expected", [(np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float64)]
)
def test_dtype_policy(dtype, expected):
    model = clf().fit((X * 10).astype(dtype), y)
    arrays = model.coefs_ + model.intercepts_ + model.bn_scales_ + model.bn_running_vars_
    assert {a.dtype for a in arrays} == {np.dtype(expected)}
    assert model.predict_proba(X).dtype == expected


def test_float32_training_matches_float64_closely():
    a = clf().fit(X.astype(np.float32), y)
    b = clf().fit(X, y)
    assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-3, atol=1e-4)


def test_verbose_prints_the_loss(capsys):
    clf(verbose=1, max_iter=2).fit(X, y)
    assert "Iteration 2, loss = " in capsys.readouterr().out


def test_bn_training_fits_a_deep_net_on_scaled_data():
    Xs, ys = make_classification(600, 10, n_informative=6, random_state=1)
    model = BNMLPClassifier((32, 32, 32), max_iter=40, random_state=0).fit(Xs * 100 + 50, ys)
    assert model.score(Xs * 100 + 50, ys) > 0.95
