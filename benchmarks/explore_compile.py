"""Would ``torch.compile`` bring the torch engine's step to its floor? Issue 36.

Issue 36 names ``torch.compile`` as one way to fuse the elementwise passes of
a training step, "where its compile time pays off". This measures both sides
at the sizes of ``bench_step.py``, each size in a fresh interpreter:

- the torch engine's step as it runs (eager) and with its forward and
  backward pass (``TorchEngine._loss_and_gradients``: the row gathers, the
  products, BN, the activation and the loss; Adam is already one fused
  kernel) compiled by inductor, interleaved round by round, beside the matmul
  floor of the same step;
- the first compiled epochs' extra seconds (the compile), once with an empty
  inductor cache (a user's first fit) and once with the cache the first run
  left (every later fit in a new process);
- the parameters after the same planned epochs from the same start, eager
  against compiled: the largest difference, and whether the bits agree
  (the docs promise bit-for-bit reproducibility on the CPU); and one step's
  gradients from the same state, which show the rounding before Adam
  compounds it;
- the break-even: the warm compile over the time saved per step.

Every batch here has the same rows, so one graph serves the whole fit; a real
epoch's last, shorter batch would compile a second graph (or a dynamic one).

    python benchmarks/explore_compile.py [--rounds 5] [--json results/step/compile.json]

Exploratory: the engines never compile.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import bench_step  # noqa: E402
from _harness import write_json  # noqa: E402

EPOCHS = 3  # of bench_step.BATCHES steps each


def _compiled_setup(name, backend):
    import torch

    setup = bench_step.Setup("torch", bench_step.SIZES[name], EPOCHS)
    engine = setup.engine
    engine._loss_and_gradients = torch.compile(
        engine._loss_and_gradients, backend=backend, dynamic=False
    )
    return setup


def worker(name, rounds, backend="inductor"):
    """One size in this process: compile seconds, step times, parity.
    ``backend='eager'`` traces the pass and runs it as it is (no compile)."""
    import torch

    torch.set_num_threads(1)  # as bench_step and the real-data fits time them
    eager = bench_step.Setup("torch", bench_step.SIZES[name], EPOCHS)
    compiled = _compiled_setup(name, backend)
    # One step's gradients from the same state show the rounding itself; the
    # parameters' drift below compounds it over the steps (Adam moves a
    # parameter whose gradient is near zero in the direction of its rounding).
    start = time.perf_counter()
    grads = [_first_gradients(eager)]
    eager.run()
    eager_first = time.perf_counter() - start
    start = time.perf_counter()
    grads.append(_first_gradients(compiled))  # the graph is traced, compiled (or loaded)
    compiled.run()
    compiled_first = time.perf_counter() - start
    rel = max(float((a - b).abs().max() / a.abs().max()) for a, b in zip(*grads))
    # The same planned epochs from the same start: how far apart they land.
    diff = max(
        float((a - b).abs().max()) for a, b in zip(eager.engine.params, compiled.engine.params)
    )
    same = all(torch.equal(a, b) for a, b in zip(eager.engine.params, compiled.engine.params))
    products = bench_step.floor("torch", bench_step.SIZES[name], eager.steps)
    contenders = {"eager": eager.run, "compiled": compiled.run, "floor": products}
    best = {k: np.inf for k in contenders}
    for _ in range(rounds):  # interleaved, round by round; the fastest round counts
        for key, fn in contenders.items():
            start = time.perf_counter()
            fn()
            best[key] = min(best[key], time.perf_counter() - start)
    per_step = {k: 1e3 * v / eager.steps for k, v in best.items()}
    return {
        "size": name,
        "eager_ms": per_step["eager"],
        "compiled_ms": per_step["compiled"],
        "floor_ms": per_step["floor"],
        # The first run's seconds beyond what its steps cost once compiled.
        "compile_s": compiled_first - best["compiled"] - max(0.0, eager_first - best["eager"]),
        "max_abs_diff": diff,
        "same_bits": same,
        "first_step_gradient_rel_diff": rel,
    }


def _first_gradients(setup):
    """The gradients of the first planned batch (BN's running statistics
    move, the parameters do not)."""
    import torch

    engine, plan = setup.engine, setup.epochs[0]
    start, stop = plan.bounds[0]
    engine._reserve_rows(stop - start)
    _, grads = engine._loss_and_gradients(torch.from_numpy(plan.order)[..., start:stop], None)
    return grads


def run_size(name, rounds, cache, backend="inductor"):
    """``worker`` in a fresh interpreter with inductor's cache in ``cache``."""
    env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=str(cache))
    out = subprocess.run(
        [sys.executable, __file__, "--worker", name, "--rounds", str(rounds)]
        + ["--backend", backend],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", nargs="+", choices=list(bench_step.SIZES))
    parser.add_argument("--json", help="write every number to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="inductor", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.rounds, args.backend)))
        return None
    results = []
    for name in args.sizes or bench_step.SIZES:
        with tempfile.TemporaryDirectory(prefix="skbn_inductor_") as cache:
            cold = run_size(name, args.rounds, cache)
            warm = run_size(name, args.rounds, cache)
        # Step times from the warm run (its rounds are as good as the cold's).
        row = {**warm, "cold_compile_s": cold["compile_s"], "warm_compile_s": warm["compile_s"]}
        del row["compile_s"]
        saved = row["eager_ms"] - row["compiled_ms"]
        row["break_even_steps"] = row["warm_compile_s"] * 1e3 / saved if saved > 0 else None
        results.append(row)
        print(
            f"{name:10s} eager {row['eager_ms']:.3f} ms "
            f"({row['eager_ms'] / row['floor_ms']:.2f}x the floor), "
            f"compiled {row['compiled_ms']:.3f} ms ({row['compiled_ms'] / row['floor_ms']:.2f}x); "
            f"compile {row['cold_compile_s']:.1f} s cold, {row['warm_compile_s']:.1f} s warm; "
            "pays after "
            + (f"{row['break_even_steps']:,.0f} steps" if saved > 0 else "never")
            + f"; after {EPOCHS * bench_step.BATCHES} steps max |diff| {row['max_abs_diff']:.2e}, "
            f"same bits {row['same_bits']}; first step's gradients within "
            f"{row['first_step_gradient_rel_diff']:.1e} of their largest"
        )
    if args.json:
        write_json(args.json, {"threads": 1, "epochs": EPOCHS, "results": results})
    return results


if __name__ == "__main__":
    main()
