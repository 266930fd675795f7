"""The torch engine walks the NumPy engine's path: parity, devices, imports."""

import subprocess
import sys

import numpy as np
import pytest
from _fitted import STATE, assert_same_state, draw_estimator_params, drawn_sizes, estimator
from _torchless import BLOCK_TORCH
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from skbn import BNMLPClassifier

torch = pytest.importorskip("torch")

# Parity tolerances, with an absolute term in units of one Adam step (lr).
# float64: rtol 1e-6 + 1e-5 steps; the largest difference measured over 800
# draws was 1.3e-6 steps (rounding, amplified by Adam). Batches of 2 rows are
# left out: BN maps any two distinct rows to about +-1, so the gradient that
# reaches earlier layers is of the order of eps and of rounding, in either
# dtype, and Adam turns it into full steps (0.6 steps apart seen in float64).
# float32: within rtol 1e-4 plus 1e-2 of one Adam step
# (1e-2 * lr) for parameters near 0: where a parameter's gradient is itself
# near 0 (a BN shift in a layer narrower than the classes, say), Adam's
# normalised step turns float32 rounding into a visible fraction of a step
# (measured: up to 3e-3 of a step in about 1 of 500 random configurations).
# A wrong term of a gradient moves a parameter by whole steps, far beyond
# this. float32 is checked on well-conditioned
# configurations only (batches of >= 8 rows, a non-identity activation): with
# tiny batches or an identity network BN's input gradients cancel almost
# exactly, Adam turns the float32 rounding noise into full steps, and the NumPy
# engine in float32 then moves as far from its own float64 result as from the
# torch engine (measured: up to ~7 Adam steps either way), so there is no
# float32 answer to agree on. float64 covers those configurations.
TOL = {np.float64: {"rtol": 1e-6, "atol": 1e-5}, np.float32: {"rtol": 1e-4, "atol": 1e-2}}
ACTIVATIONS = ["relu", "tanh", "logistic", "identity"]


@st.composite
def problems(draw, min_batch=2, activations=ACTIVATIONS):
    n_classes = draw(st.integers(2, 4))
    batch_size = draw(st.integers(min_batch, 16))
    n_batches = draw(st.integers(1, 4))
    n = batch_size * n_batches + draw(st.sampled_from([0, 1, 2]))  # remainders of 1 too
    n = max(n, 4 * n_classes)
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, draw(st.integers(2, 6))))
    y = np.arange(n) % n_classes
    rng.shuffle(y)
    X[:, 0] += y  # something to learn
    class_weight = draw(st.sampled_from([None, "balanced", "dict"]))
    if class_weight == "dict":
        class_weight = {c: float(rng.uniform(0.2, 3)) for c in range(n_classes)}
    params = dict(
        hidden_layer_sizes=tuple(draw(st.lists(st.integers(2, 8), min_size=1, max_size=3))),
        activation=draw(st.sampled_from(activations)),
        batch_norm=draw(st.booleans()),
        class_weight=class_weight,
        dropout=draw(st.sampled_from([0.0, 0.3])),
        alpha=draw(st.sampled_from([0.0, 1e-3])),
        batch_size=batch_size,
        early_stopping=draw(st.booleans()),
        batch_sampler=draw(st.sampled_from(["random", "stratified", "balanced"])),
        validation_fraction=0.25,
        learning_rate_init=draw(st.sampled_from([1e-3, 1e-2])),
        max_iter=3,
        random_state=seed,
        ensemble_size=draw(st.sampled_from([1, 1, 2, 3])),
        label_smoothing=draw(st.sampled_from([0.0, 0.0, 0.2])),
        weight_decay=draw(st.sampled_from([0.0, 0.0, 0.5])),
        lr_schedule=draw(st.sampled_from(["constant", "cosine"])),
    )
    params = draw_estimator_params(draw, st, params)
    sample_weight = rng.uniform(0.1, 2, n) if draw(st.booleans()) else None
    return X, y, sample_weight, params


def check_parity(problem, dtype):
    X, y, sample_weight, params = problem
    X = X.astype(dtype)
    params = {**params, "dtype": dtype.__name__}  # the balanced ensemble's default is float32
    fitted = {
        backend: estimator({**params, "backend": backend}).fit(X, y, sample_weight=sample_weight)
        for backend in ("numpy", "torch")
    }
    # Early stopping keeps the epoch with the best validation score, a
    # discrete choice: in float32 two nearly equal epochs can swap places,
    # and the kept states are then whole epochs apart.
    scores = [fitted[b].validation_scores_ for b in ("numpy", "torch")]
    assume(
        dtype is np.float64 or scores[0] is None or np.argmax(scores[0]) == np.argmax(scores[1])
    )
    # A network whose last hidden layer is dead on every row predicts the same
    # probabilities everywhere: its true gradient is zero but for the output
    # intercepts' sum of (p - y), zero up to rounding, and Adam divides that
    # rounding by its own square root, a step of up to a third of the step size
    # per epoch in float32 whose sign is the rounding's. Nothing to compare there.
    proba = fitted["numpy"].predict_proba(X)
    assume(dtype is np.float64 or np.ptp(proba, axis=0).max() > 1e-6)
    tol = dict(TOL[dtype])
    tol["atol"] *= params["learning_rate_init"]  # in units of one Adam step
    assert_same_state(fitted["numpy"], fitted["torch"], **tol)
    assert fitted["numpy"].n_iter_ == fitted["torch"].n_iter_
    assert_allclose(fitted["numpy"].loss_curve_, fitted["torch"].loss_curve_, rtol=1e-5)
    # Predictions agree wherever the top two classes are not tied to rounding
    # (a network with dead units can give every row the same near-tie).
    proba = np.sort(fitted["numpy"].predict_proba(X), axis=1)
    clear = proba[:, -1] - proba[:, -2] > 1e-6
    assert_array_equal(fitted["numpy"].predict(X)[clear], fitted["torch"].predict(X)[clear])


@drawn_sizes
@settings(max_examples=40)
@given(problems(min_batch=3))
def test_engines_reach_the_same_state_in_float64(problem):
    check_parity(problem, np.float64)


@drawn_sizes
@settings(max_examples=40)
@given(problems(min_batch=8, activations=["relu", "tanh", "logistic"]))
def test_engines_reach_the_same_state_in_float32(problem):
    check_parity(problem, np.float32)


@drawn_sizes
@settings(max_examples=25)
@given(problems(min_batch=3))
def test_the_public_fallbacks_of_private_torch_ops_walk_the_same_path(problem):
    """Where a torch release lacks a private kernel (torch._foreach_*, the
    fused Adam, native_batch_norm and its backward, the activation backward
    kernels), the engine uses public operations; forced here."""
    from unittest import mock

    from skbn.engines import _torch

    assert _torch.PRIVATE_OPS  # torch 2.13 has them all: the fallback is forced
    with mock.patch.object(_torch, "PRIVATE_OPS", False):
        check_parity(problem, np.float64)


X, y = make_classification(
    n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0
)


def clf(**params):
    params = {
        "hidden_layer_sizes": (16, 8),
        "max_iter": 4,
        "batch_size": 32,
        "tol": 0.0,
        "random_state": 0,
        **params,
    }
    return BNMLPClassifier(**params)


def test_torch_engine_is_bitwise_reproducible():
    a = clf(backend="torch", dropout=0.2).fit(X.astype(np.float32), y)
    b = clf(backend="torch", dropout=0.2).fit(X.astype(np.float32), y)
    for name in STATE:
        for u, v in zip(getattr(a, name), getattr(b, name)):
            assert_array_equal(u, v)


@pytest.mark.parametrize("first, second", [("numpy", "torch"), ("torch", "numpy")])
def test_partial_fit_continues_the_same_path_across_engines(first, second):
    reference = clf(backend=first, dropout=0.2)
    switched = clf(backend=first, dropout=0.2)
    for model in (reference, switched):
        model.partial_fit(X, y, classes=[0, 1, 2])
        model.partial_fit(X, y)
    switched.set_params(backend=second)
    for _ in range(2):
        reference.partial_fit(X, y)
        switched.partial_fit(X, y)
    assert_same_state(reference, switched, rtol=1e-9, atol=1e-12)
    assert reference.n_iter_ == switched.n_iter_ == 4


def test_warm_start_on_the_torch_engine_matches_numpy():
    models = {b: clf(backend=b, warm_start=True) for b in ("numpy", "torch")}
    for model in models.values():
        model.fit(X, y)
        model.fit(X, y)
        assert model.n_iter_ == 8
    assert_same_state(models["numpy"], models["torch"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("fused", [True, False])
def test_both_adam_kernels_of_the_torch_engine_match_numpy(monkeypatch, fused):
    from skbn.engines import _torch

    if fused and not _torch._fused_adam_runs(_torch.resolve_device("cpu")):
        pytest.skip("no fused Adam kernel in this torch build")
    monkeypatch.setattr(_torch, "_fused_adam_runs", lambda device: fused)
    params = {"alpha": 1e-2, "dropout": 0.2}  # the penalty goes through the kernel
    reference = clf(backend="numpy", **params).fit(X, y)
    model = clf(backend="torch", **params).fit(X, y)
    assert_same_state(reference, model, rtol=1e-9, atol=1e-12)
    assert_allclose(model.loss_curve_, reference.loss_curve_, rtol=1e-12)


def test_fitted_state_is_numpy_and_prediction_needs_no_torch():
    model = clf(backend="torch").fit(X, y)
    arrays = [a for name in STATE for a in getattr(model, name)]
    assert all(type(a) is np.ndarray for a in arrays)
    assert not any(isinstance(v, torch.Tensor) for v in vars(model).values())


def test_unavailable_devices_are_clear_errors():
    with pytest.raises(ValueError, match="not a torch device"):
        clf(backend="torch", device="nonsense").fit(X, y)
    with pytest.raises(ValueError, match="needs the torch backend"):
        clf(backend="numpy", device="cuda").fit(X, y)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="torch finds no CUDA device"):
            clf(backend="torch", device="cuda").fit(X, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    cpu = clf(backend="torch").fit(X, y)
    gpu = clf(backend="torch", device="cuda").fit(X, y)
    assert_same_state(cpu, gpu, rtol=1e-7, atol=1e-9)


def test_grid_search_in_parallel_on_the_torch_engine():
    grid = {"batch_norm": [True, False], "class_weight": [None, "balanced"]}
    search = GridSearchCV(clf(backend="torch"), grid, cv=3, n_jobs=2, error_score="raise")
    search.fit(X, y)
    sequential = GridSearchCV(clf(backend="torch"), grid, cv=3, n_jobs=1).fit(X, y)
    assert_allclose(
        search.cv_results_["mean_test_score"], sequential.cv_results_["mean_test_score"]
    )


def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_numpy_backend_never_imports_torch():
    code = """
import sys
import skbn
assert "torch" not in sys.modules, "import skbn imported torch"
from sklearn.datasets import make_classification
X, y = make_classification(random_state=0)
skbn.BNMLPClassifier(max_iter=2, backend="numpy").fit(X, y).predict(X)
assert "torch" not in sys.modules, "backend='numpy' imported torch"
"""
    result = _run(code)
    assert result.returncode == 0, result.stderr


def test_without_torch_auto_falls_back_and_torch_says_how_to_install():
    code = (
        BLOCK_TORCH
        + """
import skbn
from sklearn.datasets import make_classification
X, y = make_classification(random_state=0)
# Work for which auto takes torch where it is installed (7 M multiply-adds a step).
model = skbn.BNMLPClassifier((256, 256), max_iter=1).fit(X, y)
assert model.backend_ == "numpy", model.backend_
try:
    skbn.BNMLPClassifier(max_iter=2, backend="torch").fit(X, y)
except ImportError as exc:
    print(exc)
"""
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert 'pip install -e ".[torch]"' in result.stdout


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_cuda_fit_predicts_with_neither_gpu_nor_torch(tmp_path):
    import os
    import pickle

    model = clf(backend="torch", device="cuda", ensemble_size=3).fit(X, y)
    cpu = clf(backend="torch", ensemble_size=3).fit(X, y)
    assert_same_state(cpu, model, rtol=1e-7, atol=1e-9)
    assert all(type(c) is np.ndarray for c in model.coefs_)
    (tmp_path / "m.pkl").write_bytes(pickle.dumps(model))
    np.save(tmp_path / "X.npy", X)
    code = (
        BLOCK_TORCH
        + f"""
import pickle, numpy as np
model = pickle.loads(open({str(tmp_path / "m.pkl")!r}, "rb").read())
np.save({str(tmp_path / "p.npy")!r}, model.predict_proba(np.load({str(tmp_path / "X.npy")!r})))
assert "torch" not in sys.modules
"""
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    assert_array_equal(np.load(tmp_path / "p.npy"), model.predict_proba(X))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("params", [{}, {"dropout": 0.2, "ensemble_size": 3, "weight_decay": 0.1}])
def test_cuda_graphs_replay_the_eager_steps_exactly(monkeypatch, params):
    from skbn.engines import _torch as torch_engine

    X32 = X.astype(np.float32)  # graphs are used for float32 models
    graphed = clf(backend="torch", device="cuda", lr_schedule="cosine", **params).fit(X32, y)
    original = torch_engine.TorchEngine.__init__

    def eager_only(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self._use_graphs = False

    monkeypatch.setattr(torch_engine.TorchEngine, "__init__", eager_only)
    eager = clf(backend="torch", device="cuda", lr_schedule="cosine", **params).fit(X32, y)
    assert_same_state(graphed, eager, rtol=0, atol=0)
    assert graphed.loss_curve_ == eager.loss_curve_
