"""Training on a NumPy memmap reads batches from it and never copies all of X."""

import tracemalloc

import numpy as np

from skbn import BNMLPClassifier


def test_fit_on_a_memmap_does_not_copy_the_array(tmp_path):
    rows, features = 400_000, 50
    X = np.lib.format.open_memmap(
        tmp_path / "X.npy", mode="w+", dtype=np.float32, shape=(rows, features)
    )
    rng = np.random.default_rng(0)
    for start in range(0, rows, 100_000):  # written in chunks, as a big file would be
        X[start : start + 100_000] = rng.standard_normal((100_000, features), dtype=np.float32)
    y = (np.asarray(X[:, :5]).sum(axis=1) > 0).astype(np.int64)
    X.flush()
    X = np.load(tmp_path / "X.npy", mmap_mode="r")  # read-only, as a user would open it

    model = BNMLPClassifier((16,), batch_size=512, max_iter=1, random_state=0, backend="numpy")
    tracemalloc.start()
    model.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # What grows with the rows is bookkeeping (labels, each epoch's row order: a
    # few int64 per row); a copy of X would be 1.0x.
    assert peak < 0.25 * X.nbytes, f"peak {peak / 2**20:.1f} MiB for {X.nbytes / 2**20:.0f} MiB of X"
    assert model.score(X[:10_000], y[:10_000]) > 0.9
    # The same model as from the array in memory.
    in_memory = BNMLPClassifier((16,), batch_size=512, max_iter=1, random_state=0, backend="numpy")
    np.testing.assert_array_equal(in_memory.fit(np.asarray(X), y).coefs_[0], model.coefs_[0])
