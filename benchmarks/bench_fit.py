"""Fit time per epoch of skbn's engines against scikit-learn's MLPClassifier.

The contenders run in one process, interleaved round by round, and the table
reports medians, min-max and ratios to MLPClassifier from the same run.

    python benchmarks/bench_fit.py [--n-samples 100000] [--rounds 3] [--json out.json]
"""

import argparse
import importlib.util
import json
import time
import warnings
from functools import partial

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skbn import BNMLPClassifier


def contenders(hidden, batch_size, epochs):
    common = {
        "hidden_layer_sizes": hidden,
        "batch_size": batch_size,
        "max_iter": epochs,
        "tol": 0.0,
        "n_iter_no_change": epochs + 1,
        "random_state": 0,
    }
    models = {
        "sklearn MLPClassifier": lambda: MLPClassifier(solver="adam", **common),
        "skbn numpy, BN on": lambda: BNMLPClassifier(batch_norm=True, backend="numpy", **common),
        "skbn numpy, BN off": lambda: BNMLPClassifier(batch_norm=False, backend="numpy", **common),
    }
    if importlib.util.find_spec("torch"):
        for bn, label in ((True, "on"), (False, "off")):
            models[f"skbn torch, BN {label}"] = partial(
                BNMLPClassifier, batch_norm=bn, backend="torch", **common
            )
    return models


def run(n_samples, n_features, hidden, batch_size, epochs, rounds):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, n_features)).astype(np.float32)
    y = (X[:, :5].sum(axis=1) + 0.5 * rng.normal(size=n_samples) > 0).astype(int)
    times = {name: [] for name in contenders(hidden, batch_size, epochs)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(rounds):
            for name, make in contenders(hidden, batch_size, epochs).items():
                start = time.perf_counter()
                make().fit(X, y)
                times[name].append((time.perf_counter() - start) / epochs)
    base = np.median(times["sklearn MLPClassifier"])
    rows = [
        {
            "contender": name,
            "median_s_per_epoch": float(np.median(t)),
            "min": float(np.min(t)),
            "max": float(np.max(t)),
            "ratio_to_sklearn": float(np.median(t) / base),
        }
        for name, t in times.items()
    ]
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    rows = run(
        args.n_samples,
        args.n_features,
        tuple(args.hidden),
        args.batch_size,
        args.epochs,
        args.rounds,
    )
    print(
        f"{args.n_samples} x {args.n_features} float32, hidden {tuple(args.hidden)}, "
        f"batch {args.batch_size}, {args.epochs} epochs x {args.rounds} interleaved rounds"
    )
    print(f"{'contender':<24}{'median s/epoch':>16}{'min-max':>18}{'x sklearn':>11}")
    for r in rows:
        print(
            f"{r['contender']:<24}{r['median_s_per_epoch']:>16.3f}"
            f"{r['min']:>9.3f}-{r['max']:<8.3f}{r['ratio_to_sklearn']:>11.2f}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return rows


if __name__ == "__main__":
    main()
