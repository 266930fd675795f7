"""Bad inputs, one table: each case, the error it gets and the words that say why.

Read top to bottom, this is the list of what skbn refuses and how it says so.
"""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skbn import BalancedBNMLPClassifier, BNMLPClassifier, minimum_cost_decisions

rng = np.random.RandomState(0)
X = rng.randn(40, 3)
y = np.r_[np.zeros(20, int), np.ones(20, int)]
KW = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)


def labels_with(missing):
    out = np.array(["a", "b"] * 20, dtype=object)
    out[7] = missing
    return out


CASES = [
    # (case, call, error, words the message must hold)
    (
        "labels with NaN among strings",
        lambda: BNMLPClassifier(**KW).fit(X, labels_with(np.nan)),
        ValueError,
        r"y contains missing values .* row 7",
    ),
    (
        "labels with None among strings",
        lambda: BNMLPClassifier(**KW).fit(X, labels_with(None)),
        ValueError,
        "y contains missing values",
    ),
    (
        "labels with pandas <NA>",
        lambda: BNMLPClassifier(**KW).fit(
            X, pd.array(labels_with("a").tolist()[:7] + [pd.NA] + ["a"] * 32, dtype="string")
        ),
        ValueError,
        "y contains missing values",
    ),
    (
        "float labels with NaN",
        lambda: BNMLPClassifier(**KW).fit(X, np.where(np.arange(40) == 3, np.nan, y)),
        ValueError,
        "y contains missing values",
    ),
    (
        "float labels with infinity",
        lambda: BNMLPClassifier(**KW).fit(X, np.where(np.arange(40) == 3, np.inf, y)),
        ValueError,
        r"y contains infinity at 1 row",
    ),
    (
        "class_weight 0 for every class",
        lambda: BNMLPClassifier(class_weight={0: 0.0, 1: 0.0}, **KW).fit(X, y),
        ValueError,
        "gives every row a weight of 0",
    ),
    (
        "class weights 0 where the sample weights are not",
        lambda: BNMLPClassifier(class_weight={0: 0.0, 1: 1.0}, **KW).fit(
            X, y, sample_weight=np.where(y == 1, 0.0, 1.0)
        ),
        ValueError,
        r"sample_weight is 0 on every row of class\(es\) \[1\]",
    ),
    (
        "sample_weight all zero",
        lambda: BNMLPClassifier(**KW).fit(X, y, sample_weight=np.zeros(40)),
        ValueError,
        "non-zero",
    ),
    (
        "partial_fit classes that miss y's labels",
        lambda: BNMLPClassifier(**KW).partial_fit(X, y, classes=[2]),
        ValueError,
        r"y has labels \[0, 1\] that are not among the classes .* \[2\]",
    ),
    (
        "sample weights 0 on every row of one class (balanced members would draw it blind)",
        lambda: BalancedBNMLPClassifier(n_members=2, **KW).fit(
            X, y, sample_weight=np.where(y == 1, 0.0, 1.0)
        ),
        ValueError,
        r"BalancedBNMLPClassifier: sample_weight is 0 on every row of class\(es\) \[1\]",
    ),
    (
        "the same for the single network",
        lambda: BNMLPClassifier(**KW).fit(X, y, sample_weight=np.where(y == 0, 0.0, 2.0)),
        ValueError,
        r"0 on every row of class\(es\) \[0\].*Drop those rows",
    ),
    (
        "a remedy given to the balanced ensemble",
        lambda: BalancedBNMLPClassifier(class_weight="balanced"),
        TypeError,
        r"BalancedBNMLPClassifier has no parameter 'class_weight'.*twice.*BNMLPClassifier",
    ),
    (
        "the same through set_params (a grid search's parameter)",
        lambda: BalancedBNMLPClassifier().set_params(logit_adjustment=1.0),
        ValueError,
        r"no parameter 'logit_adjustment'.*prior='frequencies'",
    ),
    (
        "a string column given to the balanced ensemble",
        lambda: BalancedBNMLPClassifier(**KW).fit(
            pd.DataFrame({"x": X[:, 0], "city": ["a", "b"] * 20}), y
        ),
        ValueError,
        r"non-numeric columns \['city'\].*BalancedBNMLPClassifier takes numbers only"
        r"(.|\n)*SmoothClipScaler(.|\n)*BalancedBNMLPClassifier\(\)",
    ),
    (
        "negative probabilities given to minimum_cost_decisions",
        lambda: minimum_cost_decisions([[0.5, 0.5], [-0.1, 1.1]], [[0, 1], [1, 0]]),
        ValueError,
        r"negative or non-finite values in 1 row\(s\) \(e.g. row 1\)",
    ),
    (
        "NaN probabilities given to minimum_cost_decisions",
        lambda: minimum_cost_decisions([[np.nan, 0.5]], [[0, 1], [1, 0]]),
        ValueError,
        "not scores or log-probabilities",
    ),
    (
        "one class only",
        lambda: BNMLPClassifier(**KW).fit(X, np.zeros(40, int)),
        ValueError,
        "at least 2 classes",
    ),
    (
        "a prior of the wrong length",
        lambda: BalancedBNMLPClassifier(prior=[0.5, 0.3, 0.2], **KW).fit(X, y),
        ValueError,
        r"prior has shape \(3,\)",
    ),
    (
        "prior and logit_adjustment together",
        lambda: BNMLPClassifier(prior="balanced", logit_adjustment=1.0, **KW).fit(X, y),
        ValueError,
        "both set the prior",
    ),
    (
        "two remedies at once",
        lambda: BNMLPClassifier(class_weight="balanced", batch_sampler="balanced", **KW).fit(X, y),
        ValueError,
        "correct",
    ),
    (
        "a fit that diverges without reaching NaN (learning_rate_init=1e6)",
        lambda: BNMLPClassifier(**{**KW, "max_iter": 20}, learning_rate_init=1e6).fit(X, y),
        ValueError,
        r"Training diverged: the loss became \S+e\+\d+",
    ),
    (
        "the balanced members diverging the same way",
        lambda: BalancedBNMLPClassifier(**{**KW, "max_iter": 20}, learning_rate_init=1e6).fit(
            X, y
        ),
        ValueError,
        "Training diverged",
    ),
    (
        "features so large their squares overflow float64",
        lambda: BNMLPClassifier(**KW).fit(X * 1e300, y),
        ValueError,
        r"X has values as large as .*e\+300.*Scale the features",
    ),
    (
        "features so large their squares overflow float32",
        lambda: BNMLPClassifier(**KW).fit((X * 1e30).astype(np.float32), y),
        ValueError,
        "overflow float32",
    ),
    (
        "NaN in X",
        lambda: BNMLPClassifier(**KW).fit(np.where(X > 2, np.nan, X), y),
        ValueError,
        "NaN",
    ),
    (
        "predicting rows near float64's maximum (the network would overflow to NaN)",
        lambda: BNMLPClassifier(**KW).fit(X, y).predict_proba(np.r_[X[:2], [[1.7e308] * 3]]),
        ValueError,
        r"overflow for 1 row\(s\) of X \(e.g. row 2\).*Scale or clip",
    ),
    (
        "the same for the balanced ensemble's members, near float32's maximum (its dtype)",
        lambda: (
            BalancedBNMLPClassifier(n_members=2, **KW).fit(X, y).predict(np.full_like(X, -3.3e38))
        ),
        ValueError,
        "overflow for 40 row",
    ),
    (
        "float64 values beyond the range of the ensemble's float32",
        lambda: BalancedBNMLPClassifier(n_members=2, **KW).fit(X, y).predict(X * 1e300),
        ValueError,
        "too large for dtype.'float32'",
    ),
]


@pytest.mark.parametrize("case, call, error, words", CASES, ids=[c[0] for c in CASES])
def test_each_bad_input_gets_a_clear_error(case, call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_n_iter_no_change_accepts_inf_as_scikit_learns_mlp_does():
    for make in (BNMLPClassifier, BalancedBNMLPClassifier):
        model = make(**{**KW, "max_iter": 12}, tol=10.0, n_iter_no_change=np.inf).fit(X, y)
        assert model.n_iter_ == 12  # never stops early


def test_importing_the_demo_keeps_the_users_matplotlib_backend():
    code = (
        "import matplotlib; matplotlib.use('svg'); import skbn, skbn.demo; "
        "from skbn.demo import run_demo; print(matplotlib.get_backend())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"


def test_divergence_leaves_the_previous_model_and_large_weights_are_no_false_alarm():
    model = BNMLPClassifier(**{**KW, "max_iter": 20}).fit(X, y)
    before = [c.copy() for c in model.coefs_]
    with pytest.raises(ValueError, match="Training diverged"):
        model.set_params(learning_rate_init=1e6).fit(X, y)
    for a, b in zip(before, model.coefs_):
        np.testing.assert_array_equal(a, b)
    # Sample weights of a million scale the loss, not the cross-entropy: no alarm.
    heavy = BNMLPClassifier(**{**KW, "max_iter": 20}).fit(X, y, sample_weight=np.full(40, 1e6))
    assert np.isfinite(heavy.loss_curve_).all() and heavy.loss_curve_[0] > 1e5


def test_an_interrupted_fit_keeps_what_it_trained_and_warns(monkeypatch):
    from skbn.engines._numpy import NumpyEngine

    run_epoch = NumpyEngine.run_epoch
    calls = {"n": 0}

    def interrupted(self, epoch_plan):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return run_epoch(self, epoch_plan)

    monkeypatch.setattr(NumpyEngine, "run_epoch", interrupted)
    model = BNMLPClassifier(**{**KW, "max_iter": 50}, backend="numpy", tol=0.0)
    with pytest.warns(UserWarning, match="interrupted by the user after 3 epoch"):
        model.fit(X, y)
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3
    assert model.predict(X).shape == (40,)
    # Any other failure still leaves the previous model as it was.
    monkeypatch.setattr(NumpyEngine, "run_epoch", lambda self, plan: 1 / 0)
    before = [c.copy() for c in model.coefs_]
    with pytest.raises(ZeroDivisionError):
        model.fit(X, y)
    for a, b in zip(before, model.coefs_):
        np.testing.assert_array_equal(a, b)
