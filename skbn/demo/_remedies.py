"""Imbalance remedies compared with stratified cross-validation at ratios 20 and 100."""

from functools import partial

import numpy as np
from imblearn.metrics import geometric_mean_score
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import clone
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    recall_score,
)
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV

from .._class_weight import effective_number_weights
from ..resampling import GaussianNoiseOverSampler
from ._common import Figure, Section, change, mean, mean_std, quiet_fit
from ._data import describe_imbalanced, imbalanced_pool

NAME = "remedies"
DESCRIPTION = "Remedies compared (none, over/under-sampling, SMOTE, weights, augmentation, batches, logit adjustment, threshold) at 1:20 and 1:100."
CONFIG = ("ratio", "remedy")

RATIOS = (20, 100)
METRICS = ("balanced_accuracy", "macro_f1", "g_mean", "average_precision", "minority_recall")


def remedies(setup, seed):
    def clf(**params):
        return setup.model(
            (32,), max_iter=setup.n(20, 40), batch_size=64, random_state=seed, **params
        )

    return {
        "none": clf(),
        "random over-sampling": make_pipeline(RandomOverSampler(random_state=seed), clf()),
        "SMOTE": make_pipeline(SMOTE(k_neighbors=3, random_state=seed), clf()),
        "random under-sampling": make_pipeline(RandomUnderSampler(random_state=seed), clf()),
        "class_weight='balanced'": clf(class_weight="balanced"),
        "effective-number weights": clf(
            class_weight=partial(effective_number_weights, beta=0.999)
        ),
        "noise augmentation": make_pipeline(GaussianNoiseOverSampler(random_state=seed), clf()),
        "balanced batches": clf(batch_sampler="balanced"),
        "logit adjustment": clf(logit_adjustment=1.0),
        "tuned threshold": TunedThresholdClassifierCV(
            clf(), scoring="balanced_accuracy", cv=StratifiedKFold(3), random_state=seed
        ),
    }


def run_one(setup, seed, ratio):
    X, y = imbalanced_pool(setup.n(1500, 4000), ratio, seed)
    folds = list(
        StratifiedKFold(3 if setup.quick else 5, shuffle=True, random_state=seed).split(X, y)
    )
    rows = []
    for name, template in remedies(setup, seed).items():
        pred = np.empty_like(y)
        score = np.empty(len(y))
        per_fold = []
        for train, test in folds:
            model = quiet_fit(clone(template), X[train], y[train])
            pred[test] = model.predict(X[test])
            score[test] = model.predict_proba(X[test])[:, 1]
            per_fold.append(_metrics(y[test], pred[test], score[test]))
        tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
        rows.append(
            {
                "seed": seed,
                "ratio": ratio,
                "remedy": name,
                **{m: float(np.mean([f[m] for f in per_fold])) for m in METRICS},
                "confusion": [int(tn), int(fp), int(fn), int(tp)],
            }
        )
    return rows


def _metrics(y, pred, score):
    return {
        "balanced_accuracy": balanced_accuracy_score(y, pred),
        "macro_f1": f1_score(y, pred, average="macro"),
        "g_mean": geometric_mean_score(y, pred),
        "average_precision": average_precision_score(y, score),
        "minority_recall": recall_score(y, pred),
    }


def jobs(setup):
    return [partial(run_one, setup, seed, ratio) for seed in setup.seeds for ratio in RATIOS]


def section(rows, setup):
    tables, findings, figures = [], [], []
    for ratio in sorted({r["ratio"] for r in rows}):
        at = [r for r in rows if r["ratio"] == ratio]
        names = list(dict.fromkeys(r["remedy"] for r in at))
        ranked = sorted(names, key=lambda n: -mean(at, "balanced_accuracy", remedy=n))
        header = ["ratio", "rank", "remedy", *(m.replace("_", " ") for m in METRICS)]
        table = [
            [f"1:{ratio}", str(i), n, *(mean_std(at, m, remedy=n) for m in METRICS)]
            for i, n in enumerate(ranked, 1)
        ]
        tables.append((header, table))
        best = ranked[0]
        clear_gain = [
            n
            for n in names
            if n != "none"
            and change(at, "balanced_accuracy", {"remedy": "none"}, {"remedy": n}).up
        ]
        level = [
            n
            for n in ranked[1:]
            if not change(at, "balanced_accuracy", {"remedy": best}, {"remedy": n}).clear
        ]
        n_minority = max(setup.n(1500, 4000) // ratio, 12)
        top_recall = max(names, key=lambda n: mean(at, "minority_recall", remedy=n))
        tn, fp, fn, tp = np.sum([r["confusion"] for r in at if r["remedy"] == top_recall], axis=0)
        ap = {n: mean(at, "average_precision", remedy=n) for n in names}
        findings += [
            f"At 1:{ratio} ({n_minority} minority rows per seed, {n_minority * len(setup.seeds)} "
            f"in all), {best} has the highest mean balanced accuracy: "
            + change(at, "balanced_accuracy", {"remedy": "none"}, {"remedy": best}).words(
                "against no remedy it"
            )
            + f". {len(clear_gain)} of {len(names) - 1} remedies are clearly above no remedy; "
            + (
                f"{len(level)} others ({', '.join(level)}) cannot be told apart from {best} "
                "with these seeds."
                if level
                else f"every other remedy is clearly below {best}."
            ),
            f"At 1:{ratio}, minority recall goes from "
            f"{mean(at, 'minority_recall', remedy='none'):.3f} with no remedy to "
            f"{mean(at, 'minority_recall', remedy=top_recall):.3f} at best ({top_recall}), "
            f"which labels {fp} of the {tn + fp} majority rows (summed over folds and seeds) "
            "as minority"
            + (
                f": {fp / (tn + fp):.0%} of the majority flagged, recall bought with false alarms."
                if fp > 0.1 * (tn + fp)
                else "."
            ),
            f"At 1:{ratio}, average precision ranges from {min(ap.values()):.3f} to "
            f"{max(ap.values()):.3f}: remedies that only move the threshold (logit adjustment, "
            f"tuned threshold) leave the ranking, hence AP, "
            f"{'unchanged' if abs(ap['logit adjustment'] - ap['none']) < 1e-9 else 'changed'} "
            f"({ap['logit adjustment']:.3f} vs {ap['none']:.3f}).",
        ]
        figures.append(
            Figure(
                f"confusion_{ratio}",
                _confusion_grid(at, names),
                f"Confusion matrices at 1:{ratio}, summed over folds and seeds, as shares of "
                "each true class's rows.",
            )
        )
    return Section(
        "Remedies compared",
        describe_imbalanced(setup.n(1500, 4000), "1:20 or 1:100", split=False)
        + "Each remedy trains the same MLP (32,) with stratified cross-validation "
        f"({3 if setup.quick else 5} folds, resampling inside the training folds only). "
        "Tables are ranked by balanced accuracy; G-mean is imbalanced-learn's "
        "geometric_mean_score.",
        tables=tables,
        figures=figures,
        findings=findings,
    )


def _confusion_grid(rows, names):
    """Each remedy's confusion matrix, rows normalised to rates (the recall of
    each true class on the diagonal), on one colour scale with a colour bar."""
    import matplotlib.pyplot as plt

    cols = 5
    fig, axes = plt.subplots(-(-len(names) // cols), cols, figsize=(12, 5.4), layout="constrained")
    for ax, name in zip(axes.ravel(), names):
        total = np.sum([r["confusion"] for r in rows if r["remedy"] == name], axis=0).reshape(2, 2)
        rates = total / total.sum(axis=1, keepdims=True)
        display = ConfusionMatrixDisplay(rates, display_labels=["majority", "minority"])
        display.plot(ax=ax, colorbar=False, values_format=".2f", im_kw={"vmin": 0, "vmax": 1})
        ax.tick_params(labelsize="small")  # full-size labels run together in a fifth of a row
        ax.set_title(name, fontsize="small")
        ax.set_xlabel("predicted", fontsize="small")
        ax.set_ylabel("true", fontsize="small")
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.colorbar(display.im_, ax=axes, shrink=0.8, label="share of the true class's rows")
    return fig
