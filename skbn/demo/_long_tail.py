"""A multi-class long tail: each class's recall against its share of the
training rows, with and without each remedy."""

from functools import partial

import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import average_precision_score, balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler, label_binarize

from .._balanced import BalancedBNMLPClassifier
from ._common import Figure, Section, change, mean_std, quiet_fit
from ._plots import lines_figure

NAME = "long_tail"
DESCRIPTION = (
    "A multi-class long tail (digits, training rows 100:1 from head to tail): "
    "per-class recall against class size, with and without each remedy."
)
CONFIG = ("remedy",)

RATIO = 100
FLOOR = 32  # min_class_rows: the setting the long-tailed panel chose
RECOMMENDED = "recommended: balanced and fold members"
METRICS = ("balanced_accuracy", "tail_recall", "head_recall", "average_precision")


def long_tail(seed):
    """scikit-learn's digits: a stratified 70/30 split whose training part is cut
    to Cui et al. (2019)'s profile, class c keeping ``n_head * RATIO**(-c/9)``
    rows (at least 2); the test part stays balanced."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    rng = np.random.default_rng(seed)
    n_head = np.bincount(y_train).min()
    counts = np.maximum(2, np.round(n_head * float(RATIO) ** (-np.arange(10) / 9))).astype(int)
    keep = np.concatenate(
        [rng.choice(np.flatnonzero(y_train == c), n, replace=False) for c, n in enumerate(counts)]
    )
    scaler = StandardScaler().fit(X_train[keep])
    return scaler.transform(X_train[keep]), scaler.transform(X_test), y_train[keep], y_test


def remedies(setup, seed):
    def single(**params):
        return setup.model(
            (64,), max_iter=setup.n(60, 100), batch_size=32, random_state=seed, **params
        )

    def balanced(n_fold_members=0, **params):
        return BalancedBNMLPClassifier(
            max_iter=setup.n(200, 200),
            random_state=seed,
            backend=setup.backend,
            n_threads=1,
            n_fold_members=n_fold_members,
            **params,
        )

    return {
        "no remedy": single(),
        "class weights": single(class_weight="balanced"),
        "logit adjustment": single(logit_adjustment=1.0),
        "logit-adjusted loss": single(loss="logit_adjusted"),
        "balanced ensemble": balanced(),
        f"balanced ensemble, class floor {FLOOR}": balanced(min_class_rows=FLOOR),
        RECOMMENDED: balanced(n_fold_members=5),
    }


def run_one(setup, seed):
    X_train, X_test, y_train, y_test = long_tail(seed)
    counts = np.bincount(y_train).tolist()
    tail = np.arange(10)[-3:]  # the rarest third
    rows = []
    for name, model in remedies(setup, seed).items():
        quiet_fit(model, X_train, y_train)
        proba = model.predict_proba(X_test)
        pred = model.classes_[proba.argmax(axis=1)]
        recalls = recall_score(y_test, pred, labels=np.arange(10), average=None)
        rows.append(
            {
                "seed": seed,
                "remedy": name,
                "balanced_accuracy": float(balanced_accuracy_score(y_test, pred)),
                "tail_recall": float(recalls[tail].mean()),
                "head_recall": float(recalls[:3].mean()),
                "average_precision": float(
                    average_precision_score(label_binarize(y_test, classes=np.arange(10)), proba)
                ),
                "class_recall": [float(r) for r in recalls],
                "train_counts": counts,
            }
        )
    return rows


def jobs(setup):
    return [partial(run_one, setup, seed) for seed in setup.seeds]


def section(rows, setup):
    names = list(dict.fromkeys(r["remedy"] for r in rows))
    n_seeds = len({r["seed"] for r in rows})
    counts = np.mean([r["train_counts"] for r in rows], axis=0)
    header = ["remedy", *(m.replace("_", " ") for m in METRICS)]
    table = [[n, *(mean_std(rows, m, remedy=n) for m in METRICS)] for n in names]
    findings = [
        f"Against no remedy, {name}: " + _verdicts(rows, "no remedy", name) + "."
        for name in names[1:]
    ]
    floor = f"balanced ensemble, class floor {FLOOR}"
    findings.append(
        f"A floor of {FLOOR} rows per class lets each member of the balanced ensemble draw "
        f"up to {FLOOR} rows of each class instead of {int(counts.min())} (the rarest "
        f"class's count; {int(counts.min()) * 10} rows a member without the floor), "
        "weighted back to balance. Against the ensemble without it: "
        + _verdicts(rows, "balanced ensemble", floor, METRICS)
        + "."
    )
    findings.append(
        "The estimator's default adds five members that see nearly every row with the "
        "logit-adjusted loss, each leaving out one fold, and weighs the two kinds out of "
        "bag. Against the balanced ensemble alone: "
        + _verdicts(rows, "balanced ensemble", RECOMMENDED, METRICS)
        + "."
    )
    fig = lines_figure(
        list(range(10)),
        {n: _class_recall(rows, n) for n in names},
        "class (training rows)",
        "recall on the balanced test split",
        xticks=list(range(10)),
    )
    ax = fig.axes[0]
    ax.set_xticks(range(10), [f"{c}\n({int(round(n))})" for c, n in enumerate(counts)])
    ax.set_ylim(0, 1.02)
    return Section(
        "A multi-class long tail",
        f"scikit-learn's digits (1,797 rows, 64 features, 10 classes): a stratified 70/30 "
        f"split whose training part is cut to a long tail, class c keeping "
        f"n_head · {RATIO}^(−c/9) rows ({int(counts.sum())} rows, {int(counts.max())} of "
        f"class 0 down to {int(counts.min())} of class 9), as CIFAR-10-LT is made "
        "(Cui et al. 2019); the test part stays balanced (540 rows). Tail recall: the mean "
        "recall of the rarest three classes; head recall: of the three largest. A single "
        "(64,) network with each remedy (logit adjustment at predict time, or in the training "
        "loss), the balanced ensemble (BalancedBNMLPClassifier(n_fold_members=0), "
        f"24 members) with and without min_class_rows={FLOOR}, and the estimator's default "
        "(24 balanced and 5 fold members). A difference is stated only "
        f"when the 95 % t-interval of its per-seed change ({n_seeds} seeds) excludes zero.",
        tables=[(header, table)],
        figures=[
            Figure(
                "long_tail_recall",
                fig,
                "Recall of each class (mean ± std over the seeds) against its training rows.",
            )
        ],
        findings=findings,
    )


def _verdicts(rows, a, b, keys=("balanced_accuracy", "tail_recall")):
    return "; ".join(
        change(rows, key, {"remedy": a}, {"remedy": b}).words(key.replace("_", " "))
        for key in keys
    )


def _class_recall(rows, name):
    per_seed = np.array([r["class_recall"] for r in rows if r["remedy"] == name])
    return per_seed.mean(axis=0).tolist(), per_seed.std(axis=0).tolist()
