"""How fit time per epoch and peak memory grow with the rows and the layer widths.

Time per epoch for N = 10k, 100k, 1M rows (10M with ``--sizes``) and widths
(64,), (256, 128), (1024, 512), BN on, one engine; the per-row cost relative
to the smallest N shows whether cost grows linearly in N (ratio 1.0). Each
fit runs in a fresh process that loads its N rows from a file first, so its
peak resident memory minus what it held after loading is the fit's own
memory above the data.

    python benchmarks/bench_scaling.py [--sizes 10000 100000 1000000 10000000] [--engine numpy] [--json out.json]
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


def _status_mib(field):
    """VmRSS (now) or VmHWM (the high-water mark) of this process, Linux only."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak():
    """Reset VmHWM to the current resident size (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _measure(path, n, hidden, engine, batch_size, queue):
    """In a fresh process: load n rows, fit one epoch, report seconds and memory."""
    X = np.load(path, mmap_mode="r")[:n].copy()  # the data, in memory
    y = (X[:, :5].sum(axis=1) > 0).astype(np.int64)
    model = BNMLPClassifier(
        hidden, batch_size=batch_size, max_iter=1, random_state=0, backend=engine
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X[: 4 * batch_size], y[: 4 * batch_size])  # warm-up (imports, threads)
        loaded = _status_mib("VmRSS")
        _reset_peak()
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
    queue.put((seconds, _status_mib("VmHWM") - loaded, X.nbytes / 2**20))


def epoch_seconds(path, n, hidden, engine, batch_size):
    """(seconds, MiB above the data, MiB of data) of a one-epoch fit on n rows."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(path, n, hidden, engine, batch_size, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


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
    import tempfile

    tmp = tempfile.TemporaryDirectory()
    path = os.path.join(tmp.name, "X.npy")
    X = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(max(args.sizes), args.n_features)
    )
    rng = np.random.default_rng(0)
    for start in range(0, len(X), 1_000_000):  # in chunks: 10M rows are 2 GB
        stop = min(start + 1_000_000, len(X))
        X[start:stop] = rng.standard_normal((stop - start, args.n_features), dtype=np.float32)
    X.flush()
    del X
    rows = []
    print(f"Fit seconds per epoch, engine {args.engine}, BN on, batch {args.batch_size}, float32")
    print(
        f"{'widths':<10}{'rows':>10}{'s/epoch':>10}{'us/row':>9}{'per-row vs smallest N':>23}"
        f"{'data MiB':>10}{'fit MiB above data':>20}"
    )
    for name in args.widths:
        base = None
        for n in sorted(args.sizes):
            t, above, data_mib = epoch_seconds(path, n, WIDTHS[name], args.engine, args.batch_size)
            per_row = t / n
            base = base or per_row
            rows.append(
                {
                    "widths": name,
                    "n_samples": n,
                    "s_per_epoch": t,
                    "per_row_ratio": per_row / base,
                    "data_mib": data_mib,
                    "peak_mib_above_data": above,
                }
            )
            print(
                f"{name:<10}{n:>10}{t:>10.3f}{per_row * 1e6:>9.2f}{per_row / base:>23.2f}"
                f"{data_mib:>10.0f}{above:>20.0f}"
            )
    if args.json:
        write_json(args.json, {"args": vars(args), "rows": rows})
    return rows


if __name__ == "__main__":
    main()
