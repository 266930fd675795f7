"""BN vs no BN: loss curves and epochs to a target loss for a deeper MLP."""

import numpy as np

from .._classifier import BNMLPClassifier
from ._data import classification

DESCRIPTION = "BN vs no BN: training loss curves and epochs to reach a target loss (deep MLP)."


def run(seeds, quick, backend):
    depth, width = (4, 64) if quick else (6, 128)
    epochs = 30 if quick else 60
    rows = []
    for seed in seeds:
        X_train, X_test, y_train, y_test = classification(2000 if quick else 10000, seed)
        for activation in ("relu", "logistic"):
            for batch_norm in (True, False):
                model = BNMLPClassifier(
                    (width,) * depth,
                    activation=activation,
                    batch_norm=batch_norm,
                    max_iter=epochs,
                    tol=0.0,
                    batch_size=64,
                    random_state=seed,
                    backend=backend,
                )
                model.fit(X_train, y_train)
                rows.append(
                    {
                        "experiment": "bn_training",
                        "seed": seed,
                        "activation": activation,
                        "batch_norm": batch_norm,
                        "depth": depth,
                        "width": width,
                        "loss_curve": [float(v) for v in model.loss_curve_],
                        "final_loss": float(model.loss_curve_[-1]),
                        "test_accuracy": float(model.score(X_test, y_test)),
                    }
                )
    return rows


def epochs_to(curve, target):
    """First epoch (1-based) whose loss is at or below ``target``, or None."""
    hits = np.flatnonzero(np.asarray(curve) <= target)
    return int(hits[0]) + 1 if len(hits) else None
