"""Fit time per epoch: skbn's engines against scikit-learn, skorch and the matmul floor.

All contenders train the same MLP on the same float32 data with Adam, in one
process, interleaved round by round; the table gives medians, min-max and
ratios to skorch with BN, and the issue's targets are checked as ratios
measured in this run.

    python benchmarks/bench_fit.py [--n-samples 100000] [--epochs 2] [--rounds 3] [--json out.json]
"""

import argparse
import importlib.util
import os
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, os.path.dirname(__file__))
from _harness import interleaved, print_table, summarise, target, write_json  # noqa: E402

from skbn import BNMLPClassifier  # noqa: E402

HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_SKORCH = importlib.util.find_spec("skorch") is not None


def skorch_model(n_features, hidden, n_classes, batch_norm, batch_size, epochs):
    """The equivalent torch module under skorch: Linear -> BN -> ReLU blocks."""
    import torch
    from skorch import NeuralNetClassifier

    layers, fan_in = [], n_features
    for width in hidden:
        layers += [torch.nn.Linear(fan_in, width)]
        layers += [torch.nn.BatchNorm1d(width)] if batch_norm else []
        layers += [torch.nn.ReLU()]
        fan_in = width
    layers.append(torch.nn.Linear(fan_in, n_classes))
    return NeuralNetClassifier(
        torch.nn.Sequential(*layers),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )


def matmul_floor(X, hidden, n_classes, batch_size):
    """One epoch of only the matrix products of training (forward, weight
    gradients, and input gradients of every layer but the first), in NumPy
    float32 on preallocated arrays: what no engine can avoid."""
    sizes = [X.shape[1], *hidden, n_classes]
    rng = np.random.default_rng(0)
    W = [rng.normal(size=(a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])]
    acts = [np.empty((batch_size, s), np.float32) for s in sizes]
    grads = [np.empty_like(w) for w in W]

    def epoch():
        for start in range(0, len(X) - batch_size + 1, batch_size):
            acts[0][:] = X[start : start + batch_size]
            for i, w in enumerate(W):
                np.matmul(acts[i], w, out=acts[i + 1])
            delta = acts[-1]
            for i in range(len(W) - 1, -1, -1):
                np.matmul(acts[i].T, delta, out=grads[i])
                if i:
                    delta = delta @ W[i].T

    return epoch


def contenders(n_features, hidden, batch_size, epochs):
    """Name -> ``fit(X, y)`` for every contender."""
    common = dict(
        hidden_layer_sizes=hidden,
        batch_size=batch_size,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    out = {}
    if HAS_SKORCH:
        for bn in (True, False):
            net = skorch_model(n_features, hidden, 2, bn, batch_size, epochs)
            out[f"skorch, BN {'on' if bn else 'off'}"] = net.fit
    out["sklearn MLPClassifier"] = MLPClassifier(solver="adam", **common).fit
    engines = ["torch", "numpy"] if HAS_TORCH else ["numpy"]
    for engine in engines:
        for bn in (True, False):
            model = BNMLPClassifier(batch_norm=bn, backend=engine, **common)
            out[f"skbn {engine}, BN {'on' if bn else 'off'}"] = model.fit

    def floor(X, y):
        epoch = matmul_floor(X, hidden, 2, batch_size)
        for _ in range(epochs):
            epoch()

    out["matmul floor"] = floor
    return out


def data(n_samples, n_features, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)).astype(np.float32)
    y = (X[:, :5].sum(axis=1) + 0.5 * rng.normal(size=n_samples) > 0).astype(np.int64)
    return X, y


def run(n_samples, n_features, hidden, batch_size, epochs, rounds):
    X, y = data(n_samples, n_features)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fits = contenders(X.shape[1], hidden, batch_size, epochs)
        for fit in fits.values():  # warm-up: imports, thread pools, allocator
            fit(X[: 8 * batch_size], y[: 8 * batch_size])
        times = interleaved(
            {k: (lambda f=f: f(X, y)) for k, f in fits.items()}, rounds, per=epochs
        )
    baseline = "skorch, BN on" if HAS_SKORCH else "sklearn MLPClassifier"
    return summarise(times, baseline), times


def check_targets(times):
    med = {k: float(np.median(v)) for k, v in times.items()}
    low = {k: float(np.min(v)) for k, v in times.items()}

    def check(name, a, b, limit, what=""):
        return target(name, med[a] / med[b], limit, what, of_minimums=low[a] / low[b])

    results = []
    if "skbn torch, BN on" in med:
        if "skorch, BN on" in med:
            results.append(
                check("torch BN on / skorch BN on", "skbn torch, BN on", "skorch, BN on", 0.40)
            )
        results.append(
            check("torch BN on / sklearn", "skbn torch, BN on", "sklearn MLPClassifier", 0.75)
        )
        results.append(
            check(
                "torch BN on / matmul floor",
                "skbn torch, BN on",
                "matmul floor",
                2.0,
                "(stretch 1.5)",
            )
        )
    results.append(
        check("numpy BN on / sklearn", "skbn numpy, BN on", "sklearn MLPClassifier", 0.85)
    )
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    hidden = tuple(args.hidden)
    rows, times = run(
        args.n_samples, args.n_features, hidden, args.batch_size, args.epochs, args.rounds
    )
    print_table(
        f"Fit seconds per epoch: {args.n_samples} x {args.n_features} float32, MLP {hidden}, "
        f"batch {args.batch_size}, Adam, {args.epochs} epochs x {args.rounds} interleaved rounds",
        rows,
    )
    print("Targets (ratios of medians from this run):")
    targets = check_targets(times)
    if args.json:
        write_json(args.json, {"args": vars(args), "rows": rows, "targets": targets})
    return rows, targets


if __name__ == "__main__":
    main()
