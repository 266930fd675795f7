"""Engines on an idle and on a busy machine: what a user gets beside other work.

For three sets of the real-data panel (the smallest, a middle one and the
largest) and two settings (the recommended one, `BalancedBNMLPClassifier()`,
and a plain `BNMLPClassifier()`), times a fit with `backend='numpy'`,
`'torch'` and `'auto'` -- and the torch engine as it ran before its threads
were chosen per fit (every thread the process has) -- on an idle machine,
with as many busy processes as cores, and with twice as many (a search beside
other work). The busy processes are bounded loops the benchmark starts and
stops itself. Then `GridSearchCV(n_jobs=2)` against `n_jobs=1` over the
recommended setting on the middle and the largest set, on the idle machine.

Every fit runs a fixed number of epochs (`tol=0`, no early stop), so the
engines do the same work; the table gives seconds per epoch (medians over the
rounds, contenders interleaved within each round). Targets: under both loads,
'auto' <= 1.3x the faster of 'numpy' and 'torch' in the same conditions (for
every set and setting); the search with n_jobs=2 <= 0.7x its n_jobs=1 time.

    python benchmarks/bench_busy.py [--epochs 40] [--rounds 7] [--json busy.json]
"""

import argparse
import multiprocessing
import os
import time
import warnings

import numpy as np
from _harness import target, write_json
from _real_data import load_keel
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import skbn.engines._select as select
from skbn import BalancedBNMLPClassifier, BNMLPClassifier
from skbn.preprocessing import SmoothClipScaler

SETS = {"small": "glass0", "middle": "vehicle1", "largest": "abalone-17_vs_7-8-9-10"}
SETTINGS = {
    "recommended": (SmoothClipScaler, BalancedBNMLPClassifier),
    "plain": (StandardScaler, BNMLPClassifier),
}
ENGINES = ("numpy", "torch", "auto")
BEFORE = "torch, every thread (before)"


def _spin(seconds, parent, ready, core):
    # Spread evenly over the cores: left to the scheduler, 4 loops on 2 cores
    # sit 3 and 1 for seconds at a time, and a fit's speed then depends on which
    # core it lands on (2x apart between identical fits).
    if core is not None:
        os.sched_setaffinity(0, {core})
    ready.release()
    # Bounded, and ends with the benchmark even if that is killed.
    end = time.monotonic() + seconds
    while time.monotonic() < end and os.getppid() == parent:
        for _ in range(100_000):
            pass


class Busy:
    """``n`` processes that keep a core each busy until stopped (at most ``limit`` s)."""

    def __init__(self, n, limit=3600):
        # fork where there is one: a spawned child would first import this
        # script's modules, a load that is not yet the steady one measured.
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.ready = ctx.Semaphore(0)
        cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        self.procs = [
            ctx.Process(
                target=_spin,
                args=(limit, os.getpid(), self.ready, cores[i % len(cores)] if cores else None),
                daemon=True,
            )
            for i in range(n)
        ]

    def __enter__(self):
        for p in self.procs:
            p.start()
        for _ in self.procs:  # every one in its loop
            self.ready.acquire(timeout=120)
        time.sleep(0.5 if self.procs else 0)
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.join()


def encoded(name, scaler):
    data = load_keel(name)
    columns = ColumnTransformer(
        [
            ("num", scaler(), make_column_selector(dtype_include="number")),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                make_column_selector(dtype_exclude="number"),
            ),
        ]
    )
    return columns.fit_transform(data.X), data.y


def fit_seconds(X, y, cls, engine, epochs):
    model = cls(backend=engine, max_iter=epochs, tol=0.0, n_iter_no_change=10**6, random_state=0)
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start, model


def every_thread():
    """The torch engine as it ran before: every thread the process has."""
    chosen = select._threads

    class Patch:
        def __enter__(self):
            select._threads = lambda macs, allowed, n_threads=None: allowed()

        def __exit__(self, *exc):
            select._threads = chosen

    return Patch()


def run_load(n_busy, sets, data, args):
    rows = []
    with Busy(n_busy):
        for (size, name), (setting, (X, y, cls)) in (
            ((s, n), item) for s, n in sets.items() for item in data[n].items()
        ):
            times = {e: [] for e in ENGINES}
            chosen = None
            rng = np.random.default_rng(0)
            for _ in range(args.rounds):
                # A fresh order each round: a fit's neighbours share its noise.
                for engine in rng.permutation(ENGINES):
                    seconds, model = fit_seconds(X, y, cls, engine, args.epochs)
                    times[engine].append(seconds / args.epochs)
                    if engine == "auto":
                        chosen = f"{model.backend_}, {model.n_threads_} thread(s)"
            before = None
            if args.before_epochs:
                with every_thread():
                    seconds, _ = fit_seconds(X, y, cls, "torch", args.before_epochs)
                before = seconds / args.before_epochs
            med = {e: float(np.median(times[e])) for e in ENGINES}
            faster = min(med["numpy"], med["torch"])
            row = {
                "busy": n_busy,
                "set": f"{name} ({size}, {X.shape[0]}x{X.shape[1]})",
                "setting": setting,
                **{f"{e}_s_per_epoch": med[e] for e in ENGINES},
                "before_s_per_epoch": before,
                "auto_chose": chosen,
                "auto_over_faster": med["auto"] / faster,
            }
            rows.append(row)
            print(
                f"{n_busy:>4} {row['set']:<42}{setting:<12}"
                + "".join(f"{med[e] * 1e3:>9.2f}" for e in ENGINES)
                + (f"{before * 1e3:>11.2f}" if before is not None else f"{'-':>11}")
                + f"{row['auto_over_faster']:>9.2f}  {chosen}",
                flush=True,
            )
    return rows


def grid_search(name, data, args):
    X, y, cls = data[name]["recommended"]
    grid = {"alpha": [1e-4, 1e-3], "learning_rate_init": [1e-3, 3e-3]}
    model = cls(random_state=0, max_iter=args.grid_epochs)
    times = {1: [], 2: []}
    for _ in range(args.grid_rounds):
        for n_jobs in times:
            start = time.perf_counter()
            GridSearchCV(model, grid, cv=3, n_jobs=n_jobs).fit(X, y)
            times[n_jobs].append(time.perf_counter() - start)
    med = {n: float(np.median(t)) for n, t in times.items()}
    single = cls(random_state=0, max_iter=args.grid_epochs).fit(X, y)
    print(
        f"GridSearchCV, recommended setting on {name}, 4 candidates x 3 folds, "
        f"{args.grid_epochs} epochs: n_jobs=1 {med[1]:.2f} s, n_jobs=2 {med[2]:.2f} s "
        f"(medians of {args.grid_rounds}; a fit alone uses {single.n_threads_} thread(s))"
    )
    return {
        "set": name,
        "n_jobs_1_s": med[1],
        "n_jobs_2_s": med[2],
        "ratio": med[2] / med[1],
        "threads_of_a_fit": single.n_threads_,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--before-epochs", type=int, default=3, help="epochs of the 'before' fit (0: skip it)"
    )
    parser.add_argument(
        "--loads", type=float, nargs="+", default=[0, 1, 2], help="busy processes per core"
    )
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--grid-epochs", type=int, default=200)
    parser.add_argument("--grid-rounds", type=int, default=2, help="0: skip the search")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    sets = {k: v for k, v in SETS.items() if k in args.sets}
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    data = {
        name: {s: (*encoded(name, scaler), cls) for s, (scaler, cls) in SETTINGS.items()}
        for name in sets.values()
    }
    warnings.simplefilter("ignore", ConvergenceWarning)
    for X, y, cls in data[next(iter(sets.values()))].values():  # imports, thread pools
        for engine in ENGINES:
            fit_seconds(X, y, cls, engine, 1)
    print(
        f"{cores} cores; ms per epoch ({args.epochs} epochs, median of {args.rounds}); "
        f"'{BEFORE}': {args.before_epochs} epochs, one round\n"
        f"busy {'set':<42}{'setting':<12}"
        + "".join(f"{e:>9}" for e in ENGINES)
        + f"{'before':>11}{'auto/min':>9}  auto chose"
    )
    rows = []
    for per_core in args.loads:
        rows += run_load(int(round(per_core * cores)), sets, data, args)
    records = []
    for per_core in args.loads:
        if per_core == 0:
            continue
        n = int(round(per_core * cores))
        worst = max(r["auto_over_faster"] for r in rows if r["busy"] == n)
        records.append(target(f"auto / faster engine, {n} busy processes (worst set)", worst, 1.3))
    grid = []
    if args.grid_rounds:
        print()
        for size in ("middle", "largest"):
            if size in sets:
                grid.append(grid_search(sets[size], data, args))
                records.append(
                    target(
                        f"GridSearchCV n_jobs=2 / n_jobs=1 ({sets[size]})", grid[-1]["ratio"], 0.7
                    )
                )
    if args.json:
        write_json(args.json, {"cores": cores, "rows": rows, "grid": grid, "targets": records})
    return rows, records


if __name__ == "__main__":
    main()
