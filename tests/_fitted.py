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


# Parameters of BNMLPClassifier that the balanced estimator does not take:
# its members are balanced already, and it has no validation split.
_NOT_BALANCED = (
    "class_weight",
    "batch_sampler",
    "logit_adjustment",
    "validation_fraction",
    "scoring",
    "ensemble_size",
    "member_batches",
)


def draw_estimator_params(draw, st, params):
    """Turn a strategy's BNMLPClassifier ``params`` into those of one of the two
    estimators: a third of the draws are the balanced ensemble (its own member
    count and replacement), the rest a BNMLPClassifier whose imbalance remedies
    are not stacked."""
    if draw(st.integers(0, 2)) == 0:
        kept = {k: v for k, v in params.items() if k not in _NOT_BALANCED}
        return {
            **kept,
            "n_members": draw(st.sampled_from([1, 2, 3])),
            "replacement": draw(st.booleans()),
            # Unequal class counts in a member, weighted back to balance.
            "sampling_strategy": draw(st.sampled_from([1.0, 1.0, 0.5])),
            "min_class_rows": draw(st.sampled_from([1, 1, 6])),
            # X's dtype, as the single network: the checks' tolerances are float64's.
            "dtype": None,
        }
    params = dict(params)
    if params.get("batch_sampler") == "balanced":
        params["class_weight"] = None
    elif params.get("class_weight") is None:
        params["loss"] = draw(st.sampled_from(["log_loss", "logit_adjusted"]))
    params["member_batches"] = draw(st.sampled_from(["shared", "independent"]))
    return params


def estimator(params):
    """The estimator that ``params`` (from draw_estimator_params) are for."""
    from skbn import BalancedBNMLPClassifier, BNMLPClassifier

    cls = BalancedBNMLPClassifier if "n_members" in params else BNMLPClassifier
    return cls(**params)


def drawn_sizes(test):
    """For a property test over drawn problems: they are tiny on purpose, so
    batches larger than the data and members that hold every row are among
    them, and the estimator says so each time."""
    import pytest

    for message in (
        "batch_size=.* is larger than",
        "early_stopping found no out-of-bag rows",
        ".* rows are in every member's subset",
    ):
        test = pytest.mark.filterwarnings(f"ignore:{message}:UserWarning")(test)
    return test
