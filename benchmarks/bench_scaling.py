"""How fit time per epoch grows with the number of rows and the layer widths.

Time per epoch for N = 10k, 100k, 1M rows and widths (64,), (256, 128),
(1024, 512), BN on, one engine; the per-row cost relative to the smallest N
shows whether cost grows linearly in N (ratio 1.0).

    python benchmarks/bench_scaling.py [--sizes 10000 100000 1000000] [--engine torch] [--json out.json]
"""

import argparse
import importlib.util
import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, os.path.dirname(__file__))
from _harness import write_json  # noqa: E402

from skbn import BNMLPClassifier  # noqa: E402

WIDTHS = {"64": (64,), "256-128": (256, 128), "1024-512": (1024, 512)}


def epoch_seconds(X, y, hidden, engine, batch_size):
    model = BNMLPClassifier(
        hidden, batch_size=batch_size, max_iter=1, random_state=0, backend=engine
    )
    model.fit(X[: 4 * batch_size], y[: 4 * batch_size])  # warm-up
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def main(argv=None):
    default_engine = "torch" if importlib.util.find_spec("torch") else "numpy"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--widths", nargs="+", default=list(WIDTHS), choices=list(WIDTHS))
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--engine", default=default_engine, choices=["numpy", "torch"])
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(max(args.sizes), args.n_features)).astype(np.float32)
    y = (X[:, :5].sum(axis=1) > 0).astype(int)
    rows = []
    print(f"Fit seconds per epoch, engine {args.engine}, BN on, batch {args.batch_size}, float32")
    print(
        f"{'widths':<10}{'rows':>10}{'s/epoch':>10}{'us/row':>9}{'per-row cost vs smallest N':>28}"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name in args.widths:
            base = None
            for n in sorted(args.sizes):
                t = epoch_seconds(X[:n], y[:n], WIDTHS[name], args.engine, args.batch_size)
                per_row = t / n
                base = base or per_row
                rows.append(
                    {
                        "widths": name,
                        "n_samples": n,
                        "s_per_epoch": t,
                        "per_row_ratio": per_row / base,
                    }
                )
                print(f"{name:<10}{n:>10}{t:>10.3f}{per_row * 1e6:>9.2f}{per_row / base:>28.2f}")
    if args.json:
        write_json(args.json, {"args": vars(args), "rows": rows})
    return rows


if __name__ == "__main__":
    main()
