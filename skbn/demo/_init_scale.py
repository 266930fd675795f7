"""Initialisation-scale sweep: how much training depends on the initial weights."""

from functools import partial

import numpy as np

from ._common import Figure, Section, change, mean_std, quiet_fit, series, values
from ._data import classification, describe
from ._plots import lines_figure

NAME = "init_scale"
DESCRIPTION = "Initial-weight scale sweep (x0.1 to x10 Glorot): dependence on initialisation."
CONFIG = ("batch_norm", "init_scale")

SCALES = (0.1, 0.3, 1.0, 3.0, 10.0)


def fit_from_scaled_init(model, X, y, scale, max_iter):
    """Train ``model`` from its Glorot initial weights multiplied by ``scale``.

    The estimator has no init-scale parameter, so this uses public warm
    starting: one epoch at a negligible learning rate sets the network up
    (the weights move by about 1e-12), then the weights are scaled, BN's
    running statistics reset, and training continues from there.
    """
    lr = model.learning_rate_init
    quiet_fit(model.set_params(max_iter=1, learning_rate_init=1e-12), X, y)
    model.coefs_ = [c * scale for c in model.coefs_]
    model.bn_running_means_ = [np.zeros_like(m) for m in model.bn_running_means_]
    model.bn_running_vars_ = [np.ones_like(v) for v in model.bn_running_vars_]
    model.set_params(warm_start=True, max_iter=max_iter, learning_rate_init=lr)
    quiet_fit(model, X, y)
    model.loss_curve_ = model.loss_curve_[1:]
    return model


def run_one(setup, seed):
    X_train, X_test, y_train, y_test = classification(setup.n(2000, 8000), seed)
    rows = []
    for batch_norm in (True, False):
        for scale in SCALES:
            model = setup.model(
                (64,) * 4, batch_norm=batch_norm, tol=0.0, batch_size=64, random_state=seed
            )
            row = {"seed": seed, "batch_norm": batch_norm, "init_scale": scale}
            try:
                fit_from_scaled_init(model, X_train, y_train, scale, setup.n(20, 40))
            except ValueError as exc:
                if "diverged" not in str(exc):
                    raise
                rows.append({**row, "final_loss": None, "test_accuracy": 0.5, "diverged": 1.0})
                continue
            rows.append(
                {
                    **row,
                    "final_loss": float(model.loss_curve_[-1]),
                    "test_accuracy": float(model.score(X_test, y_test)),
                    "diverged": 0.0,
                }
            )
    return rows


def jobs(setup):
    return [partial(run_one, setup, seed) for seed in setup.seeds]


def section(rows, setup):
    header = ["BN", "init scale", "final training loss", "test accuracy"]
    table, lines, spread = [], {}, {}
    for bn in (True, False):
        for s in SCALES:
            table.append(
                [
                    "on" if bn else "off",
                    f"×{s:g}",
                    mean_std(rows, "final_loss", batch_norm=bn, init_scale=s),
                    mean_std(rows, "test_accuracy", batch_norm=bn, init_scale=s),
                ]
            )
        acc_mu, acc_sd = series(rows, "test_accuracy", "init_scale", SCALES, batch_norm=bn)
        lines[f"BN {'on' if bn else 'off'}"] = (acc_mu, acc_sd)
        spread[bn] = max(acc_mu) - min(acc_mu)
    # Each seed's spread (best minus worst test accuracy over the scales), paired by seed.
    spreads = [
        {"seed": seed, "batch_norm": bn, "spread": max(accs) - min(accs)}
        for seed in sorted({r["seed"] for r in rows})
        for bn in (True, False)
        if (accs := values(rows, "test_accuracy", seed=seed, batch_norm=bn))
    ]
    less = change(spreads, "spread", {"batch_norm": False}, {"batch_norm": True})
    spread_table = (
        ["BN", "spread of the mean test accuracy over the scales", "per-seed spread"],
        [
            [
                "on" if bn else "off",
                f"{spread[bn]:.3f}",
                mean_std(spreads, "spread", batch_norm=bn),
            ]
            for bn in (True, False)
        ],
    )
    findings = [
        f"Across initial scales ×{SCALES[0]:g} to ×{SCALES[-1]:g}, mean test accuracy varies "
        f"by {spread[True]:.3f} with BN and by {spread[False]:.3f} without. Per seed, from BN "
        "off to BN on, " + less.words("the spread over the scales") + ".",
    ]
    for bn in (True, False):
        at10 = change(
            rows,
            "test_accuracy",
            {"batch_norm": bn, "init_scale": 1.0},
            {"batch_norm": bn, "init_scale": SCALES[-1]},
        )
        findings.append(
            f"BN {'on' if bn else 'off'}, from ×1 to ×{SCALES[-1]:g}: "
            + at10.words("test accuracy")
            + "."
            + (
                " BN's invariance covers the hidden layers, not the output layer (no BN "
                f"after it), whose logits start {SCALES[-1]:g} times larger: the likely "
                "reason it does not protect the whole network."
                if bn and at10.clear and not at10.up
                else ""
            )
        )
    fig = lines_figure(
        list(SCALES),
        lines,
        "initial weight scale (× Glorot)",
        "test accuracy (mean ± std)",
        log_x=True,
        xticks=list(SCALES),
    )
    return Section(
        "Dependence on the initial weights",
        describe(setup.n(2000, 8000))
        + "The 4×64 ReLU MLP started from its Glorot-uniform weights multiplied by a factor, "
        "then trained identically. BN makes each layer's output invariant to the scale of "
        "the weights before it, so in theory only the last layer's scale should matter. "
        "A diverged run counts as test accuracy 0.5 (chance).",
        tables=[(header, table), spread_table],
        figures=[Figure("init_scale", fig, "Test accuracy against the initial weight scale.")],
        findings=findings,
    )
