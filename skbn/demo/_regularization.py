"""BN as a regulariser: the generalisation gap with BN, dropout, both, neither."""

from functools import partial

from ._common import Figure, Section, mean, mean_std, quiet_fit
from ._data import classification
from ._plots import bars_figure

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
    gap = {s: mean(rows, "gap", batch_norm=s[0], dropout=s[1]) for s in SETTINGS}
    test = {s: mean(rows, "test_accuracy", batch_norm=s[0], dropout=s[1]) for s in SETTINGS}
    best = max(SETTINGS, key=lambda s: test[s])
    none, bn, do = gap[(False, 0.0)], gap[(True, 0.0)], gap[(False, 0.3)]
    findings = [
        f"Without any regulariser the train-test gap is {none:.3f}; BN alone "
        f"{'narrows' if bn < none - 0.005 else 'widens' if bn > none + 0.005 else 'leaves'} it "
        f"({bn:.3f}), dropout alone {'narrows' if do < none - 0.005 else 'widens' if do > none + 0.005 else 'leaves'} it ({do:.3f}).",
        (
            f"The best test accuracy comes from {label(*best)} ({test[best]:.3f}); with neither "
            f"it is {test[(False, 0.0)]:.3f}."
            if best != (False, 0.0)
            else f"No regulariser beats training with neither ({test[best]:.3f} test accuracy)."
        ),
        "BN "
        + (
            "acts as a regulariser here, as Ioffe & Szegedy observed"
            if bn < none - 0.005
            else "does not act as a regulariser here, contrary to the claim that it can replace dropout"
        )
        + ".",
    ]
    fig = bars_figure(
        [label(*s) for s in SETTINGS],
        {
            "train": (
                [mean(rows, "train_accuracy", batch_norm=s[0], dropout=s[1]) for s in SETTINGS],
                [0] * 4,
            ),
            "test": ([test[s] for s in SETTINGS], [0] * 4),
        },
        "accuracy",
    )
    return Section(
        "BN as a regulariser",
        "A wide MLP (2×256) on a small training set with 40 features, trained long enough to "
        "overfit, with BN, dropout (p = 0.3), both or neither, and no L2 penalty.",
        tables=[(header, table)],
        figures=[
            Figure(
                "regularization", fig, "Train and test accuracy per regulariser (mean over seeds)."
            )
        ],
        findings=findings,
    )
