"""How far each engine's training step is from the matmul floor, at the sizes users train.

Issue 36. For each size and engine this times the engine's training step (the
planned rows gathered, forward and backward passes, BN, the loss and Adam) and,
in the same process and interleaved round by round, the floor: only the matrix
products of the same step (forward, weight gradients, input gradients), in the
engine's own library. The step is then split into

- ``products``: the floor;
- ``optimizer``: the step minus the same step with Adam made a no-op;
- ``fixed``: the step of the same engine, members and layers at the smallest
  size (two rows, every width 1), what a step costs whatever its arithmetic
  (Python, dispatch, temporaries' allocation);
- ``elementwise``: the rest (BN, activations, softmax, gathers, copies).

The torch engine is also profiled (``torch.profiler``, self CPU time of its
operators grouped the same way, and the wall time no operator accounts for).

Sizes: ``small`` and ``medium`` are the balanced ensemble's step on a KEEL-size
table (about 1,500 x 8) and on a medium one (about 20,000 x 16) with its
default members: 29 (24 balanced and 5 fold members), each its own 64 rows,
hidden layers of 100 and 16 units (until 2026-12-04: 24 members and one
hidden layer of 100, the default before); ``large`` the single network of
``bench_fit.py`` (50 features, (256, 128), batch 256) and ``large k=8`` the
ensemble of ``bench_ensemble.py`` (20 features, (128, 128), batch 256, shared
batches). Every run uses ``--threads`` threads (default 1, as the real-data
benchmark times its fits); each time is the fastest of ``--rounds`` interleaved
rounds.

    python benchmarks/bench_step.py [--sizes small medium] [--rounds 5] [--json out.json]
    python benchmarks/bench_step.py --crossover [--json crossover.json]
    python benchmarks/bench_step.py --against 88fff49 [--json against.json]

``--crossover`` times instead each engine at one and two threads on the
balanced ensemble's step as the table widens (8 to 128 features): where
``'auto'`` should take torch (``skbn.engines._select.TORCH_MIN_MACS``).
``--against REV`` times each step (and its fixed cost) of today's engines
against those of the git revision ``REV``, interleaved in one process: the
before and after of a change, free of the drift between separate runs; and
the same for the plan of an epoch (each member's rows of its batches, drawn
from its own stream), which a fit pays beside its steps.
"""

import argparse
import dataclasses
import importlib
import importlib.util
import io
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _harness import interleaved, write_json  # noqa: E402

from skbn import BalancedBNMLPClassifier  # noqa: E402
from skbn._balanced import AUTO_SUBSET_BATCH  # noqa: E402
from skbn.engines import TrainingConfig  # noqa: E402

HAS_TORCH = importlib.util.find_spec("torch") is not None

# The balanced ensemble's step: BalancedBNMLPClassifier()'s members (balanced
# and fold members, in one network) and widths, in its batches (64 rows on a
# table whose subsets are larger).
_DEFAULT = BalancedBNMLPClassifier()
ENSEMBLE_STEP = dict(
    members=_DEFAULT.n_members + _DEFAULT.n_fold_members,
    rows=AUTO_SUBSET_BATCH,
    hidden=tuple(_DEFAULT.hidden_layer_sizes),
    shared=False,
)
SIZES = {
    "small": dict(ENSEMBLE_STEP, features=8),
    "medium": dict(ENSEMBLE_STEP, features=16),
    "large": dict(members=1, rows=256, features=50, hidden=(256, 128), shared=True),
    "large k=8": dict(members=8, rows=256, features=20, hidden=(128, 128), shared=True),
}
CONFIG = TrainingConfig("relu", 0.1, 1e-5, 0.0, 1e-4, 0.03, 0.9, 0.999, 1e-8)
BATCHES = 8  # batches an epoch


def _engine_class(name, package="skbn"):
    if name == "numpy":
        return importlib.import_module(f"{package}.engines._numpy").NumpyEngine
    return importlib.import_module(f"{package}.engines._torch").TorchEngine


class Setup:
    """An engine at one size, its planned epochs, and the products of its step."""

    def __init__(
        self,
        engine,
        size,
        epochs,
        minimal=False,
        no_optimizer=False,
        package="skbn",
        dtype="float32",
    ):
        members, rows, features = size["members"], size["rows"], size["features"]
        hidden = size["hidden"]
        if minimal:  # the same members and layers, nothing to compute
            rows, features, hidden = 2, 1, (1,) * len(hidden)
        rng = np.random.default_rng(0)
        n = rows * BATCHES
        self.X = rng.normal(size=(n, features)).astype(dtype)
        self.y = (rng.random(n) < 0.3).astype(np.int64)
        self.widths = [features, *hidden, 2]
        planning = importlib.import_module(f"{package}._plan")
        engines = importlib.import_module(f"{package}.engines")
        net = planning.init_network(0, self.widths, "relu", True, self.X.dtype, n_members=members)
        adam = engines.AdamState.zeros_like(net.trainable())
        config = engines.TrainingConfig(  # the package's own class
            **{f.name: getattr(CONFIG, f.name) for f in dataclasses.fields(CONFIG)}
        )
        self.engine = _engine_class(engine, package)(config, net, adam, self.X, self.y, None, 2)
        if no_optimizer:
            self._skip_optimizer(engine)
        plan = training_plan(planning, size, rows)
        self.epochs = [plan.epoch(e, self.y) for e in range(epochs)]
        self.steps = epochs * BATCHES
        self.members, self.rows = members, rows

    def _skip_optimizer(self, engine):
        if engine == "numpy":
            self.engine._adam_step = lambda grads, lr: None
            return
        import torch

        zero = torch.zeros(())
        self.engine._adam_step = lambda grads, m, lr: zero

    def run(self):
        for plan in self.epochs:
            self.engine.run_epoch(plan)


def floor(engine, size, steps, dtype="float32"):
    """The matrix products of ``steps`` training steps of ``size``, alone, in
    the engine's library, into buffers made once."""
    k, m = size["members"], size["rows"]
    widths = [size["features"], *size["hidden"], 2]
    lead = (k,) if k > 1 else ()
    if engine == "numpy":
        rng = np.random.default_rng(0)

        def array(*shape):
            return rng.normal(size=shape).astype(dtype)

        matmul = np.matmul
        transpose = np.swapaxes
    else:
        import torch

        g = torch.Generator().manual_seed(0)

        def array(*shape):
            return torch.randn(*shape, generator=g, dtype=getattr(torch, dtype))

        def matmul(a, b, out):
            return torch.matmul(a, b, out=out)

        transpose = torch.transpose
    # The first layer's input is shared by the members when they share the batch.
    first = (m, widths[0]) if size["shared"] else (*lead, m, widths[0])
    acts = [array(*first)] + [array(*lead, m, w) for w in widths[1:]]
    weights = [array(*lead, a, b) for a, b in zip(widths[:-1], widths[1:])]
    grads = [array(*lead, a, b) for a, b in zip(widths[:-1], widths[1:])]
    deltas = [array(*lead, m, a) for a in widths[:-1]]

    def run():
        for _ in range(steps):
            for i, w in enumerate(weights):
                matmul(acts[i], w, out=acts[i + 1])
            for i in range(len(weights) - 1, -1, -1):
                a = acts[i]
                if a.ndim < acts[i + 1].ndim:  # shared input: one product per member
                    a = a[None]
                matmul(transpose(a, -1, -2), acts[i + 1], out=grads[i])
                if i:
                    matmul(acts[i + 1], transpose(weights[i], -1, -2), out=deltas[i])

    return run


def profile_torch(setup):
    """Self CPU time of the torch engine's operators over its epochs, grouped
    as products / optimizer / elementwise, and the wall time no operator
    accounts for (Python and dispatch): seconds per step."""
    from torch.profiler import ProfilerActivity, profile

    setup.run()  # warm
    for _ in range(2):  # the profiler's first session pays its own start-up
        start = time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            setup.run()
        wall = time.perf_counter() - start
    groups = {"products": 0.0, "optimizer": 0.0, "elementwise": 0.0}
    for event in prof.key_averages():
        name = event.key
        seconds = event.self_cpu_time_total / 1e6
        if any(op in name for op in ("::mm", "::bmm", "::addmm", "::baddbmm", "::matmul")):
            groups["products"] += seconds
        elif "adam" in name or "_foreach" in name:
            groups["optimizer"] += seconds
        elif name.startswith("aten::"):
            groups["elementwise"] += seconds
    groups["outside operators"] = max(0.0, wall - sum(groups.values()))
    # The profiler's own cost inflates the wall time; shares are what it shows.
    return {k: v / setup.steps for k, v in groups.items()}, wall / setup.steps


def measure(engine, name, size, epochs, rounds, dtype="float32"):
    full = Setup(engine, size, epochs, dtype=dtype)
    bare = Setup(engine, size, epochs, no_optimizer=True, dtype=dtype)
    minimal = Setup(engine, size, epochs, minimal=True, dtype=dtype)
    products = floor(engine, size, full.steps, dtype)
    contenders = {"step": full.run, "no optimizer": bare.run, "fixed": minimal.run}
    contenders["products"] = products
    for fn in contenders.values():  # warm: first-call costs, allocator
        fn()
    times = interleaved(contenders, rounds)
    # The fastest round: a round's time only grows with what else the machine
    # does, and these are differences of a millisecond (the median moved by
    # 20-40 % between runs on the 2-core machine).
    per_step = {k: float(np.min(v)) / full.steps for k, v in times.items()}
    step = per_step["step"]
    optimizer = max(0.0, step - per_step["no optimizer"])
    shares = {
        "products": per_step["products"],
        "optimizer": optimizer,
        "fixed": per_step["fixed"],
    }
    shares["elementwise"] = max(0.0, step - sum(shares.values()))
    result = {
        "engine": engine,
        "size": name,
        "step_ms": 1e3 * step,
        "floor_ms": 1e3 * per_step["products"],
        "ratio": step / per_step["products"],
        "shares": {k: v / step for k, v in shares.items()},
        "fixed_ms": 1e3 * per_step["fixed"],
    }
    if engine == "torch":
        groups, wall = profile_torch(Setup(engine, size, epochs, dtype=dtype))
        result["profile_ms"] = {k: 1e3 * v for k, v in groups.items()}
        result["profile_wall_ms"] = 1e3 * wall
    return result


def load_revision(revision):
    """skbn as it was at the git ``revision``, importable as ``skbn_at_rev``
    (its imports are relative), to time beside today's in one process."""
    import subprocess
    import tarfile
    import tempfile

    root = Path(__file__).resolve().parent.parent
    where = Path(tempfile.mkdtemp(prefix="skbn_at_rev_"))
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", revision, "skbn"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(where, filter="data")
    (where / "skbn").rename(where / "skbn_at_rev")
    sys.path.insert(0, str(where))
    return "skbn_at_rev"


def training_plan(planning, size, rows):
    """The plan of ``size``'s epochs in batches of ``rows`` (``planning``: a
    package's ``_plan`` module): each member its own order, from its own
    stream, unless the members share the batch."""
    return planning.TrainingPlan(
        seed=0,
        batch_size=rows,
        shuffle=True,
        merge_singleton=True,
        dropout=0.0,
        n_members=size["members"],
        member_batches="shared" if size["shared"] else "independent",
    )


def planner(size, epochs, package="skbn"):
    """A callable that plans ``epochs`` epochs of ``size`` as ``Setup`` does,
    with a fresh plan each call (nothing drawn before)."""
    planning = importlib.import_module(f"{package}._plan")
    y = (np.random.default_rng(0).random(size["rows"] * BATCHES) < 0.3).astype(np.int64)

    def run():
        plan = training_plan(planning, size, size["rows"])
        for e in range(epochs):
            plan.epoch(e, y)

    return run


def against(revision, engines, sizes, epochs, rounds, dtype="float32"):
    """Each engine's full and fixed-cost step, today's against ``revision``'s,
    interleaved in one process (the fastest of ``rounds``): ms a step; and
    the plan of an epoch (the rows of each member's batches), ms an epoch."""
    package = load_revision(revision)
    rows = []
    for name in sizes:
        plans = {
            who: planner(SIZES[name], epochs, pkg)
            for who, pkg in (("then", package), ("now", "skbn"))
        }
        times = interleaved(plans, rounds + 1, per=epochs)  # the first round warms
        ms = {f"{who} plan": 1e3 * min(v[1:]) for who, v in times.items()}
        rows.append({"size": name, "engine": "plan", "revision": revision, "ms": ms})
        print(
            f"{name:10s} plan   epoch {ms['then plan']:.3f} -> {ms['now plan']:.3f} ms "
            f"({ms['now plan'] / ms['then plan']:.2f}x)",
            flush=True,
        )
        for engine in engines:
            setups = {
                (who, kind): Setup(
                    engine, SIZES[name], epochs, kind == "fixed", package=pkg, dtype=dtype
                )
                for who, pkg in (("then", package), ("now", "skbn"))
                for kind in ("step", "fixed")
            }
            runs = {key: setup.run for key, setup in setups.items()}
            steps = next(iter(setups.values())).steps  # epochs of BATCHES steps, for each
            times = interleaved(runs, rounds + 1, per=steps)  # the first round warms
            ms = {f"{who} {kind}": 1e3 * min(v[1:]) for (who, kind), v in times.items()}
            rows.append({"size": name, "engine": engine, "revision": revision, "ms": ms})
            print(
                f"{name:10s} {engine:6s} step {ms['then step']:.3f} -> {ms['now step']:.3f} ms "
                f"({ms['now step'] / ms['then step']:.2f}x), fixed {ms['then fixed']:.3f} -> "
                f"{ms['now fixed']:.3f} ms ({ms['now fixed'] / ms['then fixed']:.2f}x)",
                flush=True,
            )
    return rows


# The balanced ensemble's step (ENSEMBLE_STEP) as the table widens: where
# 'auto' should hand the CPU over to torch (TORCH_MIN_MACS).
CROSSOVER_FEATURES = (8, 16, 36, 48, 64, 128)


def crossover(rounds, epochs=3):
    """Each engine's step at one and two threads, interleaved, for the
    balanced ensemble's step on tables of ``CROSSOVER_FEATURES`` features."""
    import torch

    rows, before = [], torch.get_num_threads()
    try:
        for features in CROSSOVER_FEATURES:
            rows.append(_crossover_row(features, rounds, epochs))
    finally:
        torch.set_num_threads(before)
    return rows


def _crossover_row(features, rounds, epochs):
    import torch
    from threadpoolctl import threadpool_limits

    from skbn.engines._select import step_macs

    size = dict(ENSEMBLE_STEP, features=features)
    setups = {e: Setup(e, size, epochs) for e in ("numpy", "torch")}
    times = {}
    for _ in range(rounds + 1):  # the first round warms
        for engine, setup in setups.items():
            for threads in (1, 2):
                torch.set_num_threads(threads)
                with threadpool_limits(limits=threads):
                    start = time.perf_counter()
                    setup.run()
                seconds = (time.perf_counter() - start) / setup.steps
                times.setdefault(f"{engine} {threads}", []).append(seconds)
    best = {k: 1e3 * min(v[1:]) for k, v in times.items()}
    macs = step_macs([features, *size["hidden"], 2], size["rows"], size["members"])
    cells = "  ".join(f"{k} {v:.3f}" for k, v in best.items())
    print(f"{features:4d} features, {macs / 1e6:5.1f} M multiply-adds: {cells}", flush=True)
    return {"features": features, "macs": macs, "ms": best}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--engines", nargs="+", default=["numpy", "torch"])
    parser.add_argument("--epochs", type=int, default=5, help="epochs of 8 steps a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default="float32",
        help="float64 is what a fit on a pandas or scikit-learn float64 table trains in",
    )
    parser.add_argument("--json", help="write every number to this file")
    parser.add_argument(
        "--crossover",
        action="store_true",
        help="instead: each engine at one and two threads as the table widens",
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="instead: each step today against the engines at git revision REV",
    )
    args = parser.parse_args(argv)
    if args.against:
        from threadpoolctl import threadpool_limits

        engines = [e for e in args.engines if e == "numpy" or HAS_TORCH]
        with threadpool_limits(limits=args.threads):
            if HAS_TORCH:
                import torch

                torch.set_num_threads(args.threads)
            rows = against(args.against, engines, args.sizes, args.epochs, args.rounds, args.dtype)
        if args.json:
            write_json(args.json, {"threads": args.threads, "dtype": args.dtype, "against": rows})
        return rows
    if args.crossover:
        rows = crossover(args.rounds)
        if args.json:
            write_json(args.json, {"crossover": rows})
        return rows
    engines = [e for e in args.engines if e == "numpy" or HAS_TORCH]
    from threadpoolctl import threadpool_limits

    results = []
    with threadpool_limits(limits=args.threads):
        if HAS_TORCH:
            import torch

            torch.set_num_threads(args.threads)
        for name in args.sizes:
            for engine in engines:
                results.append(
                    measure(engine, name, SIZES[name], args.epochs, args.rounds, args.dtype)
                )
    header = (
        f"{'size':10s} {'engine':6s} {'step ms':>8s} {'floor ms':>9s} {'x floor':>8s} "
        f"{'products':>9s} {'elementw':>9s} {'optimizer':>9s} {'fixed':>7s}"
    )
    print(header)
    for r in results:
        s = r["shares"]
        print(
            f"{r['size']:10s} {r['engine']:6s} {r['step_ms']:8.3f} {r['floor_ms']:9.3f} "
            f"{r['ratio']:8.2f} {s['products']:9.0%} {s['elementwise']:9.0%} "
            f"{s['optimizer']:9.0%} {s['fixed']:7.0%}"
        )
    profiled = [r for r in results if "profile_ms" in r]
    if profiled:
        print("\ntorch.profiler, ms per step (self CPU time by operator group):")
        for r in profiled:
            groups = ", ".join(f"{k} {v:.3f}" for k, v in r["profile_ms"].items())
            print(f"{r['size']:10s} {groups} (wall {r['profile_wall_ms']:.3f})")
    if args.json:
        write_json(args.json, {"threads": args.threads, "dtype": args.dtype, "results": results})
    return results


if __name__ == "__main__":
    main()
