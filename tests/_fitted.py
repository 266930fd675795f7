"""The fitted arrays that make a BNMLPClassifier's state, for tests that
compare two fits."""

from numpy.testing import assert_allclose

# Every fitted network array, in the order of the estimator's attributes.
STATE = (
    "coefs_",
    "intercepts_",
    "bn_scales_",
    "bn_shifts_",
    "bn_running_means_",
    "bn_running_vars_",
)


def assert_same_state(a, b, **tol):
    for name in STATE:
        for u, v in zip(getattr(a, name), getattr(b, name), strict=True):
            assert_allclose(u, v, **tol, err_msg=name)
