"""Imbalance sweep: how the majority/minority ratio biases the network."""

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    recall_score,
    roc_auc_score,
)

from .._classifier import BNMLPClassifier
from ._data import imbalanced

DESCRIPTION = (
    "Imbalance sweep (ratio 1, 5, 20, 100): accuracy vs balanced accuracy vs "
    "minority recall vs average precision vs ROC-AUC."
)

RATIOS = (1, 5, 20, 100)


def run(seeds, quick, backend):
    n_majority = 2000 if quick else 8000
    rows = []
    for seed in seeds:
        for ratio in RATIOS:
            X_train, X_test, y_train, y_test = imbalanced(n_majority, ratio, seed)
            model = BNMLPClassifier(
                (64, 32),
                max_iter=30 if quick else 60,
                batch_size=64,
                random_state=seed,
                backend=backend,
            )
            model.fit(X_train, y_train)
            pred = model.predict(X_test)
            score = model.predict_proba(X_test)[:, 1]
            rows.append(
                {
                    "experiment": "imbalance",
                    "seed": seed,
                    "ratio": ratio,
                    "accuracy": float(np.mean(pred == y_test)),
                    "balanced_accuracy": float(balanced_accuracy_score(y_test, pred)),
                    "minority_recall": float(recall_score(y_test, pred, pos_label=1)),
                    "average_precision": float(average_precision_score(y_test, score)),
                    "roc_auc": float(roc_auc_score(y_test, score)),
                    "majority_share_of_predictions": float(np.mean(pred == 0)),
                    "train_accuracy": float(model.score(X_train, y_train)),
                }
            )
    return rows
