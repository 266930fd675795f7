"""ONNX export through skl2onnx: onnxruntime reproduces predict and predict_proba."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

skl2onnx = pytest.importorskip(
    "skl2onnx", reason="needs the 'onnx' extra: pip install -e \".[onnx]\""
)
ort = pytest.importorskip(
    "onnxruntime", reason="needs the 'onnx' extra: pip install -e \".[onnx]\""
)

import skbn.onnx  # noqa: E402, F401  (registers the converter)
from skbn import BalancedBNMLPClassifier, BNMLPClassifier  # noqa: E402


def _data(n_classes, labels=None):
    X, y = make_classification(
        n_samples=300,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        weights=None if n_classes > 2 else [0.8],
        random_state=0,
    )
    X = (X * 3 + 1).astype(np.float32)
    if labels is not None:
        y = np.asarray(labels)[y]
    return X[:200], y[:200], X[200:]


def _run(onx, feeds):
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    label, proba = sess.run(None, feeds)
    return label, proba


def _check(model, X_fit, y_fit, X_test):
    model.fit(X_fit, y_fit)
    onx = skl2onnx.to_onnx(model, X_fit[:1], options={"zipmap": False})
    label, proba = _run(onx, {onx.graph.input[0].name: X_test})
    assert_allclose(proba, model.predict_proba(X_test), atol=1e-5)
    assert_array_equal(label, model.predict(X_test))


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("batch_norm", [True, False])
@pytest.mark.parametrize("ensemble_size", [1, 3])
def test_onnx_matches_the_estimator(n_classes, batch_norm, ensemble_size):
    X, y, X_test = _data(n_classes)
    model = BNMLPClassifier(
        (16, 8),
        batch_norm=batch_norm,
        ensemble_size=ensemble_size,
        max_iter=30,
        random_state=0,
        backend="numpy",
    )
    _check(model, X, y, X_test)


@pytest.mark.parametrize("activation", ["tanh", "logistic", "identity"])
def test_onnx_with_logit_adjustment_string_labels_and_other_activations(activation):
    X, y, X_test = _data(3, labels=["cat", "dog", "eel"])
    model = BNMLPClassifier(
        (8,),
        activation=activation,
        logit_adjustment=1.0,
        ensemble_size=2,
        max_iter=20,
        random_state=0,
        backend="numpy",
    )
    _check(model, X, y, X_test)


def test_onnx_in_a_pipeline_after_a_scaler_and_with_the_zipmap_output():
    X, y, X_test = _data(2)
    pipe = make_pipeline(
        StandardScaler(), BNMLPClassifier((8,), max_iter=20, random_state=0, backend="numpy")
    )
    _check(pipe, X, y, X_test)
    onx = skl2onnx.to_onnx(pipe, X[:1])  # default options: probabilities as a ZipMap
    label, proba = _run(onx, {onx.graph.input[0].name: X_test[:3]})
    assert set(proba[0]) == {0, 1}
    assert_allclose([p[1] for p in proba], pipe.predict_proba(X_test[:3])[:, 1], atol=1e-5)


def test_onnx_after_a_column_transformer_with_one_hot_encoding():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    X, y, X_test = _data(2)
    colours = np.array(["red", "green", "blue"])

    def frame(A, offset):
        df = pd.DataFrame(A[:, :3], columns=["a", "b", "c"])
        df["colour"] = colours[(np.arange(len(A)) + offset) % 3]
        return df

    df, df_test = frame(X, 0), frame(X_test, 1)
    pipe = make_pipeline(
        ColumnTransformer(
            [
                ("num", StandardScaler(), ["a", "b", "c"]),
                ("cat", OneHotEncoder(sparse_output=False), ["colour"]),
            ]
        ),
        BNMLPClassifier((8,), max_iter=20, random_state=0, backend="numpy"),
    ).fit(df, y)
    onx = skl2onnx.to_onnx(pipe, df[:1], options={"zipmap": False})
    feeds = {
        col: df_test[[col]].to_numpy().astype(np.float32 if col != "colour" else object)
        for col in df_test.columns
    }
    label, proba = _run(onx, feeds)
    assert_allclose(proba, pipe.predict_proba(df_test), atol=1e-5)
    assert_array_equal(label, pipe.predict(df_test))


def test_onnx_of_the_recommended_setting_with_its_smooth_clip_scaler():
    from skbn import SmoothClipScaler

    X, y, X_test = _data(2)
    X_test = np.vstack([X_test, X_test[:5] * 100])  # outliers: the clip is active
    pipe = make_pipeline(
        SmoothClipScaler(),
        BalancedBNMLPClassifier(max_iter=10, random_state=0),
    )
    _check(pipe, X, y, X_test)
    scaler = pipe[0]
    onx = skl2onnx.to_onnx(scaler, X[:1])
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    (out,) = sess.run(None, {onx.graph.input[0].name: X_test})
    assert_allclose(out, scaler.transform(X_test), atol=1e-5)


@pytest.mark.parametrize("prior", ["frequencies", "balanced", [0.2, 0.3, 0.5]])
def test_onnx_follows_the_prior_set_after_fit(prior):
    X, y, X_test = _data(3)
    model = BalancedBNMLPClassifier((8,), n_members=3, max_iter=10, random_state=0)
    model.fit(X, y)
    model.set_params(prior=prior)  # no refit: the export reads it, as predict does
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
    label, proba = _run(onx, {onx.graph.input[0].name: X_test})
    assert_allclose(proba, model.predict_proba(X_test), atol=1e-5)
    assert_array_equal(label, model.predict(X_test))


def test_onnx_weighs_the_members_as_predict_proba_does():
    X, y, X_test = _data(2)
    model = BalancedBNMLPClassifier((8,), n_members=3, n_fold_members=2, max_iter=10)
    model.set_params(random_state=0).fit(X, y)
    # Weights the fit might give, made uneven so that a plain mean would differ.
    model.member_weights_ = np.array([0.1, 0.1, 0.1, 0.5, 0.2])
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
    label, proba = _run(onx, {onx.graph.input[0].name: X_test})
    assert_allclose(proba, model.predict_proba(X_test), atol=1e-5)
    assert not np.allclose(proba, model.predict_member_proba(X_test).mean(axis=0), atol=1e-3)
    assert_array_equal(label, model.predict(X_test))
