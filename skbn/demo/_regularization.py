"""BN as a regulariser: the generalisation gap with BN, dropout, both, neither."""

from functools import partial

import numpy as np

from ._common import Figure, Section, change, mean, mean_std, quiet_fit, values
from ._data import classification, describe
from ._plots import points_figure

NAME = "regularization"
DESCRIPTION = (
    "BN as a regulariser: train-test gap with BN, dropout, both and neither (small data)."
)
CONFIG = ("batch_norm", "dropout")

SETTINGS = [(False, 0.0), (True, 0.0), (False, 0.3), (True, 0.3)]


def label(bn, dropout):
    return {
        (False, 0.0): "neither",
        (True, 0.0): "BN",
        (False, 0.3): "dropout",
        (True, 0.3): "BN + dropout",
    }[(bn, dropout)]


def run_one(setup, seed):
    X_train, X_test, y_train, y_test = classification(setup.n(600, 1500), seed, n_features=40)
    rows = []
    for bn, dropout in SETTINGS:
        model = setup.model(
            (256, 256),
            batch_norm=bn,
            dropout=dropout,
            alpha=0.0,
            batch_size=32,
            max_iter=setup.n(60, 120),
            tol=0.0,
            random_state=seed,
        )
        quiet_fit(model, X_train, y_train)
        train, test = model.score(X_train, y_train), model.score(X_test, y_test)
        rows.append(
            {
                "seed": seed,
                "batch_norm": bn,
                "dropout": dropout,
                "train_accuracy": float(train),
                "test_accuracy": float(test),
                "gap": float(train - test),
            }
        )
    return rows


def jobs(setup):
    return [partial(run_one, setup, seed) for seed in setup.seeds]


def series_over(rows, key):
    """Mean and std of ``key`` for each setting, in the order of SETTINGS."""
    groups = [values(rows, key, batch_norm=b, dropout=d) for b, d in SETTINGS]
    return [float(np.mean(g)) for g in groups], [float(np.std(g)) for g in groups]


def section(rows, setup):
    header = ["regulariser", "train accuracy", "test accuracy", "train − test"]
    table = [
        [
            label(bn, d),
            mean_std(rows, "train_accuracy", batch_norm=bn, dropout=d),
            mean_std(rows, "test_accuracy", batch_norm=bn, dropout=d),
            mean_std(rows, "gap", batch_norm=bn, dropout=d),
        ]
        for bn, d in SETTINGS
    ]
    test = {s: mean(rows, "test_accuracy", batch_norm=s[0], dropout=s[1]) for s in SETTINGS}
    best = max(SETTINGS, key=lambda s: test[s])
    neither = {"batch_norm": False, "dropout": 0.0}

    def versus(key, s):
        return change(rows, key, neither, {"batch_norm": s[0], "dropout": s[1]})

    bn_gap = versus("gap", (True, 0.0))
    findings = [
        "Against training with neither, "
        + bn_gap.words("the train − test gap with BN alone", rises="widens", falls="narrows")
        + "; "
        + versus("gap", (False, 0.3)).words("with dropout alone", rises="widens", falls="narrows")
        + ".",
        (
            f"The best mean test accuracy comes from {label(*best)}: "
            + versus("test_accuracy", best).words("against neither, test accuracy")
            + "."
            if best != (False, 0.0)
            else f"No regulariser beats training with neither ({test[best]:.3f} test accuracy)."
        ),
        (
            "BN narrows the gap on every seed here: it acts as a regulariser, as Ioffe & "
            "Szegedy observed."
            if bn_gap.clear and not bn_gap.up
            else "BN widens the gap here: on this problem it does not act as a regulariser."
            if bn_gap.up
            else f"Whether BN regularises cannot be told from {bn_gap.n} seeds here: the "
            "interval of its change to the gap includes zero (--full runs more seeds)."
        ),
    ]
    fig = points_figure(
        [label(*s) for s in SETTINGS],
        {part: series_over(rows, f"{part}_accuracy") for part in ("train", "test")},
        "accuracy (mean ± std over seeds)",
    )
    return Section(
        "BN as a regulariser",
        describe(setup.n(600, 1500), n_features=40)
        + "A wide MLP (2×256) trained long enough to overfit, with BN, dropout "
        "(p = 0.3), both or neither, and no L2 penalty. Differences are stated only when "
        "the 95 % t-interval of the per-seed change excludes zero.",
        tables=[(header, table)],
        figures=[
            Figure(
                "regularization",
                fig,
                "Train and test accuracy per regulariser (mean ± std over seeds).",
            )
        ],
        findings=findings,
    )
