"""Deeper or wider members for the recommended estimator? Measured before choosing.

Issue 35 asks the recommended model to win on the medium-size and long-tailed
panels, where its members, then one hidden layer of 100 units, left accuracy
to the trees and to TabM; this script chose their second layer of 16 units,
the default since. It fits the recommended pipeline,
``make_pipeline(SmoothClipScaler(), BalancedBNMLPClassifier(hidden_layer_sizes=H))``,
for each ``H`` of ``--hidden`` on the folds of a development panel, with the
real-data benchmark's protocol (KEEL 5-fold x 2, medium 5-fold x 1, long
tails 3-fold x 1, the same seeds, so ``(100, 16)`` is the recommended
recipe's own fit), and the balanced random forest on the same folds: one thread per fit,
two side by side, every fit of a panel timed in one run, so that the fit-time
ratios compare fits made under the same conditions.

    python benchmarks/explore_depth.py --panel development --hidden 100 100,50

Writes ``results/depth/<panel>.csv`` (one row per fold) and ``<panel>.md``
(means, wins/ties/losses against ``(100,)`` per set, the worst sets, the
sets more than 0.02 below the forest, median fit over the forest's) and
``report.md`` (every panel's section). Exploratory: the real-data
benchmark's cache does not see it.
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
from explore_oob_choice import panel_datasets  # noqa: E402

PANELS = {"development": (5, 2), "medium": (5, 1), "long-tailed": (3, 1)}
METRICS = {"balanced_accuracy": "BA", "g_mean": "G-mean", "average_precision": "AP"}
TIE = 0.001  # the real-data reports' tie: per-set means within 0.001
NEVER_WRONG = 0.02


def _spec(text):
    return tuple(int(units) for units in text.split(","))


def _name(hidden):
    return "(" + ", ".join(map(str, hidden)) + ("," if len(hidden) == 1 else "") + ")"


def run_fold(dataset, repeat, fold, train, test, hiddens, backend):
    from threadpoolctl import threadpool_limits

    from skbn import BalancedBNMLPClassifier, SmoothClipScaler

    warnings.simplefilter("ignore")
    seed = 1000 * repeat + fold  # the real-data benchmark's seed of this fold
    record = {"dataset": dataset.name, "repeat": repeat, "fold": fold}
    models = {"forest": bench._brf(dataset.y[train], seed)}
    for hidden in hiddens:
        models[_name(hidden)] = bench.pipeline(
            BalancedBNMLPClassifier(
                hidden_layer_sizes=hidden, backend=backend, oob_score=True, random_state=seed
            ),
            numbers=SmoothClipScaler(),
        )
    with threadpool_limits(limits=1):
        for name, model in models.items():
            fit_and_score(record, name, model, dataset, train, test)
    return record


def fit_and_score(record, name, model, dataset, train, test):
    """Fit ``model`` on the fold's training rows and add its fit seconds, its
    test metrics and (for skbn) its engine and ``oob_score_`` to ``record``."""
    start = time.perf_counter()
    model.fit(dataset.X.iloc[train], dataset.y[train])
    record[f"{name} fit s"] = time.perf_counter() - start
    proba = model.predict_proba(dataset.X.iloc[test])
    metrics = bench.fold_metrics(dataset, dataset.y[test], proba, proba.argmax(1))
    for metric in METRICS:
        record[f"{name} {metric}"] = metrics[metric]
    if name != "forest":
        record[f"{name} torch"] = model[-1].backend_ == "torch"
        record[f"{name} oob"] = model[-1].oob_score_


def choose(frame, names):
    """Two rules over the fitted sizes, fold by fold: ``chosen`` takes the
    size with the best out-of-bag balanced accuracy (what one fit could decide
    alone), ``oracle`` the one with the best test balanced accuracy (hindsight).
    Their fit is every size's: a choice between separate fits pays for all."""
    frame = frame.copy()
    for rule, key in (("chosen (out of bag)", "oob"), ("oracle (test)", "balanced_accuracy")):
        pick = frame[[f"{n} {key}" for n in names]].to_numpy().argmax(axis=1)
        for column in [*METRICS, "torch"]:
            values = frame[[f"{n} {column}" for n in names]].to_numpy()
            frame[f"{rule} {column}"] = values[np.arange(len(frame)), pick]
        frame[f"{rule} fit s"] = frame[[f"{n} fit s" for n in names]].sum(axis=1)
        frame[f"{rule} picks"] = pick
    picked = frame["chosen (out of bag) picks"] == frame["oracle (test) picks"]
    return frame, float(picked.mean())


def summary(frame, panel, names, backend, label="hidden", choice=True):
    """A panel's section; ``label`` heads the column of ``names``, and
    ``choice`` adds the out-of-bag and oracle choices among them."""
    base = names[0]
    choice = choice and len(names) > 1
    if choice:
        frame, agree = choose(frame, names)
        rules = ["chosen (out of bag)", "oracle (test)"]
    else:
        rules = []
    per_set = frame.groupby("dataset").mean(numeric_only=True)
    lines = [
        f"## {panel}: {len(per_set)} data sets, {len(frame)} folds",
        "",
        f"Every skbn fit with `backend='{backend}'`. Means over the sets; wins/ties/losses "
        f"and the worst and best set against `{base}` (per-set means, ties within {TIE}); "
        f"below the forest: the sets whose balanced accuracy is more than {NEVER_WRONG} "
        "below the forest's; fit: the median over the folds of the fit's seconds over the "
        "forest's on the same fold; torch fits: the share of fits the torch engine trained.",
        "",
        f"| {label} | " + " | ".join(METRICS.values()) + " | BA W/T/L | AP W/T/L "
        "| worst BA | best BA | below the forest | fit × forest | torch fits |",
        "|---|" + "---|" * (len(METRICS) + 7),
    ]
    for name in ["forest", *names, *rules]:
        means = " | ".join(f"{per_set[f'{name} {m}'].mean():.3f}" for m in METRICS)
        row = [means]
        for metric in ("balanced_accuracy", "average_precision"):
            diff = per_set[f"{name} {metric}"] - per_set[f"{base} {metric}"]
            row.append(
                "–"
                if name == base
                else f"{(diff > TIE).sum()}/{(diff.abs() <= TIE).sum()}/{(diff < -TIE).sum()}"
            )
        diff = per_set[f"{name} balanced_accuracy"] - per_set[f"{base} balanced_accuracy"]
        row += (
            ["–", "–"]
            if name == base
            else [
                f"{diff.min():+.3f} ({diff.idxmin()})",
                f"{diff.max():+.3f} ({diff.idxmax()})",
            ]
        )
        gap = per_set[f"{name} balanced_accuracy"] - per_set["forest balanced_accuracy"]
        below = gap[gap < -NEVER_WRONG].sort_values()
        row.append(", ".join(f"{k} ({v:+.3f})" for k, v in below.items()) or "none")
        ratio = (frame[f"{name} fit s"] / frame["forest fit s"]).median()
        row.append(f"{ratio:.2f}")
        row.append("–" if name == "forest" else f"{frame[f'{name} torch'].mean():.2f}")
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    if choice:
        deep = frame["chosen (out of bag) picks"] == len(names) - 1
        mostly = deep.groupby(frame["dataset"]).mean()
        mostly = ", ".join(mostly.index[mostly > 0.5]) or "none"
        lines += [
            "",
            f"The out-of-bag choice picked the size that was better on the test fold in "
            f"{agree:.2f} of the folds (a tie in test balanced accuracy counts for the "
            f"first size); it picked `{names[-1]}` in {deep.mean():.2f} of the folds, "
            f"in most folds of: {mostly}. The two rules' fit is every size's together.",
        ]
    lines += [
        "",
        "Per set (BA / AP):",
        "",
        "| data set | " + " | ".join(["forest", *names]) + " |",
        "|---|" + "---|" * (len(names) + 1),
    ]
    for dataset, row in per_set.iterrows():
        cells = [
            f"{row[f'{n} balanced_accuracy']:.3f} / {row[f'{n} average_precision']:.3f}"
            for n in ["forest", *names]
        ]
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def panel_arguments(parser, out):
    """The options every panel exploration shares (this script's and
    ``explore_inputs.py``'s)."""
    parser.add_argument("--panel", choices=list(PANELS), default="development")
    parser.add_argument("--datasets", nargs="+")
    parser.add_argument("--folds", type=int, help="k of the k-fold (default: the panel's)")
    parser.add_argument("--repeats", type=int, help="repeats (default: the panel's)")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the panel's section from its CSV"
    )


def run_panel(args, run_fold, *options):
    """One row per fold of ``run_fold(dataset, repeat, fold, train, test,
    *options)`` over the panel, written to ``<panel>.csv`` (read from it with
    ``--report-only``)."""
    if args.report_only:
        return pd.read_csv(args.out / f"{args.panel}.csv")
    n_splits, n_repeats = PANELS[args.panel]
    n_splits, n_repeats = args.folds or n_splits, args.repeats or n_repeats
    jobs = [
        delayed(run_fold)(d, repeat, fold, train, test, *options)
        for d in panel_datasets(args.panel, args.datasets)
        for repeat, fold, train, test in bench.folds(d, n_splits, n_repeats, 0)
    ]
    frame = pd.DataFrame(Parallel(n_jobs=args.n_jobs)(jobs))
    args.out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out / f"{args.panel}.csv", index=False)
    return frame


def write_report(args, section, heading):
    """The panel's section to ``<panel>.md``, and every panel's section so far
    under ``heading`` to ``report.md``."""
    (args.out / f"{args.panel}.md").write_text(section)
    sections = [
        (args.out / f"{p}.md").read_text() for p in PANELS if (args.out / f"{p}.md").exists()
    ]
    (args.out / "report.md").write_text(heading + "\n\n" + "\n".join(sections))
    print(section)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--hidden",
        nargs="+",
        type=_spec,
        default=[(100,), (100, 50)],
        help="hidden layer sizes, comma-separated units; the first is the baseline",
    )
    parser.add_argument(
        "--backend",
        default="auto",
        choices=["auto", "numpy", "torch"],
        help="the engine of every skbn fit ('auto': as users get it)",
    )
    panel_arguments(parser, HERE / "results" / "depth")
    args = parser.parse_args(argv)
    frame = run_panel(args, run_fold, args.hidden, args.backend)
    names = [_name(h) for h in args.hidden]
    write_report(
        args,
        summary(frame, args.panel, names, args.backend),
        "# Deeper or wider members for the recommended estimator\n\n"
        "`benchmarks/explore_depth.py` (issue 35): the recommended pipeline at several "
        "`hidden_layer_sizes`, the real-data benchmark's folds and seeds, the forest on "
        "the same folds; one thread per fit, two side by side.",
    )
    return choose(frame, names)[0] if len(args.hidden) > 1 else frame


if __name__ == "__main__":
    main()
