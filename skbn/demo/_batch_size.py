"""Batch-size sweep: BN's train/eval discrepancy, down to tiny batches."""

from functools import partial

import numpy as np
from sklearn.metrics import log_loss

from .._inspect import loss_and_gradients, network
from .._plan import batch_bounds
from ._common import Figure, Section, change, mean, mean_std, quiet_fit, series
from ._data import classification, describe
from ._plots import lines_figure

NAME = "batch_size"
DESCRIPTION = (
    "Batch-size sweep (2 to 256): BN's train/eval gap, and how a last batch of one is handled."
)
CONFIG = ("batch_norm", "batch_size")


def sizes(setup):
    return (2, 4, 16, 64, 256) if setup.quick else (2, 4, 8, 16, 32, 64, 128, 256)


def run_one(setup, seed):
    X_train, X_test, y_train, y_test = classification(setup.n(1000, 4000), seed)
    rows = []
    for batch_norm in (True, False):
        for b in sizes(setup):
            model = setup.model(
                (64, 64),
                batch_norm=batch_norm,
                batch_size=min(b, len(y_train)),
                alpha=0.0,  # the training loss is then comparable with the eval loss
                max_iter=setup.n(10, 20),
                tol=0.0,
                random_state=seed,
            )
            quiet_fit(model, X_train, y_train)
            # The final weights, on the training rows: each batch of b rows
            # normalised by its own statistics (train mode), or every row by
            # the running statistics (eval mode, as predict does).
            train_mode = train_mode_loss(model, X_train, y_train, b)
            eval_mode = float(log_loss(y_train, model.predict_proba(X_train)))
            rows.append(
                {
                    "seed": seed,
                    "batch_norm": batch_norm,
                    "batch_size": b,
                    "train_mode_loss": train_mode,
                    "eval_mode_loss": eval_mode,
                    "train_eval_gap": eval_mode - train_mode,
                    "test_accuracy": float(model.score(X_test, y_test)),
                }
            )
    return rows


def train_mode_loss(model, X, y, batch_size):
    """Mean loss of the fitted weights over batches of ``batch_size`` rows in
    training mode (batch statistics, no dropout, no penalty)."""
    net = network(model)
    total = 0.0
    for start, stop in batch_bounds(len(y), batch_size, merge_singleton=True):
        batch = X[start:stop], y[start:stop]
        loss, _, _ = loss_and_gradients(model, *batch, net, dropout=0.0, alpha=0.0)
        total += loss * (stop - start)
    return total / len(y)


def last_batch_of_one(setup, seed):
    """A training set that leaves one row for the last batch, fitted with BN."""
    X, _, y, _ = classification(400, seed)
    n, b = 321, 32  # 10 batches of 32 and 1 row left over
    bounds = batch_bounds(n, b, merge_singleton=True)
    model = quiet_fit(
        setup.model((16,), batch_size=b, max_iter=3, random_state=seed), X[:n], y[:n]
    )
    return [
        {
            "seed": seed,
            "batch_norm": True,
            "batch_size": b,
            "n_rows": n,
            "n_batches": len(bounds),
            "last_batch_rows": bounds[-1][1] - bounds[-1][0],
            "finite_predictions": float(np.isfinite(model.predict_proba(X)).all()),
        }
    ]


def jobs(setup):
    return [partial(run_one, setup, seed) for seed in setup.seeds] + [
        partial(last_batch_of_one, setup, setup.seeds[0])
    ]


def section(rows, setup):
    sweep = [r for r in rows if "n_rows" not in r]
    single = next(r for r in rows if "n_rows" in r)
    header = [
        "BN",
        "batch size",
        "train-mode loss",
        "eval-mode loss",
        "eval − train",
        "test accuracy",
    ]
    table, lines = [], {}
    for bn in (True, False):
        for b in sizes(setup):
            where = {"batch_norm": bn, "batch_size": b}
            table.append(
                [
                    "on" if bn else "off",
                    str(b),
                    mean_std(sweep, "train_mode_loss", **where),
                    mean_std(sweep, "eval_mode_loss", **where),
                    mean_std(sweep, "train_eval_gap", **where),
                    mean_std(sweep, "test_accuracy", **where),
                ]
            )
        lines[f"BN {'on' if bn else 'off'}"] = series(
            sweep, "train_eval_gap", "batch_size", sizes(setup), batch_norm=bn
        )
    grid = sizes(setup)
    small, large = grid[0], grid[-1]
    gaps = {b: mean(sweep, "train_eval_gap", batch_norm=True, batch_size=b) for b in grid}
    widest = max(grid, key=lambda b: abs(gaps[b]))
    plain = [mean(sweep, "train_eval_gap", batch_norm=False, batch_size=b) for b in grid]
    findings = [
        f"With BN, the eval-mode loss of the final weights on the training rows minus their "
        f"train-mode loss is {gaps[small]:+.3f} at batch size {small}, {gaps[widest]:+.3f} at "
        f"{widest} (the largest in size) and {gaps[large]:+.3f} at {large}; without BN it is "
        f"between {min(plain):+.3f} and {max(plain):+.3f}, as both modes are then the same "
        "network. "
        + (
            "Negative means the running statistics normalise the training rows better "
            "than each tiny batch's own mean and variance, which are so noisy that the "
            "loss measured under them is higher."
            if gaps[widest] < 0
            else "Positive means the weights fit each batch's own statistics better than "
            "the running averages that predict uses."
        ),
        "From the largest batches to the smallest, with BN: "
        + change(
            sweep,
            "train_eval_gap",
            {"batch_norm": True, "batch_size": large},
            {"batch_norm": True, "batch_size": small},
        ).words("the gap")
        + ".",
        f"At batch size {small}, "
        + change(
            sweep,
            "test_accuracy",
            {"batch_norm": False, "batch_size": small},
            {"batch_norm": True, "batch_size": small},
        ).words("test accuracy from BN off to BN on")
        + ".",
        f"A training set of {single['n_rows']} rows in batches of {single['batch_size']} leaves "
        f"one row over: the plan merged it into the last batch ({single['n_batches']} batches, "
        f"the last of {single['last_batch_rows']} rows), and the fit "
        f"{'gave finite predictions' if single['finite_predictions'] else 'FAILED'}.",
    ]
    fig = lines_figure(
        list(sizes(setup)),
        lines,
        "batch size",
        "eval-mode − train-mode loss (nats, mean ± std)",
        log_x=True,
        xticks=list(sizes(setup)),
    )
    return Section(
        "Batch size and BN's train/eval discrepancy",
        describe(setup.n(1000, 4000))
        + "A 2×64 MLP trained for a fixed number of epochs at each batch size. In training, "
        "BN normalises each batch by its own mean and variance; at predict time by the "
        "running estimates. With tiny batches the two differ most (Wu & Johnson, 2021). "
        "The gap is the loss of the final weights on the training rows in eval mode minus "
        "that in train mode, over batches of the training size (no L2 penalty).",
        tables=[(header, table)],
        figures=[
            Figure("batch_size_gap", fig, "Eval-mode minus train-mode loss on the training rows.")
        ],
        findings=findings,
    )
