"""Ensembles trained as one network: BNMLPClassifier(ensemble_size, member_batches)
and the balanced ensemble, BalancedBNMLPClassifier."""

import pickle
import subprocess
import sys
from contextlib import nullcontext

import numpy as np
import pytest
from _fitted import STATE
from _torchless import BLOCK_TORCH
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score

from skbn import BalancedBNMLPClassifier, BNMLPClassifier
from skbn._plan import TrainingPlan
from skbn._remedies import MemberSubsets, RemedyGroups


def subset_counts(codes, sampling_strategy=1.0):
    return MemberSubsets(sampling_strategy=sampling_strategy).counts(codes)


def subset_rows(codes):
    return int(subset_counts(codes).sum())


def subset_plan(seed, n_members, remedy):
    """A plan whose members each draw the subset ``remedy`` draws, in batches of 8."""
    return TrainingPlan(
        seed, 8, True, True, 0.0, n_members=n_members, member_remedies=(remedy,) * n_members
    )


def row_weights(classes, codes, remedy):
    return RemedyGroups.one(remedy, 3).row_weights(classes, codes, codes, None, np.float64)


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
        member = clf(batch_size=10).fit(X[:10], y[:10])  # any fitted model, overwritten
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
    with pytest.raises(ValueError, match="3 member.*2 member"):
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
    code = (
        BLOCK_TORCH
        + f"""
import pickle, numpy as np
model = pickle.loads(open({str(path)!r}, "rb").read())
np.save({str(tmp_path / "p.npy")!r}, model.predict_member_proba(np.load({str(tmp_path / "X.npy")!r})))
assert "torch" not in sys.modules
"""
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert_array_equal(np.load(tmp_path / "p.npy"), model.predict_member_proba(X))


def test_ensemble_of_one_is_the_default():
    assert_array_equal(
        clf(ensemble_size=1, member_batches="independent").fit(X, y).coefs_[0],
        clf().fit(X, y).coefs_[0],
    )


def test_undersampled_members_train_on_their_own_fixed_balanced_subsets():
    codes = np.r_[np.zeros(80, int), np.ones(15, int), np.full(5, 2)]
    plan = subset_plan(3, 4, MemberSubsets(replacement=False))
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
    boot = subset_plan(3, 6, MemberSubsets(replacement=True))
    subsets = [boot.member_subset(codes, j) for j in range(6)]
    for rows in subsets:
        assert np.bincount(codes[rows]).tolist() == [5, 5, 5]
    # With replacement: some member repeats a row, also among the 5 minority rows.
    assert any(len(np.unique(rows)) < 15 for rows in subsets)
    assert any(len(np.unique(rows[codes[rows] == 2])) < 5 for rows in subsets)
    assert len({tuple(r) for r in subsets}) == 6
    # Reproducible and the same in every epoch.
    again = subset_plan(3, 6, MemberSubsets(replacement=True))
    assert_array_equal(again.member_subset(codes, 2), subsets[2])
    for member, rows in zip(boot.epoch(4, codes).order, subsets):
        assert sorted(member) == sorted(rows)


def test_undersampled_ensemble_fits_predicts_and_counts_its_rows():
    y_imb = np.r_[np.zeros(120, int), np.ones(30, int)]
    kw = dict(hidden_layer_sizes=(16,), replacement=False, max_iter=3, tol=0.0, random_state=0)
    kw["n_fold_members"] = 0  # the balanced members alone
    model = BalancedBNMLPClassifier(n_members=5, **kw).fit(X, y_imb)
    assert model.t_ == 3 * 60  # each epoch is a pass over 30 + 30 rows
    assert model.predict_member_proba(X).shape == (5, len(X), 2)
    single = BalancedBNMLPClassifier(n_members=1, **kw).fit(X, y_imb)
    assert single.t_ == 3 * 60 and single.coefs_[0].ndim == 2


@pytest.mark.parametrize("replacement", [True, False])
def test_balanced_sizes_are_its_own_and_shown_after_fit(replacement):
    X = np.random.default_rng(0).normal(size=(400, 3))
    y = (np.arange(400) % 8 == 0).astype(int)  # 50 minority rows: 100 per member
    kw = dict(hidden_layer_sizes=(4,), max_iter=2, tol=0.0, random_state=0)
    with_folds = BalancedBNMLPClassifier(replacement=replacement, **kw).fit(X, y)
    assert with_folds.coefs_[0].shape == (29, 3, 4)  # 24 balanced and 5 fold members
    kw["n_fold_members"] = 0  # the balanced members alone, below
    balanced = BalancedBNMLPClassifier(replacement=replacement, **kw).fit(X, y)
    assert balanced.coefs_[0].shape == (24, 3, 4)
    assert (balanced.n_members_, balanced.batch_size_) == (24, 64)
    # Batches of 64 over each member's 100 rows: 2 Adam steps an epoch.
    assert balanced._adam["step"] == 2 * 2
    explicit = BalancedBNMLPClassifier(
        replacement=replacement, n_members=24, batch_size=64, **kw
    ).fit(X, y)
    assert_array_equal(balanced.coefs_[0], explicit.coefs_[0])
    small = BalancedBNMLPClassifier(replacement=replacement, **kw).fit(X[:80], y[:80])
    assert small.batch_size_ == 20 and small._adam["step"] == 2  # one batch of 10 + 10 rows
    # A plain network keeps scikit-learn's sizes whatever else is set.
    del kw["n_fold_members"]
    plain = BNMLPClassifier(**kw).fit(X, y)
    assert (plain.n_members_, plain.batch_size_) == (1, 200)
    assert plain.coefs_[0].shape == (3, 4)


@pytest.mark.parametrize("replacement", [True, False])
def test_the_deprecated_subset_modes_warn_and_train_what_they_are_given(replacement):
    members = "bootstrap" if replacement else "undersampled"
    kw = dict(hidden_layer_sizes=(4,), max_iter=2, tol=0.0, random_state=0)
    with pytest.warns(FutureWarning, match="BalancedBNMLPClassifier"):
        old = BNMLPClassifier(member_batches=members, ensemble_size=5, batch_size=8, **kw)
        old.fit(X, y)
    # The old mode kept scikit-learn's step size; the new estimator's default is 0.03.
    new = BalancedBNMLPClassifier(
        replacement=replacement,
        n_members=5,
        batch_size=8,
        learning_rate_init=1e-3,
        n_fold_members=0,
        dtype=None,
        **kw,
    )
    new.fit(X, y)
    for name in STATE:
        for a, b in zip(getattr(old, name), getattr(new, name), strict=True):
            assert_array_equal(a, b)
    # No parameter changes another's default: one member, batches of min(200, rows).
    with pytest.warns(FutureWarning):
        default = BNMLPClassifier(member_batches=members, **kw).fit(X, y)
    assert (default.n_members_, default.batch_size_) == (1, min(200, subset_rows(y)))


def test_ensemble_size_auto_keeps_its_old_meaning_with_a_warning():
    kw = dict(hidden_layer_sizes=(4,), max_iter=1, tol=0.0, random_state=0)
    with pytest.warns(FutureWarning, match="ensemble_size='auto' is deprecated"):
        model = BNMLPClassifier(ensemble_size="auto", **kw).fit(X, y)
    assert model.n_members_ == 1
    with pytest.warns(FutureWarning) as seen:
        model = BNMLPClassifier(ensemble_size="auto", member_batches="bootstrap", **kw).fit(X, y)
    assert model.n_members_ == 24
    said = [str(w.message) for w in seen]
    assert any("ensemble_size='auto' is deprecated" in m for m in said)
    assert any("member_batches='bootstrap' is deprecated" in m for m in said)


STACKED = [
    {"class_weight": "balanced", "batch_sampler": "balanced"},
    {"class_weight": "balanced", "logit_adjustment": 1.0},
    {"class_weight": {0: 1.0, 1: 5.0}, "logit_adjustment": 0.5},
    {"batch_sampler": "balanced", "logit_adjustment": 1.0},
    {"class_weight": "balanced", "member_batches": "bootstrap", "ensemble_size": 3},
    {"logit_adjustment": 1.0, "member_batches": "undersampled", "ensemble_size": 3},
    {"batch_sampler": "balanced", "member_batches": "bootstrap", "ensemble_size": 3},
    {"class_weight": "balanced", "loss": "logit_adjusted"},
    {"batch_sampler": "balanced", "loss": "logit_adjusted"},
    {"logit_adjustment": 1.0, "loss": "logit_adjusted"},
]


@pytest.mark.parametrize("params", STACKED)
def test_remedies_that_would_correct_the_imbalance_twice_are_refused(params):
    model = BNMLPClassifier(hidden_layer_sizes=(4,), max_iter=1, **params)
    with pytest.warns(FutureWarning) if "member_batches" in params else nullcontext():
        with pytest.raises(ValueError, match="correct it twice") as info:
            model.fit(X, y)
    for name in params:
        if name != "ensemble_size":
            assert name in str(info.value)
    assert not hasattr(model, "coefs_")


def test_the_balanced_estimator_has_no_second_remedy_to_stack():
    for name in ("class_weight", "batch_sampler", "logit_adjustment", "loss", "scoring"):
        assert name not in BalancedBNMLPClassifier().get_params()
        # The remedies say why they are refused; any other name gets scikit-learn's words.
        words = "correct the imbalance twice" if name != "scoring" else "Invalid parameter"
        with pytest.raises(ValueError, match=words):
            BalancedBNMLPClassifier().set_params(**{name: None})


def test_member_subsets_are_drawn_once_per_fit(monkeypatch):
    calls = []
    original = TrainingPlan.member_subset
    monkeypatch.setattr(
        TrainingPlan,
        "member_subset",
        lambda self, codes, j: calls.append(j) or original(self, codes, j),
    )
    BalancedBNMLPClassifier(
        (4,), n_members=3, n_fold_members=0, max_iter=7, tol=0.0, random_state=0
    ).fit(X, y)
    assert sorted(calls) == [0, 1, 2]


@pytest.mark.parametrize("replacement", [True, False])
def test_out_of_bag_estimates(replacement):
    y_imb = np.r_[np.zeros(120, int), np.ones(30, int)]
    # Enough bootstraps that every row is out of some member's bag.
    n_members = 16 if replacement else 8
    model = BalancedBNMLPClassifier(
        (8,),
        n_members=n_members,
        n_fold_members=0,  # the plain out-of-bag mean; kinds are in test_kinds.py
        replacement=replacement,
        oob_score=True,
        max_iter=20,
        random_state=0,
    )
    if replacement:
        model.fit(X, y_imb)
    else:  # every member holds all 30 minority rows: they are never out of the bag
        with pytest.warns(UserWarning) as seen:
            model.fit(X, y_imb)
        said = [str(w.message) for w in seen]
        assert any("30 of 150 rows are in every member" in m for m in said)
        # Nor is the score of the majority's rows alone passed off as the model's.
        assert any("No row of class(es) [1] is out of the bag" in m for m in said)
        assert np.isnan(model.oob_score_)
        assert np.isnan(model.oob_decision_function_[120:]).all()
        return
    decision = model.oob_decision_function_
    assert decision.shape == (150, 2)
    plan = TrainingPlan(
        model._seed,
        1,
        False,
        False,
        0.0,
        n_members=n_members,
        member_remedies=(MemberSubsets(replacement=True),) * n_members,
    )
    subsets = plan.member_subsets(y_imb)
    members = model.predict_member_proba(X)
    for row in (0, 7, 149):
        outside = [j for j in range(n_members) if row not in subsets[j]]
        if outside:
            assert_allclose(decision[row], members[outside, row].mean(axis=0))
        else:
            assert np.isnan(decision[row]).all()
    assert not np.isnan(decision).any()
    expected = balanced_accuracy_score(y_imb, decision.argmax(axis=1))
    assert model.oob_score_ == pytest.approx(expected)
    # A metric of the user's, and none without oob_score.
    model.set_params(oob_score=lambda t, p: 0.25).fit(X, y_imb)
    assert model.oob_score_ == 0.25
    assert not hasattr(model.set_params(oob_score=False).fit(X, y_imb), "oob_score_")


def test_out_of_bag_rows_are_planned_and_capped_per_class():
    codes = np.r_[np.zeros(300, int), np.ones(20, int)]
    plan = subset_plan(5, 6, MemberSubsets())
    rows, mask = plan.out_of_bag(codes, max_per_class=50)
    assert np.bincount(codes[rows]).tolist()[0] == 50  # the majority capped
    assert (codes[rows] == 1).sum() <= 20 and mask.shape == (6, len(rows))
    for j, subset in enumerate(plan.member_subsets(codes)):
        assert_array_equal(mask[j], ~np.isin(rows, subset))
    assert mask.any(axis=0).all()  # every kept row is out of some member's bag
    again, _ = subset_plan(5, 6, MemberSubsets()).out_of_bag(codes, 50)
    assert_array_equal(again, rows)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_out_of_bag_early_stopping_keeps_the_best_epoch_and_ends_early(backend, recwarn):
    if backend == "torch":
        pytest.importorskip("torch")
    Xb, yb = make_classification(600, 8, weights=[0.93], random_state=0)
    kw = dict(
        hidden_layer_sizes=(16,), n_members=6, n_fold_members=0, max_iter=300, random_state=0
    )
    model = BalancedBNMLPClassifier(early_stopping=True, backend=backend, **kw).fit(Xb, yb)
    assert model.n_iter_ < 300
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]
    scores = model.validation_scores_
    assert len(scores) == model.n_iter_ and model.best_validation_score_ == max(scores)
    assert all(np.isfinite(scores)) and max(scores) < 0  # minus a cross-entropy
    assert len(model.validation_recall_per_class_) == model.n_iter_
    # The kept network is the best epoch's, not the last one's.
    best = int(np.argmax(scores)) + 1
    again = BalancedBNMLPClassifier(
        early_stopping=False, backend=backend, tol=0.0, **{**kw, "max_iter": best}
    ).fit(Xb, yb)
    assert_allclose(again.coefs_[0], model.coefs_[0], rtol=1e-12, atol=0)


def test_sampling_strategy_keeps_more_of_the_larger_classes():
    codes = np.r_[np.zeros(300, int), np.ones(40, int), np.full(10, 2)]
    assert subset_counts(codes).tolist() == [10, 10, 10]
    assert subset_counts(codes, 0.25).tolist() == [40, 40, 10]  # at most a class's own rows
    assert subset_counts(codes, 0.1).tolist() == [100, 40, 10]
    plan = subset_plan(1, 3, MemberSubsets(sampling_strategy=0.1))
    for rows in plan.member_subsets(codes):
        assert np.bincount(codes[rows]).tolist() == [100, 40, 10]


@settings(max_examples=60)
@given(
    counts=st.lists(st.integers(1, 40), min_size=2, max_size=5),
    strategy=st.sampled_from([1.0, 0.5, 0.1]),
    floor=st.integers(1, 50),
    replacement=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_what_each_member_draws(counts, strategy, floor, replacement, seed):
    codes = np.repeat(np.arange(len(counts)), counts)
    np.random.default_rng(seed).shuffle(codes)
    n_min = min(counts)
    wanted = [min(n, max(n_min, int(np.ceil(n_min / strategy - 1e-9)), floor)) for n in counts]
    remedy = MemberSubsets(replacement, sampling_strategy=strategy, min_class_rows=floor)
    plan = subset_plan(seed, 3, remedy)
    subsets = plan.member_subsets(codes)
    for rows in subsets:
        # Every class to at least the floor (at most its own rows), sorted rows,
        # and without replacement no row twice.
        assert np.bincount(codes[rows], minlength=len(counts)).tolist() == wanted
        assert np.all(np.diff(rows) >= (0 if replacement else 1))
    # Drawn once: every epoch's order runs over the same subsets.
    for epoch in (0, 3):
        order = plan.epoch(epoch, codes).order
        for j, rows in enumerate(subsets):
            assert_array_equal(np.sort(order[j]), rows)
    # The loss gives every class the same total weight in each member.
    classes = np.arange(len(counts))
    weights = row_weights(classes, codes, remedy)
    totals = np.bincount(
        codes[subsets[0]], weights=None if weights is None else weights[subsets[0]]
    )
    assert_allclose(totals, totals[0])


def test_min_class_rows_feeds_members_more_than_the_smallest_class():
    y_lt = np.r_[np.zeros(120, int), np.ones(60, int), np.full(5, 2)]
    X_lt = np.random.default_rng(0).normal(size=(len(y_lt), 4)) + y_lt[:, None]
    kw = dict(hidden_layer_sizes=(8,), n_members=3, max_iter=2, random_state=0)
    model = BalancedBNMLPClassifier(min_class_rows=40, **kw).fit(X_lt, y_lt)
    assert model.member_class_counts_.tolist() == [40, 40, 5]
    assert model.batch_size_ == 64 and model.t_ == 2 * 85
    # Probabilities are still those of a balanced prior.
    assert_allclose(model.trained_prior_, np.full(3, 1 / 3))
    plain = BalancedBNMLPClassifier(**kw).fit(X_lt, y_lt)
    assert plain.member_class_counts_.tolist() == [5, 5, 5]
    # 1 is the balanced subsets of the default, bit for bit.
    same = BalancedBNMLPClassifier(min_class_rows=1, **kw).fit(X_lt, y_lt)
    assert_array_equal(same.coefs_[0], plain.coefs_[0])
    with pytest.raises(ValueError, match="min_class_rows"):
        BalancedBNMLPClassifier(min_class_rows=0).fit(X_lt, y_lt)


def test_sampling_strategy_weights_each_members_classes_back_to_balance():
    y_imb = np.r_[np.zeros(120, int), np.ones(30, int)]
    kw = dict(hidden_layer_sizes=(8,), n_members=3, max_iter=2, random_state=0)
    model = BalancedBNMLPClassifier(sampling_strategy=0.5, **kw).fit(X, y_imb)
    codes = y_imb
    (remedy,) = model._remedies()
    weights = row_weights(model.classes_, codes, remedy)
    counts = subset_counts(codes, 0.5)  # 60 + 30 rows a member
    assert counts.tolist() == [60, 30]
    # Each class's rows of a member carry half of the member's total weight.
    assert weights[0] * counts[0] == pytest.approx(weights[-1] * counts[1])
    assert model.batch_size_ == 64 and model.t_ == 2 * 90
    # 1 is the balanced subsets of the default, bit for bit.
    a = BalancedBNMLPClassifier(sampling_strategy=1.0, **kw).fit(X, y_imb)
    b = BalancedBNMLPClassifier(**kw).fit(X, y_imb)
    assert_array_equal(a.coefs_[0], b.coefs_[0])
    with pytest.raises(ValueError, match="sampling_strategy"):
        BalancedBNMLPClassifier(sampling_strategy=0.0).fit(X, y_imb)


@pytest.mark.parametrize("params", [dict(sampling_strategy=0.5), dict(min_class_rows=40)])
def test_members_drawn_to_unequal_counts_train_on_a_balanced_loss(monkeypatch, params):
    # Checked on a real fit: the weights the engine trains with give each class
    # the same total in every member's subset, and the model says so.
    from skbn.engines._numpy import NumpyEngine

    seen, subsets = {}, {}
    init, draw = NumpyEngine.__init__, TrainingPlan.member_subset

    def recording_init(self, config, network, adam, X, y, sample_weight, n_classes):
        seen["weights"], seen["codes"] = sample_weight, y
        init(self, config, network, adam, X, y, sample_weight, n_classes)

    def recording_draw(self, codes, j):
        subsets[j] = draw(self, codes, j)
        return subsets[j]

    monkeypatch.setattr(NumpyEngine, "__init__", recording_init)
    monkeypatch.setattr(TrainingPlan, "member_subset", recording_draw)
    y_imb = np.r_[np.zeros(120, int), np.ones(30, int)]
    model = BalancedBNMLPClassifier(
        (4,),
        n_members=3,
        max_iter=2,
        tol=0.0,
        random_state=0,
        backend="numpy",
        dtype="float64",
        n_fold_members=0,
        **params,
    ).fit(X, y_imb)
    counts = model.member_class_counts_
    assert counts[0] > counts[1]  # unequal counts drawn...
    for j in range(3):
        rows = subsets[j]
        totals = np.bincount(seen["codes"][rows], weights=seen["weights"][rows], minlength=2)
        assert_allclose(totals[0], totals[1], rtol=1e-12)  # ...weighed back to balance
    assert_allclose(model.trained_prior_, [0.5, 0.5])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_dtype_is_what_the_network_trains_and_predicts_in():
    kw = dict(hidden_layer_sizes=(4,), n_members=3, max_iter=2, random_state=0)
    X32 = X.astype(np.float32)
    assert BalancedBNMLPClassifier(**kw).fit(X, y).coefs_[0].dtype == np.float32
    assert BalancedBNMLPClassifier(dtype=None, **kw).fit(X, y).coefs_[0].dtype == np.float64
    assert BalancedBNMLPClassifier(dtype=None, **kw).fit(X32, y).coefs_[0].dtype == np.float32
    upcast = BalancedBNMLPClassifier(dtype="float64", **kw).fit(X32, y)
    assert upcast.coefs_[0].dtype == np.float64
    assert upcast.predict_proba(X32).dtype == np.float64
    # float64 data in a float32 ensemble: the rounding of one cast, no more.
    model = BalancedBNMLPClassifier(**kw).fit(X, y)
    assert_allclose(model.predict_proba(X), model.predict_proba(X32), rtol=0, atol=0)
    assert BNMLPClassifier((4,), max_iter=2, dtype="float32").fit(X, y).coefs_[0].dtype == (
        np.float32
    )
