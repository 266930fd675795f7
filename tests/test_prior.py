"""The class prior of the probabilities: what each remedy trains under
(trained_prior_), and ``prior`` moving the probabilities to another exactly."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import multivariate_normal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skbn import BalancedBNMLPClassifier, BNMLPClassifier, effective_number_weights

X, y = make_classification(
    n_samples=400,
    n_features=5,
    n_informative=3,
    n_classes=3,
    weights=[0.7, 0.2, 0.1],
    random_state=0,
)
COUNTS = np.bincount(y)
FREQ = COUNTS / COUNTS.sum()
KW = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0, backend="numpy", dtype="float64")


def _fit(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kwargs)


def _normalised(a):
    return np.asarray(a, float) / np.sum(a)


@pytest.mark.parametrize(
    "model, expected",
    [
        (BNMLPClassifier(**KW), FREQ),
        (BNMLPClassifier(batch_sampler="stratified", **KW), FREQ),
        (BNMLPClassifier(class_weight="balanced", **KW), np.full(3, 1 / 3)),
        (
            BNMLPClassifier(class_weight={0: 1.0, 1: 2.0, 2: 5.0}, **KW),
            _normalised(COUNTS * [1, 2, 5]),
        ),
        (
            BNMLPClassifier(class_weight=lambda t: effective_number_weights(t, beta=0.99), **KW),
            _normalised(COUNTS * [effective_number_weights(y, beta=0.99)[k] for k in range(3)]),
        ),
        (BNMLPClassifier(batch_sampler="balanced", **KW), np.full(3, 1 / 3)),
        (BNMLPClassifier(loss="logit_adjusted", **KW), np.full(3, 1 / 3)),
        (BalancedBNMLPClassifier(n_members=3, min_class_rows=40, **KW), np.full(3, 1 / 3)),
        (BalancedBNMLPClassifier(n_members=3, **KW), np.full(3, 1 / 3)),
        (BalancedBNMLPClassifier(n_members=3, replacement=False, **KW), np.full(3, 1 / 3)),
        (BalancedBNMLPClassifier(n_members=3, sampling_strategy=0.25, **KW), np.full(3, 1 / 3)),
    ],
    ids=lambda v: "" if isinstance(v, np.ndarray) else type(v).__name__,
)
def test_each_remedy_trains_under_the_prior_its_maths_says(model, expected):
    _fit(model, X, y)
    assert_allclose(model.trained_prior_, expected, rtol=1e-12)
    assert_allclose(model.class_prior_, FREQ)


def test_sample_weights_move_the_trained_prior_as_they_move_the_loss():
    sw = np.where(y == 2, 3.0, 1.0)
    plain = _fit(BNMLPClassifier(**KW), X, y, sample_weight=sw)
    assert_allclose(plain.trained_prior_, _normalised(COUNTS * [1, 1, 3]))
    balanced = _fit(BNMLPClassifier(batch_sampler="balanced", **KW), X, y, sample_weight=sw)
    assert_allclose(balanced.trained_prior_, _normalised([1, 1, 3]))  # mean weight per class


@pytest.mark.parametrize("make", [BNMLPClassifier, BalancedBNMLPClassifier])
def test_prior_moves_the_probabilities_exactly_without_a_refit(make):
    model = _fit(make(**KW), X, y)
    raw = model.predict_proba(X)
    coefs = [c.copy() for c in model.coefs_]
    for prior, target in [
        ("balanced", np.full(3, 1 / 3)),
        ("frequencies", FREQ),
        ([1, 1, 2], [0.25, 0.25, 0.5]),
        ({0: 0.5, 1: 0.3, 2: 0.2}, [0.5, 0.3, 0.2]),
    ]:
        model.set_params(prior=prior)
        expected = raw * np.asarray(target) / model.trained_prior_
        expected /= expected.sum(axis=1, keepdims=True)
        proba = model.predict_proba(X)
        assert_allclose(proba, expected, rtol=1e-10)
        assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
        assert_allclose(np.exp(model.predict_log_proba(X)), proba, rtol=1e-10)
    for a, b in zip(coefs, model.coefs_):
        assert_array_equal(a, b)
    model.set_params(prior=None)
    assert_allclose(model.predict_proba(X), raw)


def test_the_training_prior_undoes_the_balanced_members_on_average():
    model = _fit(BalancedBNMLPClassifier(n_members=4, **KW), X, y)
    balanced_mean = model.predict_proba(X).mean(axis=0)
    frequencies_mean = model.set_params(prior="frequencies").predict_proba(X).mean(axis=0)
    # Balanced members over-predict the rare classes; the training prior brings
    # the mean prediction back towards the class frequencies.
    assert np.abs(frequencies_mean - FREQ).sum() < np.abs(balanced_mean - FREQ).sum() / 2


def test_logit_adjustment_one_is_the_balanced_prior_of_a_plain_model():
    adjusted = _fit(BNMLPClassifier(logit_adjustment=1.0, **KW), X, y)
    plain = _fit(BNMLPClassifier(prior="balanced", **KW), X, y)
    assert_allclose(adjusted.predict_proba(X), plain.predict_proba(X), rtol=1e-10)
    with pytest.raises(ValueError, match="both set the prior"):
        _fit(BNMLPClassifier(logit_adjustment=1.0, prior="frequencies", **KW), X, y)
    with pytest.raises(ValueError, match="both set the prior"):
        plain.set_params(logit_adjustment=0.5).predict(X)


@pytest.mark.parametrize(
    "prior, match",
    [
        ([0.5, 0.5], r"shape \(2,\)"),
        ([0.5, 0.5, 0.0], "positive, finite"),
        ([0.5, np.nan, 0.5], "positive, finite"),
        ({0: 0.5, 1: 0.5}, r"lacks classes \[2\]"),
        ({0: 0.5, 1: 0.3, 2: 0.1, 7: 0.1}, r"classes \[7\] the model does not know:"),
    ],
)
def test_a_bad_prior_is_refused_before_training_and_at_predict(prior, match):
    model = BNMLPClassifier(prior=prior, **KW)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")
    fitted = _fit(BNMLPClassifier(**KW), X, y).set_params(prior=prior)
    with pytest.raises(ValueError, match=match):
        fitted.predict_proba(X)


def test_partial_fit_accumulates_the_trained_prior_by_rows():
    model = BNMLPClassifier(class_weight={0: 1.0, 1: 1.0, 2: 1.0}, **KW)
    first, second = slice(0, 100), slice(100, 400)
    model.partial_fit(X[first], y[first], classes=[0, 1, 2])
    model.partial_fit(X[second], y[second])
    assert_allclose(model.trained_prior_, FREQ)
    balanced = BNMLPClassifier(batch_sampler="balanced", **KW)
    balanced.partial_fit(X[first], y[first], classes=[0, 1, 2])
    balanced.partial_fit(X[second], y[second])
    assert_allclose(balanced.trained_prior_, np.full(3, 1 / 3))


def test_with_the_training_prior_the_balanced_members_approach_the_true_posterior():
    """Two Gaussian classes at 9:1: the probabilities under the training
    prior approach the Bayes posterior as the data grow; those of the
    balanced prior stay off by the prior ratio."""
    rng = np.random.default_rng(0)
    means, cov, pi = [np.zeros(2), np.array([1.5, 1.0])], np.eye(2), np.array([0.9, 0.1])

    def draw(n):
        labels = (rng.random(n) < pi[1]).astype(int)
        points = np.where(labels[:, None] == 1, means[1], means[0]) + rng.standard_normal((n, 2))
        return points, labels

    def posterior(points):
        dens = np.column_stack([multivariate_normal(m, cov).pdf(points) for m in means]) * pi
        return dens[:, 1] / dens.sum(axis=1)

    X_test, _ = draw(4000)
    truth = posterior(X_test)
    errors = {}
    for n in (400, 8000):
        X_train, y_train = draw(n)
        model = BalancedBNMLPClassifier((16,), n_members=8, random_state=0, backend="numpy")
        _fit(model, X_train, y_train)
        errors[n, "frequencies"] = np.abs(
            model.set_params(prior="frequencies").predict_proba(X_test)[:, 1] - truth
        ).mean()
        errors[n, None] = np.abs(
            model.set_params(prior=None).predict_proba(X_test)[:, 1] - truth
        ).mean()
    assert errors[8000, "frequencies"] < errors[400, "frequencies"]
    assert errors[8000, "frequencies"] < 0.03
    assert errors[8000, None] > 4 * errors[8000, "frequencies"]


def test_member_disagreement_is_the_mutual_information_and_grows_away_from_the_data():
    model = _fit(
        BalancedBNMLPClassifier(n_members=6, n_fold_members=0, **{**KW, "max_iter": 50}), X, y
    )
    members = model.predict_member_proba(X)
    mean = members.mean(axis=0)
    expected = -(mean * np.log(mean)).sum(axis=1) + (members * np.log(members)).sum(axis=2).mean(
        axis=0
    )
    assert_allclose(model.predict_disagreement(X), expected, atol=1e-12)
    assert (model.predict_disagreement(X) >= 0).all()
    far = X * 10 + 20  # far outside the training data: the members' guesses part ways
    assert model.predict_disagreement(far).mean() > 2 * model.predict_disagreement(X).mean()
    single = _fit(BNMLPClassifier(**KW), X, y)
    assert_allclose(single.predict_disagreement(X), 0.0, atol=1e-12)


def test_logit_adjustment_subtracts_tau_times_the_log_prior_for_any_tau():
    # Exact, at a tau other than 1: tau scales the correction, not just switches it.
    plain = _fit(BNMLPClassifier(**KW), X, y)
    log_proba = plain.predict_log_proba(X)
    for tau in (0.5, 2.0):
        expected = log_proba - tau * np.log(plain.class_prior_)
        expected = np.exp(expected - expected.max(axis=1, keepdims=True))
        expected /= expected.sum(axis=1, keepdims=True)
        assert_allclose(
            plain.set_params(logit_adjustment=tau).predict_proba(X), expected, rtol=1e-12
        )
