"""Fingerprints of fitted models: one SHA-256 per configuration and engine.

A refactoring that must leave training unchanged is checked by running this
script on the code before and after and comparing the lines::

    git worktree add /tmp/before <commit>
    PYTHONPATH=/tmp/before python benchmarks/fingerprints.py > before.txt
    python benchmarks/fingerprints.py > after.txt
    diff before.txt after.txt   # no output: every fitted array is the same

Each hash covers every fitted attribute (the names ending in ``_``, with the
optimizer's state and the accumulated class masses) and ``predict_proba`` on
the training rows, bit for bit. The configurations cover each remedy, both
estimators, both engines, sparse and float32 input, ``partial_fit``,
``warm_start`` and both kinds of early stopping.
"""

import functools
import hashlib
import sys
import warnings

import numpy as np
from scipy import sparse
from sklearn.datasets import make_classification

import skbn
from skbn import BalancedBNMLPClassifier, BNMLPClassifier, effective_number_weights

SMALL = dict(hidden_layer_sizes=(16, 8), max_iter=12, random_state=3, n_threads=1)


def _data(n_classes=2):
    weights = [0.85] if n_classes == 2 else [0.7, 0.22]
    X, y = make_classification(
        n_samples=400,
        n_features=10,
        n_informative=6,
        n_classes=n_classes,
        weights=weights,
        random_state=0,
    )
    return X, y


def _fit(make, X, y, **fit_params):
    return make().fit(X, y, **fit_params), X


def _partial(make, X, y):
    model = make()
    for chunk in np.array_split(np.arange(len(y)), 3):
        model.partial_fit(X[chunk], y[chunk], classes=np.unique(y))
    return model, X


def _warm(make, X, y):
    model = make().set_params(warm_start=True)
    model.fit(X, y)
    return model.fit(X, y), X


def configurations(backend):
    """Each configuration's name and a function that fits it, returning the
    model and the rows its probabilities are fingerprinted on."""
    X, y = _data()
    X3, y3 = _data(3)
    Xs = sparse.csr_matrix(np.where(np.abs(X) > 0.8, X, 0.0))
    weights = np.random.default_rng(1).uniform(0.2, 2.0, len(y))
    common = dict(SMALL, backend=backend)
    bn = lambda **kw: lambda: BNMLPClassifier(**common, **kw)  # noqa: E731
    bal = lambda **kw: lambda: BalancedBNMLPClassifier(**common, n_members=5, **kw)  # noqa: E731
    return {
        "plain": lambda: _fit(bn(), X, y),
        "class_weight balanced": lambda: _fit(bn(class_weight="balanced"), X, y),
        "class_weight dict, sample_weight": lambda: _fit(
            bn(class_weight={0: 1.0, 1: 3.0}), X, y, sample_weight=weights
        ),
        "class_weight callable, 3 classes": lambda: _fit(
            bn(class_weight=functools.partial(effective_number_weights, beta=0.99)), X3, y3
        ),
        "balanced batches": lambda: _fit(bn(batch_sampler="balanced"), X, y),
        "stratified batches, dropout": lambda: _fit(
            bn(batch_sampler="stratified", dropout=0.2), X, y
        ),
        "logit_adjustment 0.5": lambda: _fit(bn(logit_adjustment=0.5), X, y),
        "logit-adjusted loss, early stopping": lambda: _fit(
            bn(loss="logit_adjusted", early_stopping=True), X3, y3
        ),
        "independent ensemble, cosine": lambda: _fit(
            bn(ensemble_size=3, member_batches="independent", lr_schedule="cosine"), X, y
        ),
        "sparse, class_weight": lambda: _fit(bn(class_weight="balanced"), Xs, y),
        "float32, prior balanced": lambda: _fit(bn(prior="balanced"), X.astype(np.float32), y),
        "partial_fit, class_weight dict": lambda: _partial(bn(class_weight={0: 1, 1: 4}), X, y),
        "warm_start": lambda: _warm(bn(), X, y),
        "early stopping, balanced accuracy": lambda: _fit(
            bn(early_stopping=True, scoring="balanced_accuracy"), X, y
        ),
        "deprecated undersampled members": lambda: _fit(
            bn(ensemble_size=3, member_batches="undersampled"), X, y
        ),
        "balanced ensemble": lambda: _fit(bal(), X, y),
        "balanced ensemble, sample_weight": lambda: _fit(bal(), X, y, sample_weight=weights),
        "balanced, no replacement, strategy 0.5, floor": lambda: _fit(
            bal(replacement=False, sampling_strategy=0.5, min_class_rows=40), X3, y3
        ),
        "balanced, out-of-bag stopping and score": lambda: _fit(
            bal(early_stopping=True, oob_score=True), X, y
        ),
        "balanced, sparse": lambda: _fit(bal(), Xs, y),
        "balanced, partial_fit": lambda: _partial(bal(), X, y),
        "balanced, warm_start, prior frequencies": lambda: _warm(
            bal(prior="frequencies"), X, y
        ),
    }


def fingerprint(model, X):
    h = hashlib.sha256()
    state = {k: v for k, v in vars(model).items() if k.endswith("_") and not k.startswith("_")}
    state.update(
        {k: vars(model)[k] for k in ("_adam", "_class_totals", "_trained_mass") if k in vars(model)}
    )
    for name in sorted(state):
        h.update(name.encode())
        _update(h, state[name])
    h.update(np.ascontiguousarray(model.predict_proba(X)).tobytes())
    return h.hexdigest()[:16]


def _update(h, value):
    if isinstance(value, np.ndarray):
        h.update(str(value.dtype).encode() + np.ascontiguousarray(value).tobytes())
    elif isinstance(value, dict):
        for k in sorted(value):
            h.update(str(k).encode())
            _update(h, value[k])
    elif isinstance(value, (list, tuple)):
        for v in value:
            _update(h, v)
    else:
        h.update(repr(value).encode())


def main():
    warnings.simplefilter("ignore")  # the deprecated and short fits warn, as designed
    print(f"# skbn {skbn.__version__} from {skbn.__file__}", file=sys.stderr)
    for backend in ("numpy", "torch"):
        for name, fit in configurations(backend).items():
            model, X = fit()
            print(f"{name:48s} {backend:6s} {model.n_iter_:3d} {fingerprint(model, X)}")


if __name__ == "__main__":
    main()
