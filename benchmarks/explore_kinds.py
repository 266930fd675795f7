"""How should one fit weigh its kinds of members? Rules judged on the test folds.

Issue 35's second measurement, after ``explore_oob_choice.py``: the kinds now
train in one network and one pass (``BalancedBNMLPClassifier(n_fold_members=K)``:
24 balanced members and K logit-adjusted members each leaving out one of K
folds). On each training fold of a panel this fits it once, keeps each kind's
out-of-bag probabilities (what the fit decides from) and test probabilities,
and scores several weighting rules on the test fold from the same fit:

- ``balanced`` / ``folds``: one kind alone; ``equal``: both at weight 1/2;
- ``greedy z=Z``: greedy selection with replacement on the out-of-bag rows,
  kept only when its out-of-bag balanced accuracy beats the balanced kind's by
  ``Z`` standard errors (``skbn._selection.weigh_kinds``; z=0 always keeps it);
- ``oracle``: the better of the two kinds alone on the test fold.

Beside them, the estimator as it is today (``BalancedBNMLPClassifier()``) and
the balanced random forest, fitted on the same folds, for the fit-time ratios.

    python benchmarks/explore_kinds.py --panel development

Writes ``results/kinds/<panel>.csv`` (one row per fold) and prints the table.
Exploratory: nothing here is a default, and the real-data benchmark's cache
does not see it.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_real_data as bench  # noqa: E402
from _real_data import load_long_tailed, load_medium, load_panel  # noqa: E402

EVIDENCE = (0.0, 0.5, 1.0, 2.0)
N_FOLD_MEMBERS = 5


def _pipeline(model):
    from skbn import SmoothClipScaler

    return bench.pipeline(model, numbers=SmoothClipScaler())


def _timed_fit(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - start


def _captured_fit(X, y, seed, params):
    """The fit with kinds, and the out-of-bag probabilities its rule saw."""
    import skbn._balanced as balanced
    from skbn import BalancedBNMLPClassifier

    seen = {}
    rule = balanced.weigh_kinds

    def capture(kind_proba, codes, n_classes, **kwargs):
        seen.update(kind_proba=kind_proba.copy(), codes=codes.copy(), n_classes=n_classes)
        return rule(kind_proba, codes, n_classes, **kwargs)

    balanced.weigh_kinds = capture
    try:
        model = _pipeline(BalancedBNMLPClassifier(random_state=seed, **params))
        model, seconds = _timed_fit(model, X, y)
    finally:
        balanced.weigh_kinds = rule
    return model, seconds, seen


def run_fold(*args):
    from threadpoolctl import threadpool_limits

    # One thread per fit, two side by side, as the real-data benchmark times them.
    with threadpool_limits(limits=1):
        return _run_fold(*args)


def _run_fold(dataset, repeat, fold, train, test, params, store):
    from skbn import BalancedBNMLPClassifier
    from skbn._selection import weigh_kinds

    warnings.simplefilter("ignore")
    X_train, y_train = dataset.X.iloc[train], dataset.y[train]
    X_test, y_test = dataset.X.iloc[test], dataset.y[test]
    seed = 1000 * repeat + fold
    record = {"dataset": dataset.name, "repeat": repeat, "fold": fold}

    def score(name, proba):
        metrics = bench.fold_metrics(dataset, y_test, proba, proba.argmax(1))
        record[f"{name} ba"] = metrics["balanced_accuracy"]
        record[f"{name} ap"] = metrics["average_precision"]

    forest, record["forest fit s"] = _timed_fit(bench._brf(y_train, seed), X_train, y_train)
    score("forest", forest.predict_proba(X_test))
    today, record["today fit s"] = _timed_fit(
        _pipeline(BalancedBNMLPClassifier(random_state=seed)), X_train, y_train
    )
    score("today", today.predict_proba(X_test))

    model, record["kinds fit s"], seen = _captured_fit(X_train, y_train, seed, params)
    clf = model[-1]
    members = clf.predict_member_proba(model[:-1].transform(X_test))
    kind_test = np.stack([members[clf.member_kinds_ == k].mean(0) for k in range(2)])
    score("model", model.predict_proba(X_test))
    score("balanced", kind_test[0])
    score("folds", kind_test[1])
    score("equal", kind_test.mean(0))
    for z in EVIDENCE:
        weights, scores = weigh_kinds(
            seen["kind_proba"], seen["codes"], seen["n_classes"], min_evidence=z
        )
        record[f"greedy z={z} weight folds"] = weights[1]
        score(f"greedy z={z}", np.tensordot(weights, kind_test, 1))
    record["oob balanced"], record["oob folds"] = scores
    if store is not None:
        # What every rule needs, to judge new rules without refitting.
        np.savez_compressed(
            store / f"{dataset.name}-{repeat}-{fold}.npz",
            kind_proba=seen["kind_proba"],
            codes=seen["codes"],
            kind_test=kind_test,
            y_test=np.searchsorted(clf.classes_, y_test),
        )
    better = int(record["folds ba"] > record["balanced ba"])
    record["oracle ba"] = record[f"{('balanced', 'folds')[better]} ba"]
    record["oracle ap"] = record[f"{('balanced', 'folds')[better]} ap"]
    return record


RULES = ("forest", "today", "balanced", "folds", "equal", "oracle") + tuple(
    f"greedy z={z}" for z in EVIDENCE
)


def summary(frame):
    """Means over data sets (each set's folds averaged first), the worst sets
    against the better kind, and the fit times."""
    cols = [f"{r} {m}" for m in ("ba", "ap") for r in RULES]
    per_set = frame.groupby("dataset")[cols].mean()
    lines = [f"{len(per_set)} data sets, {len(frame)} folds", ""]
    lines += [f"{'rule':16s} {'ba':>6s} {'ap':>6s} {'worst ba - best':>16s} {'folds':>6s}"]
    best = per_set[["forest ba", "today ba", "folds ba"]].max(axis=1)
    for r in RULES:
        gap = (per_set[f"{r} ba"] - best).min()
        weight = frame.get(f"{r} weight folds")
        w = "" if weight is None else f"{weight.mean():6.2f}"
        lines.append(
            f"{r:16s} {per_set[f'{r} ba'].mean():6.3f} {per_set[f'{r} ap'].mean():6.3f} "
            f"{gap:+16.3f} {w}"
        )
    oob_better = frame["oob folds"] > frame["oob balanced"]
    test_better = frame["folds ba"] > frame["balanced ba"]
    lines += [
        "",
        f"out-of-bag picks the test-better kind in {np.mean(oob_better == test_better):.2f} of folds",
    ]
    fits = frame[["forest fit s", "today fit s", "kinds fit s"]].median()
    lines += ["median fit s: " + ", ".join(f"{k} {v:.2f}" for k, v in fits.items())]
    lines += [
        f"kinds / forest (median of per-fold ratios): {(frame['kinds fit s'] / frame['forest fit s']).median():.2f}"
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--panel", choices=["development", "medium", "long-tailed"], default="development"
    )
    parser.add_argument("--datasets", nargs="+")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--n-fold-members", type=int, default=N_FOLD_MEMBERS)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "kinds")
    args = parser.parse_args(argv)
    if args.panel == "medium":
        datasets = load_medium(args.datasets)
    elif args.panel == "long-tailed":
        datasets = load_long_tailed(args.datasets)
    else:
        datasets = [d for d in load_panel(args.datasets) if d.binary]
    params = {"n_fold_members": args.n_fold_members}
    store = args.out / args.panel
    store.mkdir(parents=True, exist_ok=True)
    jobs = [
        delayed(run_fold)(d, repeat, fold, train, test, params, store)
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
