"""Would fused kernels (numba) bring the NumPy engine's step to its floor? Issue 36.

The NumPy engine's step is a hundred-odd NumPy calls, each a pass over an
array; fusing a run of them into one compiled loop is the way issue 36 names
to the matmul floor. numba is already installed wherever the ``dask`` extra
is (``dask-ml`` needs it), so it is the JIT that would cost users least. This
times, at the sizes of ``bench_step.py``, the elementwise runs of the step
that a kernel would fuse, written as the engine writes them (NumPy) and as
one numba loop each, with the same float32 operations in the same order, so
that the two give the same bits (checked here):

- the ReLU forward pass (``z * (z > 0)``) and backward pass (``dh * (h > 0)``),
  as the engine wrote them when this was measured (it now keeps the slope
  ``z > 0`` as floats between the two passes, see ``skbn._network.Activation``);
- the input gradient of a hidden layer's BN (``batchnorm_backward``'s four
  passes once ``dgamma`` and ``dbeta`` are known);
- Adam over the flat parameters (the engine's dozen passes).

It also times what a process pays before the first fused step: importing
numba and compiling the kernels (a cold cache) or loading them (a warm one),
each in a fresh interpreter. The break-even is that cost over the saving per
step.

    python benchmarks/explore_fused.py [--rounds 7] [--json results/step/fused.json]

Exploratory: nothing in skbn uses numba.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import bench_step  # noqa: E402
from _harness import write_json  # noqa: E402

from skbn._batchnorm import batchnorm_backward, batchnorm_train, folds_linear_batchnorm  # noqa: E402
from skbn._reductions import sum_rows  # noqa: E402


def step_shapes(size):
    """The shapes of a step's hidden activations at one of ``bench_step``'s
    sizes (a ReLU each), and of those of its hidden BN layers that make passes
    over their output: all but a first layer whose BN goes through its input's
    covariance (``folds_linear_batchnorm``), which has no passes to fuse."""
    lead = (size["members"],) if size["members"] > 1 else ()
    shapes = [(*lead, size["rows"], h) for h in size["hidden"]]
    first = np.empty((size["rows"], size["features"]), np.float32)
    coef = np.empty((size["features"], size["hidden"][0]), np.float32)
    skip = 1 if folds_linear_batchnorm(first, coef) else 0
    return shapes, shapes[skip:]


KERNELS = """
import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def relu_forward(z):
    f = z.reshape(-1)
    for i in range(f.size):
        f[i] = f[i] * np.float32(f[i] > 0)


@njit(cache=True, nogil=True, error_model="numpy")
def relu_backward(dh, h):
    f, hf = dh.reshape(-1), h.reshape(-1)
    for i in range(f.size):
        f[i] = f[i] * np.float32(hf[i] > 0)


@njit(cache=True, nogil=True, error_model="numpy")
def bn_input_gradient(dx, xhat, dout, a, b, c):
    # ((xhat * a + dout) - b) * c per column: batchnorm_backward's four passes.
    k, m, h = dx.shape
    for j in range(k):
        for r in range(m):
            for u in range(h):
                dx[j, r, u] = ((xhat[j, r, u] * a[j, u] + dout[j, r, u]) - b[j, u]) * c[j, u]


@njit(cache=True, nogil=True, error_model="numpy")
def adam(p, g, m, v, b1, b2, step_size, bc2_sqrt, eps):
    c1, c2 = np.float32(1 - b1), np.float32(1 - b2)
    fb1, fb2, fbc, feps = np.float32(b1), np.float32(b2), np.float32(bc2_sqrt), np.float32(eps)
    for i in range(p.size):
        gi = g[i]
        mi = m[i] * fb1 + gi * c1
        vi = v[i] * fb2 + (gi * gi) * c2
        m[i], v[i] = mi, vi
        d = mi / (np.sqrt(vi) / fbc + feps)
        # error_model='numpy': no zero-division check, which kept LLVM from
        # vectorising this loop (6x slower). The engine's step size is a
        # float64 scalar: NumPy multiplies in float64 and rounds, and so does this.
        p[i] = p[i] - np.float32(np.float64(d) * step_size)
"""

STARTUP = """
import sys, time
import numpy as np
start = time.perf_counter()
import numba
imported = time.perf_counter()
sys.path.insert(0, {where!r})
import fused_kernels as k
z = np.ones((2, 2, 2), np.float32); v = np.ones(4, np.float32)
k.relu_forward(z); k.relu_backward(z, z); k.bn_input_gradient(z, z, z, z[:, 0], z[:, 0], z[:, 0])
k.adam(v, v.copy(), v.copy(), v.copy(), 0.9, 0.999, np.float64(1e-3), 0.5, 1e-8)
print(imported - start, time.perf_counter() - imported)
"""


def _kernels(where):
    sys.path.insert(0, str(where))
    import fused_kernels

    return fused_kernels


def startup(where):
    """Seconds to import numba and to get the kernels ready, in a fresh
    interpreter: first with an empty cache (compiling), then from the cache."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(where / "cache"))
    runs = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", STARTUP.format(where=str(where))],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout.split()
        runs.append(tuple(float(x) for x in out))
    return {
        "import_s": min(r[0] for r in runs),
        "compile_s": runs[0][1],
        "cached_s": min(r[1] for r in runs[1:]),
    }


def _same(a, b):
    return bool(np.array_equal(a.view(np.uint32), b.view(np.uint32)))


def _time(fn, rounds, number=50):
    best = np.inf
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def compare(k, size, shapes, bn_shapes, rounds):
    """Microseconds a step spends in each fused run, NumPy against numba, and
    whether the two give the same bits."""
    rng = np.random.default_rng(0)
    rows = {}
    pairs = {"relu forward": [], "relu backward": [], "bn input gradient": []}
    for shape in shapes:
        z = rng.normal(size=shape).astype(np.float32)
        dh = rng.normal(size=shape).astype(np.float32)
        h = z * (z > 0)
        one, two = z.copy(), z.copy()
        np.multiply(one, one > 0, out=one)
        k.relu_forward(two)
        same_forward = _same(one, two)
        one, two = dh.copy(), dh.copy()
        np.multiply(one, h > 0, out=one)
        k.relu_backward(two, h)
        same_backward = _same(one, two)
        w = z.copy()
        pairs["relu forward"].append(
            (
                _time(lambda: np.multiply(w, w > 0, out=w), rounds),
                _time(lambda: k.relu_forward(w), rounds),
                same_forward,
            )
        )
        pairs["relu backward"].append(
            (
                _time(lambda: np.multiply(dh, h > 0, out=dh), rounds),
                _time(lambda: k.relu_backward(dh, h), rounds),
                same_backward,
            )
        )
    for shape in bn_shapes:  # BN's input gradient, as batchnorm_backward computes it
        z3 = rng.normal(size=shape).astype(np.float32)
        g3 = rng.normal(size=shape).astype(np.float32)
        if z3.ndim == 2:
            z3, g3 = z3[None], g3[None]
        k_, m_, u_ = z3.shape
        gamma = rng.uniform(0.5, 1.5, (k_, u_)).astype(np.float32)
        beta = np.zeros((k_, u_), np.float32)
        _, _, _, cache = batchnorm_train(z3.copy(), gamma, beta, None, None, 1e-5)
        dgamma = np.einsum("...ij,...ij->...j", g3, cache.xhat)
        dbeta = sum_rows(g3)
        a, b, c = -dgamma / m_, dbeta / m_, cache.gamma * cache.inv_std
        expected, _, _ = batchnorm_backward(g3, cache)
        fused = np.empty_like(g3)
        k.bn_input_gradient(fused, cache.xhat, g3, a, b, c)

        def numpy_bn():
            dx = cache.xhat * a[..., None, :]
            dx += g3
            dx -= b[..., None, :]
            dx *= c[..., None, :]

        pairs["bn input gradient"].append(
            (
                _time(numpy_bn, rounds),
                _time(lambda: k.bn_input_gradient(fused, cache.xhat, g3, a, b, c), rounds),
                _same(expected, fused),
            )
        )
    for name, timed in pairs.items():
        if not timed:
            continue
        rows[name] = {
            "numpy_us": 1e6 * sum(t[0] for t in timed),
            "numba_us": 1e6 * sum(t[1] for t in timed),
            "same_bits": all(t[2] for t in timed),
        }
    rows["adam"] = adam_run(k, size, rounds)
    return rows


def adam_run(k, name, rounds):
    """The engine's own Adam step (``NumpyEngine._adam_step``, the gradients
    copied into its flat buffer and a dozen passes over it) against the fused
    kernel on the same buffers, at this size's network: microseconds a step,
    and whether the two leave the same bits."""
    engine = bench_step.Setup("numpy", bench_step.SIZES[name], 1).engine
    cfg, rng = engine.config, np.random.default_rng(0)
    grads = [rng.normal(size=g.shape).astype(g.dtype) for g in engine._grads]
    lr = np.float64(cfg.learning_rate)  # as the engine's epochs pass it (times a factor)
    engine._adam_step(grads, lr)  # moments that are not zero
    flats = (engine._flat_params, engine._flat_avg, engine._flat_avg_sq)
    p, m, v = (a.copy() for a in flats)
    engine._adam_step(grads, lr)
    step = engine.adam.step
    b1, b2 = cfg.beta_1, cfg.beta_2
    args = (b1, b2, lr / (1 - b1**step), (1 - b2**step) ** 0.5, cfg.epsilon)
    k.adam(p, np.concatenate([g.ravel() for g in grads]), m, v, *args)
    same = all(_same(a, b) for a, b in zip(flats, (p, m, v)))

    def fused():
        for view, g in zip(engine._grads, grads):
            np.copyto(view, g)
        k.adam(
            engine._flat_params, engine._flat_grad, engine._flat_avg, engine._flat_avg_sq, *args
        )

    return {
        "numpy_us": 1e6 * _time(lambda: engine._adam_step(grads, lr), rounds),
        "numba_us": 1e6 * _time(fused, rounds),
        "same_bits": same,
    }


def step_ms(name, rounds):
    """The NumPy engine's whole step at this size (bench_step's setup) and its
    matmul floor, interleaved: ms."""
    setup = bench_step.Setup("numpy", bench_step.SIZES[name], 3)
    products = bench_step.floor("numpy", bench_step.SIZES[name], setup.steps)
    best = {"step": np.inf, "floor": np.inf}
    for _ in range(rounds + 1):  # the first round warms
        for key, fn in (("step", setup.run), ("floor", products)):
            start = time.perf_counter()
            fn()
            best[key] = min(best[key], (time.perf_counter() - start) / setup.steps)
    return 1e3 * best["step"], 1e3 * best["floor"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", help="write every number to this file")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    where = Path(tempfile.mkdtemp(prefix="skbn_fused_"))
    (where / "fused_kernels.py").write_text(textwrap.dedent(KERNELS))
    costs = startup(where)
    os.environ["NUMBA_CACHE_DIR"] = str(where / "cache")
    k = _kernels(where)
    results = []
    with threadpool_limits(limits=1):
        for name, size in bench_step.SIZES.items():
            rows = compare(k, name, *step_shapes(size), args.rounds)
            step, floor_ms = step_ms(name, args.rounds)
            # A fused engine would keep whichever of the two is faster per run.
            saved_ms = sum(max(0.0, r["numpy_us"] - r["numba_us"]) for r in rows.values()) / 1e3
            results.append(
                {
                    "size": name,
                    "step_ms": step,
                    "floor_ms": floor_ms,
                    "saved_ms": saved_ms,
                    "runs": rows,
                }
            )
    print(
        f"numba: import {costs['import_s']:.2f} s, first kernels {costs['compile_s']:.2f} s "
        f"compiling, {costs['cached_s']:.2f} s from the cache"
    )
    print(f"{'size':10s} {'run':18s} {'NumPy us':>9s} {'numba us':>9s} {'same bits':>9s}")
    for r in results:
        for run, row in r["runs"].items():
            print(
                f"{r['size']:10s} {run:18s} {row['numpy_us']:9.1f} {row['numba_us']:9.1f} "
                f"{str(row['same_bits']):>9s}"
            )
        per_process = costs["import_s"] + costs["cached_s"]
        fused = r["step_ms"] - r["saved_ms"]
        print(
            f"{r['size']:10s} step {r['step_ms']:.3f} ms, {r['step_ms'] / r['floor_ms']:.2f}x "
            f"the floor; fused saves {r['saved_ms']:.3f} ms ({r['saved_ms'] / r['step_ms']:.0%}), "
            f"{fused / r['floor_ms']:.2f}x the floor; a process's {per_process:.2f} s of "
            f"numba pays after {per_process / max(r['saved_ms'], 1e-9) * 1e3:,.0f} steps"
        )
    if args.json:
        write_json(args.json, {"startup": costs, "results": results})
    return costs, results


if __name__ == "__main__":
    main()
