"""The remedies as objects (skbn._remedies) and member groups with their own remedy."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skbn._remedies import (
    BalancedBatches,
    ClassWeights,
    LogitAdjustedFolds,
    LogitAdjustedLoss,
    LogitAdjustment,
    MemberSubsets,
    NoRemedy,
    RemedyGroups,
    check_combination,
)
from skbn._training import FitSpec, FitState, fit
from skbn.engines import TrainingConfig

rng = np.random.default_rng(0)
CODES = np.r_[np.zeros(60, int), np.ones(20, int)]
X = rng.normal(size=(len(CODES), 5)) + CODES[:, None]
CLASSES = np.array([0, 1])
CONFIG = TrainingConfig("relu", 0.1, 1e-5, 0.0, 1e-4, 1e-2, 0.9, 0.999, 1e-8)


def _fit(groups, backend="numpy", codes=CODES, member_batches="shared", **spec):
    spec = FitSpec(
        groups,
        CONFIG,
        batch_norm=True,
        batch_size=16,
        max_iter=4,
        member_batches=member_batches,
        backend=backend,
        n_threads=1,
        **spec,
    )
    state = FitState(seed=7, classes=CLASSES, layer_sizes=[5, 6, 2])
    return fit(X, CLASSES[codes], codes, None, spec, state)


def _members(result, members):
    net = result.network
    return [a[members] for a in (*net.coefs, *net.intercepts, *net.bn_scales, *net.bn_shifts)]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize(
    "remedy", [ClassWeights({0: 1.0, 1: 3.0}), LogitAdjustedLoss()], ids=["weights", "offset"]
)
def test_each_member_group_trains_under_its_own_remedy(backend, remedy):
    """Two groups in one network train as each group would in a network of its
    own remedy: the members' losses are separate, so only their weights and
    logit offsets tell them apart."""
    if backend == "torch":
        pytest.importorskip("torch")
    mixed = _fit(RemedyGroups(((2, remedy), (2, NoRemedy()))), backend)
    treated = _fit(RemedyGroups.one(remedy, 4), backend)
    plain = _fit(RemedyGroups.one(NoRemedy(), 4), backend)
    for a, b in zip(_members(mixed, slice(0, 2)), _members(treated, slice(0, 2))):
        assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    for a, b in zip(_members(mixed, slice(2, 4)), _members(plain, slice(2, 4))):
        assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    # The groups trained under their own priors: balanced, then the data's.
    assert mixed.trained_prior.shape == (2, 2)
    assert_allclose(mixed.trained_prior[0], treated.trained_prior)
    assert_allclose(mixed.trained_prior[1], [0.75, 0.25])


def test_member_subsets_in_one_group_only():
    """A group of subset members beside a group on every row: only the first
    draws subsets (of the size every member's batches need)."""
    subsets = MemberSubsets(sampling_strategy=1 / 3)  # all 60 + 20 rows: the same size
    mixed = _fit(RemedyGroups(((2, subsets), (1, NoRemedy()))), member_batches="independent")
    rows = [mixed.plan.member_subset(CODES, j) for j in range(3)]
    assert all(len(r) == 80 for r in rows)
    assert_array_equal(rows[2], np.arange(80))
    # Bootstrap members repeat rows; the other group sees each row once.
    assert len(np.unique(rows[0])) < 80


def test_groups_that_cannot_share_a_network_are_refused():
    with pytest.raises(ValueError, match="draw batches differently"):
        _fit(RemedyGroups(((2, BalancedBatches()), (2, NoRemedy()))))


def test_members_of_larger_subsets_walk_through_them():
    """Groups of subsets of different sizes share the batch boundaries: an
    epoch is the smallest subset (20 + 20 rows), and a member of all 80 rows
    sees the next 40 of one walk through them, every row once per pass."""
    groups = RemedyGroups(((2, MemberSubsets()), (2, NoRemedy())))
    result = _fit(groups, member_batches="independent")
    plan = result.plan
    epochs = [plan.epoch(k, CODES).order for k in range(4)]
    assert all(order.shape == (4, 40) for order in epochs)
    for member in (2, 3):
        for first in (0, 2):  # epochs 0-1 are one pass, 2-3 the next
            walked = np.concatenate([epochs[first][member], epochs[first + 1][member]])
            assert_array_equal(np.sort(walked), np.arange(80))
        assert not np.array_equal(epochs[0][member][:40], epochs[2][member][:40])
    # Epoch k is the same however it is reached (a fresh plan, epoch 3 first).
    fresh = _fit(groups, member_batches="independent").plan
    assert_array_equal(fresh.epoch(3, CODES).order, epochs[3])
    # ... and going back (the plan keeps the current pass of each walk only).
    assert_array_equal(fresh.epoch(1, CODES).order, epochs[1])


def test_logit_adjusted_folds_leave_each_row_out_of_one_member():
    codes = np.r_[np.zeros(23, int), np.ones(9, int), np.full(3, 2)]
    groups = RemedyGroups(tuple((1, LogitAdjustedFolds(fold=f, n_folds=4)) for f in range(4)))
    plan = _fit(groups, codes=CODES).plan
    subsets = [plan.member_subset(codes, j) for j in range(4)]
    out = np.ones((4, len(codes)), bool)
    for j, rows in enumerate(subsets):
        out[j, rows] = False
        assert len(rows) == LogitAdjustedFolds(fold=j, n_folds=4).subset_rows(codes)
    assert_array_equal(out.sum(axis=0), 1)  # every row out of exactly one member
    # Stratified: each class spread over the folds as evenly as its count allows.
    per_fold = np.array([np.bincount(codes[o], minlength=3) for o in out])
    assert (np.ptp(per_fold, axis=0) <= 1).all()
    # One partition, drawn again alike: the members agree on it.
    assert_array_equal(plan.member_subset(codes, 2), subsets[2])
    remedy = LogitAdjustedFolds()
    assert_allclose(remedy.loss_offset(np.array([0.75, 0.25])), np.log([0.75, 0.25]))
    assert_array_equal(remedy.drawn(CODES, 2), [1, 1])


def test_every_remedy_says_what_it_changes():
    codes, classes = CODES, CLASSES
    prior = np.array([0.75, 0.25])
    assert_allclose(ClassWeights("balanced").class_weights(classes, codes, codes), [2 / 3, 2])
    assert_array_equal(BalancedBatches().drawn(codes, 2), [1, 1])
    assert BalancedBatches().batch_sampler == "balanced"
    assert_allclose(LogitAdjustedLoss().loss_offset(prior), np.log(prior))
    assert_allclose(LogitAdjustment(0.5).predict_offset(prior), -0.5 * np.log(prior))
    subsets = MemberSubsets(sampling_strategy=0.5)
    assert subsets.counts(codes).tolist() == [40, 20]
    assert_allclose(subsets.class_weights(classes, codes, codes), [0.75, 1.5])
    for remedy in (ClassWeights("balanced"), BalancedBatches(), LogitAdjustment(), subsets):
        assert remedy.loss_offset(prior) is None
    assert NoRemedy().class_weights(classes, codes, codes) is None
    assert NoRemedy().drawn(codes, 2) is None


def test_the_stacking_rule_comes_from_the_remedies():
    check_combination([ClassWeights("balanced"), NoRemedy()])
    with pytest.raises(ValueError, match="class_weight='balanced' and loss='logit_adjusted'"):
        check_combination([ClassWeights("balanced"), LogitAdjustedLoss()])
