"""The NumPy engine's gradients of the whole network agree with finite differences."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skbn._plan import init_network
from skbn.engines import TrainingConfig
from skbn.engines._numpy import loss_and_gradients


def _config(activation, dropout=0.0, alpha=0.1, label_smoothing=0.0):
    return TrainingConfig(
        label_smoothing=label_smoothing,
        activation=activation,
        bn_momentum=0.1,
        bn_eps=1e-5,
        dropout=dropout,
        alpha=alpha,
        learning_rate=1e-3,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
    )


def _numeric_gradients(net, config, X, y, sw, masks, h=1e-6):
    grads = []
    for p in net.trainable():
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            plus = loss_and_gradients(net, config, X, y, sw, masks)[0]
            p[idx] = old - h
            minus = loss_and_gradients(net, config, X, y, sw, masks)[0]
            p[idx] = old
            g[idx] = (plus - minus) / (2 * h)
        grads.append(g)
    return grads


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("batch_norm", [True, False])
@pytest.mark.parametrize("rows", [7, 1])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
# A first layer narrower than the batch and its width goes through BN's
# linear form (linear_batchnorm_train); a wider one through the usual passes.
@pytest.mark.parametrize("sizes", [[5, 4, 3, 3], [3, 6, 4, 3]])
def test_network_gradients_match_finite_differences(
    activation, batch_norm, rows, dropout, weighted, label_smoothing, sizes
):
    rng = np.random.default_rng(42)
    net = init_network(0, sizes, activation, batch_norm, np.float64)
    # Non-zero intercepts: a row whose units all drop out would otherwise sit
    # exactly on ReLU's kink, where finite differences are meaningless.
    for b in net.intercepts:
        b += rng.normal(size=b.shape)
    if batch_norm:  # move BN away from its identity start so every term matters
        for arrays in (net.bn_scales, net.bn_shifts, net.bn_running_means):
            for a in arrays:
                a += rng.normal(size=a.shape)
        for a in net.bn_running_vars:
            a[:] = rng.uniform(0.5, 2, size=a.shape)
    X = rng.normal(size=(rows, sizes[0]))
    y = rng.integers(0, sizes[-1], size=rows)
    sw = rng.uniform(0.1, 3, size=rows) if weighted else None
    masks = None
    if dropout:
        keep = 1 - dropout
        masks = [(rng.random((rows, w)) < keep) / keep for w in sizes[1:-1]]
    config = _config(activation, dropout, label_smoothing=label_smoothing)

    loss, grads, _ = loss_and_gradients(net, config, X, y, sw, masks)
    numeric = _numeric_gradients(net, config, X, y, sw, masks)
    assert len(grads) == len(net.trainable())
    for analytic, expected in zip(grads, numeric):
        assert analytic.shape == expected.shape
        assert_allclose(analytic, expected, rtol=1e-5, atol=1e-7)


def test_loss_is_weighted_cross_entropy_plus_scaled_penalty():
    rng = np.random.default_rng(0)
    net = init_network(1, [3, 4, 2], "tanh", False, np.float64)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    sw = rng.uniform(0.5, 2, 6)
    alpha = 0.3
    loss, _, _ = loss_and_gradients(net, _config("tanh", alpha=alpha), X, y, sw, None)
    logits = np.tanh(X @ net.coefs[0] + net.intercepts[0]) @ net.coefs[1] + net.intercepts[1]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ce = -np.log(p[np.arange(6), y])
    penalty = sum((c**2).sum() for c in net.coefs)
    assert loss == pytest.approx((sw @ ce + alpha / 2 * penalty) / 6, rel=1e-12)


def test_the_logit_adjusted_loss_is_the_loss_of_shifted_output_intercepts():
    """Adding log(prior) to the logits in the loss is the plain loss of a network
    whose output intercepts are shifted by it: the same value and gradients."""
    from dataclasses import replace

    rng = np.random.default_rng(0)
    net = init_network(1, [3, 5, 3], "relu", True, np.float64)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 3, 8)
    offset = np.log([0.7, 0.2, 0.1])
    config = replace(_config("relu"), logit_offset=tuple(offset))
    loss, grads, _ = loss_and_gradients(net, config, X, y, None, None)
    shifted = init_network(1, [3, 5, 3], "relu", True, np.float64)
    shifted.intercepts[-1] = shifted.intercepts[-1] + offset
    loss2, grads2, _ = loss_and_gradients(shifted, _config("relu"), X, y, None, None)
    assert loss == pytest.approx(loss2, rel=1e-12)
    for a, b in zip(grads, grads2, strict=True):
        assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_label_smoothing_is_cross_entropy_with_the_smoothed_target():
    rng = np.random.default_rng(0)
    net = init_network(1, [3, 4, 3], "tanh", False, np.float64)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 3, 6)
    eps = 0.2
    loss, _, _ = loss_and_gradients(
        net, _config("tanh", alpha=0.0, label_smoothing=eps), X, y, None, None
    )
    logits = np.tanh(X @ net.coefs[0] + net.intercepts[0]) @ net.coefs[1] + net.intercepts[1]
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    target = np.full((6, 3), eps / 3)
    target[np.arange(6), y] += 1 - eps
    assert loss == pytest.approx(-(target * logp).sum() / 6, rel=1e-12)
