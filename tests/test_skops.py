"""skops' safe loading: a fitted model trusts no type but skbn's estimator."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification

sio = pytest.importorskip(
    "skops.io", reason="needs the 'skops' extra: pip install -e \".[skops]\""
)

from skbn import BalancedBNMLPClassifier, BNMLPClassifier  # noqa: E402


@pytest.mark.parametrize(
    "cls, params",
    [
        (BNMLPClassifier, dict()),
        (BNMLPClassifier, dict(batch_norm=False, class_weight={0: 1.0, 1: 3.0})),
        (
            BNMLPClassifier,
            dict(ensemble_size=3, early_stopping=True, scoring="balanced_accuracy"),
        ),
        # Enough members that every row has an out-of-bag prediction.
        (BalancedBNMLPClassifier, dict(n_members=32, oob_score=True)),
    ],
)
def test_skops_round_trip_trusts_only_the_estimator(tmp_path, cls, params):
    X, y = make_classification(n_samples=120, weights=[0.8], random_state=0)
    model = cls((8,), max_iter=12, random_state=0, backend="numpy", **params)
    model.fit(X, y)
    model.predict(X[:2])  # a model that has predicted saves the same way
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == [f"{cls.__module__}.{cls.__name__}"]
    loaded = sio.load(path, trusted=untrusted)
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    # Training continues from the loaded state as from the original.
    a = model.partial_fit(X, y).coefs_[0]
    b = loaded.partial_fit(X, y).coefs_[0]
    np.testing.assert_allclose(a, b, rtol=0, atol=0)
