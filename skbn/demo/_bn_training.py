"""BN vs no BN: loss curves and epochs to a target loss for a deeper MLP."""

from functools import partial

import numpy as np

from ._common import Figure, Section, activation_name, change, mean, mean_std, quiet_fit
from ._data import classification, describe
from ._plots import curves_figure

NAME = "bn_training"
DESCRIPTION = "BN vs no BN: training loss curves and epochs to a target loss (deep MLP)."
CONFIG = ("activation", "batch_norm", "depth", "width")


def run_one(setup, seed):
    depth, width = (4, 64) if setup.quick else (6, 128)
    X_train, X_test, y_train, y_test = classification(setup.n(2000, 6000), seed)
    rows = []
    for activation in ("relu", "logistic"):
        for batch_norm in (True, False):
            model = setup.model(
                (width,) * depth,
                activation=activation,
                batch_norm=batch_norm,
                max_iter=setup.n(30, 40),
                tol=0.0,
                batch_size=64,
                random_state=seed,
            )
            quiet_fit(model, X_train, y_train)
            rows.append(
                {
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


def jobs(setup):
    return [partial(run_one, setup, seed) for seed in setup.seeds]


def epochs_to(curve, target):
    """First epoch (1-based) whose loss is at or below ``target``, or None."""
    hits = np.flatnonzero(np.asarray(curve) <= target)
    return int(hits[0]) + 1 if len(hits) else None


def section(rows, setup):
    header = ["activation", "BN", "final training loss", "epochs to target", "test accuracy"]
    table, findings = [], []
    for activation in sorted({r["activation"] for r in rows}):
        # Target: the mean final loss without BN, so "epochs to target" asks
        # how soon each setting gets to where plain training ends up.
        target = mean(rows, "final_loss", activation=activation, batch_norm=False)
        epochs = {}
        for bn in (True, False):
            runs = [r for r in rows if r["activation"] == activation and r["batch_norm"] == bn]
            hits = [epochs_to(r["loss_curve"], target) for r in runs]
            epochs[bn] = [h for h in hits if h is not None]
            reached = f"{len(epochs[bn])}/{len(runs)} reached"
            table.append(
                [
                    activation_name(activation),
                    "on" if bn else "off",
                    mean_std(runs, "final_loss"),
                    f"{np.mean(epochs[bn]):.1f} ({reached})" if epochs[bn] else f"— ({reached})",
                    mean_std(runs, "test_accuracy"),
                ]
            )
        final = change(
            rows,
            "final_loss",
            {"activation": activation, "batch_norm": False},
            {"activation": activation, "batch_norm": True},
        )
        findings.append(
            _finding(activation, target, epochs)
            + " From BN off to BN on, "
            + final.words("the final training loss")
            + "."
        )
    depth, width = rows[0]["depth"], rows[0]["width"]
    curves = {
        f"{activation_name(act)}, BN {'on' if bn else 'off'}": [
            r["loss_curve"] for r in rows if r["activation"] == act and r["batch_norm"] == bn
        ]
        for act in sorted({r["activation"] for r in rows})
        for bn in (True, False)
    }
    fig = curves_figure(
        curves, "epoch", "training loss (nats; geometric mean ×/÷ std)", log_y=True
    )
    return Section(
        "Batch normalization and training speed",
        describe(setup.n(2000, 6000))
        + f"An MLP of {depth} hidden layers of {width} units, ReLU or sigmoid, trained with "
        "Adam (learning rate 1e-3, batch 64) with and without BN. The target loss is the "
        "mean final loss of the runs without BN.",
        tables=[(header, table)],
        figures=[Figure("bn_training_loss", fig, "Training loss per epoch (mean over seeds).")],
        findings=findings,
    )


def _finding(activation, target, epochs):
    activation = activation_name(activation)
    with_bn = np.mean(epochs[True]) if epochs[True] else None
    without = np.mean(epochs[False]) if epochs[False] else None
    if with_bn is None:
        return (
            f"With {activation}, the BN runs never reached the loss ({target:.3f}) at which "
            "the plain runs ended."
        )
    if without is None:
        return (
            f"With {activation}, BN reached the plain runs' final loss ({target:.3f}) after "
            f"{with_bn:.1f} epochs on average; the plain runs did not reach their own mean."
        )
    if with_bn < without:
        return (
            f"With {activation}, BN reached the plain runs' final loss ({target:.3f}) after "
            f"{with_bn:.1f} epochs on average, {without / with_bn:.1f}× sooner than the "
            f"plain runs ({without:.1f} epochs)."
        )
    return (
        f"With {activation}, BN did not train faster: it needed {with_bn:.1f} epochs to "
        f"reach {target:.3f}, the plain runs {without:.1f}."
    )
