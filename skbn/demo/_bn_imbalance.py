"""BN x imbalance: batches without minority rows, and class-aware batches."""

from functools import partial

import numpy as np
from sklearn.metrics import balanced_accuracy_score, recall_score

from .._plan import TrainingPlan
from ._common import Figure, Section, mean, mean_std, quiet_fit, series
from ._data import imbalanced
from ._plots import bars_figure

NAME = "bn_imbalance"
DESCRIPTION = "BN x imbalance: batches with no minority row (formula vs count); random vs stratified vs balanced batches."
CONFIG = ("ratio", "batch_size", "batch_sampler", "batch_norm")

SAMPLERS = ("random", "stratified", "balanced")
RATIO, BATCH = 20, 32


def empty_batches(setup, seed):
    """Share of random batches with no minority row: counted in the plan vs (1 - p) ** b."""
    rows = []
    for ratio in (5, 20, 100):
        codes = np.r_[np.zeros(100 * ratio, int), np.ones(100, int)]
        p = 1 / (ratio + 1)
        for b in (16, 32, 64):
            counted = []
            for sampler in SAMPLERS:
                plan = TrainingPlan(seed, b, True, True, 0.0, batch_sampler=sampler)
                misses = [
                    np.mean([codes[e.order[s:t]].sum() == 0 for s, t in e.bounds[:-1]])
                    for e in (plan.epoch(k, codes) for k in range(setup.n(20, 50)))
                ]
                counted.append(float(np.mean(misses)))
            rows.append(
                {
                    "seed": seed,
                    "ratio": ratio,
                    "batch_size": b,
                    "predicted": float((1 - p) ** b),
                    **{f"counted_{s}": c for s, c in zip(SAMPLERS, counted)},
                }
            )
    return rows


def run_one(setup, seed):
    X_train, X_test, y_train, y_test = imbalanced(setup.n(2000, 8000), RATIO, seed)
    rows = []
    for batch_norm in (True, False):
        for sampler in SAMPLERS:
            model = quiet_fit(
                setup.model(
                    (64, 32),
                    batch_norm=batch_norm,
                    batch_sampler=sampler,
                    batch_size=BATCH,
                    max_iter=setup.n(20, 40),
                    random_state=seed,
                ),
                X_train,
                y_train,
            )
            pred = model.predict(X_test)
            rows.append(
                {
                    "seed": seed,
                    "ratio": RATIO,
                    "batch_size": BATCH,
                    "batch_sampler": sampler,
                    "batch_norm": batch_norm,
                    "minority_recall": float(recall_score(y_test, pred)),
                    "balanced_accuracy": float(balanced_accuracy_score(y_test, pred)),
                }
            )
    return rows


def jobs(setup):
    return [partial(run_one, setup, seed) for seed in setup.seeds] + [
        partial(empty_batches, setup, setup.seeds[0])
    ]


def section(rows, setup):
    counts = [r for r in rows if "predicted" in r]
    fits = [r for r in rows if "predicted" not in r]
    t1 = (
        [
            "ratio",
            "batch size",
            "P(no minority) = (1 − p)^b",
            *(f"counted, {s}" for s in SAMPLERS),
        ],
        [
            [
                f"1:{r['ratio']}",
                str(r["batch_size"]),
                f"{r['predicted']:.3f}",
                *(f"{r[f'counted_{s}']:.3f}" for s in SAMPLERS),
            ]
            for r in counts
        ],
    )
    t2 = (
        ["BN", "batches", "minority recall", "balanced accuracy"],
        [
            [
                "on" if bn else "off",
                s,
                mean_std(fits, "minority_recall", batch_norm=bn, batch_sampler=s),
                mean_std(fits, "balanced_accuracy", batch_norm=bn, batch_sampler=s),
            ]
            for bn in (True, False)
            for s in SAMPLERS
        ],
    )
    worst = max(counts, key=lambda r: abs(r["predicted"] - r["counted_random"]))
    ref = next(r for r in counts if r["ratio"] == RATIO and r["batch_size"] == BATCH)
    rec = {
        (bn, s): mean(fits, "minority_recall", batch_norm=bn, batch_sampler=s)
        for bn in (True, False)
        for s in SAMPLERS
    }
    findings = [
        f"The formula (1 − p)^b predicts the share of random batches with no minority row to "
        f"within {abs(worst['predicted'] - worst['counted_random']):.3f} in every setting counted; at "
        f"1:{RATIO} with batches of {BATCH}, {ref['counted_random']:.1%} of random batches have no "
        f"minority row (predicted {ref['predicted']:.1%}), {ref['counted_stratified']:.1%} of "
        f"stratified ones and {ref['counted_balanced']:.1%} of balanced ones.",
        f"With BN, minority recall is {rec[(True, 'random')]:.3f} with random batches, "
        f"{rec[(True, 'stratified')]:.3f} with stratified and {rec[(True, 'balanced')]:.3f} with "
        f"balanced batches; without BN {rec[(False, 'random')]:.3f}, {rec[(False, 'stratified')]:.3f} "
        f"and {rec[(False, 'balanced')]:.3f}.",
        "With BN, stratified batches, which keep the imbalance and remove only its "
        f"batch-to-batch variation, {_moves(rec[(True, 'random')], rec[(True, 'stratified')])} "
        "minority recall compared with random batches; balanced batches, which remove the "
        f"imbalance, {_moves(rec[(True, 'random')], rec[(True, 'balanced')])} it.",
    ]
    fig = bars_figure(
        list(SAMPLERS),
        {
            f"BN {'on' if bn else 'off'}": (
                [rec[(bn, s)] for s in SAMPLERS],
                series(fits, "minority_recall", "batch_sampler", SAMPLERS, batch_norm=bn)[1],
            )
            for bn in (True, False)
        },
        f"minority recall at 1:{RATIO}",
    )
    return Section(
        "BN and imbalance",
        "With minority share p, a random batch of b rows has no minority row with "
        "probability (1 − p)^b; BN's batch statistics then describe the majority alone "
        "(Cheng et al., 2022). The counts come from the plan's batches over many epochs "
        "(full batches only). Then the MLP (64, 32) at 1:20 with each batch sampler, BN on "
        "and off.",
        tables=[t1, t2],
        figures=[Figure("bn_imbalance", fig, "Minority recall by batch sampler, BN on and off.")],
        findings=findings,
    )


def _moves(before, after, tol=0.01):
    if after > before + tol:
        return f"raise ({before:.3f} → {after:.3f})"
    if after < before - tol:
        return f"lower ({before:.3f} → {after:.3f})"
    return f"do not change ({before:.3f} → {after:.3f})"
