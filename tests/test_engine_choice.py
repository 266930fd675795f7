"""backend='auto' and the threads of a fit: the rule, the limits it respects,
and the user's settings it leaves as they were."""

import multiprocessing
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_info, threadpool_limits

import skbn.engines._select as select
from skbn import BalancedBNMLPClassifier, BNMLPClassifier
from skbn.engines import step_macs

torch = pytest.importorskip("torch")

# One step of (50 -> 256 -> 256 -> 2) on 200 rows: 18 M multiply-adds.
X_LARGE, Y_LARGE = make_classification(400, 50, random_state=0)
LARGE = dict(hidden_layer_sizes=(256, 256), batch_size=200, max_iter=1, random_state=0)
# One step of (5 -> 100 -> 2) on 200 rows: 0.14 M.
X_SMALL, Y_SMALL = make_classification(300, 5, random_state=0)
SMALL = dict(max_iter=2, random_state=0)


@pytest.fixture
def idle(monkeypatch):
    """A 2-core machine whose cores are free and whose thread pools have no
    limit (the test must not depend on the machine that runs it, nor on
    limits that earlier tests' libraries left, e.g. Dask's OMP_NUM_THREADS)."""
    monkeypatch.setattr(select, "_idle_cores", lambda: 64)
    monkeypatch.setattr(select, "_process_cores", lambda: 2)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with threadpool_limits(2):
        yield


@pytest.fixture
def user_threads():
    """Leave torch's thread setting as the test found it."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_step_macs_counts_every_product_of_every_member():
    assert step_macs([5, 100, 2], 200) == 200 * (5 * 100 + 100 * 2)
    assert step_macs([5, 100, 2], 64, n_members=24) == 24 * 64 * 700
    # A sparse first layer does only its stored entries' work.
    assert step_macs([1000, 10, 2], 10, input_density=0.01) == 10 * (10 * 10 + 10 * 2)


def test_auto_takes_numpy_for_small_steps_and_torch_for_large_ones(idle, user_threads):
    torch.set_num_threads(2)
    small = BNMLPClassifier(**SMALL).fit(X_SMALL, Y_SMALL)
    assert (small.backend_, small.n_threads_) == ("numpy", 1)
    large = BNMLPClassifier(**LARGE).fit(X_LARGE, Y_LARGE)
    assert (large.backend_, large.n_threads_) == ("torch", 2)
    # Members count: 24 of them with their own rows, each (5 -> 256 -> 256 -> 2)
    # on 64 rows, is large; 24 of (5 -> 100 -> 2), 1 M multiply-adds a step, is not.
    members = BalancedBNMLPClassifier((256, 256), **SMALL).fit(X_SMALL, Y_SMALL)
    assert members.backend_ == "torch"
    assert BalancedBNMLPClassifier(**SMALL).fit(X_SMALL, Y_SMALL).backend_ == "numpy"


def test_an_explicit_backend_is_kept_and_gets_threads_by_the_same_rule(idle, user_threads):
    torch.set_num_threads(2)
    for backend in ("numpy", "torch"):
        small = BNMLPClassifier(backend=backend, **SMALL).fit(X_SMALL, Y_SMALL)
        large = BNMLPClassifier(backend=backend, **LARGE).fit(X_LARGE, Y_LARGE)
        assert (small.backend_, small.n_threads_) == (backend, 1)
        assert (large.backend_, large.n_threads_) == (backend, 2)


def test_busy_cores_get_one_thread(monkeypatch, user_threads):
    torch.set_num_threads(2)
    monkeypatch.setattr(select, "_idle_cores", lambda: 1)
    for backend in ("numpy", "torch"):
        model = BNMLPClassifier(backend=backend, **LARGE).fit(X_LARGE, Y_LARGE)
        assert model.n_threads_ == 1


def _blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_a_users_torch_set_num_threads_caps_the_fit_and_is_restored(idle, user_threads):
    for setting in (1, 2):
        torch.set_num_threads(setting)
        model = BNMLPClassifier(backend="torch", **LARGE).fit(X_LARGE, Y_LARGE)
        assert model.n_threads_ == setting
        assert torch.get_num_threads() == setting


@pytest.mark.parametrize("backend", ["torch", "numpy"])
def test_thread_settings_are_restored_after_a_failed_fit(idle, user_threads, monkeypatch, backend):
    import skbn._training

    torch.set_num_threads(2)
    blas = _blas_threads()
    seen = []

    def fail(self, *args, **kwargs):
        seen.append((torch.get_num_threads(), _blas_threads()))
        raise RuntimeError("stopped half-way")

    monkeypatch.setattr(select, "_idle_cores", lambda: 1)  # the fit's setting: 1 thread
    monkeypatch.setattr(skbn._training.Trainer, "run", fail)
    with pytest.raises(RuntimeError, match="half-way"):
        BNMLPClassifier(backend=backend, **LARGE).fit(X_LARGE, Y_LARGE)
    during_torch, during_blas = seen[0]
    if backend == "torch":
        assert during_torch == 1
    else:
        assert set(during_blas) == {1}
    assert torch.get_num_threads() == 2
    assert _blas_threads() == blas


@pytest.mark.parametrize("backend", ["torch", "numpy"])
def test_threadpoolctl_and_joblib_limits_cap_the_threads(idle, user_threads, backend):
    torch.set_num_threads(2)
    # joblib's workers run under the same kind of limit (and OMP_NUM_THREADS).
    with threadpool_limits(1):
        model = BNMLPClassifier(backend=backend, **LARGE).fit(X_LARGE, Y_LARGE)
    assert model.n_threads_ == 1


_LIMIT_BEFORE_TORCH = """
import skbn.engines._select as select
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits
from skbn import BNMLPClassifier

select._idle_cores = lambda: 64
select._process_cores = lambda: 2
X, y = make_classification(400, 50, random_state=0)
with threadpool_limits({limits}):
    import torch  # first imported here: the limit has not reached its pool

    torch_threads = torch.get_num_threads()
    model = BNMLPClassifier(backend="torch", {large}).fit(X, y)
print(torch_threads, model.n_threads_)
"""


@pytest.mark.parametrize("limits, expected", [("1", 1), ("1, user_api='blas'", 2)])
def test_a_limit_entered_before_torch_is_imported_caps_its_threads(limits, expected):
    # A user's or a worker's limit often starts before anything imports torch;
    # torch's own setting then still says every core. A limit on BLAS alone is
    # not one on torch.
    large = ", ".join(f"{k}={v!r}" for k, v in LARGE.items())
    script = _LIMIT_BEFORE_TORCH.format(limits=limits, large=large)
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    torch_threads, fit_threads = map(int, done.stdout.split())
    if torch_threads < 2:
        pytest.skip("torch starts with one thread on this machine: nothing to cap")
    assert fit_threads == expected


def test_omp_num_threads_caps_the_threads(idle, user_threads, monkeypatch):
    torch.set_num_threads(2)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    for backend in ("numpy", "torch"):
        assert BNMLPClassifier(backend=backend, **LARGE).fit(X_LARGE, Y_LARGE).n_threads_ == 1


def test_engine_and_threads_are_chosen_per_fit(idle, user_threads):
    torch.set_num_threads(2)
    model = BNMLPClassifier(**SMALL).fit(X_SMALL, Y_SMALL)
    assert model.backend_ == "numpy"
    model.set_params(**LARGE).fit(X_LARGE, Y_LARGE)
    assert (model.backend_, model.n_threads_) == ("torch", 2)
    model.partial_fit(X_LARGE, Y_LARGE)
    torch.set_num_threads(1)
    model.partial_fit(X_LARGE, Y_LARGE)
    assert model.n_threads_ == 1


def _spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/loadavg")
def test_idle_cores_sees_other_busy_processes():
    cores = select._process_cores()
    ctx = multiprocessing.get_context("spawn")
    busy = [ctx.Process(target=_spin, args=(30,), daemon=True) for _ in range(cores)]
    for p in busy:
        p.start()
    try:
        deadline = time.monotonic() + 20  # until the processes have started spinning
        while select._idle_cores() > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert select._idle_cores() == 1
    finally:
        for p in busy:
            p.terminate()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/task")
def test_own_running_threads_are_not_counted_as_other_work(monkeypatch):
    # Two threads of this process that keep running in NumPy (which releases the
    # GIL) leave the idle count where it was; one real busy process lowers it.
    # 64 cores are pretended so that nothing is cut at 1, and each count is the
    # median of many readings, so that other work on the machine cancels out.
    monkeypatch.setattr(select, "_process_cores", lambda: 64)

    def idle():
        return int(np.median([select._idle_cores() for _ in range(15)]))

    import threading

    stop = [time.monotonic() + 30]

    def own_work():
        a = np.ones((300, 300))
        while time.monotonic() < stop[0]:
            a @ a

    baseline = idle()
    threads = [threading.Thread(target=own_work, daemon=True) for _ in range(2)]
    other = multiprocessing.get_context("spawn").Process(target=_spin, args=(30,), daemon=True)
    try:
        for t in threads:
            t.start()
        time.sleep(0.2)
        assert select._own_running_threads() >= 2
        with_own = idle()
        assert with_own >= baseline - 1  # counting them would take 2 off
        other.start()
        deadline = time.monotonic() + 20  # until the other process spins
        while idle() >= with_own and time.monotonic() < deadline:
            time.sleep(0.05)
        assert idle() < with_own
    finally:
        stop[0] = 0
        for t in threads:
            t.join()
        if other.pid is not None:
            other.terminate()


def test_a_process_restricted_to_one_core_gets_one_thread(user_threads):
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("needs sched_setaffinity")
    torch.set_num_threads(2)
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        model = BNMLPClassifier(**LARGE).fit(X_LARGE, Y_LARGE)
    finally:
        os.sched_setaffinity(0, before)
    assert model.n_threads_ == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_auto_trains_on_cuda_when_asked():
    model = BNMLPClassifier(device="cuda", **SMALL).fit(X_SMALL, Y_SMALL)
    assert (model.backend_, model.n_threads_) == ("torch", None)


def test_auto_and_the_engines_reach_the_same_model(idle, user_threads):
    torch.set_num_threads(1)  # the thread count enters the last bits
    auto = BNMLPClassifier(**SMALL).fit(X_SMALL, Y_SMALL)
    numpy_ = BNMLPClassifier(backend="numpy", **SMALL).fit(X_SMALL, Y_SMALL)
    for a, b in zip(auto.coefs_, numpy_.coefs_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("backend", ["torch", "numpy"])
def test_n_threads_fixes_the_count_whatever_the_load(monkeypatch, user_threads, backend):
    torch.set_num_threads(1)  # an explicit n_threads is not capped by the user's default
    monkeypatch.setattr(select, "_process_cores", lambda: 2)
    for idle_cores in (1, 2):
        monkeypatch.setattr(select, "_idle_cores", lambda: idle_cores)
        small = BNMLPClassifier(backend=backend, n_threads=2, **SMALL).fit(X_SMALL, Y_SMALL)
        assert small.n_threads_ == 2
    # ... but never more than the cores the process may run on.
    model = BNMLPClassifier(backend=backend, n_threads=64, **SMALL).fit(X_SMALL, Y_SMALL)
    assert model.n_threads_ == 2
    assert torch.get_num_threads() == 1


def test_n_threads_makes_the_torch_engine_reproducible_under_any_load(monkeypatch, user_threads):
    torch.set_num_threads(2)
    fits = []
    for idle_cores in (1, 2):
        monkeypatch.setattr(select, "_idle_cores", lambda: idle_cores)
        fits.append(BNMLPClassifier(backend="torch", n_threads=1, **LARGE).fit(X_LARGE, Y_LARGE))
    for a, b in zip(fits[0].coefs_, fits[1].coefs_):
        np.testing.assert_array_equal(a, b)


def test_n_threads_is_validated():
    with pytest.raises(ValueError, match="n_threads"):
        BNMLPClassifier(n_threads=0).fit(X_SMALL, Y_SMALL)
