"""Ensembles inside one network: accuracy, minority recall, calibration and
disagreement as the number of members grows."""

from functools import partial

import numpy as np
from sklearn.metrics import balanced_accuracy_score, recall_score

from ._common import Figure, Section, change, mean, mean_std, quiet_fit, series
from ._data import describe_imbalanced, imbalanced
from ._plots import lines_figure

NAME = "ensembles"
DESCRIPTION = (
    "Ensembles in one network (ensemble_size): balanced accuracy, minority recall, "
    "Brier score and member disagreement for k = 1..16, shared vs independent batches."
)
CONFIG = ("members", "member_batches")

SIZES = (1, 2, 4, 8, 16)
MEMBER_BATCHES = ("shared", "independent")
RATIO = 10


def brier(y, proba):
    """Multiclass Brier score: mean squared distance of the probabilities to the one-hot label."""
    onehot = np.eye(proba.shape[1])[y]
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def run_one(setup, seed):
    X_train, X_test, y_train, y_test = imbalanced(setup.n(1500, 4000), RATIO, seed)
    rows = []
    for members in MEMBER_BATCHES:
        for k in SIZES:
            model = setup.model(
                (64,),
                ensemble_size=k,
                member_batches=members,
                batch_sampler="balanced",
                batch_size=64,
                max_iter=setup.n(30, 60),
                tol=0.0,
                random_state=seed,
            )
            quiet_fit(model, X_train, y_train)
            proba = model.predict_proba(X_test)
            pred = model.classes_[proba.argmax(axis=1)]
            votes = model.predict_member_proba(X_test).argmax(axis=2)
            rows.append(
                {
                    "seed": seed,
                    "members": k,
                    "member_batches": members,
                    "accuracy": float(np.mean(pred == y_test)),
                    "balanced_accuracy": float(balanced_accuracy_score(y_test, pred)),
                    "minority_recall": float(recall_score(y_test, pred, pos_label=1)),
                    "brier": brier(y_test, proba),
                    # Share of test rows on which the members' votes are not unanimous.
                    "disagreement": float(np.mean(votes.min(axis=0) != votes.max(axis=0))),
                }
            )
    return rows


def jobs(setup):
    return [partial(run_one, setup, seed) for seed in setup.seeds]


def section(rows, setup):
    header = [
        "members",
        "batches",
        "balanced accuracy",
        "minority recall",
        "Brier",
        "disagreement",
    ]
    table = [
        [
            str(k),
            mb,
            mean_std(rows, "balanced_accuracy", members=k, member_batches=mb),
            mean_std(rows, "minority_recall", members=k, member_batches=mb),
            mean_std(rows, "brier", members=k, member_batches=mb),
            mean_std(rows, "disagreement", members=k, member_batches=mb),
        ]
        for mb in MEMBER_BATCHES
        for k in SIZES
    ]
    top = SIZES[-1]

    def at(key, k, mb):
        return mean(rows, key, members=k, member_batches=mb)

    def grows(key, mb):
        return change(
            rows, key, {"members": 1, "member_batches": mb}, {"members": top, "member_batches": mb}
        )

    findings = []
    for mb in MEMBER_BATCHES:
        findings.append(
            f"With {mb} batches, from 1 to {top} members "
            + grows("balanced_accuracy", mb).words("balanced accuracy")
            + ", "
            + grows("minority_recall", mb).words("minority recall")
            + " and "
            + grows("brier", mb).words("the Brier score (lower is better)")
            + "."
        )
    dis = change(
        rows,
        "disagreement",
        {"members": top, "member_batches": "shared"},
        {"members": top, "member_batches": "independent"},
    )
    findings.append(
        f"The share of test rows on which the {top} members' votes are not unanimous: "
        + dis.words("from shared to independent batches it", digits=3)
        + "."
    )
    best = max(
        ((k, mb) for k in SIZES for mb in MEMBER_BATCHES),
        key=lambda s: at("balanced_accuracy", *s),
    )
    best_k, best_mb = best
    findings.append(
        f"The highest mean balanced accuracy comes from {best_k} member(s) with {best_mb} "
        "batches; "
        + change(
            rows,
            "balanced_accuracy",
            {"members": 1, "member_batches": "shared"},
            {"members": best_k, "member_batches": best_mb},
        ).words("against one network it")
        + "."
    )
    figures = []
    for key, ylabel in (("balanced_accuracy", "balanced accuracy"), ("brier", "Brier score")):
        fig = lines_figure(
            list(SIZES),
            {mb: series(rows, key, "members", SIZES, member_batches=mb) for mb in MEMBER_BATCHES},
            "members (ensemble_size)",
            ylabel,
            log_x=True,
            xticks=list(SIZES),
        )
        figures.append(
            Figure(
                f"ensembles_{key}", fig, f"{ylabel.capitalize()} against the number of members."
            )
        )
    return Section(
        "Ensembles inside one network",
        describe_imbalanced(setup.n(1500, 4000), RATIO) + "One (64,) "
        "BNMLPClassifier with balanced batches, trained as an ensemble "
        "of k members (ensemble_size) whose probabilities are averaged. Shared: every member "
        "sees the same batches (TabM); independent: each member draws its own balanced "
        "batches, so each sees different majority rows. (Members on fixed balanced subsets "
        "are BalancedBNMLPClassifier: see the long-tail and probabilities sections.) "
        "Disagreement: share of test rows where the members' votes are not unanimous.",
        tables=[(header, table)],
        figures=figures,
        findings=findings,
    )
