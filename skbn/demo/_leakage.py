"""Leakage: oversampling before the split vs inside an imblearn Pipeline."""

from functools import partial

import numpy as np
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline
from sklearn.base import clone
from sklearn.metrics import balanced_accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_score

from ._common import Section, change, mean_std, quiet_fit
from ._data import describe_imbalanced, imbalanced

NAME = "leakage"
DESCRIPTION = "Leakage: SMOTE before the cross-validation split vs inside an imblearn Pipeline."
CONFIG = ("protocol",)

RATIO = 20


def run_one(setup, seed):
    X, X_holdout, y, y_holdout = imbalanced(setup.n(1500, 4000), RATIO, seed)

    def clf():
        return setup.model((32,), max_iter=setup.n(20, 40), batch_size=64, random_state=seed)

    cv = StratifiedKFold(3, shuffle=True, random_state=seed)
    # SMOTE's 5 neighbours, fewer only where a training fold's minority has no
    # 6 rows (the tiny --scale of a smoke test), so that no fold fails.
    smote = SMOTE(k_neighbors=min(5, np.bincount(y).min() * 2 // 3 - 1), random_state=seed)
    rows = []
    X_res, y_res = clone(smote).fit_resample(X, y)
    for protocol, (model, Xc, yc) in {
        "SMOTE before the split": (clf(), X_res, y_res),
        "SMOTE inside the pipeline": (make_pipeline(clone(smote), clf()), X, y),
    }.items():
        scores = {
            m: float(cross_val_score(model, Xc, yc, cv=cv, scoring=s).mean())
            for m, s in (("cv_balanced_accuracy", "balanced_accuracy"), ("cv_minority_f1", "f1"))
        }
        rows.append({"seed": seed, "protocol": protocol, **scores})
    pipe = quiet_fit(make_pipeline(clone(smote), clf()), X, y)
    pred = pipe.predict(X_holdout)
    rows.append(
        {
            "seed": seed,
            "protocol": "held-out test set",
            "cv_balanced_accuracy": float(balanced_accuracy_score(y_holdout, pred)),
            "cv_minority_f1": float(f1_score(y_holdout, pred)),
        }
    )
    return rows


def jobs(setup):
    return [partial(run_one, setup, seed) for seed in setup.seeds]


PROTOCOLS = ("SMOTE before the split", "SMOTE inside the pipeline", "held-out test set")


def section(rows, setup):
    table = [
        [
            p,
            mean_std(rows, "cv_balanced_accuracy", protocol=p),
            mean_std(rows, "cv_minority_f1", protocol=p),
        ]
        for p in PROTOCOLS
    ]
    leak, honest, truth = PROTOCOLS

    def off(protocol):
        return change(rows, "cv_minority_f1", {"protocol": truth}, {"protocol": protocol})

    findings = [
        off(leak).words(
            "From the held-out score to the cross-validated score of SMOTE before the split, "
            "minority F1"
        )
        + "; "
        + off(honest).words("to that of SMOTE inside the pipeline, it")
        + ". A cross-validated score should match the held-out one; a clear rise is "
        "optimism.",
    ]
    memorised = change(rows, "cv_minority_f1", {"protocol": honest}, {"protocol": leak})
    if memorised.up:
        findings.append(
            "Synthetic minority rows made from all the data put near-copies of each test "
            "fold's minority rows into the training folds: "
            + memorised.words("from the pipeline's score to the leaky one, minority F1")
            + ", memorisation that the pipeline's score does not count."
        )
    return Section(
        "Leakage: resample inside the folds",
        describe_imbalanced(setup.n(1500, 4000), RATIO)
        + "SMOTE applied to all the cross-validation data before a 3-fold stratified "
        "cross-validation, against SMOTE as a step of an imblearn Pipeline (applied to the "
        "training folds only), and the pipeline's score on a held-out test set it never saw.",
        tables=[(["protocol", "balanced accuracy", "minority F1"], table)],
        findings=findings,
    )
