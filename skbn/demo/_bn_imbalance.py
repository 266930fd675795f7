"""BN x imbalance: batches without minority rows, and class-aware batches."""

from functools import partial

import numpy as np
from sklearn.metrics import balanced_accuracy_score, recall_score

from .._plan import TrainingPlan
from ._common import Figure, Section, change, mean, mean_std, quiet_fit, series
from ._data import describe_imbalanced, imbalanced
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
            "|formula − counted, random|",
        ],
        [
            [
                f"1:{r['ratio']}",
                str(r["batch_size"]),
                f"{r['predicted']:.3f}",
                *(f"{r[f'counted_{s}']:.3f}" for s in SAMPLERS),
                # The difference of the two shown values, as the finding quotes it.
                f"{abs(_shown(r['predicted']) - _shown(r['counted_random'])):.3f}",
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
    # Differences of the values as the table shows them (three decimals).
    worst = max(abs(_shown(r["predicted"]) - _shown(r["counted_random"])) for r in counts)
    ref = next(r for r in counts if r["ratio"] == RATIO and r["batch_size"] == BATCH)
    rec = {
        (bn, s): mean(fits, "minority_recall", batch_norm=bn, batch_sampler=s)
        for bn in (True, False)
        for s in SAMPLERS
    }

    def versus_random(sampler):
        return change(
            fits,
            "minority_recall",
            {"batch_norm": True, "batch_sampler": "random"},
            {"batch_norm": True, "batch_sampler": sampler},
        )

    findings = [
        f"The formula (1 − p)^b predicts the share of random batches with no minority row to "
        f"within {worst:.3f} in every setting counted; at 1:{RATIO} with batches of {BATCH}, "
        f"{ref['counted_random']:.3f} of random batches have no minority row (predicted "
        f"{ref['predicted']:.3f}), {ref['counted_stratified']:.3f} of stratified ones and "
        f"{ref['counted_balanced']:.3f} of balanced ones.",
        "With BN, against random batches, stratified batches (which keep the imbalance and "
        "remove only its batch-to-batch variation): "
        + versus_random("stratified").words("minority recall")
        + "; balanced batches (which remove the imbalance): "
        + versus_random("balanced").words("minority recall")
        + ".",
        "Without BN the same comparison: "
        + change(
            fits,
            "minority_recall",
            {"batch_norm": False, "batch_sampler": "random"},
            {"batch_norm": False, "batch_sampler": "stratified"},
        ).words("stratified, minority recall")
        + ".",
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
        describe_imbalanced(setup.n(2000, 8000), RATIO)
        + "With minority share p, a random batch of b rows has no minority row with "
        "probability (1 − p)^b; BN's batch statistics then describe the majority alone "
        "(Cheng et al., 2022). The counts come from the plan's batches over many epochs "
        "(full batches only). Then the MLP (64, 32) at 1:20 with each batch sampler, BN on "
        "and off.",
        tables=[t1, t2],
        figures=[Figure("bn_imbalance", fig, "Minority recall by batch sampler, BN on and off.")],
        findings=findings,
    )


def _shown(x):
    """``x`` as the table shows it (three decimals)."""
    return float(f"{x:.3f}")
