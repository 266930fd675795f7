"""Internal covariate shift, measured, next to a loss-smoothness probe."""

from functools import partial

import numpy as np

from .._inspect import hidden_outputs, loss_and_gradients, network
from ._common import Figure, Section, change, mean_std
from ._data import classification, describe
from ._plots import curves_figure

NAME = "covariate_shift"
DESCRIPTION = (
    "Internal covariate shift measured per layer, with a loss-smoothness probe (Santurkar et al.)."
)
CONFIG = ("batch_norm",)

DISTANCES = (0.05, 0.1, 0.2, 0.4)  # step lengths along the gradient for the probe


def layer_inputs(model, X):
    """Eval-mode input of each hidden layer after the first (the previous layer's output)."""
    return hidden_outputs(model, X)


def shift(prev, cur):
    """Mean over units of how far a unit's mean moved, in units of its spread,
    plus how much its spread changed (log ratio)."""
    mu0, mu1 = prev.mean(axis=0), cur.mean(axis=0)
    sd0, sd1 = prev.std(axis=0) + 1e-6, cur.std(axis=0) + 1e-6
    return float(np.mean(np.abs(mu1 - mu0) / sd0 + np.abs(np.log(sd1 / sd0))))


def smoothness(model, X, y):
    """Santurkar et al.'s probes at the current weights, on one fixed batch.

    Moving a distance ``d`` along the (normalised) negative gradient: the range
    of the loss over the distances, and the largest change of the gradient per
    unit of distance (an estimate of the local beta-smoothness).
    """
    net = network(model)
    loss0, grads, _ = loss_and_gradients(model, X, y, net, dropout=0.0)
    norm = np.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    losses, beta = [loss0], 0.0
    for d in DISTANCES:
        moved = net.copy()
        for p, g in zip(moved.trainable(), grads):
            p -= (d / norm) * g
        loss, g2, _ = loss_and_gradients(model, X, y, moved, dropout=0.0)
        losses.append(loss)
        change = np.sqrt(sum(float(np.vdot(a - b, a - b)) for a, b in zip(g2, grads)))
        beta = max(beta, change / d)
    return max(losses) - min(losses), beta, norm


def run_one(setup, seed):
    X_train, _, y_train, _ = classification(setup.n(2000, 8000), seed)
    probe = X_train[:256]
    rows = []
    for batch_norm in (True, False):
        model = setup.model(
            (64,) * 4,
            batch_norm=batch_norm,
            batch_size=64,
            random_state=seed,
            learning_rate_init=3e-3,
        )
        model.partial_fit(X_train, y_train, classes=[0, 1])
        before = layer_inputs(model, probe)
        shifts, loss_range, beta, grad_norm = [], [], [], []
        for _ in range(setup.n(15, 30)):
            model.partial_fit(X_train, y_train)
            after = layer_inputs(model, probe)
            shifts.append([shift(b, a) for b, a in zip(before[:-1], after[:-1])])
            before = after
            r, b, g = smoothness(model, probe, y_train[:256])
            loss_range.append(r)
            beta.append(b)
            grad_norm.append(g)
        shifts = np.array(shifts)  # (epochs, layers 2..depth)
        rows.append(
            {
                "seed": seed,
                "batch_norm": batch_norm,
                "shift_curve": shifts.mean(axis=1).tolist(),
                "shift_per_layer": shifts.mean(axis=0).tolist(),
                "mean_shift": float(shifts.mean()),
                "loss_range": float(np.mean(loss_range)),
                "beta_smoothness": float(np.mean(beta)),
                "gradient_norm": float(np.mean(grad_norm)),
                "final_loss": float(model.loss_curve_[-1]),
            }
        )
    return rows


def jobs(setup):
    return [partial(run_one, setup, seed) for seed in setup.seeds]


def section(rows, setup):
    header = [
        "BN",
        "input shift per epoch",
        "loss range along gradient",
        "gradient change / distance",
        "final loss",
    ]
    table = [
        [
            "on" if bn else "off",
            mean_std(rows, "mean_shift", digits=4, batch_norm=bn),
            mean_std(rows, "loss_range", digits=4, batch_norm=bn),
            mean_std(rows, "beta_smoothness", batch_norm=bn),
            mean_std(rows, "final_loss", batch_norm=bn),
        ]
        for bn in (True, False)
    ]

    def with_bn(key):
        return change(rows, key, {"batch_norm": False}, {"batch_norm": True})

    shift, flat, smooth = with_bn("mean_shift"), with_bn("loss_range"), with_bn("beta_smoothness")
    less_shift = shift.clear and not shift.up
    smoother = smooth.clear and not smooth.up and flat.clear and not flat.up
    findings = [
        "Measured as the movement of each hidden layer's input distribution from one epoch "
        "to the next, from BN off to BN on " + shift.words("the shift", digits=4) + ".",
        "Along the gradient, from BN off to BN on, "
        + flat.words("the range of the loss", digits=4)
        + ", and "
        + smooth.words("the gradient's change per unit of distance")
        + ".",
        "Santurkar et al. (2018) argue that BN's benefit comes from the smoother loss, not "
        "from less covariate shift; "
        + (
            "both effects appear clearly here, so these numbers do not separate the two "
            "explanations."
            if less_shift and smoother
            else "only the smoothness effect appears clearly here, which agrees with them."
            if smoother
            else "only the shift effect appears clearly here, which does not support their "
            "account."
            if less_shift
            else "neither effect is clear with these seeds."
        ),
    ]
    fig = curves_figure(
        {
            f"BN {'on' if bn else 'off'}": [
                r["shift_curve"] for r in rows if r["batch_norm"] == bn
            ]
            for bn in (True, False)
        },
        "epoch",
        "layer-input shift from the previous epoch\n(std units; geometric mean ×/÷ std)",
        log_y=True,
    )
    return Section(
        "Internal covariate shift, measured",
        describe(setup.n(2000, 8000))
        + "Ioffe & Szegedy motivated BN by internal covariate shift: each layer's input "
        "distribution moves as the layers before it learn. Here it is measured on a fixed "
        "probe batch after every epoch of a 4×64 ReLU MLP (the mean over units of the move of "
        "each unit's mean, in standard deviations, plus the log-change of its spread, for "
        "the inputs of hidden layers 2 to 4). Beside it, Santurkar et al.'s probes of the "
        f"loss surface: the loss and gradient after steps of length {', '.join(map(str, DISTANCES))} "
        "along the normalised gradient.",
        tables=[(header, table)],
        figures=[
            Figure(
                "covariate_shift", fig, "Layer-input shift per epoch (mean over layers and seeds)."
            )
        ],
        findings=findings,
    )
