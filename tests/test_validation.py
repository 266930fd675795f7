"""Bad input gets a clear error that names the problem."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skbn import BNMLPClassifier

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3))
y = np.repeat([0, 1], 20)


def clf(**params):
    return BNMLPClassifier((8,), max_iter=3, random_state=0, **params)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.where(np.eye(40, 3) == 1, np.nan, X), "NaN"),
        (np.where(np.eye(40, 3) == 1, np.inf, X), "infinity"),
        (np.empty((0, 3)), "0 sample"),
        (X[:, 0], "Expected 2D array"),
        (X + 1j, "Complex data not supported"),
    ],
    ids=["nan", "inf", "empty", "1d", "complex"],
)
def test_bad_X_in_fit(bad, match):
    labels = y if len(bad) == len(y) else y[: len(bad)]
    with pytest.raises(ValueError, match=match):
        clf().fit(bad, labels)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba", "score"])
def test_bad_X_at_predict(method):
    model = clf().fit(X, y)
    args = (y,) if method == "score" else ()
    with pytest.raises(ValueError, match="X has 4 features, but BNMLPClassifier is expecting 3"):
        getattr(model, method)(np.ones((2, 4)), *args[:1] and (y[:2],))
    with pytest.raises(ValueError, match="NaN"):
        getattr(model, method)(np.full((2, 3), np.nan), *args[:1] and (y[:2],))


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        clf().predict(X)


@pytest.mark.parametrize(
    "labels, match",
    [
        (np.ones(40), "at least 2 classes.*only one class"),
        (rng.normal(size=40), "Unknown label type: continuous"),
        (np.c_[y, y], "Multilabel and multioutput targets are not supported"),
        (np.c_[y, 1 - y, y], "Multilabel and multioutput targets are not supported"),
    ],
    ids=["one-class", "continuous", "multioutput", "multilabel"],
)
def test_bad_y(labels, match):
    with pytest.raises(ValueError, match=match):
        clf().fit(X, labels)


def test_class_weight_with_unknown_label():
    with pytest.raises(ValueError, match=r"class_weight has labels \[7\] that are not classes"):
        clf(class_weight={0: 1.0, 7: 2.0}).fit(X, y)


@pytest.mark.parametrize(
    "weights, match",
    [
        (-np.ones(40), "Negative values in data passed to `sample_weight`"),
        (np.ones(39), r"sample_weight.shape == \(39,\), expected \(40,\)"),
        (np.zeros(40), "Sample weights must contain at least one non-zero number"),
    ],
    ids=["negative", "wrong-length", "all-zero"],
)
def test_bad_sample_weight(weights, match):
    with pytest.raises(ValueError, match=match):
        clf().fit(X, y, sample_weight=weights)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"alpha": -1.0}, "'alpha' parameter"),
        ({"bn_momentum": 1.5}, "'bn_momentum' parameter"),
        ({"bn_momentum": -0.1}, "'bn_momentum' parameter"),
        ({"bn_eps": 0.0}, "'bn_eps' parameter"),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"dropout": -0.1}, "'dropout' parameter"),
        ({"activation": "gelu"}, "'activation' parameter"),
        ({"backend": "jax"}, "'backend' parameter"),
        ({"hidden_layer_sizes": ()}, "hidden_layer_sizes must be"),
        ({"hidden_layer_sizes": (8, 0)}, "hidden_layer_sizes must be"),
        ({"hidden_layer_sizes": (8, -2)}, "hidden_layer_sizes must be"),
        ({"hidden_layer_sizes": 0}, "'hidden_layer_sizes' parameter"),
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"learning_rate_init": 0.0}, "'learning_rate_init' parameter"),
        ({"max_iter": 0}, "'max_iter' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
        ({"class_weight": "auto"}, "'class_weight' parameter"),
    ],
)
def test_invalid_hyperparameters(params, match):
    model = BNMLPClassifier(max_iter=2).set_params(**params)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)


def test_partial_fit_needs_classes_first_and_rejects_undeclared_ones():
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf().partial_fit(X, y)
    model = clf().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(
        ValueError,
        match=r"y has labels \[2\] that are not among the classes .* set up with, \[0, 1\]",
    ):
        model.partial_fit(X[:2], np.array([0, 2]))
    with pytest.raises(ValueError, match="classes=.*is not the same as on last call"):
        model.partial_fit(X, y, classes=[0, 1, 2])


def test_partial_fit_rejects_balanced_class_weight():
    with pytest.raises(
        ValueError, match="class_weight='balanced' is not supported by partial_fit"
    ):
        clf(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


def test_warm_start_with_other_classes_or_architecture():
    model = clf(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"y has labels \[2\] that are not among"):
        model.fit(X, np.where(y == 1, 2, y))
    with pytest.raises(ValueError, match=r"the same classes as the previous fit, \[0, 1\]"):
        model.fit(X[y == 0], y[y == 0])
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(8,\).*ask for \(4,\)"):
        model.set_params(hidden_layer_sizes=(4,)).fit(X, y)


@pytest.mark.parametrize("batch_norm", [True, False])
@pytest.mark.parametrize("dtype, lr", [(np.float64, 1e200), (np.float32, 1e30)])
def test_divergence_raises_and_leaves_the_estimator_unchanged(batch_norm, dtype, lr):
    data = X.astype(dtype)
    model = BNMLPClassifier((8, 8), batch_norm=batch_norm, learning_rate_init=lr, max_iter=5)
    with pytest.raises(ValueError, match="Training diverged: the loss became nan in epoch"):
        model.fit(data, y)
    with pytest.raises(NotFittedError):
        model.predict(data)

    model.set_params(learning_rate_init=1e-3, warm_start=True).fit(data, y)
    before = [c.copy() for c in model.coefs_], model.n_iter_, list(model.loss_curve_)
    with pytest.raises(ValueError, match="Training diverged"):
        model.set_params(learning_rate_init=lr).fit(data, y)
    assert all(np.array_equal(a, b) for a, b in zip(model.coefs_, before[0]))
    assert (model.n_iter_, model.loss_curve_) == before[1:]
    assert np.isfinite(model.predict_proba(data)).all()


def test_a_frame_with_string_or_category_columns_names_them_and_shows_the_fix():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "age": rng.normal(size=60),
            "colour": rng.choice(["red", "blue"], 60),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], 60)),
            "member": rng.random(60) > 0.5,
        }
    )
    y = np.arange(60) % 2
    with pytest.raises(ValueError, match=r"non-numeric columns \['colour', 'size'\]") as info:
        BNMLPClassifier(max_iter=2).fit(df, y)
    assert "ColumnTransformer" in str(info.value) and "OneHotEncoder" in str(info.value)
    # The fix the message shows works as written.
    model = make_pipeline(
        ColumnTransformer(
            [("categories", OneHotEncoder(handle_unknown="ignore"), ["colour", "size"])],
            remainder=StandardScaler(),
        ),
        BNMLPClassifier(max_iter=2, random_state=0),
    ).fit(df, y)
    assert model.predict(df).shape == (60,)
    numeric = BNMLPClassifier(max_iter=2, random_state=0).fit(df[["age", "member"]], y)
    wrong = df[["age", "colour"]].rename(columns={"colour": "member"})  # strings at predict
    with pytest.raises(ValueError, match=r"non-numeric columns \['member'\] \(dtype"):
        numeric.predict(wrong)
