"""The imbalance toolkit: class weights, class-aware batches, the noise
over-sampler, logit adjustment and early stopping on imbalance-aware scores."""

import functools
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline, make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from _imblearn_checks import parametrize_with_checks
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import recall_score, roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_validate,
    train_test_split,
)
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from skbn import BNMLPClassifier, GaussianNoiseOverSampler, effective_number_weights
from skbn._batch_sampling import balanced_order, stratified_order
from skbn._plan import TrainingPlan, batch_bounds


def clf(**params):
    params = {
        "hidden_layer_sizes": (32,),
        "max_iter": 20,
        "batch_size": 64,
        "learning_rate_init": 3e-3,
        "random_state": 0,
        "backend": "numpy",
        **params,
    }
    return BNMLPClassifier(**params)


def one_to_twenty(seed):
    """A standardised 1:20 binary problem, split in half (stratified)."""
    X, y = make_classification(
        n_samples=2100,
        n_features=10,
        n_informative=5,
        n_redundant=2,
        weights=[20 / 21],
        class_sep=0.8,
        flip_y=0,
        random_state=seed,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


# ---------------------------------------------------------------- class weights


def test_effective_number_weights_follow_cui_et_al():
    y = np.array([0] * 500 + [1] * 50 + [2] * 5)
    beta = 0.99
    w = effective_number_weights(y, beta=beta)
    raw = np.array([(1 - beta) / (1 - beta**n) for n in (500, 50, 5)])
    assert_allclose([w[0], w[1], w[2]], raw * 3 / raw.sum())
    assert sum(w.values()) == pytest.approx(3)
    # beta = 0: equal weights; beta -> 1: inverse frequency, like 'balanced'.
    assert effective_number_weights(y, beta=0.0) == {0: 1.0, 1: 1.0, 2: 1.0}
    near_one = effective_number_weights(y, beta=1 - 1e-9)
    balanced = compute_class_weight("balanced", classes=np.arange(3), y=y)
    assert_allclose([near_one[k] for k in range(3)], balanced * 3 / balanced.sum(), rtol=1e-5)
    with pytest.raises(ValueError, match="beta"):
        effective_number_weights(y, beta=1.0)


def test_effective_number_weights_keep_string_labels():
    w = effective_number_weights(["cat"] * 9 + ["dog"] * 3, beta=0.9)
    assert set(w) == {"cat", "dog"} and w["dog"] > w["cat"]
    clf(class_weight=w, batch_size=12).fit(np.eye(12), ["cat"] * 9 + ["dog"] * 3)


def test_callable_class_weight_is_the_dict_it_returns():
    X, _, y, _ = one_to_twenty(0)
    weights = functools.partial(effective_number_weights, beta=0.999)
    by_callable = clf(class_weight=weights, max_iter=3).fit(X, y)
    by_dict = clf(class_weight=weights(y), max_iter=3).fit(X, y)
    assert_array_equal(by_callable.coefs_[0], by_dict.coefs_[0])
    # A fitted model with a callable weight pickles and clones.
    again = pickle.loads(pickle.dumps(by_callable))
    assert_array_equal(again.predict(X), by_callable.predict(X))
    assert clone(by_callable).get_params()["class_weight"].keywords == {"beta": 0.999}


def test_callable_class_weight_must_return_a_dict():
    X, _, y, _ = one_to_twenty(0)
    with pytest.raises(TypeError, match="must return a dict"):
        clf(class_weight=lambda y: [1, 2]).fit(X, y)
    with pytest.raises(ValueError, match="not supported by partial_fit"):
        clf(class_weight=effective_number_weights).partial_fit(X, y, classes=[0, 1])


def test_class_weights_in_a_grid_search_are_recomputed_per_fold():
    X, _, y, _ = one_to_twenty(0)
    seen = []

    def recording(y):
        seen.append(len(y))
        return effective_number_weights(y, beta=0.999)

    grid = {"class_weight": [recording], "batch_norm": [True, False]}
    search = GridSearchCV(
        clf(max_iter=3), grid, cv=StratifiedKFold(3), scoring="balanced_accuracy"
    ).fit(X, y)
    # Three folds of 700 training rows for each candidate, then the refit on
    # all 1050 rows.
    assert seen == [700] * 6 + [1050]
    assert search.best_params_["class_weight"] is recording


# ------------------------------------------------------------ batch samplers


@st.composite
def labelled_batches(draw):
    n_classes = draw(st.integers(2, 6))
    n = draw(st.integers(n_classes, 400))
    # Skewed class shares, every class present.
    shares = np.array(draw(st.lists(st.floats(0.01, 1), min_size=n_classes, max_size=n_classes)))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    codes = np.concatenate(
        [np.arange(n_classes), rng.choice(n_classes, n - n_classes, p=shares / shares.sum())]
    )
    batch_size = draw(st.integers(2, 80))
    return codes, batch_bounds(n, batch_size, merge_singleton=True), np.random.default_rng(seed)


def class_counts(codes, order, bounds):
    n_classes = codes.max() + 1
    return np.array([np.bincount(codes[order[a:b]], minlength=n_classes) for a, b in bounds])


@given(labelled_batches())
def test_stratified_batches_keep_the_class_proportions(problem):
    codes, bounds, rng = problem
    order = stratified_order(codes, bounds, rng)
    assert sorted(order) == list(range(len(codes)))  # every row once
    counts = class_counts(codes, order, bounds)
    sizes = np.array([b - a for a, b in bounds])
    share = np.outer(sizes, np.bincount(codes)) / len(codes)
    # Each count is the floor or ceiling of the class's share, up to one row.
    assert np.all(counts >= np.floor(share) - 1) and np.all(counts <= np.ceil(share) + 1)
    # Nearly always exactly floor or ceiling.
    exact = (counts >= np.floor(share)) & (counts <= np.ceil(share))
    assert exact.mean() >= 0.95
    # A class owed a row (share >= 1) is never missing from a batch.
    assert not np.any((share >= 1) & (counts == 0))


@given(labelled_batches())
def test_balanced_batches_draw_the_classes_equally(problem):
    codes, bounds, rng = problem
    order = balanced_order(codes, bounds, rng)
    assert len(order) == len(codes)
    counts = class_counts(codes, order, bounds)
    assert np.all(counts.max(axis=1) - counts.min(axis=1) <= 1)
    assert_array_equal(counts.sum(axis=1), [b - a for a, b in bounds])


@pytest.mark.parametrize("sampler", ["random", "stratified", "balanced"])
def test_an_epoch_keeps_its_batches_under_every_sampler(sampler):
    codes = np.array([0] * 950 + [1] * 50)
    plan = TrainingPlan(7, 32, True, merge_singleton=True, dropout=0.0, batch_sampler=sampler)
    epoch = plan.epoch(0, codes)
    assert len(epoch.bounds) == -(-1000 // 32)
    counts = class_counts(codes, epoch.order, epoch.bounds)
    missing = np.mean(counts[:, 1] == 0)
    if sampler == "random":
        # P(no minority row in a batch of 32) = 0.95 ** 32 = 0.19 by formula.
        assert 0.0 < missing < 0.5
    else:
        # The last batch has 8 rows, where the minority's share is 0.4 rows.
        assert not np.any(counts[:-1, 1] == 0)
    if sampler == "balanced":
        assert_array_equal(counts[:-1], 16)  # the last batch has 8 rows
    # The plan is a function of (seed, epoch): the engines see the same batches.
    assert_array_equal(plan.epoch(0, codes).order, epoch.order)
    assert not np.array_equal(plan.epoch(1, codes).order, epoch.order)


def test_stratified_without_shuffle_keeps_the_row_order_within_classes():
    codes = np.array([0, 1, 0, 0, 1, 0, 0, 0, 1, 0])
    plan = TrainingPlan(0, 5, False, merge_singleton=True, dropout=0.0, batch_sampler="stratified")
    order = plan.epoch(0, codes).order
    for k in (0, 1):
        rows = order[codes[order] == k]
        assert_array_equal(rows, np.flatnonzero(codes == k))


def test_balanced_batches_estimate_the_balanced_mixture_in_bn():
    # One feature, class 0 at -1 and class 1 at +1 (1:9). Running means of a
    # linear first layer track the batch means of x @ W, i.e. of x.
    X = np.r_[np.full(900, -1.0), np.full(100, 1.0)][:, None]
    y = np.r_[np.zeros(900, int), np.ones(100, int)]
    params = dict(hidden_layer_sizes=(1,), max_iter=30, learning_rate_init=1e-9, bn_momentum=0.1)
    data = clf(batch_sampler="random", **params).fit(X, y)
    balanced = clf(batch_sampler="balanced", **params).fit(X, y)
    w = data.coefs_[0][0, 0]
    # Data mean of x is -0.8; the balanced mixture's is 0.
    assert data.bn_running_means_[0][0] / w == pytest.approx(-0.8, abs=0.05)
    assert balanced.bn_running_means_[0][0] / w == pytest.approx(0.0, abs=0.05)


# ---------------------------------------------------------- noise over-sampler


@parametrize_with_checks([GaussianNoiseOverSampler(random_state=0)])
def test_noise_over_sampler_passes_imblearn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("covariance", ["diag", "full"])
def test_noise_is_scaled_by_the_class_spread(covariance):
    rng = np.random.default_rng(0)
    minority = rng.normal(size=(400, 2)) @ np.array([[3.0, 0.0], [2.7, 0.3]])  # correlated
    X = np.r_[rng.normal(size=(4000, 2)), minority + 10]
    y = np.r_[np.zeros(4000, int), np.ones(400, int)]
    sampler = GaussianNoiseOverSampler(noise_scale=0.5, covariance=covariance, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert_array_equal(np.bincount(y_res), [4000, 4000])
    assert_array_equal(X_res[: len(X)], X)
    new = X_res[len(X) :]
    # Jitter adds noise_scale**2 times the class's (co)variance to it.
    cov = np.cov(minority.T, bias=True)
    expected = cov * (1 + 0.5**2)
    if covariance == "diag":
        expected = cov + np.diag(np.diag(cov)) * 0.5**2
    assert_allclose(np.cov(new.T, bias=True), expected, rtol=0.1, atol=0.1)


def test_noise_over_sampler_refuses_what_it_cannot_do():
    X = np.r_[np.zeros((10, 2)), np.ones((1, 2))]
    y = np.r_[np.zeros(10, int), [1]]
    with pytest.raises(ValueError, match="needs at least 2"):
        GaussianNoiseOverSampler().fit_resample(X, y)
    # noise_scale=0 is plain random over-sampling: only copies of real rows.
    X2 = np.r_[X, [[2.0, 2.0]]]
    X_res, _ = GaussianNoiseOverSampler(noise_scale=0, random_state=0).fit_resample(
        X2, np.r_[y, 1]
    )
    assert {tuple(r) for r in X_res[len(X2) :]} <= {(1.0, 1.0), (2.0, 2.0)}


def test_sparse_input_keeps_the_sparsity_pattern_of_the_copied_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)) * (rng.random((60, 5)) < 0.4)
    y = np.r_[np.zeros(50, int), np.ones(10, int)]
    X_res, y_res = GaussianNoiseOverSampler(random_state=0).fit_resample(sparse.csr_matrix(X), y)
    assert sparse.issparse(X_res) and X_res.format == "csr"
    new = X_res[60:].toarray()
    minority_patterns = {tuple(r != 0) for r in X[50:]}
    assert {tuple(r != 0) for r in new} <= minority_patterns
    assert not np.isin(new[new != 0], X[50:]).all()  # jittered, not copied


def test_noise_over_sampler_composes_with_scalers_and_other_samplers():
    X, X_test, y, y_test = one_to_twenty(0)
    pipe = make_pipeline(
        StandardScaler(),
        RandomUnderSampler(sampling_strategy=0.2, random_state=0),
        GaussianNoiseOverSampler(random_state=0),
        clf(),
    ).fit(X, y)
    assert recall_score(y_test, pipe.predict(X_test)) > 0.5
    assert pipe.score(X_test, y_test) > 0.7


# ----------------------------------------------------------- logit adjustment


def test_logit_adjustment_raises_minority_recall_and_keeps_roc_auc():
    recalls = {0.0: [], 1.0: []}
    for seed in range(3):
        X, X_test, y, y_test = one_to_twenty(seed)
        model = clf(random_state=seed).fit(X, y)
        assert_allclose(model.class_prior_, np.bincount(y) / len(y))
        plain = model.predict_proba(X_test)
        recalls[0.0].append(recall_score(y_test, model.predict(X_test)))
        model.set_params(logit_adjustment=1.0)  # post hoc: no refit needed
        adjusted = model.predict_proba(X_test)
        recalls[1.0].append(recall_score(y_test, model.predict(X_test)))
        # Probabilities times prior ** -tau, renormalised.
        expected = plain / model.class_prior_
        assert_allclose(adjusted, expected / expected.sum(axis=1, keepdims=True), rtol=1e-10)
        # A threshold shift for two classes: the ranking, hence ROC-AUC, holds.
        assert roc_auc_score(y_test, adjusted[:, 1]) == pytest.approx(
            roc_auc_score(y_test, plain[:, 1]), abs=1e-12
        )
    assert np.mean(recalls[1.0]) > np.mean(recalls[0.0]) + 0.15
    assert all(a >= b for a, b in zip(recalls[1.0], recalls[0.0]))


def test_class_prior_is_weighted_and_accumulates_over_partial_fit():
    X, _, y, _ = one_to_twenty(0)
    sw = np.where(y == 1, 10.0, 1.0)
    model = clf(class_weight={0: 5.0}).fit(X, y, sample_weight=sw)
    counts = np.array([np.sum(y == 0), 10.0 * np.sum(y == 1)])
    assert_allclose(model.class_prior_, counts / counts.sum())  # class_weight ignored
    inc = clf().partial_fit(X[:500], y[:500], classes=[0, 1]).partial_fit(X[500:], y[500:])
    assert_allclose(inc.class_prior_, np.bincount(y) / len(y))


def test_tuned_threshold_classifier_wraps_the_model():
    X, X_test, y, y_test = one_to_twenty(0)
    tuned = TunedThresholdClassifierCV(
        clf(), scoring="balanced_accuracy", cv=StratifiedKFold(3), random_state=0
    ).fit(X, y)
    plain = clf().fit(X, y)
    assert 0 < tuned.best_threshold_ < 0.5  # the minority needs a lower bar
    assert recall_score(y_test, tuned.predict(X_test)) > recall_score(
        y_test, plain.predict(X_test)
    )


# --------------------------------------------------- early stopping on scores


@pytest.mark.parametrize("scoring", ["balanced_accuracy", "average_precision", "loss", "callable"])
def test_early_stopping_on_an_imbalance_aware_score(scoring):
    X, _, y, _ = one_to_twenty(1)
    if scoring == "callable":

        def scoring(estimator, X, y, sample_weight=None):
            return recall_score(y, estimator.predict(X), sample_weight=sample_weight)

    model = clf(
        early_stopping=True, scoring=scoring, max_iter=40, n_iter_no_change=5, random_state=1
    ).fit(X, y)
    scores = model.validation_scores_
    assert len(scores) == model.n_iter_ == len(model.validation_recall_per_class_)
    assert model.best_validation_score_ == max(scores)
    recall = np.array(model.validation_recall_per_class_)
    assert recall.shape == (model.n_iter_, 2) and np.all((recall >= 0) & (recall <= 1))
    if scoring == "balanced_accuracy":
        assert_allclose(scores, recall.mean(axis=1))


def test_an_unknown_scorer_is_named():
    X, _, y, _ = one_to_twenty(0)
    with pytest.raises(ValueError, match="scoring='balanced_acuracy'"):
        clf(early_stopping=True, scoring="balanced_acuracy").fit(X, y)


# ------------------------------------------------------ the remedies, measured

REMEDIES = {
    "random over-sampling": lambda s: make_pipeline(
        RandomOverSampler(random_state=s), clf(random_state=s)
    ),
    "SMOTE": lambda s: make_pipeline(SMOTE(random_state=s), clf(random_state=s)),
    "random under-sampling": lambda s: make_pipeline(
        RandomUnderSampler(random_state=s), clf(random_state=s)
    ),
    "noise over-sampling": lambda s: make_pipeline(
        GaussianNoiseOverSampler(random_state=s), clf(random_state=s)
    ),
    "class_weight='balanced'": lambda s: clf(class_weight="balanced", random_state=s),
    "effective-number weights": lambda s: clf(
        class_weight=functools.partial(effective_number_weights, beta=0.999), random_state=s
    ),
    "balanced batches": lambda s: clf(batch_sampler="balanced", random_state=s),
    "logit adjustment": lambda s: clf(logit_adjustment=1.0, random_state=s),
}
SEEDS = range(5)


def minority_recalls(make):
    out = []
    for seed in SEEDS:
        X, X_test, y, y_test = one_to_twenty(seed)
        out.append(recall_score(y_test, make(seed).fit(X, y).predict(X_test)))
    return np.array(out)


@pytest.fixture(scope="module")
def no_remedy_recall():
    return minority_recalls(lambda s: clf(random_state=s))


@pytest.mark.parametrize("remedy", list(REMEDIES))
def test_every_remedy_raises_minority_recall(remedy, no_remedy_recall):
    recall = minority_recalls(REMEDIES[remedy])
    # Measured on 5 seeds: no remedy 0.46 ± 0.12, every remedy 0.74 to 0.83.
    assert recall.mean() > no_remedy_recall.mean() + 0.15
    assert np.sum(recall > no_remedy_recall) >= 4


# ------------------------------------------------ integration, as users write it

SAMPLERS = {
    "SMOTE": SMOTE(random_state=0),
    "random over-sampling": RandomOverSampler(random_state=0),
    "random under-sampling": RandomUnderSampler(random_state=0),
    "noise over-sampling": GaussianNoiseOverSampler(random_state=0),
}


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_imblearn_pipeline_scaler_sampler_classifier(name):
    X, X_test, y, y_test = one_to_twenty(2)
    X, X_test = X * 50 + 3, X_test * 50 + 3  # the scaler has work to do
    pipe = make_pipeline(StandardScaler(), clone(SAMPLERS[name]), clf()).fit(X, y)
    plain = make_pipeline(StandardScaler(), clf()).fit(X, y)
    assert recall_score(y_test, pipe.predict(X_test)) > recall_score(y_test, plain.predict(X_test))
    # Resampling happens in fit only: predict sees every test row.
    assert len(pipe.predict(X_test)) == len(X_test)


def test_grid_search_over_bn_weights_batches_and_sampler():
    X, _, y, _ = one_to_twenty(0)
    X, y = X[:600], y[:600]
    pipe = Pipeline(
        [("scale", StandardScaler()), ("sampler", "passthrough"), ("clf", clf(max_iter=5, batch_size=32))]
    )
    common = {
        "clf__batch_norm": [True, False],
        "sampler": ["passthrough", SMOTE(random_state=0), RandomUnderSampler(random_state=0)],
    }
    # Class weights and balanced batches each correct the imbalance: a grid
    # pairs each with the other's neutral value only (stacking them is an error).
    grid = [
        {
            **common,
            "clf__class_weight": [
                None,
                "balanced",
                functools.partial(effective_number_weights, beta=0.999),
            ],
            "clf__batch_sampler": ["random", "stratified"],
        },
        {**common, "clf__class_weight": [None], "clf__batch_sampler": ["balanced"]},
    ]
    search = GridSearchCV(
        pipe,
        grid,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring="balanced_accuracy",
        error_score="raise",
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 2 * 3 * (3 * 2 + 1)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # Some remedy beats doing nothing on balanced accuracy.
    results = search.cv_results_
    nothing = [
        i
        for i, p in enumerate(results["params"])
        if p["sampler"] == "passthrough"
        and p["clf__class_weight"] is None
        and p["clf__batch_sampler"] != "balanced"
    ]
    assert search.best_score_ > max(results["mean_test_score"][nothing])


def test_cross_validate_with_stratified_folds_and_imbalance_metrics():
    X, _, y, _ = one_to_twenty(0)
    scores = cross_validate(
        make_pipeline(SMOTE(random_state=0), clf()),
        X,
        y,
        cv=StratifiedKFold(4, shuffle=True, random_state=0),
        scoring=["balanced_accuracy", "average_precision", "recall"],
        error_score="raise",
    )
    assert scores["test_balanced_accuracy"].mean() > 0.75
    assert scores["test_recall"].min() > 0.3


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_diag_noise_uses_the_class_spread_without_densifying(fmt, monkeypatch):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 6)) * (rng.random((400, 6)) < 0.5) * [1, 2, 4, 8, 16, 32]
    y = np.r_[np.zeros(300, int), np.ones(100, int)]
    spread = X[y == 1].std(axis=0)  # population spread, zeros included

    def refuse(*args, **kwargs):
        raise AssertionError("densified")

    for cls in (sparse.csr_matrix, sparse.csc_matrix):
        monkeypatch.setattr(cls, "toarray", refuse)
    sampler = GaussianNoiseOverSampler(noise_scale=0.5, random_state=0)
    X_res, _ = sampler.fit_resample(sparse.csr_matrix(X).asformat(fmt), y)
    monkeypatch.undo()
    assert X_res.format == fmt
    new = sparse.csr_matrix(X_res[400:])
    # Each new entry is a copied minority value plus noise of sd 0.5 * spread.
    copies = X[300:]
    for j in range(6):
        values = new[:, j].data
        nearest = np.abs(values[:, None] - copies[:, j][None, :]).min(axis=1)
        assert np.median(nearest) < 0.5 * spread[j]


def test_class_weights_are_sample_weights_on_each_class_rows():
    # Exact: the class-weighted fit is the fit whose sample weights carry the same
    # weights, row by row: every fitted array equal, bit for bit.
    X, _, y, _ = one_to_twenty(0)
    weights = {0: 1.0, 1: 7.0}
    by_class = clf(class_weight=weights, max_iter=4).fit(X, y)
    by_sample = clf(max_iter=4).fit(X, y, sample_weight=np.where(y == 1, 7.0, 1.0))
    unweighted = clf(max_iter=4).fit(X, y)
    for name in ("coefs_", "intercepts_", "bn_running_means_", "bn_running_vars_"):
        for a, b in zip(getattr(by_class, name), getattr(by_sample, name)):
            assert_array_equal(a, b)
    assert_array_equal(by_class.trained_prior_, by_sample.trained_prior_)
    assert not np.array_equal(by_class.coefs_[0], unweighted.coefs_[0])


def _jitter(X, y, covariance, scale, seed=0):
    """The over-sampler's documented draw, rebuilt: copies of minority rows picked
    uniformly, plus noise_scale times N(0, the class's biased (co)variance), diagonal
    on the stored entries of a sparse copy."""
    rows = X[y == 1]
    dense = rows.toarray() if sparse.issparse(rows) else rows
    n_new = int((y == 0).sum() - (y == 1).sum())
    rng = np.random.RandomState(seed)
    base = rows[rng.randint(rows.shape[0], size=n_new)]
    centred = dense - dense.mean(axis=0)
    if covariance == "full":
        noise = scale * (rng.standard_normal((n_new, len(dense))) @ centred) / np.sqrt(len(dense))
    elif sparse.issparse(X):
        base = sparse.csr_matrix(base, copy=True)
        spread = np.sqrt(np.mean(centred**2, axis=0))
        base.data += scale * rng.standard_normal(base.nnz) * spread[base.indices]
        return base.toarray()
    else:
        noise = scale * rng.standard_normal((n_new, dense.shape[1])) * np.sqrt(
            np.mean(centred**2, axis=0)
        )
    if sparse.issparse(base):  # the full spread's noise lands on the stored entries
        base = sparse.csr_matrix(base, copy=True)
        coo = base.tocoo()
        base.data += noise[coo.row, coo.col]
        return base.toarray()
    return base + noise


@pytest.mark.parametrize("covariance", ["diag", "full"])
@pytest.mark.parametrize("as_sparse", [False, True])
def test_noise_scale_on_each_path_is_the_documented_draw(covariance, as_sparse):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 4)) * (rng.random((40, 4)) < 0.6) * [1.0, 3.0, 0.5, 9.0]
    y = np.r_[np.zeros(30, int), np.ones(10, int)]
    X = sparse.csr_matrix(X) if as_sparse else X
    sampler = GaussianNoiseOverSampler(noise_scale=0.3, covariance=covariance, random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    new = X_res[40:].toarray() if as_sparse else X_res[40:]
    assert_allclose(new, _jitter(X, y, covariance, 0.3), rtol=1e-10, atol=1e-10)
