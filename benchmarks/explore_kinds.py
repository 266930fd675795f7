"""How should one fit weigh its kinds of members? Rules judged on the test folds.

Issue 35's second measurement, after ``explore_oob_choice.py``: the kinds now
train in one network and one pass (``BalancedBNMLPClassifier(n_fold_members=K)``:
24 balanced members and K logit-adjusted members each leaving out one of K
folds). On each training fold of a panel this fits it once, keeps each kind's
out-of-bag probabilities (what the fit decides from) and test probabilities,
and scores several weighting rules on the test fold from the same fit:

- ``balanced`` / ``folds``: one kind alone; ``equal``: both at weight 1/2;
- ``model``: the fit's own weights (``skbn._selection.weigh_kinds`` at its
  defaults), what ``predict_proba`` gives;
- ``oracle``: the better of the two kinds alone on the test fold, in hindsight.

The out-of-bag and test probabilities of each kind are stored per fold, so that
``--judge`` scores other rules (greedy selection by balanced accuracy or log
loss, from an empty bag or from the equal mix, kept at several standard errors
of evidence) without refitting.

Beside them, on the same folds: the estimator as it was before the two kinds
became its default (``BalancedBNMLPClassifier(n_fold_members=0)``, ``today``),
the two other recommendations of that time for long
tails (``min_class_rows=32``, and one ``BNMLPClassifier(loss='logit_adjusted')``)
and the balanced random forest: the references of issue 35's "never the wrong
model" (each set's BA within 0.02 of the best of them) and of the fit times.

    python benchmarks/explore_kinds.py --panel development
    python benchmarks/explore_kinds.py --panel development --judge
    python benchmarks/explore_kinds.py --panel development --alone 0.1 1 10 \
        --out benchmarks/results/kinds/alone

``--alone LR_FACTOR BATCH_FACTOR MIN_PATIENCE`` trains the fold members, once
the balanced ones have stopped, at that multiple of the fit's step size and
batch, waiting at least that many of their own epochs for their out-of-bag
score to improve (``skbn._training.ALONE_*``: 0.3, 4 and 5 by default, chosen
from results/kinds/alone_0.3_4_5/; the runs without ``--alone`` in
results/kinds/ trained them at the earlier 1, 4 and 1).

Writes ``results/kinds/<panel>.csv`` (one row per fold), the panel's section
``<panel>.md`` and ``report.md`` (every panel's section); the stored
probabilities go to ``--store`` (not committed: tens of MB).
Exploratory: nothing here is a default, and the real-data benchmark's cache
does not see it.
"""

import argparse
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_real_data as bench  # noqa: E402
from explore_oob_choice import panel_datasets  # noqa: E402

N_FOLD_MEMBERS = 5
KINDS = ("balanced", "folds")


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


def run_fold(*args, alone=None):
    from threadpoolctl import threadpool_limits

    # One thread per fit, two side by side, as the real-data benchmark times them.
    with threadpool_limits(limits=1), _alone(alone):
        return _run_fold(*args)


@contextmanager
def _alone(alone):
    """The fold members' training on alone, ``(lr factor, batch factor, min
    patience)`` or None for skbn's own, for the fits inside; skbn's constants
    are restored after (a worker process runs other folds next)."""
    import skbn._training as training

    names = ("ALONE_LR_FACTOR", "ALONE_BATCH_FACTOR", "ALONE_MIN_PATIENCE")
    saved = [getattr(training, name) for name in names]
    if alone is not None:
        for name, value, kind in zip(names, alone, (float, int, int)):
            setattr(training, name, kind(value))
    try:
        yield
    finally:
        for name, value in zip(names, saved):
            setattr(training, name, value)


def _run_fold(dataset, repeat, fold, train, test, params, store):
    from skbn import BalancedBNMLPClassifier, BNMLPClassifier

    warnings.simplefilter("ignore")
    X_train, y_train = dataset.X.iloc[train], dataset.y[train]
    X_test, y_test = dataset.X.iloc[test], dataset.y[test]
    seed = 1000 * repeat + fold
    record = {"dataset": dataset.name, "repeat": repeat, "fold": fold}

    def score(name, proba):
        metrics = bench.fold_metrics(dataset, y_test, proba, proba.argmax(1))
        for metric in ("balanced_accuracy", "g_mean", "average_precision"):
            record[f"{name} {metric}"] = metrics[metric]

    forest, record["forest fit s"] = _timed_fit(bench._brf(y_train, seed), X_train, y_train)
    score("forest", forest.predict_proba(X_test))
    today, record["today fit s"] = _timed_fit(
        _pipeline(BalancedBNMLPClassifier(n_fold_members=0, random_state=seed)),
        X_train,
        y_train,
    )
    score("today", today.predict_proba(X_test))
    # Today's other two recommendations (long tails): the class floor, and one
    # network with the logit-adjusted loss.
    floor32, record["floor32 fit s"] = _timed_fit(
        _pipeline(BalancedBNMLPClassifier(min_class_rows=32, n_fold_members=0, random_state=seed)),
        X_train,
        y_train,
    )
    score("floor32", floor32.predict_proba(X_test))
    logit, record["logit fit s"] = _timed_fit(
        _pipeline(BNMLPClassifier(loss="logit_adjusted", random_state=seed)), X_train, y_train
    )
    score("logit", logit.predict_proba(X_test))

    model, record["model fit s"], seen = _captured_fit(X_train, y_train, seed, params)
    clf = model[-1]
    members = clf.predict_member_proba(model[:-1].transform(X_test))
    kind_test = np.stack([members[clf.member_kinds_ == k].mean(0) for k in range(2)])
    score("model", model.predict_proba(X_test))
    score("balanced", kind_test[0])
    score("folds", kind_test[1])
    score("equal", kind_test.mean(0))
    record["model weight folds"] = clf.kind_weights_[1]
    record["oob balanced"], record["oob folds"] = (clf.oob_scores_[k] for k in clf.kinds_)
    better = KINDS[int(record["folds balanced_accuracy"] > record["balanced balanced_accuracy"])]
    for metric in ("balanced_accuracy", "g_mean", "average_precision"):
        record[f"oracle {metric}"] = record[f"{better} {metric}"]
    if store is not None:
        # What every rule needs, to judge new rules without refitting.
        np.savez_compressed(
            store / f"{dataset.name}-{repeat}-{fold}.npz",
            kind_proba=seen["kind_proba"],
            codes=seen["codes"],
            kind_test=kind_test,
            y_test=np.searchsorted(clf.classes_, y_test),
        )
    return record


RULES = ("forest", "today", "floor32", "logit", "balanced", "folds", "equal", "model", "oracle")
METRICS = {"balanced_accuracy": "BA", "g_mean": "G-mean", "average_precision": "AP"}
# Never the wrong model: within this much balanced accuracy of the best of the
# forest and today's three recommendations, on every set (issue 35).
NEVER_WRONG = 0.02
REFERENCES = ("forest", "today", "floor32", "logit")


def summary(frame, panel, alone=None):
    """The panel's section: means over data sets (each set's folds averaged
    first), the worst set against the best of the forest and today's three
    recommendations, the sets where the model is not within ``NEVER_WRONG``
    of it, the choice's accuracy and the fit times."""
    cols = [f"{r} {m}" for r in RULES for m in METRICS]
    per_set = frame.groupby("dataset")[cols].mean()
    best = per_set[[f"{r} balanced_accuracy" for r in REFERENCES]].max(axis=1)
    lines = [
        f"## {panel}: {len(per_set)} data sets, {len(frame)} folds",
        "",
        "`floor32`: `BalancedBNMLPClassifier(min_class_rows=32, n_fold_members=0)`; `logit`: "
        "`BNMLPClassifier(loss='logit_adjusted')`; with `today` and the forest they are "
        "the references of the last column."
        + (
            f" The fold members train on alone at {alone[0]:g}x the step size and "
            f"{alone[1]:g}x the batch, waiting at least {alone[2]:g} epochs for their "
            f"out-of-bag score to improve (`--alone {alone[0]:g} {alone[1]:g} {alone[2]:g}`)."
            if alone is not None
            else ""
        ),
        "",
        "| rule | " + " | ".join(METRICS.values()) + " | worst set's BA - best of forest, "
        "today, floor32, logit |",
        "|---|" + "---|" * (len(METRICS) + 1),
    ]
    for r in RULES:
        means = " | ".join(f"{per_set[f'{r} {m}'].mean():.3f}" for m in METRICS)
        gap = per_set[f"{r} balanced_accuracy"] - best
        lines.append(f"| {r} | {means} | {gap.min():+.3f} ({gap.idxmin()}) |")
    gap = per_set["model balanced_accuracy"] - best
    wrong = gap[gap < -NEVER_WRONG].sort_values()
    oob_better = frame["oob folds"] > frame["oob balanced"]
    test_better = frame["folds balanced_accuracy"] > frame["balanced balanced_accuracy"]
    agree = np.mean(oob_better == test_better)
    fits = frame[[f"{r} fit s" for r in ("forest", "today", "floor32", "logit", "model")]].median()
    ratio = (frame["model fit s"] / frame["forest fit s"]).median()
    lines += [
        "",
        f"- Sets where the model's BA is more than {NEVER_WRONG} below the best reference: "
        + (
            ", ".join(f"{name} ({value:+.3f})" for name, value in wrong.items())
            if len(wrong)
            else "none"
        )
        + ".",
        f"- The kind with the better out-of-bag balanced accuracy is the better one on "
        f"the test fold in {agree:.2f} of the folds.",
        f"- The fit's weight on the fold kind: mean {frame['model weight folds'].mean():.2f}, "
        f"moved from 0.5 in {np.mean(frame['model weight folds'] != 0.5):.2f} of the folds.",
        "- Median fit seconds: "
        + ", ".join(f"{k.split()[0]} {v:.2f}" for k, v in fits.items())
        + f"; the model's fit over the forest's, median of the folds' ratios: {ratio:.2f}x.",
        "",
        "Per set (BA):",
        "",
        "| data set | forest | today | floor32 | logit | balanced | folds | model "
        "| fold kind's weight |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    weights = frame.groupby("dataset")["model weight folds"].mean()
    for name, row in per_set.iterrows():
        values = " | ".join(
            f"{row[f'{r} balanced_accuracy']:.3f}"
            for r in ("forest", "today", "floor32", "logit", "balanced", "folds", "model")
        )
        lines.append(f"| {name} | {values} | {weights[name]:.2f} |")
    return "\n".join(lines) + "\n"


def _test_scores(proba, y, n_classes):
    from sklearn.metrics import average_precision_score, balanced_accuracy_score
    from sklearn.preprocessing import label_binarize

    if n_classes == 2:
        ap = average_precision_score(y, proba[:, 1])
    else:
        ap = average_precision_score(
            label_binarize(y, classes=np.arange(n_classes)), proba, average="macro"
        )
    return balanced_accuracy_score(y, proba.argmax(1)), ap


def judge(store, rules):
    """Each rule of ``rules`` (name -> keyword arguments of ``weigh_kinds``)
    on the stored folds: per-set means of test balanced accuracy and AP, the
    worst set against the better kind, the mean weight of the fold kind."""
    from skbn._selection import weigh_kinds

    rows = []
    for path in sorted(store.glob("*.npz")):
        data = np.load(path)
        n_classes = data["kind_proba"].shape[-1]
        row = {"dataset": path.stem.rsplit("-", 2)[0]}
        for name, kwargs in rules.items():
            if isinstance(kwargs, int):
                weights = np.eye(2)[kwargs]
            else:
                weights, _ = weigh_kinds(data["kind_proba"], data["codes"], n_classes, **kwargs)
            proba = np.tensordot(weights, data["kind_test"], 1)
            row[f"{name} ba"], row[f"{name} ap"] = _test_scores(proba, data["y_test"], n_classes)
            row[f"{name} w"] = weights[1]
        rows.append(row)
    per_set = pd.DataFrame(rows).groupby("dataset").mean()
    best = per_set[["balanced ba", "folds ba"]].max(axis=1)
    lines = [
        "| rule | BA | AP | worst set's BA - better kind | fold kind's weight |",
        "|---|---|---|---|---|",
    ]
    for name in rules:
        lines.append(
            f"| {name} | {per_set[f'{name} ba'].mean():.3f} | {per_set[f'{name} ap'].mean():.3f} "
            f"| {(per_set[f'{name} ba'] - best).min():+.3f} | {per_set[f'{name} w'].mean():.2f} |"
        )
    return "\n".join(lines) + "\n"


JUDGED = {
    "balanced": 0,
    "folds": 1,
    "equal": {"min_evidence": np.inf},
    **{
        f"{o}, from {d}, z {z}": {
            "objective": o,
            "min_evidence": z,
            "start": 0,
            "default": [1.0, 0.0] if d == "balanced" else None,
        }
        for o in ("balanced_accuracy", "log_loss")
        for d in ("balanced", "equal")
        for z in (0.0, 2.0)
    },
    **{
        f"{o}, equal x4 in the bag, z {z}": {"objective": o, "min_evidence": z, "start": 4}
        for o in ("balanced_accuracy", "log_loss")
        for z in (0.0, 2.0)
    },
}


def write_report(out, folds=5, k=N_FOLD_MEMBERS):
    sections = [(out / f"{p}.md").read_text() for p in PANELS if (out / f"{p}.md").exists()]
    (out / "report.md").write_text(
        "# Members of two kinds in one fit, weighed from out-of-bag evidence\n\n"
        "`benchmarks/explore_kinds.py` (issue 35): "
        f"`BalancedBNMLPClassifier(n_fold_members={k})`, 24 balanced members and {k} "
        f"logit-adjusted members each leaving out one of {k} folds, in one network; `today` "
        "is `BalancedBNMLPClassifier(n_fold_members=0)`, the default before it; every fit "
        f"on one thread, two side by side; {folds}-fold x 1 on every panel.\n\n"
        + "\n".join(sections)
    )


PANELS = ("development", "medium", "long-tailed")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", choices=PANELS, default="development")
    parser.add_argument("--datasets", nargs="+")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--n-fold-members", type=int, default=N_FOLD_MEMBERS)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "kinds")
    parser.add_argument(
        "--store", type=Path, default=Path(tempfile.gettempdir()) / "skbn_kinds_store"
    )
    parser.add_argument(
        "--judge", action="store_true", help="only judge the rules on the stored folds"
    )
    parser.add_argument(
        "--alone",
        nargs=3,
        type=float,
        metavar=("LR_FACTOR", "BATCH_FACTOR", "MIN_PATIENCE"),
        help="the fold members' training on alone (default: skbn's, 0.3 4 5)",
    )
    args = parser.parse_args(argv)
    store = args.store / args.panel
    if args.judge:
        print(judge(store, JUDGED))
        return None
    datasets = panel_datasets(args.panel, args.datasets)
    params = {"n_fold_members": args.n_fold_members}
    store.mkdir(parents=True, exist_ok=True)
    jobs = [
        delayed(run_fold)(d, repeat, fold, train, test, params, store, alone=args.alone)
        for d in datasets
        for repeat, fold, train, test in bench.folds(d, args.folds, 1, 0)
    ]
    frame = pd.DataFrame(Parallel(n_jobs=args.n_jobs)(jobs))
    args.out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out / f"{args.panel}.csv", index=False)
    section = summary(frame, args.panel, args.alone)
    section += "\nOther rules on the same fits (`--judge`):\n\n" + judge(store, JUDGED)
    (args.out / f"{args.panel}.md").write_text(section)
    write_report(args.out, args.folds, args.n_fold_members)
    print(section)
    return frame


if __name__ == "__main__":
    main()
