"""Which engine trains a fit, and on how many CPU threads.

Measured on a 2-core machine (``benchmarks/bench_busy.py``; the rule and its
numbers are in ``docs/user_guide/engines.md``):

- Below about six million multiply-adds per training step, one thread of the
  NumPy engine is as fast as torch's or faster (the fixed cost of a step,
  Python and kernel launches, weighs on torch's more; the balanced ensembles
  of the real-data panel, 24 members on batches of 64, are faster on NumPy
  and slower on torch under load), and it saves importing torch (about 0.8
  s, once per process).
- Above it, torch's kernels are as fast or faster, and a second thread helps
  (1.2-1.7x) -- but only on idle cores. When other processes keep the cores
  busy, every extra thread of either engine's thread pool waits at each
  synchronisation point for a descheduled sibling: a fit of 30 ms takes 5-20 s.
  So extra threads are used only for work large enough to pay for them and
  only up to the cores that are idle when the fit starts.
"""

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

__all__ = ["EngineChoice", "select_engine", "step_macs"]

# Multiply-adds per step from which the torch engine is used, and per extra thread.
# ``bench_step.py --crossover`` (results/step/crossover.json): on one thread
# the NumPy engine's step is as fast as torch's or faster up to about 10 M;
# with two idle threads torch's pulls ahead from about 6-8 M.
TORCH_MIN_MACS = 6_000_000
MACS_PER_THREAD = 1_000_000

_INSTALL_HINT = (
    "backend='torch' needs PyTorch, which is not installed. Install it with "
    '`pip install -e ".[torch]"` from the repository (or `pip install torch`), or use '
    "backend='numpy'."
)


def step_macs(layer_sizes, batch_rows, n_members=1, input_density=1.0):
    """Multiply-adds of one forward pass of one training step: a proxy for the
    step's work (the backward pass is about twice as much, for both engines)."""
    first = layer_sizes[0] * input_density * layer_sizes[1]
    rest = sum(a * b for a, b in zip(layer_sizes[1:-1], layer_sizes[2:]))
    return int(batch_rows * n_members * (first + rest))


@dataclass(frozen=True)
class EngineChoice:
    """The engine of one fit: its name, how to build it, and its CPU threads
    (``None`` on an accelerator, where the host's threads are left alone)."""

    name: str
    factory: object
    n_threads: int | None

    @contextmanager
    def threads(self):
        """Run the fit with ``n_threads`` threads in this engine's thread pool,
        restoring the caller's setting afterwards."""
        if self.n_threads is None:
            yield
        elif self.name == "torch":
            import torch

            before = torch.get_num_threads()
            torch.set_num_threads(self.n_threads)
            try:
                yield
            finally:
                torch.set_num_threads(before)
        else:
            with _pool_controller().limit(limits=self.n_threads, user_api="blas"):
                yield


def select_engine(backend, device, macs, n_threads=None):
    """The :class:`EngineChoice` for a fit of ``macs`` multiply-adds per step.

    ``backend='auto'`` takes torch on an accelerator, and on the CPU when the
    step's work reaches ``TORCH_MIN_MACS`` and torch is installed; NumPy
    otherwise. On the CPU either engine gets ``n_threads`` threads when it is
    given (at most the process's cores), else one per ``MACS_PER_THREAD`` of
    work, at most the threads the process may use and at most the cores idle now.
    """
    on_cpu = str(device) == "cpu"
    if backend == "torch" or (backend == "auto" and (not on_cpu or macs >= TORCH_MIN_MACS)):
        try:
            from ._torch import TorchEngine, resolve_device
        except ImportError as exc:
            if backend == "torch":
                raise ImportError(_INSTALL_HINT) from exc
            return _numpy_choice(backend, device, on_cpu, macs, n_threads)
        dev = resolve_device(device)  # fail before any work is done
        threads = _threads(macs, _torch_threads, n_threads) if dev.type == "cpu" else None
        return EngineChoice("torch", partial(TorchEngine, device=device), threads)
    return _numpy_choice(backend, device, on_cpu, macs, n_threads)


def _numpy_choice(backend, device, on_cpu, macs, n_threads):
    if not on_cpu:
        raise ValueError(
            f"device={device!r} needs the torch backend, but backend={backend!r} "
            "resolves to the NumPy engine, which runs on the CPU only."
        )
    from ._numpy import NumpyEngine

    return EngineChoice("numpy", NumpyEngine, _threads(macs, _blas_threads, n_threads))


def _threads(macs, allowed, n_threads=None):
    """``allowed()``: the threads the engine's pool may use."""
    if n_threads is not None:
        return min(n_threads, _process_cores())
    wanted = min(allowed(), max(1, macs // MACS_PER_THREAD))
    if wanted == 1:
        return 1  # no need to look at the machine's load
    return max(1, min(wanted, _idle_cores()))


def _process_cores():
    """Cores this process may run on: its CPU affinity, and a cgroup's quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cores, quota)) if quota else cores


def _cgroup_quota():
    for path, parse in (
        ("/sys/fs/cgroup/cpu.max", lambda s: s.split()),
        ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", lambda s: [s, None]),
    ):
        try:
            with open(path) as f:
                quota, period = parse(f.read().strip())
            if quota in ("max", "-1"):
                return None
            if period is None:
                with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
                    period = f.read().strip()
            return max(1, int(int(quota) // int(period)))
        except (OSError, ValueError):
            continue
    return None


def _env_threads():
    try:
        return int(os.environ["OMP_NUM_THREADS"].split(",")[0])
    except (KeyError, ValueError):
        return None


def _cap(*limits):
    return max(1, min(n for n in limits if n))


def _torch_threads():
    """Threads torch may use: its own setting (the user's ``set_num_threads``,
    ``OMP_NUM_THREADS``, joblib's and threadpoolctl's limits all show there)
    within the process's cores, and the OpenMP limits of the libraries loaded
    before it: a ``threadpool_limits`` entered before torch was first imported
    limits only those (scikit-learn's OpenMP runtime among them), not torch's
    own. A limit on BLAS alone leaves torch free."""
    import torch

    return _cap(
        torch.get_num_threads(),
        min(_pool_threads("openmp"), default=None),
        _process_cores(),
        _env_threads(),
    )


def _blas_threads():
    """Threads NumPy's BLAS may use, limited likewise."""
    return _cap(min(_pool_threads("blas"), default=1), _process_cores(), _env_threads())


def _pool_threads(user_api):
    """The thread limit of each loaded pool of ``user_api`` ('blas' or 'openmp')."""
    pools = _pool_controller().select(user_api=user_api)
    return [lib.num_threads for lib in pools.lib_controllers]


_CONTROLLER = None


def _pool_controller():
    # The BLAS and OpenMP pools of the process.
    # One scan of the loaded libraries per process (a scan takes milliseconds,
    # as long as a small fit); NumPy's and SciPy's BLAS are loaded by then.
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


def _idle_cores(samples=3):
    """Cores not kept busy by other processes right now: on Linux, the runnable
    threads of ``/proc/loadavg`` less this process's own (its thread pools spin
    for a while after each parallel region), the median of a few readings a
    millisecond apart. Elsewhere, every core of the process."""
    cores = _process_cores()
    readings = []
    for i in range(samples):
        try:
            with open("/proc/loadavg") as f:
                running = int(f.read().split()[3].split("/")[0])
            readings.append(running - _own_running_threads())
        except (OSError, ValueError, IndexError):
            return cores
        if i + 1 < samples:
            time.sleep(0.001)
    return max(1, cores - sorted(readings)[len(readings) // 2])


def _own_running_threads():
    running = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/stat") as f:
                # The state follows the command name, which is in parentheses.
                running += f.read().rsplit(")", 1)[1].split()[0] == "R"
        except (OSError, IndexError):
            continue
    return running
