"""Cost of an ensemble trained as one network (``ensemble_size``) against one
network and against k separate fits, and the peak memory of a fit as k grows.

Fit times are interleaved round by round in one process; memory is measured in
a fresh interpreter per (engine, k): with tracemalloc for the NumPy engine, as
the growth of the peak resident set for the torch engine.

    python benchmarks/bench_ensemble.py [--n-samples 10000] [--k 8] [--rounds 5] [--json out.json]
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _harness import interleaved, print_table, summarise, target, write_json  # noqa: E402

from skbn import BNMLPClassifier  # noqa: E402

HAS_TORCH = importlib.util.find_spec("torch") is not None

MEMORY = """
import json, resource, tracemalloc, warnings
import numpy as np
from skbn import BNMLPClassifier
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
X = rng.normal(size=({n}, {d})).astype(np.float32)
y = (X[:, 0] > 0).astype(int)
params = dict(hidden_layer_sizes={hidden}, batch_size={batch}, max_iter=1, random_state=0,
              backend="{engine}", ensemble_size={k})
BNMLPClassifier(**params).fit(X[:512], y[:512])  # load and warm up the engine
if "{engine}" == "numpy":
    tracemalloc.start()
    BNMLPClassifier(**params).fit(X, y)
    extra = tracemalloc.get_traced_memory()[1]
else:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    BNMLPClassifier(**params).fit(X, y)
    extra = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
print(json.dumps({{"extra_bytes": extra}}))
"""


def fitter(X, y, engine, k, params, separate=False):
    """A zero-argument fit: one ensemble of ``k``, or ``k`` separate single fits."""
    model = BNMLPClassifier(backend=engine, **params)

    def fit():
        if separate:
            for seed in range(k):
                model.set_params(random_state=seed, ensemble_size=1).fit(X, y)
        else:
            model.set_params(ensemble_size=k).fit(X, y)

    return fit


def matmul_floor(n, widths, batch_size, k, epochs):
    """A zero-argument callable doing only the matrix products of ``epochs``
    epochs of training k members on torch (forward, weight and input
    gradients), with nothing else: the compute floor of a fit."""
    import torch

    g = torch.Generator().manual_seed(0)
    lead = (k,) if k > 1 else ()
    W = [torch.randn(*lead, a, b, generator=g) for a, b in zip(widths[:-1], widths[1:])]
    X = torch.randn(*lead, batch_size, widths[0], generator=g)
    n_batches = -(-n // batch_size)

    def run():
        for _ in range(epochs * n_batches):
            acts = [X]
            for w in W:
                acts.append(acts[-1] @ w)
            delta = acts[-1]
            for i in range(len(W) - 1, -1, -1):
                _ = acts[i].transpose(-1, -2) @ delta
                if i:
                    delta = delta @ W[i].transpose(-1, -2)

    return run


def peak_memory(engine, k, args):
    code = MEMORY.format(
        engine=engine,
        n=args.n_samples,
        d=args.n_features,
        hidden=tuple(args.hidden),
        batch=args.batch_size,
        k=k,
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["extra_bytes"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--n-features", type=int, default=20)
    parser.add_argument("--hidden", type=int, nargs="+", default=[128, 128])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--memory-ks", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n_samples, args.n_features)).astype(np.float32)
    y = (X[:, :3].sum(axis=1) > 0).astype(int)
    params = {
        "hidden_layer_sizes": tuple(args.hidden),
        "batch_size": args.batch_size,
        "max_iter": args.epochs,
        "tol": 0.0,
        "n_iter_no_change": args.epochs + 1,
        "random_state": 0,
    }
    k = args.k
    engines = (["torch"] if HAS_TORCH else []) + ["numpy"]
    contenders = {}
    for engine in engines:
        contenders[f"{engine} k=1"] = fitter(X, y, engine, 1, params)
        contenders[f"{engine} k={k}"] = fitter(X, y, engine, k, params)
        if engine == "torch":
            contenders[f"{engine} {k} separate fits"] = fitter(X, y, engine, k, params, True)
            widths = [args.n_features, *args.hidden, 2]
            for kk in (1, k):
                contenders[f"torch matmul floor k={kk}"] = matmul_floor(
                    args.n_samples, widths, args.batch_size, kk, args.epochs
                )
    times = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fit in contenders.values():  # warm up
            fit()
        # One engine at a time: OpenBLAS's threads spin for a while after NumPy's
        # products and would slow a torch fit that follows at once (measured: the
        # first torch fit after NumPy work 1.8x slower).
        for engine in engines:
            mine = {name: f for name, f in contenders.items() if name.startswith(engine)}
            times.update(interleaved(mine, args.rounds, per=args.epochs))
    rows = summarise(times, f"{engines[0]} k=1")
    print_table(
        f"Fit seconds per epoch, {args.n_samples} x {args.n_features} float32, "
        f"widths {tuple(args.hidden)}, batch {args.batch_size}, BN on",
        rows,
    )

    def ratio(a, b):
        return np.median(times[a]) / np.median(times[b]), min(times[a]) / min(times[b])

    print("Targets:")
    targets = []
    if HAS_TORCH:
        r, rm = ratio(f"torch k={k}", "torch k=1")
        targets.append(target(f"torch k={k} / k=1", r, 3.0, "(stretch 2)", rm))
        r, rm = ratio(f"torch k={k}", f"torch {k} separate fits")
        targets.append(target(f"torch k={k} / {k} separate fits", r, 0.4, "", rm))
        # A k-member ensemble does k times the arithmetic: judge it by the floor
        # of its own products rather than by k = 1.
        floor, _ = ratio(f"torch matmul floor k={k}", "torch matmul floor k=1")
        over, over_min = ratio(f"torch k={k}", f"torch matmul floor k={k}")
        print(f"  (the matrix products alone: k={k} costs {floor:.2f}x k=1)")
        targets.append(target(f"torch k={k} / its products' floor", over, 1.3, "", over_min))
    r, rm = ratio(f"numpy k={k}", "numpy k=1")
    targets.append(target(f"numpy k={k} / k=1", r, 4.0, "", rm))

    memory = {}
    print(f"\nPeak memory of a 1-epoch fit above the data (MiB), k = {args.memory_ks}:")
    for engine in engines:
        memory[engine] = {kk: peak_memory(engine, kk, args) for kk in args.memory_ks}
        mib = [memory[engine][kk] / 2**20 for kk in args.memory_ks]
        print(
            f"  {engine}: " + ", ".join(f"k={kk}: {m:.1f}" for kk, m in zip(args.memory_ks, mib))
        )
        if engine == "torch":
            # RSS only sees growth beyond what the import and warm-up touched.
            print("    (torch: growth of the peak RSS; 0 means below what the warm-up used)")
            continue
        # Linear growth: extra(k) <= k * extra(1), measured exactly by tracemalloc.
        kmax = max(args.memory_ks)
        growth = memory[engine][kmax] / (kmax * memory[engine][min(args.memory_ks)])
        targets.append(target(f"{engine} memory(k={kmax}) / (k x memory(k=1))", growth, 1.0, ""))
    if args.json:
        write_json(
            args.json, {"args": vars(args), "fit": rows, "memory": memory, "targets": targets}
        )
    return rows, memory, targets


if __name__ == "__main__":
    main()
