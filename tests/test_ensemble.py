"""Ensembles trained as one network (ensemble_size, member_batches)."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from _fitted import STATE
from _torchless import BLOCK_TORCH
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification

from skbn import BNMLPClassifier
from skbn._plan import TrainingPlan

X, y = make_classification(
    n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0
)


def clf(**params):
    params = {
        "hidden_layer_sizes": (16, 8),
        "max_iter": 5,
        "random_state": 0,
        "batch_size": 32,
        "backend": "numpy",
        **params,
    }
    return BNMLPClassifier(**params)


def test_fitted_arrays_carry_a_leading_member_axis():
    model = clf(ensemble_size=4).fit(X, y)
    assert [c.shape for c in model.coefs_] == [(4, 6, 16), (4, 16, 8), (4, 8, 3)]
    assert [b.shape for b in model.intercepts_] == [(4, 16), (4, 8), (4, 3)]
    for name in STATE[2:]:
        assert [a.shape for a in getattr(model, name)] == [(4, 16), (4, 8)]
    single = clf().fit(X, y)
    assert [c.shape for c in single.coefs_] == [(6, 16), (16, 8), (8, 3)]  # unchanged
    # Members start from different weights and stay different.
    assert not np.allclose(model.coefs_[0][0], model.coefs_[0][1])


def test_member_zero_is_the_single_network():
    """Member 0 has the single network's seed, and with shared batches it
    trains exactly as the single network does (its loss is its own)."""
    single = clf().fit(X, y)
    ensemble = clf(ensemble_size=3).fit(X, y)
    for name in STATE:
        for a, b in zip(getattr(single, name), getattr(ensemble, name), strict=True):
            assert_array_equal(a, b[0])


def test_prediction_averages_the_members_probabilities():
    model = clf(ensemble_size=5).fit(X, y)
    members = model.predict_member_proba(X)
    assert members.shape == (5, len(X), 3)
    assert_allclose(members.sum(axis=-1), 1)
    assert_allclose(model.predict_proba(X), members.mean(axis=0), rtol=1e-12, atol=1e-15)
    assert_allclose(np.exp(model.predict_log_proba(X)), model.predict_proba(X), rtol=1e-10)
    assert_array_equal(model.predict(X), model.classes_[members.mean(axis=0).argmax(axis=1)])
    # Each member is the network its own slice of the arrays describes.
    for j in (0, 4):
        member = clf().fit(X[:10], y[:10])  # any fitted single model, then overwrite
        for name in STATE:
            setattr(member, name, [a[j] for a in getattr(model, name)])
        assert_allclose(member.predict_proba(X), members[j], rtol=1e-10)


def test_a_single_network_reports_one_member():
    model = clf().fit(X, y)
    assert_array_equal(model.predict_member_proba(X)[0], model.predict_proba(X))


def test_logit_adjustment_adjusts_the_averaged_posterior():
    model = clf(ensemble_size=3).fit(X[:100], y[:100])
    plain = model.predict_proba(X)
    model.set_params(logit_adjustment=1.0)
    adjusted = plain / model.class_prior_
    assert_allclose(model.predict_proba(X), adjusted / adjusted.sum(1, keepdims=True), rtol=1e-9)


def test_independent_members_see_different_rows_and_are_reproducible():
    codes = np.r_[np.zeros(90, int), np.ones(10, int)]
    plan = TrainingPlan(
        seed=3,
        batch_size=20,
        shuffle=True,
        merge_singleton=True,
        dropout=0.0,
        batch_sampler="balanced",
        n_members=4,
        member_batches="independent",
    )
    order = plan.epoch(0, codes).order
    assert order.shape == (4, 100)
    assert_array_equal(order, plan.epoch(0, codes).order)  # planned, bitwise
    # Each member's balanced draw: classes equal per batch, different majority rows.
    for member in order:
        assert abs(np.sum(codes[member[:20]] == 1) - 10) <= 1
    majority = [set(m[codes[m] == 0]) for m in order]
    assert majority[0] != majority[1]
    # Member 0 draws what a single network draws.
    single = TrainingPlan(3, 20, True, True, 0.0, "balanced").epoch(0, codes).order
    assert_array_equal(order[0], single)
    shared = TrainingPlan(3, 20, True, True, 0.0, "balanced", 4, "shared").epoch(0, codes)
    assert shared.order.shape == (100,)


@pytest.mark.parametrize("member_batches", ["shared", "independent"])
def test_same_random_state_gives_bitwise_identical_ensembles(member_batches):
    params = {"ensemble_size": 3, "member_batches": member_batches, "dropout": 0.2}
    a, b = clf(**params).fit(X, y), clf(**params).fit(X, y)
    for name in STATE:
        for u, v in zip(getattr(a, name), getattr(b, name), strict=True):
            assert_array_equal(u, v)


def test_fit_equals_partial_fit_calls_and_warm_start_continues():
    params = {"ensemble_size": 3, "member_batches": "independent", "dropout": 0.2}
    fitted = clf(max_iter=3, tol=0.0, **params).fit(X, y)
    stepped = clf(**params)
    for _ in range(3):
        stepped.partial_fit(X, y, classes=np.unique(y))
    for name in STATE:
        for u, v in zip(getattr(fitted, name), getattr(stepped, name), strict=True):
            assert_array_equal(u, v)
    warm = clf(max_iter=2, tol=0.0, warm_start=True, **params).fit(X, y)
    warm.fit(X, y)
    assert warm.n_iter_ == 4 and warm.coefs_[0].shape[0] == 3
    with pytest.raises(ValueError, match="ensemble_size=3.*ensemble_size=2"):
        warm.set_params(ensemble_size=2).fit(X, y)


def test_early_stopping_scores_the_ensemble():
    model = clf(
        ensemble_size=4,
        max_iter=40,
        early_stopping=True,
        scoring="balanced_accuracy",
        n_iter_no_change=3,
        learning_rate_init=0.05,
    ).fit(X, y)
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_class_and_sample_weights_weight_each_members_loss(backend):
    """Member 0 with weights trains exactly as the single network with them."""
    if backend == "torch":
        pytest.importorskip("torch")
    sw = np.random.default_rng(0).uniform(0.1, 2, len(y))
    params = {"class_weight": {0: 1.0, 1: 3.0}, "backend": backend}
    single = clf(**params).fit(X, y, sample_weight=sw)
    ensemble = clf(ensemble_size=3, **params).fit(X, y, sample_weight=sw)
    for name in STATE:
        for a, b in zip(getattr(single, name), getattr(ensemble, name), strict=True):
            assert_allclose(a, b[0], rtol=1e-12, atol=1e-14)


def test_pickle_and_predict_without_torch(tmp_path):
    model = clf(ensemble_size=3).fit(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    np.save(tmp_path / "X.npy", X)
    code = BLOCK_TORCH + f"""
import pickle, numpy as np
model = pickle.loads(open({str(path)!r}, "rb").read())
np.save({str(tmp_path / "p.npy")!r}, model.predict_member_proba(np.load({str(tmp_path / "X.npy")!r})))
assert "torch" not in sys.modules
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    assert_array_equal(np.load(tmp_path / "p.npy"), model.predict_member_proba(X))


def test_ensemble_of_one_is_the_default():
    assert_array_equal(
        clf(ensemble_size=1, member_batches="independent").fit(X, y).coefs_[0],
        clf().fit(X, y).coefs_[0],
    )


def test_undersampled_members_train_on_their_own_fixed_balanced_subsets():
    codes = np.r_[np.zeros(80, int), np.ones(15, int), np.full(5, 2)]
    plan = TrainingPlan(3, 8, True, True, 0.0, "random", 4, "undersampled")
    subsets = [plan.member_subset(codes, j) for j in range(4)]
    for rows in subsets:
        assert np.bincount(codes[rows]).tolist() == [5, 5, 5]  # down to the smallest class
        assert len(np.unique(rows)) == 15  # without replacement
    assert len({tuple(r) for r in subsets}) == 4  # each member its own majority rows
    assert set(subsets[0][codes[subsets[0]] == 2]) == set(np.flatnonzero(codes == 2))
    for epoch in (0, 5):
        order = plan.epoch(epoch, codes).order
        assert order.shape == (4, 15)
        for member, rows in zip(order, subsets):
            assert sorted(member) == sorted(rows)  # the same subset in every epoch


def test_bootstrap_members_draw_every_class_with_replacement():
    codes = np.r_[np.zeros(80, int), np.ones(15, int), np.full(5, 2)]
    boot = TrainingPlan(3, 8, True, True, 0.0, "random", 6, "bootstrap")
    subsets = [boot.member_subset(codes, j) for j in range(6)]
    for rows in subsets:
        assert np.bincount(codes[rows]).tolist() == [5, 5, 5]
    # With replacement: some member repeats a row, also among the 5 minority rows.
    assert any(len(np.unique(rows)) < 15 for rows in subsets)
    assert any(len(np.unique(rows[codes[rows] == 2])) < 5 for rows in subsets)
    assert len({tuple(r) for r in subsets}) == 6
    # Reproducible and the same in every epoch.
    again = TrainingPlan(3, 8, True, True, 0.0, "random", 6, "bootstrap")
    assert_array_equal(again.member_subset(codes, 2), subsets[2])
    for member, rows in zip(boot.epoch(4, codes).order, subsets):
        assert sorted(member) == sorted(rows)


def test_undersampled_ensemble_fits_predicts_and_counts_its_rows():
    y_imb = np.r_[np.zeros(120, int), np.ones(30, int)]
    model = clf(ensemble_size=5, member_batches="undersampled", max_iter=3, tol=0.0)
    model.fit(X, y_imb)
    assert model.t_ == 3 * 60  # each epoch is a pass over 30 + 30 rows
    assert model.predict_member_proba(X).shape == (5, len(X), 2)
    single = clf(ensemble_size=1, member_batches="undersampled", max_iter=3, tol=0.0).fit(X, y_imb)
    assert single.t_ == 3 * 60 and single.coefs_[0].ndim == 2


@pytest.mark.parametrize("members", ["bootstrap", "undersampled"])
def test_auto_sizes_for_subset_members_and_plain_networks(members):
    X = np.random.default_rng(0).normal(size=(400, 3))
    y = (np.arange(400) % 8 == 0).astype(int)  # 50 minority rows: 100 per member
    kw = dict(hidden_layer_sizes=(4,), max_iter=2, tol=0.0, random_state=0)
    auto = BNMLPClassifier(member_batches=members, **kw).fit(X, y)
    assert auto.coefs_[0].shape == (24, 3, 4)
    plain = BNMLPClassifier(**kw).fit(X, y)
    assert plain.coefs_[0].shape == (3, 4)
    # Batches of 64 over each member's 100 rows: 2 Adam steps an epoch (200 rows: 2).
    assert auto._adam["step"] == 2 * 2 and plain._adam["step"] == 2 * 2
    explicit = BNMLPClassifier(
        member_batches=members, ensemble_size=24, batch_size=64, **kw
    ).fit(X, y)
    assert_array_equal(auto.coefs_[0], explicit.coefs_[0])
    small = BNMLPClassifier(member_batches=members, **kw).fit(X[:80], y[:80])  # 10 + 10 rows
    assert small._adam["step"] == 2  # one batch of 20 rows an epoch
