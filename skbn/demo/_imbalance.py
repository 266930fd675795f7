"""Imbalance sweep: how the majority/minority ratio biases the network."""

from functools import partial

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    recall_score,
    roc_auc_score,
)

from ._common import Figure, Section, change, mean, mean_std, quiet_fit, series
from ._data import describe_imbalanced, imbalanced
from ._plots import lines_figure

NAME = "imbalance"
DESCRIPTION = "Imbalance sweep (ratio 1, 5, 20, 100): accuracy vs balanced accuracy vs minority recall vs AP vs ROC-AUC."
CONFIG = ("ratio",)

RATIOS = (1, 5, 20, 100)
METRICS = (
    "accuracy",
    "balanced_accuracy",
    "minority_recall",
    "average_precision",
    "roc_auc",
    "majority_share_of_predictions",
    "train_test_gap",
)


def run_one(setup, seed, ratio):
    X_train, X_test, y_train, y_test = imbalanced(setup.n(2000, 8000), ratio, seed)
    model = quiet_fit(
        setup.model((64, 32), max_iter=setup.n(30, 60), batch_size=64, random_state=seed),
        X_train,
        y_train,
    )
    pred = model.predict(X_test)
    score = model.predict_proba(X_test)[:, 1]
    bal_test = balanced_accuracy_score(y_test, pred)
    return [
        {
            "seed": seed,
            "ratio": ratio,
            "accuracy": float(np.mean(pred == y_test)),
            "balanced_accuracy": float(bal_test),
            "minority_recall": float(recall_score(y_test, pred, pos_label=1)),
            "average_precision": float(average_precision_score(y_test, score)),
            "roc_auc": float(roc_auc_score(y_test, score)),
            "majority_share_of_predictions": float(np.mean(pred == 0)),
            "train_test_gap": float(
                balanced_accuracy_score(y_train, model.predict(X_train)) - bal_test
            ),
        }
    ]


def jobs(setup):
    return [partial(run_one, setup, seed, ratio) for seed in setup.seeds for ratio in RATIOS]


def section(rows, setup):
    ratios = sorted({r["ratio"] for r in rows})
    header = ["ratio", *(m.replace("_", " ") for m in METRICS)]
    table = [
        [f"1:{ratio}", *(mean_std(rows, m, ratio=ratio) for m in METRICS)] for ratio in ratios
    ]
    hi = {m: mean(rows, m, ratio=ratios[-1]) for m in METRICS}

    def moves(key, noun, **kw):
        return change(rows, key, {"ratio": ratios[0]}, {"ratio": ratios[-1]}).words(noun, **kw)

    gap = change(rows, "train_test_gap", {"ratio": ratios[0]}, {"ratio": ratios[-1]})
    findings = [
        f"From ratio 1:{ratios[0]} to 1:{ratios[-1]}, "
        + moves("accuracy", "accuracy")
        + ", while "
        + moves("minority_recall", "minority recall")
        + ".",
        moves("balanced_accuracy", "Balanced accuracy")
        + "; "
        + moves("average_precision", "average precision")
        + "; "
        + moves("roc_auc", "ROC-AUC")
        + ".",
        f"At ratio 1:{ratios[-1]}, {100 * hi['majority_share_of_predictions']:.1f}% of the "
        f"predictions go to the majority class, whose share of the test set is "
        f"{100 * ratios[-1] / (ratios[-1] + 1):.1f}%.",
        gap.words("The train-test gap in balanced accuracy")
        + (
            ": the network fits its few minority training rows better than it generalises "
            "to new ones."
            if gap.up
            else "."
        ),
    ]
    fig = lines_figure(
        ratios,
        {
            m.replace("_", " ").replace("roc auc", "ROC-AUC"): series(rows, m, "ratio", ratios)
            for m in (
                "accuracy",
                "balanced_accuracy",
                "minority_recall",
                "average_precision",
                "roc_auc",
            )
        },
        "imbalance ratio (majority rows per minority row)",
        "score (mean ± std over seeds)",
        log_x=True,
        xticks=ratios,
    )
    return Section(
        "Class imbalance",
        describe_imbalanced(setup.n(2000, 8000), "1:1, 1:5, 1:20 or 1:100") + "The same "
        "MLP (64, 32) with BN and no remedy. Accuracy rewards predicting the majority; "
        "balanced accuracy, minority recall and average precision do not (Saito & "
        "Rehmsmeier, 2015).",
        tables=[(header, table)],
        figures=[Figure("imbalance_sweep", fig, "Metrics against the imbalance ratio.")],
        findings=findings,
    )
