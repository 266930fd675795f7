"""Probabilities after rebalancing: each remedy as trained and with the prior corrected."""

from functools import partial

import numpy as np
from sklearn.base import clone
from sklearn.metrics import balanced_accuracy_score, brier_score_loss, log_loss
from sklearn.model_selection import StratifiedKFold

from .._balanced import BalancedBNMLPClassifier
from ._common import Figure, Section, change, mean, mean_std, quiet_fit
from ._data import describe_imbalanced, imbalanced_pool

NAME = "probabilities"
DESCRIPTION = (
    "Probabilities after rebalancing at 1:20: log loss and reliability of each remedy "
    "as trained and with prior='frequencies'."
)
CONFIG = ("remedy", "prior")

RATIO = 20
BINS = 10
PRIORS = {"as trained": None, "training prior": "frequencies"}
METRICS = ("log_loss", "brier", "ece", "balanced_accuracy")


def remedies(setup, seed):
    def clf(**params):
        return setup.model((32,), max_iter=setup.n(20, 40), random_state=seed, **params)

    return {
        "none": clf(),
        "class weights": clf(class_weight="balanced"),
        "balanced batches": clf(batch_sampler="balanced"),
        "balanced members": BalancedBNMLPClassifier(
            (32,),
            n_members=8,
            n_fold_members=0,
            max_iter=setup.n(50, 200),
            random_state=seed,
            backend=setup.backend,
            n_threads=1,
        ),
    }


def ece(y, p1):
    bins = np.minimum((p1 * BINS).astype(int), BINS - 1)
    return float(
        sum(
            abs(y[bins == k].mean() - p1[bins == k].mean()) * np.mean(bins == k)
            for k in np.unique(bins)
        )
    )


def run_one(setup, seed):
    X, y = imbalanced_pool(setup.n(1500, 4000), RATIO, seed)
    folds = list(
        StratifiedKFold(3 if setup.quick else 5, shuffle=True, random_state=seed).split(X, y)
    )
    rows = []
    for name, template in remedies(setup, seed).items():
        p1 = {label: np.empty(len(y)) for label in PRIORS}
        pred = {label: np.empty_like(y) for label in PRIORS}
        for train, test in folds:
            model = quiet_fit(clone(template), X[train], y[train])
            for label, prior in PRIORS.items():  # one fit, two priors: no refit
                model.set_params(prior=prior)
                p1[label][test] = model.predict_proba(X[test])[:, 1]
                pred[label][test] = model.predict(X[test])
        for label in PRIORS:
            p = np.clip(p1[label], 1e-15, 1 - 1e-15)
            # Equal-count bins by rank (CalibrationDisplay's 'quantile'): at 1:20
            # most equal-width bins above 0.2 hold a handful of rows, whose
            # observed rates jump between 0 and 1 and hide the calibration.
            which = np.argsort(np.argsort(p, kind="stable")) * BINS // len(p)
            rows.append(
                {
                    "seed": seed,
                    "remedy": name,
                    "prior": label,
                    "log_loss": float(log_loss(y, p, labels=[0, 1])),
                    "brier": float(brier_score_loss(y, p)),
                    "ece": ece(y, p),
                    "balanced_accuracy": float(balanced_accuracy_score(y, pred[label])),
                    "mean_probability": float(p.mean()),
                    "minority_share": float(y.mean()),
                    # The reliability diagram: per bin, mean probability, observed
                    # rate and rows.
                    "reliability": [
                        [
                            float(p[which == k].mean()),
                            float(y[which == k].mean()),
                            int(np.sum(which == k)),
                        ]
                        for k in range(BINS)
                    ],
                }
            )
    return rows


def jobs(setup):
    return [partial(run_one, setup, seed) for seed in setup.seeds]


def section(rows, setup):
    names = list(dict.fromkeys(r["remedy"] for r in rows))
    header = ["remedy", "prior", *(m.replace("_", " ") for m in METRICS), "mean probability"]
    table = [
        [
            n,
            label,
            *(mean_std(rows, m, remedy=n, prior=label) for m in METRICS),
            mean_std(rows, "mean_probability", remedy=n, prior=label),
        ]
        for n in names
        for label in PRIORS
    ]
    share = mean(rows, "minority_share")
    loss = {(n, lab): mean(rows, "log_loss", remedy=n, prior=lab) for n in names for lab in PRIORS}
    rebalanced = [n for n in names if n != "none"]
    corrected = {
        n: change(
            rows,
            "log_loss",
            {"remedy": n, "prior": "as trained"},
            {"remedy": n, "prior": "training prior"},
        )
        for n in rebalanced
    }
    improved = [n for n, c in corrected.items() if c.clear and not c.up]
    best = min(loss, key=loss.get)
    same_without_remedy = abs(loss["none", "as trained"] - loss["none", "training prior"]) < 1e-9
    worst_trained = max(
        rebalanced, key=lambda n: loss[n, "as trained"] - loss[n, "training prior"]
    )
    findings = [
        f"The minority is {share:.1%} of the rows. As trained, the rebalanced models' mean "
        "minority probability is "
        + ", ".join(
            f"{mean(rows, 'mean_probability', remedy=n, prior='as trained'):.3f} ({n})"
            for n in rebalanced
        )
        + "; with prior='frequencies' it is "
        + ", ".join(
            f"{mean(rows, 'mean_probability', remedy=n, prior='training prior'):.3f}"
            for n in rebalanced
        )
        + ".",
        f"Correcting the prior clearly lowers the log loss of {len(improved)} of "
        f"{len(rebalanced)} rebalanced models (the 95 % interval of the paired change "
        f"below zero); the largest change is {worst_trained}'s: "
        + corrected[worst_trained].words("its log loss")
        + " "
        f"(no remedy: {loss['none', 'as trained']:.3f}, "
        f"{'unchanged' if same_without_remedy else 'changed'} by the correction, "
        "since it trained under the data's prior).",
        f"The lowest log loss is {best[0]} with the {best[1]} ({loss[best]:.3f}).",
        "Decisions move the other way, from as trained to the training prior: "
        + "; ".join(
            change(
                rows,
                "balanced_accuracy",
                {"remedy": n, "prior": "as trained"},
                {"remedy": n, "prior": "training prior"},
            ).words(f"{n}, balanced accuracy")
            for n in rebalanced
        )
        + ". Use the balanced prior to decide, the training prior for risks: the same fit "
        "gives both.",
    ]
    return Section(
        "Probabilities after rebalancing",
        describe_imbalanced(setup.n(1500, 4000), RATIO, split=False)
        + f"Each remedy trains once per fold ({3 if setup.quick else 5} "
        "stratified folds), and the same fit is scored with its probabilities as trained "
        "and moved to the training data's prior (prior='frequencies'). Log loss, Brier "
        "score and expected calibration error (10 bins of the minority's probability) on "
        "the test folds, which keep the 1:20 prior.",
        tables=[(header, table)],
        figures=[
            Figure(
                "reliability",
                _reliability(rows, names),
                f"Reliability diagrams: observed minority rate against the mean predicted "
                f"probability in {BINS} bins of equal size (about {_bin_rows(rows)} test "
                "predictions each, folds pooled, then averaged over the seeds); the diagonal "
                "is perfect calibration.",
            )
        ],
        findings=findings,
    )


def _reliability(rows, names):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(names), figsize=(12, 3.4), layout="constrained", sharey=True)
    for ax, name in zip(np.atleast_1d(axes), names):
        for label in PRIORS:
            # (seeds, bins, [probability, rate, rows]); bin k is the same
            # quantile in every seed, so the seeds average bin by bin.
            pts = np.array(
                [r["reliability"] for r in rows if r["remedy"] == name and r["prior"] == label]
            )
            ax.plot(*pts[:, :, :2].mean(axis=0).T, marker="o", ms=3, lw=1, label=label)
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        ax.set_title(name, fontsize="small")
        ax.set_xlabel("predicted minority probability")
    np.atleast_1d(axes)[0].set_ylabel("observed minority rate")
    np.atleast_1d(axes)[0].legend(fontsize="small")
    return fig


def _bin_rows(rows):
    """Rows of the test predictions in each reliability bin, per seed."""
    return int(np.mean([pt[2] for r in rows for pt in r["reliability"]]))
