"""The input transforms: what they compute, as properties."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from skbn import PiecewiseLinearEncoder, SmoothClipScaler

columns = arrays(
    np.float64,
    st.tuples(st.integers(5, 40), st.integers(1, 3)),
    elements=st.floats(-1e3, 1e3, allow_subnormal=False),
)


@given(columns)
def test_smooth_clip_is_bounded_monotone_and_centred(X):
    scaler = SmoothClipScaler(clip=3.0).fit(X)
    Z = scaler.transform(X)
    assert np.all(np.abs(Z) < 3.0 + 1e-12)
    for j in range(X.shape[1]):  # order is kept within each feature
        order = np.argsort(X[:, j], kind="stable")
        assert np.all(np.diff(Z[order, j]) >= -1e-12)
    assert_allclose(scaler.transform(scaler.center_[None]), 0.0, atol=1e-12)


def test_smooth_clip_is_nearly_the_identity_near_the_centre_and_handles_constants():
    X = np.column_stack([np.linspace(-1, 1, 101), np.full(101, 7.0)])
    scaler = SmoothClipScaler(clip=100.0).fit(X)
    assert_allclose(scaler.scale_, [1.0, 1.0])  # IQR of the first, constant second
    Z = scaler.transform(X)
    assert_allclose(Z[:, 0], X[:, 0], atol=1e-4)
    assert np.all(Z[:, 1] == 0)


@given(columns, st.integers(1, 8))
def test_piecewise_linear_encoding_inverts_to_the_value(X, n_bins):
    enc = PiecewiseLinearEncoder(n_bins=n_bins).fit(X)
    E = enc.transform(X)
    assert E.shape[1] == len(enc.get_feature_names_out())
    start = 0
    for j, edges in enumerate(enc.bin_edges_):
        if len(edges) == 1:
            assert np.all(E[:, start] == 0)
            start += 1
            continue
        block = E[:, start : start + len(edges) - 1]
        start += len(edges) - 1
        # A thermometer: within the training range every entry is in [0, 1] and
        # the value is the first edge plus the bins' filled widths.
        assert np.all((block >= -1e-12) & (block <= 1 + 1e-12))
        assert np.all(np.diff(block, axis=1) <= 1e-12)
        assert_allclose(edges[0] + block @ np.diff(edges), X[:, j], rtol=1e-9, atol=1e-9)
    assert start == E.shape[1]


def test_piecewise_linear_encoding_extrapolates_outside_the_training_range():
    enc = PiecewiseLinearEncoder(n_bins=2).fit(np.arange(5.0)[:, None])
    assert_allclose(enc.transform([[-2.0], [6.0]]), [[-1.0, 0.0], [1.0, 2.0]])
