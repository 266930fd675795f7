"""Does a choice made from out-of-bag evidence carry over to the test folds?

The measurement issue 35 asks for before any machinery is built. On each
training fold of a panel, several kinds of model are fitted as separate
estimators, each leaving some training rows out of what it learns from:

- ``balanced``: ``BalancedBNMLPClassifier()`` (24 balanced bootstraps); a row's
  out-of-bag probability is the mean of the members that did not draw it;
- ``floor32``: the same with ``min_class_rows=32``;
- ``kfold-logit``: K networks ``BNMLPClassifier(loss='logit_adjusted')``, each
  fitted on K - 1 of K stratified parts of the training fold, so that every
  row is out of bag for exactly one network and each network sees (K - 1) / K
  of the rows; the model's probability is the mean of the K networks'.

All three give balanced-prior probabilities, so they can be compared and mixed.
From the out-of-bag probabilities alone the fit then decides: ``choice`` takes
the kind with the best out-of-bag balanced accuracy; ``greedy`` mixes the kinds
by greedy selection with replacement (Caruana et al. 2004) on the rows every
kind has out of bag. ``oracle`` is the kind best on the test fold, in hindsight;
``full-logit`` (one logit-adjusted network on every row, no out-of-bag rows) is
what the K-fold networks give up for their out-of-bag evidence.

    python benchmarks/explore_oob_choice.py --panel development --folds 5
    python benchmarks/explore_oob_choice.py --panel medium

Writes ``results/oob_choice/<panel>.csv`` (one row per fold) and prints the
table. Exploratory: nothing here is a default, and the real-data benchmark's
cache does not see it.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import balanced_accuracy_score, log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.class_weight import compute_sample_weight

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_real_data as bench  # noqa: E402
from _real_data import load_long_tailed, load_medium, load_panel  # noqa: E402

KINDS = ("balanced", "floor32", "kfold-logit")
INNER_FOLDS = 5
GREEDY_STEPS = 10


def _pipeline(model):
    from skbn import SmoothClipScaler

    return bench.pipeline(model, numbers=SmoothClipScaler())


def _balanced(X, y, seed, **params):
    from skbn import BalancedBNMLPClassifier

    model = _pipeline(BalancedBNMLPClassifier(oob_score=True, random_state=seed, **params))
    model.fit(X, y)
    return model, model[-1].oob_decision_function_


def _kfold_logit(X, y, seed):
    from skbn import BNMLPClassifier

    oob = np.full((len(y), len(np.unique(y))), np.nan)
    models = []
    inner = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=seed)
    for k, (fit_rows, out_rows) in enumerate(inner.split(X, y)):
        model = _pipeline(BNMLPClassifier(loss="logit_adjusted", random_state=seed + k))
        model.fit(X.iloc[fit_rows], y[fit_rows])
        oob[out_rows] = model.predict_proba(X.iloc[out_rows])
        models.append(model)
    return models, oob


def fit_kind(kind, X, y, seed):
    if kind == "balanced":
        return _balanced(X, y, seed)
    if kind == "floor32":
        return _balanced(X, y, seed, min_class_rows=32)
    return _kfold_logit(X, y, seed)


def predict_kind(fitted, X):
    models = fitted if isinstance(fitted, list) else [fitted]
    return np.mean([m.predict_proba(X) for m in models], axis=0)


def oob_score(y, oob):
    seen = ~np.isnan(oob).any(axis=1)
    return balanced_accuracy_score(y[seen], oob[seen].argmax(axis=1))


def greedy_weights(y, oobs):
    """Greedy selection with replacement on the rows every kind has out of bag:
    add, one at a time, the kind whose addition gives the best balanced
    accuracy of the running mean (ties: the lower balanced log loss); the
    counts are the weights."""
    seen = np.all([~np.isnan(p).any(axis=1) for p in oobs], axis=0)
    y = y[seen]
    # Cross-entropy with each class weighted to the same total: the tie-break
    # of balanced accuracy, which is flat over most mixtures.
    balanced = {
        "sample_weight": compute_sample_weight("balanced", y),
        "labels": np.arange(oobs[0].shape[1]),
    }
    counts, total = np.zeros(len(oobs)), 0.0
    for _ in range(GREEDY_STEPS):
        mixes = [(total + p[seen]) / (counts.sum() + 1) for p in oobs]
        scores = [
            (balanced_accuracy_score(y, m.argmax(1)), -log_loss(y, m, **balanced)) for m in mixes
        ]
        best = max(range(len(oobs)), key=scores.__getitem__)
        counts[best] += 1
        total = total + oobs[best][seen]
    return counts / counts.sum()


def run_fold(dataset, repeat, fold, train, test):
    warnings.simplefilter("ignore")
    X_train, y_train = dataset.X.iloc[train], dataset.y[train]
    X_test, y_test = dataset.X.iloc[test], dataset.y[test]
    seed = 1000 * repeat + fold
    record = {"dataset": dataset.name, "repeat": repeat, "fold": fold}
    oobs, tests = [], []
    for kind in KINDS:
        start = time.perf_counter()
        fitted, oob = fit_kind(kind, X_train, y_train, seed)
        record[f"{kind} fit s"] = time.perf_counter() - start
        proba = predict_kind(fitted, X_test)
        oobs.append(oob)
        tests.append(proba)
        record[f"{kind} oob"] = oob_score(y_train, oob)
        record[f"{kind} oob coverage"] = float(np.mean(~np.isnan(oob).any(axis=1)))
        metrics = bench.fold_metrics(dataset, y_test, proba, proba.argmax(1))
        record[f"{kind} test"] = metrics["balanced_accuracy"]
        record[f"{kind} test ap"] = metrics["average_precision"]
    chosen = int(np.argmax([record[f"{k} oob"] for k in KINDS]))
    record["choice"] = KINDS[chosen]
    record["choice test"] = record[f"{KINDS[chosen]} test"]
    record["choice test ap"] = record[f"{KINDS[chosen]} test ap"]
    weights = greedy_weights(y_train, oobs)
    mixed = np.tensordot(weights, np.array(tests), axes=1)
    metrics = bench.fold_metrics(dataset, y_test, mixed, mixed.argmax(1))
    record.update({f"weight {k}": w for k, w in zip(KINDS, weights)})
    record["greedy test"] = metrics["balanced_accuracy"]
    record["greedy test ap"] = metrics["average_precision"]
    # The reference the K-fold networks are judged against: one network on every row.
    from skbn import BNMLPClassifier

    full = _pipeline(BNMLPClassifier(loss="logit_adjusted", random_state=seed))
    proba = full.fit(X_train, y_train).predict_proba(X_test)
    record["full-logit test"] = bench.fold_metrics(dataset, y_test, proba, proba.argmax(1))[
        "balanced_accuracy"
    ]
    best = max(record[f"{k} test"] for k in KINDS)
    record["oracle test"] = best
    # Right when the chosen kind is as good on the test fold as the best one.
    record["choice right"] = record["choice test"] >= best - 1e-3
    return record


def summary(frame):
    """Means over data sets (each set's folds averaged first)."""
    cols = [f"{k} test" for k in KINDS] + ["full-logit test"]
    cols += ["choice test", "greedy test", "oracle test"]
    cols += [f"{k} test ap" for k in KINDS] + ["choice test ap", "greedy test ap"]
    per_set = frame.groupby("dataset")[cols + ["choice right"]].mean()
    lines = [f"{len(per_set)} data sets, {len(frame)} folds", ""]
    lines += [f"{c:24s} {per_set[c].mean():.3f}" for c in cols]
    lines.append(f"{'choice right (folds)':24s} {frame['choice right'].mean():.2f}")
    best_kind = per_set[[f"{k} test" for k in KINDS]].max(axis=1)
    gap = (per_set["choice test"] - best_kind).sort_values()
    lines += ["", "worst sets, choice - best kind on the set:"]
    lines += [f"  {name:28s} {value:+.3f}" for name, value in gap.head(5).items()]
    fits = frame[[f"{k} fit s" for k in KINDS]].median()
    lines += ["", "median fit s: " + ", ".join(f"{k} {v:.2f}" for k, v in fits.items())]
    return "\n".join(lines)


def panel_datasets(panel, names):
    """The sets of a development panel: ``'development'`` (its binary sets),
    ``'medium'`` or ``'long-tailed'``; ``names`` picks some."""
    if panel == "medium":
        return load_medium(names)
    if panel == "long-tailed":
        return load_long_tailed(names)
    return [d for d in load_panel(names) if d.binary]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--panel", choices=["development", "medium", "long-tailed"], default="development"
    )
    parser.add_argument("--datasets", nargs="+")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "oob_choice")
    args = parser.parse_args(argv)
    datasets = panel_datasets(args.panel, args.datasets)
    jobs = [
        delayed(run_fold)(d, repeat, fold, train, test)
        for d in datasets
        for repeat, fold, train, test in bench.folds(d, args.folds, 1, 0)
    ]
    frame = pd.DataFrame(Parallel(n_jobs=args.n_jobs)(jobs))
    args.out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out / f"{args.panel}.csv", index=False)
    print(summary(frame))
    return frame


if __name__ == "__main__":
    main()
