"""Learning-rate sweep: where plain networks diverge and BN still trains."""

from functools import partial

from ._common import (
    Figure,
    Section,
    activation_name,
    change,
    mean,
    mean_std,
    quiet_fit,
    series,
    values,
)
from ._data import classification, describe
from ._plots import lines_figure

NAME = "lr_sweep"
DESCRIPTION = (
    "Learning-rate sweep (x1, x5, x30): which runs diverge or stall, with and without BN."
)
CONFIG = ("activation", "batch_norm", "lr_multiplier")

BASE_LR = 0.01
MULTIPLIERS = (1, 5, 30)
TRAINED = 0.75  # test accuracy counted as "trained" (chance is 0.5)


def run_one(setup, seed):
    X_train, X_test, y_train, y_test = classification(setup.n(2000, 8000), seed)
    rows = []
    for activation in ("relu", "logistic"):
        for batch_norm in (True, False):
            for mult in MULTIPLIERS:
                model = setup.model(
                    (64,) * 4,
                    activation=activation,
                    batch_norm=batch_norm,
                    learning_rate_init=BASE_LR * mult,
                    max_iter=setup.n(20, 40),
                    tol=0.0,
                    batch_size=64,
                    random_state=seed,
                )
                row = {
                    "seed": seed,
                    "activation": activation,
                    "batch_norm": batch_norm,
                    "lr_multiplier": mult,
                }
                try:
                    quiet_fit(model, X_train, y_train)
                except ValueError as exc:  # the estimator's divergence error
                    if "diverged" not in str(exc):
                        raise
                    rows.append({**row, "diverged": 1.0, "final_loss": None, "test_accuracy": 0.5})
                    continue
                rows.append(
                    {
                        **row,
                        "diverged": 0.0,
                        "final_loss": float(model.loss_curve_[-1]),
                        "test_accuracy": float(model.score(X_test, y_test)),
                    }
                )
    for r in rows:
        r["trained"] = float(r["test_accuracy"] >= TRAINED)
    return rows


def jobs(setup):
    return [partial(run_one, setup, seed) for seed in setup.seeds]


def section(rows, setup):
    header = ["activation", "BN", "learning rate", "diverged", "trained", "test accuracy"]
    table, lines, findings = [], {}, []
    for act in ("relu", "logistic"):
        for bn in (True, False):
            for mult in MULTIPLIERS:
                where = {"activation": act, "batch_norm": bn, "lr_multiplier": mult}
                n = len(values(rows, "test_accuracy", **where))
                table.append(
                    [
                        activation_name(act),
                        "on" if bn else "off",
                        f"{BASE_LR * mult:g} (×{mult})",
                        f"{mean(rows, 'diverged', **where) * n:.0f}/{n}",
                        f"{mean(rows, 'trained', **where) * n:.0f}/{n}",
                        mean_std(rows, "test_accuracy", **where),
                    ]
                )
            lines[f"{activation_name(act)}, BN {'on' if bn else 'off'}"] = series(
                rows, "test_accuracy", "lr_multiplier", MULTIPLIERS, activation=act, batch_norm=bn
            )
        top = MULTIPLIERS[-1]
        n = len(values(rows, "trained", activation=act, batch_norm=True, lr_multiplier=top))

        def count(key, bn):
            where = {"activation": act, "batch_norm": bn, "lr_multiplier": top}
            return f"{mean(rows, key, **where) * n:.0f}/{n}"

        findings.append(
            f"With {activation_name(act)} at ×{top} the learning rate ({BASE_LR * top:g}), "
            f"{count('trained', True)} BN runs and {count('trained', False)} plain runs trained "
            f"(test accuracy ≥ {TRAINED}); {count('diverged', False)} plain runs and "
            f"{count('diverged', True)} BN runs diverged (NaN loss). At that rate, from BN off "
            "to BN on, "
            + change(
                rows,
                "test_accuracy",
                {"activation": act, "batch_norm": False, "lr_multiplier": top},
                {"activation": act, "batch_norm": True, "lr_multiplier": top},
            ).words("test accuracy")
            + "."
        )
    fig = lines_figure(
        list(MULTIPLIERS),
        lines,
        f"learning rate (× {BASE_LR:g})",
        "test accuracy (mean ± std)",
        log_x=True,
        xticks=list(MULTIPLIERS),
    )
    return Section(
        "Learning-rate sweep",
        describe(setup.n(2000, 8000))
        + f"The same 4×64 MLP trained with Adam at learning rates {BASE_LR:g} × "
        f"{', '.join(map(str, MULTIPLIERS))} (Ioffe & Szegedy report BN training at 5× and 30× "
        "the baseline rate). A run that diverges (NaN loss) is stopped by the estimator and "
        "counted at chance accuracy.",
        tables=[(header, table)],
        figures=[Figure("lr_sweep", fig, "Test accuracy against the learning rate.")],
        findings=findings,
    )
