"""Property tests of the BN maths (skbn._batchnorm) with Hypothesis."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skbn import BalancedBNMLPClassifier, BNMLPClassifier
from skbn._batchnorm import (
    batchnorm_backward,
    batchnorm_eval,
    batchnorm_train,
    fold_batchnorm,
    linear_batchnorm_backward,
    linear_batchnorm_train,
    update_running_stats,
)

EPS = 1e-5
finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@st.composite
def batches(draw, min_rows=2, max_rows=24, min_var=1e-2):
    """A float64 batch whose every column varies (biased variance >= min_var).

    Rows 0 and 1 differ by at least 3 in every column, so each column's biased
    variance is at least 3**2 / (2 * rows) >= 0.18 without filtering.
    """
    rows = draw(st.integers(min_rows, max_rows))
    cols = draw(st.integers(1, 6))
    x = draw(arrays(np.float64, (rows, cols), elements=finite))
    gap = draw(arrays(np.float64, cols, elements=st.floats(3, 100)))
    x[1] = np.clip(x[0] + gap, -100, 100)
    x[1] = np.where(x[1] - x[0] < 3, x[0] - gap, x[1])
    assume(np.all(x.var(axis=0) >= min_var))
    return x


def affine(draw, n):
    gamma = draw(arrays(np.float64, n, elements=st.floats(-3, 3)))
    beta = draw(arrays(np.float64, n, elements=st.floats(-3, 3)))
    return gamma, beta


def stats(n):
    return np.zeros(n), np.ones(n)


@given(batches())
def test_train_output_has_zero_mean_and_unit_variance(x):
    n = x.shape[1]
    out, mean, var, _ = batchnorm_train(x, np.ones(n), np.zeros(n), *stats(n), EPS)
    assert_allclose(out.mean(axis=0), 0, atol=1e-9)
    v = x.var(axis=0)
    assert_allclose(out.var(axis=0), v / (v + EPS), rtol=1e-9)
    assert_allclose(mean, x.mean(axis=0), rtol=1e-12, atol=1e-12)
    assert_allclose(var, v, rtol=1e-9)  # biased


@given(st.data())
def test_affine_step_is_exactly_gamma_xhat_plus_beta(data):
    x = data.draw(batches())
    n = x.shape[1]
    gamma, beta = affine(data.draw, n)
    xhat, *_ = batchnorm_train(x, np.ones(n), np.zeros(n), *stats(n), EPS)
    out, *_ = batchnorm_train(x, gamma, beta, *stats(n), EPS)
    assert_array_equal(out, gamma * xhat + beta)


@given(st.data())
def test_train_mode_is_invariant_to_per_feature_scale_and_shift(data):
    x = data.draw(batches(min_var=1e-1))
    n = x.shape[1]
    scale = data.draw(arrays(np.float64, n, elements=st.floats(0.1, 100)))
    shift = data.draw(arrays(np.float64, n, elements=finite))
    gamma, beta = affine(data.draw, n)
    out, *_ = batchnorm_train(x, gamma, beta, *stats(n), EPS)
    moved, *_ = batchnorm_train(x * scale + shift, gamma, beta, *stats(n), EPS)
    # Only eps breaks exact invariance: it rescales each column of xhat by a
    # factor within eps / (2 * min var * min scale**2) = 5e-3 of 1, so compare
    # gamma * xhat (beta would hide the relative error where out is near 0).
    assert_allclose(moved - beta, out - beta, rtol=1e-2, atol=1e-9)


@given(
    st.lists(batches(max_rows=12), min_size=1, max_size=5).filter(
        lambda bs: len({b.shape[1] for b in bs}) == 1
    ),
    st.floats(0, 1),
)
def test_running_statistics_follow_the_momentum_formula(sequence, momentum):
    n = sequence[0].shape[1]
    running_mean, running_var = stats(n)
    expected_mean, expected_var = stats(n)
    for x in sequence:
        _, mean, var, _ = batchnorm_train(
            x, np.ones(n), np.zeros(n), running_mean, running_var, EPS
        )
        update_running_stats(running_mean, running_var, mean, var, len(x), momentum)
        expected_mean = (1 - momentum) * expected_mean + momentum * x.mean(axis=0)
        expected_var = (1 - momentum) * expected_var + momentum * x.var(axis=0, ddof=1)
    assert_allclose(running_mean, expected_mean, rtol=1e-10, atol=1e-10)
    assert_allclose(running_var, expected_var, rtol=1e-10, atol=1e-10)


@st.composite
def eval_problem(draw):
    x = draw(arrays(np.float64, st.tuples(st.integers(1, 16), st.integers(1, 6)), elements=finite))
    n = x.shape[1]
    gamma, beta = affine(draw, n)
    mean = draw(arrays(np.float64, n, elements=finite))
    var = draw(arrays(np.float64, n, elements=st.floats(0, 100)))
    return x, gamma, beta, mean, var


@given(eval_problem(), st.randoms(use_true_random=False))
def test_eval_mode_is_deterministic_and_row_independent(problem, rnd):
    x, gamma, beta, mean, var = problem
    out = batchnorm_eval(x, gamma, beta, mean, var, EPS)
    assert_array_equal(out, batchnorm_eval(x, gamma, beta, mean, var, EPS))
    order = list(range(len(x)))
    rnd.shuffle(order)
    assert_array_equal(batchnorm_eval(x[order], gamma, beta, mean, var, EPS), out[order])
    for i in range(len(x)):
        assert_array_equal(
            batchnorm_eval(x[i : i + 1], gamma, beta, mean, var, EPS), out[i : i + 1]
        )


@given(eval_problem())
def test_a_one_row_training_batch_uses_the_running_statistics(problem):
    x, gamma, beta, mean, var = problem
    row = x[:1]
    out, batch_mean, batch_var, cache = batchnorm_train(row, gamma, beta, mean, var, EPS)
    assert_allclose(out, batchnorm_eval(row, gamma, beta, mean, var, EPS), rtol=1e-12, atol=1e-12)
    assert batch_mean is None and batch_var is None
    running_mean, running_var = mean.copy(), var.copy()
    update_running_stats(running_mean, running_var, batch_mean, batch_var, 1, 0.1)
    assert_array_equal(running_mean, mean)
    assert_array_equal(running_var, var)
    dout = np.ones_like(row)
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    assert_allclose(dx, gamma / np.sqrt(var + EPS) * dout)


@given(eval_problem())
def test_folding_into_the_linear_layer_matches_linear_then_eval_bn(problem):
    x, gamma, beta, mean, var = problem
    rng = np.random.default_rng(0)
    coef = rng.normal(size=(x.shape[1], x.shape[1]))
    intercept = rng.normal(size=x.shape[1])
    folded_coef, folded_intercept = fold_batchnorm(coef, intercept, gamma, beta, mean, var, EPS)
    expected = batchnorm_eval(x @ coef + intercept, gamma, beta, mean, var, EPS)
    assert_allclose(x @ folded_coef + folded_intercept, expected, rtol=1e-7, atol=1e-6)


@given(st.data())
def test_backward_matches_finite_differences(data):
    x = data.draw(batches(max_rows=8, min_var=1e-1))
    n = x.shape[1]
    gamma, beta = affine(data.draw, n)
    weights = np.random.default_rng(len(x)).normal(size=x.shape)

    def loss(x, gamma, beta):
        out, *_ = batchnorm_train(x, gamma, beta, *stats(n), EPS)
        return np.sum(out * weights)

    _, _, _, cache = batchnorm_train(x, gamma, beta, *stats(n), EPS)
    dx, dgamma, dbeta = batchnorm_backward(weights, cache)
    for analytic, arg in ((dx, 0), (dgamma, 1), (dbeta, 2)):
        args = [x, gamma, beta]
        numeric = np.zeros_like(args[arg])
        for idx in np.ndindex(numeric.shape):
            h = 1e-6 * max(1.0, abs(args[arg][idx]))
            plus = [a.copy() for a in args]
            minus = [a.copy() for a in args]
            plus[arg][idx] += h
            minus[arg][idx] -= h
            numeric[idx] = (loss(*plus) - loss(*minus)) / (2 * h)
        assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-5)


@given(st.data())
def test_linear_form_equals_the_product_then_bn(data):
    """BN of ``x @ coef`` through the input's covariance gives what the
    product followed by batchnorm_train gives: output, statistics and, with
    ``x.T @ dz`` for the weights, the gradients -- single network, members
    with their own rows, and members sharing them."""
    x = data.draw(batches(max_rows=12))
    layout = data.draw(st.sampled_from(["single", "own rows", "shared rows"]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    m, fan_in = x.shape
    units = data.draw(st.integers(1, 5))
    lead = () if layout == "single" else (3,)
    if layout == "own rows":
        x = np.stack([x, x[::-1] * 2.0 + 1.0, rng.permutation(x)])
    coef = rng.normal(size=(*lead, fan_in, units))
    gamma, beta = rng.normal(size=(2, *lead, units))
    dout = rng.normal(size=(*lead, m, units))

    out, mean, var, cache = linear_batchnorm_train(x, coef, gamma, beta, EPS)
    z = x @ coef
    running = np.zeros((*lead, units)), np.ones((*lead, units))
    expected, expected_mean, expected_var, bn_cache = batchnorm_train(
        z, gamma, beta, *running, EPS
    )
    assert_allclose(out, expected, rtol=1e-9, atol=1e-9)
    assert_allclose(mean, expected_mean, rtol=1e-9, atol=1e-9)
    assert_allclose(var, expected_var, rtol=1e-9, atol=1e-9)

    dcoef, dgamma, dbeta = linear_batchnorm_backward(dout, cache)
    dz, expected_dgamma, expected_dbeta = batchnorm_backward(dout, bn_cache)
    assert_allclose(dgamma, expected_dgamma, rtol=1e-9, atol=1e-9)
    assert_allclose(dbeta, expected_dbeta, rtol=1e-9, atol=1e-9)
    assert_allclose(dcoef, np.swapaxes(x, -1, -2) @ dz, rtol=1e-9, atol=1e-8)


@pytest.mark.parametrize("momentum", [0.0, 0.1, 0.5, 1.0])
def test_conventions_match_torch_batchnorm1d(momentum):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    n = 5
    layer = torch.nn.BatchNorm1d(n, eps=EPS, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(rng.normal(size=n)))
        layer.bias.copy_(torch.from_numpy(rng.normal(size=n)))
    gamma, beta = layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy()
    running_mean, running_var = stats(n)
    for rows in (7, 2, 13):
        x = rng.normal(3, 2, size=(rows, n))
        expected = layer.train()(torch.from_numpy(x)).detach().numpy()
        out, mean, var, _ = batchnorm_train(x, gamma, beta, running_mean, running_var, EPS)
        update_running_stats(running_mean, running_var, mean, var, rows, momentum)
        assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert_allclose(running_mean, layer.running_mean.numpy(), rtol=1e-12)
    assert_allclose(running_var, layer.running_var.numpy(), rtol=1e-12)
    x = rng.normal(size=(4, n))
    expected = layer.eval()(torch.from_numpy(x)).detach().numpy()
    assert_allclose(
        batchnorm_eval(x, gamma, beta, running_mean, running_var, EPS), expected, rtol=1e-12
    )


def _eval_forward(model, X):
    """The eval-mode network written out from the fitted arrays, BN unfolded:
    ``(z - running mean) / sqrt(running var + eps) * scale + shift`` after each
    hidden product, then the activation; the members' softmaxes averaged with
    their weights (kinds of members weigh what the fit decided)."""
    act = {
        "relu": lambda z: np.maximum(z, 0),
        "tanh": np.tanh,
        "logistic": lambda z: 1 / (1 + np.exp(-z)),
        "identity": lambda z: z,
    }[model.activation]
    members = [c[None] if c.ndim == 2 else c for c in model.coefs_]
    probas = []
    for j in range(members[0].shape[0]):
        a = X
        for i, coef in enumerate(members):

            def take(arrays):
                return arrays[i] if arrays[i].ndim == 1 else arrays[i][j]

            z = a @ coef[j] + take(model.intercepts_)
            if i == len(members) - 1:
                break
            if model.batch_norm:
                z = (z - take(model.bn_running_means_)) / np.sqrt(
                    take(model.bn_running_vars_) + model.bn_eps
                ) * take(model.bn_scales_) + take(model.bn_shifts_)
            a = act(z)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        probas.append(e / e.sum(axis=1, keepdims=True))
    return np.average(probas, axis=0, weights=getattr(model, "member_weights_", None))


@pytest.mark.parametrize(
    "make",
    [
        lambda: BNMLPClassifier((8, 5), activation="tanh", max_iter=3, random_state=0),
        lambda: BNMLPClassifier((6,), batch_norm=False, max_iter=3, random_state=0),
        lambda: BalancedBNMLPClassifier(
            (8, 4), n_members=3, max_iter=3, random_state=0, dtype="float64"
        ),
    ],
)
def test_predict_proba_is_the_eval_mode_forward_pass_with_bn_folded(make):
    from sklearn.datasets import make_classification

    X, y = make_classification(200, n_features=6, n_classes=3, n_informative=4, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model = make().fit(X, y)
    assert_allclose(model.predict_proba(X), _eval_forward(model, X), rtol=1e-10, atol=1e-13)
