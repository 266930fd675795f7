"""The torch engine on a CUDA GPU against the CPU engines and against skorch.

For each width and batch size: one epoch over ``--n-samples`` float32 rows
(BN on) with skbn on the GPU, an ensemble of ``--ensemble`` members on the GPU,
skorch's equivalent module on the same GPU, and the CPU torch engine (
``--cpu-threads`` threads) on the first ``--cpu-rows`` rows, scaled to
``--n-samples`` rows (cost is linear in the rows: see bench_scaling.py). An
epoch's cost is a two-epoch fit minus a one-epoch fit (each the faster of a
warm-up and a timed call), so what a fit does once (validating X, copying it
to the GPU, exporting the state) is left out; the one-epoch fit's whole time
is shown beside it. Ratios are taken within this run.

    python benchmarks/bench_gpu.py [--n-samples 1000000] [--json gpu.json]
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
from _harness import target, write_json  # noqa: E402
from bench_fit import skorch_model  # noqa: E402

from skbn import BNMLPClassifier  # noqa: E402


def data(n_samples, n_features, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features), dtype=np.float32)
    w = rng.standard_normal(n_features, dtype=np.float32)
    y = (X @ w + rng.standard_normal(n_samples, dtype=np.float32) > 0).astype(np.int64)
    return X, y


def timed(fn, repeats=1):
    """Seconds of the fastest of ``repeats`` calls, after one warm-up call."""
    fn()
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def epoch_seconds(make):
    """``(one epoch's cost, a one-epoch fit's time)``: the epoch's cost is a
    two-epoch fit minus a one-epoch fit, which leaves out what a fit does once
    (validating X, copying it to the device, exporting the state)."""
    one = timed(make(1))
    return timed(make(2)) - one, one


def skbn_fit(X, y, hidden, batch_size, epochs=1, **params):
    model = BNMLPClassifier(
        hidden,
        batch_size=batch_size,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
        **params,
    )

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        if params.get("device", "cpu") != "cpu":
            import torch

            torch.cuda.synchronize()

    return fit


def skorch_fit(X, y, hidden, batch_size, device, epochs=1):
    import torch

    net = skorch_model(X.shape[1], hidden, 2, True, batch_size, epochs)
    net.set_params(device=device)

    def fit():
        net.fit(X, y)
        if device != "cpu":
            torch.cuda.synchronize()

    return fit


def run(args):
    import torch

    if not torch.cuda.is_available():
        sys.exit("bench_gpu.py needs a CUDA device (torch finds none).")
    torch.set_num_threads(args.cpu_threads)
    from threadpoolctl import threadpool_limits

    X, y = data(args.n_samples, args.n_features)
    scale = args.n_samples / args.cpu_rows
    has_skorch = importlib.util.find_spec("skorch") is not None
    rows, checks = [], []
    print(
        f"{args.n_samples} x {args.n_features} float32, BN on, one epoch per fit; "
        f"{torch.cuda.get_device_name()}; CPU engines with {args.cpu_threads} threads on "
        f"{args.cpu_rows} rows, scaled x{scale:g}"
    )
    print(f"{'widths':>12} {'batch':>6} {'contender':<28} {'s / epoch':>10} {'1-epoch fit':>12}")
    for hidden in args.hidden:
        for batch in args.batch_sizes:
            cuda = dict(backend="torch", device="cuda")
            contenders = {
                "skbn cuda": lambda e: skbn_fit(X, y, hidden, batch, e, **cuda),
                f"skbn cuda k={args.ensemble}": lambda e: skbn_fit(
                    X, y, hidden, batch, e, ensemble_size=args.ensemble, **cuda
                ),
            }
            if has_skorch:
                contenders["skorch cuda"] = lambda e: skorch_fit(X, y, hidden, batch, "cuda", e)
            Xc, yc = X[: args.cpu_rows], y[: args.cpu_rows]
            contenders["skbn torch cpu (scaled)"] = lambda e: skbn_fit(
                Xc, yc, hidden, batch, e, backend="torch"
            )
            times, whole = {}, {}
            for name, make in contenders.items():
                with threadpool_limits(args.cpu_threads):
                    times[name], whole[name] = epoch_seconds(make)
                if "scaled" in name:
                    times[name] *= scale
                    whole[name] *= scale
            for name, seconds in times.items():
                print(
                    f"{tuple(hidden)!s:>12} {batch:>6} {name:<28} {seconds:>10.3f} "
                    f"{whole[name]:>12.3f}"
                )
                rows.append(
                    {
                        "hidden": list(hidden),
                        "batch_size": batch,
                        "contender": name,
                        "epoch_seconds": seconds,
                        "one_epoch_fit_seconds": whole[name],
                    }
                )
            speedup = times["skbn torch cpu (scaled)"] / times["skbn cuda"]
            print(f"{'':>20} speed-up of cuda over the CPU torch engine: {speedup:.1f}x")
            if tuple(hidden) == (1024, 512):
                need = 20 if batch == 256 else 50
                checks.append(
                    target(
                        f"CPU torch / cuda at batch {batch} (inverse, <= 1/{need})",
                        1 / speedup,
                        1 / need,
                        f"speed-up {speedup:.1f}x, target >= {need}x",
                    )
                )
                if has_skorch:
                    checks.append(
                        target(
                            f"skbn cuda / skorch cuda at batch {batch}",
                            times["skbn cuda"] / times["skorch cuda"],
                            0.5,
                        )
                    )
    return rows, checks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument(
        "--hidden",
        type=lambda s: tuple(int(w) for w in s.split(",")),
        nargs="+",
        default=[(256, 128), (1024, 512)],
        help="widths, e.g. 256,128 1024,512",
    )
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[256, 4096])
    parser.add_argument("--ensemble", type=int, default=8)
    parser.add_argument("--cpu-rows", type=int, default=50_000)
    parser.add_argument("--cpu-threads", type=int, default=2)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    rows, checks = run(args)
    if args.json:
        write_json(args.json, {"rows": rows, "targets": checks, "args": vars(args)})


if __name__ == "__main__":
    main()
