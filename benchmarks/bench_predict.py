"""Prediction speed: latency of one row and throughput on many rows.

skbn predicts in NumPy with BN folded into the linear layers; the contenders
are scikit-learn's MLPClassifier and skbn without BN, same shapes, in one
process, interleaved round by round.

    python benchmarks/bench_predict.py [--n-rows 100000] [--rounds 5] [--json out.json]
"""

import argparse
import os
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, os.path.dirname(__file__))
from _harness import interleaved, print_table, summarise, target, write_json  # noqa: E402

from skbn import BNMLPClassifier  # noqa: E402


def fitted_models(n_features, hidden):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, n_features)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    common = dict(hidden_layer_sizes=hidden, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {
            "sklearn MLPClassifier": MLPClassifier(**common).fit(X, y),
            "skbn, BN on": BNMLPClassifier(batch_norm=True, backend="numpy", **common).fit(X, y),
            "skbn, BN off": BNMLPClassifier(batch_norm=False, backend="numpy", **common).fit(X, y),
        }


def run(n_features, hidden, n_rows, single_calls, rounds):
    models = fitted_models(n_features, hidden)
    rng = np.random.default_rng(1)
    one = rng.normal(size=(1, n_features)).astype(np.float32)
    many = rng.normal(size=(n_rows, n_features)).astype(np.float32)

    def repeat(model):
        def go():
            for _ in range(single_calls):
                model.predict_proba(one)

        return go

    for m in models.values():  # warm-up
        m.predict_proba(many[:1000])
    latency = interleaved({k: repeat(m) for k, m in models.items()}, rounds, per=single_calls)
    bulk = interleaved({k: (lambda m=m: m.predict_proba(many)) for k, m in models.items()}, rounds)
    return summarise(latency, "sklearn MLPClassifier", unit="s"), summarise(
        bulk, "sklearn MLPClassifier"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    parser.add_argument("--n-rows", type=int, default=100_000)
    parser.add_argument("--single-calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    latency, bulk = run(
        args.n_features, tuple(args.hidden), args.n_rows, args.single_calls, args.rounds
    )
    print_table("predict_proba on 1 row: microseconds per call", latency, scale=1e6, digits=1)
    print_table(f"predict_proba on {args.n_rows} rows: seconds", bulk)
    lat = {r["contender"]: r["median_s"] for r in latency}
    blk = {r["contender"]: r["median_s"] for r in bulk}
    print("Targets (ratios of medians from this run):")
    targets = [
        target(
            "1 row, skbn BN on / sklearn",
            lat["skbn, BN on"] / lat["sklearn MLPClassifier"],
            0.5,
            "",
        ),
        target(
            f"{args.n_rows} rows, skbn BN on / sklearn",
            blk["skbn, BN on"] / blk["sklearn MLPClassifier"],
            1.0,
            "",
        ),
        target(
            f"{args.n_rows} rows, skbn BN on / BN off",
            blk["skbn, BN on"] / blk["skbn, BN off"],
            1.1,
            "(BN folded)",
        ),
        target(
            "1 row, skbn BN on / BN off",
            lat["skbn, BN on"] / lat["skbn, BN off"],
            1.1,
            "(BN folded)",
        ),
    ]
    if args.json:
        write_json(
            args.json, {"args": vars(args), "latency": latency, "bulk": bulk, "targets": targets}
        )
    return latency, bulk, targets


if __name__ == "__main__":
    main()
