"""A user's table: the README's recommended pipeline against a balanced random
forest behind the same preprocessing, fit time and quality, at 2,000-20,000 rows.

The table is the README's (make_classification with 3.6 % positives, 8 numeric
and 2 string columns, 5 % of the cells missing), grown to each size. The forest
is the real-data benchmark's (200 trees, imbalanced-learn's balanced bootstrap;
the baseline of every ratio), and beside it the same forest at imbalanced-learn's
default of 100 trees; both on one core, as they run by default; skbn runs at its defaults too (its threads follow
the idle cores). Each size is timed idle and with one other busy process per core
but one (a user's machine runs other work): a fit of each contender per round,
interleaved, medians reported with the ratio to the forest. Quality: 5-fold
cross-validated balanced accuracy and average precision, once per size.

    python benchmarks/bench_table.py            # about 5 minutes on 2 cores
    python benchmarks/bench_table.py --quick    # 2,000 rows, idle only, no file
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from imblearn.ensemble import BalancedRandomForestClassifier
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.datasets import make_classification
from sklearn.impute import SimpleImputer
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

sys.path.insert(0, str(Path(__file__).parent))
from _harness import interleaved, summarise, write_json  # noqa: E402
from bench_busy import Busy  # noqa: E402

from skbn import BalancedBNMLPClassifier, SmoothClipScaler  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "table.json"


def user_table(n_rows, seed=0):
    """The README's table, with ``n_rows`` rows."""
    X, y = make_classification(
        n_rows, n_features=10, n_informative=6, weights=[0.97], random_state=seed
    )
    table = pd.DataFrame(X[:, :8], columns=[f"x{i}" for i in range(8)])
    table["region"] = np.array(["north", "east", "south", "west"])[
        np.digitize(X[:, 8], [-1, 0, 1])
    ]
    table["plan"] = np.where(X[:, 9] > 0, "premium", "basic")
    return table.mask(np.random.default_rng(seed).random(table.shape) < 0.05), y


def pipeline(model):
    return make_pipeline(
        ColumnTransformer(
            [
                (
                    "numbers",
                    make_pipeline(SimpleImputer(), SmoothClipScaler()),
                    make_column_selector(dtype_include="number"),
                ),
                ("strings", OneHotEncoder(handle_unknown="ignore"), ["region", "plan"]),
            ]
        ),
        model,
    )


CONTENDERS = {
    "BalancedRandomForest": lambda: pipeline(
        BalancedRandomForestClassifier(
            n_estimators=200,
            sampling_strategy="all",
            replacement=True,
            bootstrap=False,
            random_state=0,
        )
    ),
    # imbalanced-learn's defaults (100 trees): what a user who types the class gets.
    "BalancedRandomForest()": lambda: pipeline(
        BalancedRandomForestClassifier(
            sampling_strategy="all", replacement=True, bootstrap=False, random_state=0
        )
    ),
    "skbn recommended": lambda: pipeline(BalancedBNMLPClassifier(random_state=0)),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 rows, idle only")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 20000])
    parser.add_argument("--idle-only", action="store_true", help="no busy processes")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", default=str(RESULTS), help="where the results go")
    args = parser.parse_args(argv)
    sizes = [2000] if args.quick else args.sizes
    n_busy = max(1, (os.cpu_count() or 1) - 1)
    loads = (0,) if args.quick or args.idle_only else (0, n_busy)
    records = []
    for n in sizes:
        table, y = user_table(n)
        quality = {}
        for name, make in CONTENDERS.items():
            scores = cross_validate(
                make(), table, y, cv=5, scoring=["balanced_accuracy", "average_precision"]
            )
            quality[name] = {
                "balanced_accuracy": float(scores["test_balanced_accuracy"].mean()),
                "average_precision": float(scores["test_average_precision"].mean()),
            }
        for busy in loads:
            with Busy(busy):
                times = interleaved(
                    {name: (lambda m=m: m().fit(table, y)) for name, m in CONTENDERS.items()},
                    args.rounds,
                )
            for row in summarise(times, "BalancedRandomForest"):
                row.update(rows=n, positives=int(y.sum()), busy_processes=busy)
                row.update(quality[row["contender"]])
                records.append(row)
    print(
        f"\n{'rows':>6} {'busy':>4}  {'contender':<24}{'fit s':>8}{'x forest':>10}"
        f"{'BA':>8}{'AP':>8}"
    )
    for r in records:
        print(
            f"{r['rows']:>6} {r['busy_processes']:>4}  {r['contender']:<24}"
            f"{r['median_s']:>8.2f}{r['ratio_to_baseline']:>10.2f}"
            f"{r['balanced_accuracy']:>8.3f}{r['average_precision']:>8.3f}"
        )
    if not args.quick:
        write_json(
            args.json,
            {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count(), "rows": records},
        )
    return records


if __name__ == "__main__":
    main()
