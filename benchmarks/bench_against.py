"""The recommended estimator's whole fit, today against a git revision, on the panels' tables.

A change that must leave training as it is and only make it faster is
judged here: on the first fold of every set of the development panels (the
real-data benchmark's folds and seeds), ``BalancedBNMLPClassifier()`` of
today and of the git revision ``REV`` are fitted in one process, one after
the other, ``--rounds`` times each (one thread), on the same preprocessed
rows; the fastest fit of each is kept, and their predictions compared bit
for bit. The panel reports' fit times are timed in separate sessions, two
fits at a time, where the same fits moved by a fifth between runs; here both
versions share every disturbance.

    python benchmarks/bench_against.py REV [--panels development medium long-tailed]
        [--datasets ecoli3 ...] [--rounds 2] [--out benchmarks/results/against]

Prints each set's fit seconds (then and now) and their ratio, and each
panel's median ratio; ``--out`` writes them as ``report.md`` and
``against.json``.
"""

import argparse
import importlib
import os
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import bench_real_data as bench  # noqa: E402
from _harness import interleaved, write_json  # noqa: E402
from bench_step import load_revision  # noqa: E402
from explore_oob_choice import panel_datasets  # noqa: E402

import skbn  # noqa: E402

PANELS = ("development", "medium", "long-tailed")


def compare(dataset, then, rounds):
    """Fit seconds of ``then``'s and today's estimator on the first fold of
    ``dataset`` (the fastest of ``rounds`` each, interleaved) and whether
    their test probabilities are the same bits."""
    from threadpoolctl import threadpool_limits

    _, seed, train, test = next(iter(bench.folds(dataset, 5, 1, 0)))
    X, y = dataset.X.iloc[train], dataset.y[train]
    prep = bench.preprocessing(skbn.SmoothClipScaler()).fit(X, y)
    X, X_test = prep.transform(X), prep.transform(dataset.X.iloc[test])
    models = {}

    def fit(who, package):
        models[who] = package.BalancedBNMLPClassifier(random_state=seed, n_threads=1).fit(X, y)

    contenders = {"then": lambda: fit("then", then), "now": lambda: fit("now", skbn)}
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of short fits
        interleaved(contenders, 1)  # a round that warms (imports, caches)
        seconds = interleaved(contenders, rounds)
    proba = {who: model.predict_proba(X_test) for who, model in models.items()}
    then_s, now_s = min(seconds["then"]), min(seconds["now"])
    return {
        "dataset": dataset.name,
        "then_s": then_s,
        "now_s": now_s,
        "ratio": now_s / then_s,
        "same_bits": bool(np.array_equal(proba["then"], proba["now"])),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision")
    parser.add_argument("--panels", nargs="+", choices=PANELS, default=list(PANELS))
    parser.add_argument("--datasets", nargs="+", help="only these sets of the panels")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, help="write report.md and against.json here")
    args = parser.parse_args(argv)
    then = importlib.import_module(load_revision(args.revision))
    results = {}
    for panel in args.panels:
        rows = []
        for dataset in panel_datasets(panel, args.datasets):
            row = compare(dataset, then, args.rounds)
            rows.append(row)
            print(
                f"{panel:12s} {row['dataset']:16s} {row['then_s']:7.3f} -> "
                f"{row['now_s']:7.3f} s ({row['ratio']:.2f}x)"
                f"{'' if row['same_bits'] else '  predictions differ'}",
                flush=True,
            )
        if rows:
            ratios = [r["ratio"] for r in rows]
            print(
                f"{panel}: median {np.median(ratios):.3f}x (min {min(ratios):.2f}, "
                f"max {max(ratios):.2f}) over {len(rows)} sets; same predictions on "
                f"{sum(r['same_bits'] for r in rows)}",
                flush=True,
            )
            results[panel] = {"median_ratio": float(np.median(ratios)), "sets": rows}
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        record = {"revision": args.revision, "rounds": args.rounds, **results}
        write_json(args.out / "against.json", record)
        (args.out / "report.md").write_text(report(record))
    return results


def report(record):
    """The comparison as markdown: a table per panel and its median ratio."""
    lines = [
        f"# Whole fits of `BalancedBNMLPClassifier()`: today against {record['revision']}",
        "",
        "First fold of each set, real-data benchmark's folds and seeds, one thread, "
        f"the fastest of {record['rounds']} interleaved fits of each "
        "(`benchmarks/bench_against.py`).",
    ]
    for panel in PANELS:
        if panel not in record:
            continue
        rows = record[panel]["sets"]
        ratios = [r["ratio"] for r in rows]
        lines += [
            "",
            f"## {panel}",
            "",
            "| set | then s | now s | now / then | same predictions |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['dataset']} | {r['then_s']:.3f} | {r['now_s']:.3f} | {r['ratio']:.2f}× | "
            f"{'yes' if r['same_bits'] else '**no**'} |"
            for r in rows
        ]
        lines += [
            "",
            f"Median {np.median(ratios):.2f}× (from {min(ratios):.2f}× to "
            f"{max(ratios):.2f}×) over {len(rows)} sets.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
