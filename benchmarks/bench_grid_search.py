"""GridSearchCV wall time with n_jobs=1 and n_jobs=2, interleaved, per backend.

Checks that the torch engine does not oversubscribe the cores inside joblib
workers (loky limits each worker's OpenMP threads, and torch follows it).

    python benchmarks/bench_grid_search.py [--n-samples 20000] [--rounds 3]
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skbn import BNMLPClassifier


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n_samples, 50)).astype(np.float32)
    y = (X[:, :5].sum(axis=1) > 0).astype(int)
    grid = {"batch_norm": [True, False], "class_weight": [None, "balanced"]}
    model = BNMLPClassifier(
        (256, 128),
        batch_size=256,
        max_iter=args.epochs,
        tol=0.0,
        random_state=0,
        backend=args.backend,
    )
    times = {1: [], 2: []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(args.rounds):
            for n_jobs in times:
                start = time.perf_counter()
                GridSearchCV(model, grid, cv=3, n_jobs=n_jobs).fit(X, y)
                times[n_jobs].append(time.perf_counter() - start)
    for n_jobs, t in times.items():
        print(f"n_jobs={n_jobs}: median {np.median(t):.2f} s (min {min(t):.2f}, max {max(t):.2f})")
    ratio = np.median(times[2]) / np.median(times[1])
    print(f"n_jobs=2 / n_jobs=1 = {ratio:.2f}")
    return ratio


if __name__ == "__main__":
    main()
