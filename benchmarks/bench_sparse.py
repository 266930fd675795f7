"""Sparse input at scale: memory above the data and time per epoch, against
scikit-learn's MLPClassifier on the same CSR matrix.

The data: 100 000 x 50 000 CSR, 0.1 % density (about 50 stored entries per
row, 5 million in all), float32, a binary target at 1:20 that depends on 200
of the columns. Each fit (one epoch, hidden layer (64,), batch 200) runs in a
fresh process that loads the matrix from files first, so its peak resident
memory minus what it held after loading is the fit's own memory above the
data. Targets (issue 14): peak above the data <= 2 x the matrix's size, for
every skbn engine; the time per epoch is reported as a ratio to
MLPClassifier's, measured in the same run.

    python benchmarks/bench_sparse.py [--rows 100000] [--features 50000] [--json out.json]
"""

import argparse
import importlib.util
import os
import sys
import tempfile
import time
import warnings

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, os.path.dirname(__file__))
from _harness import write_json  # noqa: E402
from bench_scaling import _reset_peak, _status_mib  # noqa: E402


def make_data(n_rows, n_features, density, seed=0):
    """CSR float32 with sorted, distinct column indices per row, and a 1:20 target."""
    rng = np.random.default_rng(seed)
    per_row = rng.binomial(n_features, density, size=n_rows)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(per_row, out=indptr[1:])
    cols = rng.integers(0, n_features, size=int(indptr[-1]), dtype=np.int32)
    data = rng.random(len(cols), dtype=np.float32)
    X = sparse.csr_matrix((data, cols, indptr.astype(np.int32)), shape=(n_rows, n_features))
    X.sum_duplicates()  # sorts the indices too
    signal = np.zeros(n_features, dtype=np.float32)
    signal[rng.choice(n_features, 200, replace=False)] = rng.normal(size=200).astype(np.float32)
    score = X @ signal + rng.normal(scale=0.05, size=n_rows)
    y = (score > np.quantile(score, 1 - 1 / 21)).astype(np.int64)
    return X, y


def _nbytes(X):
    return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes


def _model(name, hidden, batch_size):
    if name == "MLPClassifier":
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(hidden, batch_size=batch_size, max_iter=1, random_state=0)
    from skbn import BNMLPClassifier

    return BNMLPClassifier(
        hidden, batch_size=batch_size, max_iter=1, random_state=0, backend=name.split()[-1]
    )


def _measure(folder, name, hidden, batch_size, queue):
    """In a fresh process: load the matrix, fit one epoch, report seconds and MiB."""
    X = sparse.csr_matrix(
        tuple(np.load(os.path.join(folder, f"{p}.npy")) for p in ("data", "indices", "indptr")),
        shape=tuple(np.load(os.path.join(folder, "shape.npy"))),
    )
    y = np.load(os.path.join(folder, "y.npy"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Warm-up (imports, threads) on few columns: memory it frees must not be
        # left in the allocator's pools, where the measured fit would reuse it.
        _model(name, hidden, batch_size).fit(X[:2000, :100], y[:2000])
        model = _model(name, hidden, batch_size)
        loaded = _status_mib("VmRSS")
        _reset_peak()
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
    queue.put((seconds, _status_mib("VmHWM") - loaded))


def measure(folder, name, hidden, batch_size):
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(folder, name, hidden, batch_size, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=50_000)
    parser.add_argument("--density", type=float, default=0.001)
    parser.add_argument("--hidden", type=int, nargs="+", default=[64])
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    X, y = make_data(args.rows, args.features, args.density)
    data_mib = _nbytes(X) / 2**20
    tmp = tempfile.TemporaryDirectory()
    for part in ("data", "indices", "indptr"):
        np.save(os.path.join(tmp.name, f"{part}.npy"), getattr(X, part))
    np.save(os.path.join(tmp.name, "shape.npy"), np.array(X.shape))
    np.save(os.path.join(tmp.name, "y.npy"), y)
    hidden = tuple(args.hidden)
    print(
        f"{X.shape[0]} x {X.shape[1]} CSR float32, {X.nnz} stored entries "
        f"({X.nnz / X.shape[0] / X.shape[1]:.2%}), {data_mib:.1f} MiB; "
        f"minority share {y.mean():.3f}; hidden {hidden}, batch {args.batch_size}, one epoch"
    )
    # The model's own state is part of any fit's memory: the first layer's
    # weights, their gradient and Adam's two moments.
    weights_mib = args.features * hidden[0] * 4 / 2**20
    names = ["MLPClassifier", "skbn numpy"]
    if importlib.util.find_spec("torch"):
        names.append("skbn torch")
    rows = []
    for name in names:
        seconds, above = measure(tmp.name, name, hidden, args.batch_size)
        rows.append({"contender": name, "s_per_epoch": seconds, "peak_mib_above_data": above})
    base = rows[0]["s_per_epoch"]
    print(f"first layer's weights: {weights_mib:.1f} MiB (x4 with gradient and Adam moments)")
    print(
        f"{'contender':<16}{'s/epoch':>9}{'x MLPClassifier':>17}{'MiB above data':>16}"
        f"{'x data size':>13}{'target <= 2':>13}"
    )
    for row in rows:
        row["ratio_to_mlpclassifier"] = row["s_per_epoch"] / base
        row["memory_ratio_to_data"] = row["peak_mib_above_data"] / data_mib
        target = (
            ""
            if row["contender"] == "MLPClassifier"
            else ("met" if row["memory_ratio_to_data"] <= 2 else "NOT met")
        )
        print(
            f"{row['contender']:<16}{row['s_per_epoch']:>9.2f}{row['ratio_to_mlpclassifier']:>17.2f}"
            f"{row['peak_mib_above_data']:>16.1f}{row['memory_ratio_to_data']:>13.2f}{target:>13}"
        )
    if args.json:
        write_json(
            args.json,
            {"args": vars(args), "data_mib": data_mib, "weights_mib": weights_mib, "rows": rows},
        )
    return rows


if __name__ == "__main__":
    main()
