"""Members of several kinds in one balanced ensemble, weighed from out-of-bag evidence."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification

from skbn import BalancedBNMLPClassifier
from skbn._base import _BN_ATTRS
from skbn._network import Network, fold_network, forward_folded, softmax_
from skbn._selection import balanced_accuracy, weigh_kinds
from skbn._training import out_of_bag_validator

X, y = make_classification(
    n_samples=400, n_features=6, n_informative=4, weights=[0.85], flip_y=0.02, random_state=0
)


def _fit(**params):
    params = {
        "hidden_layer_sizes": (8,),
        "n_members": 6,
        "max_iter": 15,
        "random_state": 0,
        "n_fold_members": 0,  # the tests add fold members where they need them
        # The kinds' bookkeeping is checked to float64's last digits.
        "dtype": "float64",
        **params,
    }
    return BalancedBNMLPClassifier(**params).fit(X, y)


def test_kinds_train_in_one_network_and_their_weights_are_visible():
    clf = _fit(n_fold_members=3)
    assert clf.n_members_ == 9
    assert clf.kinds_ == ["balanced", "logit_adjusted_folds"]
    assert_array_equal(clf.member_kinds_, [0] * 6 + [1] * 3)
    assert set(clf.oob_scores_) == set(clf.kinds_)
    assert all(0 <= s <= 1 for s in clf.oob_scores_.values())
    assert_allclose(clf.kind_weights_.sum(), 1)
    # Each kind's weight is spread evenly over its members.
    for k, weight in enumerate(clf.kind_weights_):
        assert_allclose(clf.member_weights_[clf.member_kinds_ == k].sum(), weight)
    # Every kind balances the classes in its own way: one trained prior.
    assert_allclose(clf.trained_prior_, [0.5, 0.5])


@pytest.mark.parametrize("weights", [[1.0, 0.0], [0.3, 0.7]])
def test_the_model_is_the_weighted_mean_of_its_members(weights):
    clf = _fit(n_fold_members=3)
    clf.kind_weights_ = np.array(weights)
    clf.member_weights_ = (clf.kind_weights_ / np.bincount(clf.member_kinds_))[clf.member_kinds_]
    members = clf.predict_member_proba(X[:50])
    assert_allclose(clf.predict_proba(X[:50]), np.tensordot(clf.member_weights_, members, 1))
    # The prior bookkeeping stays exact: 'frequencies' moves the weighted mean.
    balanced = clf.predict_proba(X[:50])
    clf.set_params(prior="frequencies")
    moved = balanced * clf.class_prior_ / clf.trained_prior_
    assert_allclose(clf.predict_proba(X[:50]), moved / moved.sum(1, keepdims=True))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_adding_fold_members_leaves_the_balanced_members_as_they_were(backend):
    """The balanced members draw the same subsets, rows and initial weights
    and stop at the same epoch: the fold members are an addition."""
    pytest.importorskip("torch")
    kw = dict(backend=backend, max_iter=300, n_iter_no_change=3, tol=1e-3)
    alone = _fit(**kw)
    both = _fit(**kw, n_fold_members=3)
    assert both.n_iter_ == alone.n_iter_ < 300  # stopped by the rule, not the budget
    assert_allclose(both.loss_curve_, alone.loss_curve_, rtol=1e-12)
    for name in ("coefs_", "intercepts_", "bn_scales_", "bn_running_vars_"):
        for a, b in zip(getattr(both, name), getattr(alone, name)):
            assert_allclose(a[:6], b, rtol=1e-12, atol=1e-14)


def test_fold_members_train_on_alone_on_their_out_of_bag_rows():
    clf = _fit(n_fold_members=3, max_iter=40)
    again = _fit(n_fold_members=3, max_iter=40)
    assert 0 <= clf.n_iter_fold_members_ <= 40
    assert clf.n_iter_fold_members_ == again.n_iter_fold_members_
    assert_array_equal(clf.predict_proba(X), again.predict_proba(X))
    assert _fit().n_iter_fold_members_ == 0
    # partial_fit runs one epoch of every member, no more.
    part = BalancedBNMLPClassifier((8,), n_members=6, n_fold_members=3, random_state=0)
    part.partial_fit(X, y, classes=[0, 1])
    assert part.n_iter_ == 1 and part.n_iter_fold_members_ == 0


class _Bags:
    """A plan's out-of-bag rows: every row, and ``mask``."""

    def __init__(self, mask):
        self.mask = mask

    def out_of_bag(self, codes, max_per_class):
        return np.arange(len(codes)), self.mask


def test_members_that_partition_the_rows_are_scored_on_their_own_rows():
    """The fold members' stopping rule scores each member on the rows out of
    its bag alone: the score and recalls every member on every row gives."""
    clf = _fit(n_fold_members=3)
    net = Network(clf.coefs_, clf.intercepts_, *(getattr(clf, n) for n in _BN_ATTRS))
    folds = net.members(slice(6, 9))
    mask = np.arange(3)[:, None] == np.arange(len(y)) % 3
    score, recall = out_of_bag_validator(X, y, _Bags(mask), "relu", clf.bn_eps, 2)(folds)
    proba = softmax_(forward_folded(fold_network(folds, clf.bn_eps), X, "relu"))
    own = proba[np.arange(len(y)) % 3, np.arange(len(y))]
    expected = -np.mean([-np.log(own[y == k, k]).mean() for k in (0, 1)])
    assert_allclose(score, expected, rtol=1e-12)
    pred = own.argmax(axis=1)
    assert_allclose(recall, [np.mean(pred[y == k] == k) for k in (0, 1)])
    # Rows out of two bags take the general path, the members' mean.
    mask[0] = True
    score, _ = out_of_bag_validator(X, y, _Bags(mask), "relu", clf.bn_eps, 2)(folds)
    mean = (proba * mask[..., None]).sum(axis=0) / mask.sum(axis=0)[:, None]
    assert_allclose(score, -np.mean([-np.log(mean[y == k, k]).mean() for k in (0, 1)]))


def test_uniform_weighting_counts_every_member_alike():
    clf = _fit(n_fold_members=3, member_weighting="uniform")
    assert_allclose(clf.member_weights_, np.full(9, 1 / 9))
    members = clf.predict_member_proba(X[:20])
    assert_allclose(clf.predict_proba(X[:20]), members.mean(axis=0))


def test_one_kind_keeps_the_plain_mean():
    clf = _fit()
    assert clf.kinds_ == ["balanced"] and clf.oob_scores_ is None
    assert_allclose(clf.member_weights_, np.full(6, 1 / 6))
    assert_allclose(clf.predict_proba(X[:20]), clf.predict_member_proba(X[:20]).mean(axis=0))


def test_out_of_bag_score_follows_the_weights():
    clf = _fit(n_fold_members=3, oob_score=True, member_weighting="uniform")
    assert clf.oob_decision_function_.shape == (len(X), 2)
    # Every row is out of the bag of one fold member, which counts here.
    assert np.isfinite(clf.oob_decision_function_).all()
    pred = np.argmax(clf.oob_decision_function_, axis=1)
    assert_allclose(clf.oob_score_, balanced_accuracy(np.eye(2)[pred], y, 2))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_kinds_are_reproducible_and_the_engines_agree(backend):
    pytest.importorskip("torch")
    a = _fit(n_fold_members=3, backend=backend)
    b = _fit(n_fold_members=3, backend=backend)
    assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    other = _fit(n_fold_members=3, backend="torch" if backend == "numpy" else "numpy")
    assert_allclose(a.predict_proba(X), other.predict_proba(X), rtol=1e-4, atol=1e-5)


def test_one_fold_member_is_refused():
    with pytest.raises(ValueError, match="n_fold_members"):
        _fit(n_fold_members=1)


def _proba(correct, codes, rng):
    """Probabilities right on the rows where ``correct`` is true."""
    right = np.where(correct, codes, 1 - codes)
    return softmax_(np.eye(2)[right] * 2 + rng.normal(0, 0.01, (len(codes), 2)))


def test_weigh_kinds_keeps_the_default_unless_the_evidence_is_strong():
    rng = np.random.default_rng(0)
    codes = np.r_[np.zeros(400, int), np.ones(40, int)]
    worse = _proba(rng.random(len(codes)) < 0.6, codes, rng)
    better = _proba(rng.random(len(codes)) < 0.95, codes, rng)
    # Clearly better: the greedy moves weight to it, by either objective.
    for objective in ("log_loss", "balanced_accuracy"):
        weights, scores = weigh_kinds(np.stack([worse, better]), codes, 2, objective=objective)
        assert weights[1] > 0.5 and scores[1] > scores[0]
    # Without a start (an empty bag) greedy selection takes the better kind alone.
    weights, _ = weigh_kinds(np.stack([worse, better]), codes, 2, start=0, default=[1, 0])
    assert_array_equal(weights, [0, 1])
    # Barely better, on one more minority row: not enough evidence to move.
    correct = np.argmax(worse, 1) == codes
    correct[np.flatnonzero((codes == 1) & ~correct)[0]] = True
    barely = _proba(correct, codes, rng)
    kinds = np.stack([worse, barely])
    for default in ([0.5, 0.5], [1.0, 0.0]):
        args = dict(objective="balanced_accuracy", default=default, start=0)
        assert_array_equal(weigh_kinds(kinds, codes, 2, **args)[0], default)
        assert weigh_kinds(kinds, codes, 2, min_evidence=0, **args)[0][1] == 1


def test_weigh_kinds_without_a_scored_row_of_some_class_keeps_the_default():
    rng = np.random.default_rng(0)
    codes = np.r_[np.zeros(50, int), np.ones(10, int)]
    kinds = np.stack([_proba(np.ones(60, bool), codes, rng)] * 2)
    kinds[0, codes == 1] = np.nan  # one kind saw every minority row
    weights, scores = weigh_kinds(kinds, codes, 2)
    assert_array_equal(weights, [0.5, 0.5]) and np.isnan(scores).all()


def test_without_replacement_the_kinds_keep_their_default_weights():
    # Every balanced member trains on every minority row: no out-of-bag
    # evidence on that class, so nothing to weigh the kinds by.
    bootstrap = _fit(n_fold_members=3)
    assert np.isfinite(list(bootstrap.oob_scores_.values())).all()
    undersampled = _fit(n_fold_members=3, replacement=False)
    assert np.isnan(list(undersampled.oob_scores_.values())).all()
    assert_array_equal(undersampled.kind_weights_, [0.5, 0.5])


def test_the_default_trains_both_kinds():
    clf = BalancedBNMLPClassifier((8,), max_iter=15, random_state=0).fit(X, y)
    assert clf.kinds_ == ["balanced", "logit_adjusted_folds"]
    assert clf.n_members_ == 24 + 5
    assert_allclose(clf.kind_weights_.sum(), 1)
    assert set(clf.oob_scores_) == set(clf.kinds_)


def test_the_weights_do_not_depend_on_scoring_every_row():
    weighed = _fit(n_fold_members=3)
    scored = _fit(n_fold_members=3, oob_score=True)
    assert_array_equal(weighed.kind_weights_, scored.kind_weights_)
    assert weighed.oob_scores_ == scored.oob_scores_


def test_the_fold_members_patience_is_the_balanced_members_in_steps(monkeypatch):
    import skbn._training as training

    seen = []
    train = training._train

    def recording(spec, *args, **kwargs):
        seen.append(spec.n_iter_no_change)
        return train(spec, *args, **kwargs)

    monkeypatch.setattr(training, "_train", recording)
    clf = _fit(n_fold_members=3, max_iter=40, n_iter_no_change=10, batch_size=16)
    balanced_steps = -(-clf.member_class_counts_.sum() // 16)
    fold_steps = -(-(len(X) - -(-len(X) // 3)) // 64)  # 2/3 of the rows, batches of 4 x 16
    assert seen == [10, -(-10 * balanced_steps // fold_steps)]
    seen.clear()
    endless = _fit(n_fold_members=3, max_iter=12, n_iter_no_change=np.inf)
    assert seen == [np.inf, np.inf] and endless.n_iter_fold_members_ == 12
