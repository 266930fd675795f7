"""``import skbn`` time (and that it imports no torch), and the peak memory of a fit.

Import times come from fresh interpreters, interleaved round by round with
``import sklearn.neural_network`` as the baseline. Peak memory is measured in a
fresh interpreter per engine: for the NumPy engine with tracemalloc (NumPy
reports its allocations to it), for the torch engine as the growth of the peak
resident set during the fit (after torch is loaded and warmed up), both
against the size of X.

    python benchmarks/bench_import_memory.py [--rounds 7] [--n-samples 100000] [--json out.json]
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _harness import print_table, summarise, target, write_json  # noqa: E402

IMPORT = """
import sys, time
t = time.perf_counter()
import {module}
print(time.perf_counter() - t, "torch" in sys.modules)
"""

MEMORY = """
import json, resource, sys, tracemalloc, warnings
import numpy as np
from skbn import BNMLPClassifier
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
X = rng.normal(size=({n}, {d})).astype(np.float32)
y = (X[:, 0] > 0).astype(int)
params = dict(hidden_layer_sizes={hidden}, batch_size=256, max_iter=1, random_state=0,
              backend="{engine}")
BNMLPClassifier(**params).fit(X[:512], y[:512])  # load and warm up the engine
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
if "{engine}" == "numpy":
    tracemalloc.start()
    BNMLPClassifier(**params).fit(X, y)
    extra = tracemalloc.get_traced_memory()[1]
else:
    # ru_maxrss only grows: the fit's growth is what it added above the peak so far.
    before = rss()
    BNMLPClassifier(**params).fit(X, y)
    extra = rss() - before
print(json.dumps({{"x_bytes": X.nbytes, "extra_bytes": extra}}))
"""


def time_imports(rounds):
    times = {"import sklearn.neural_network": [], "import skbn": []}
    torch_loaded = False
    for _ in range(rounds):
        for label in times:
            module = label.split()[1]
            out = subprocess.run(
                [sys.executable, "-c", IMPORT.format(module=module)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            times[label].append(float(out[0]))
            torch_loaded |= label == "import skbn" and out[1] == "True"
    return times, torch_loaded


def peak_memory(engine, n, d, hidden):
    code = MEMORY.format(engine=engine, n=n, d=d, hidden=tuple(hidden))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    times, torch_loaded = time_imports(args.rounds)
    rows = summarise(times, "import sklearn.neural_network")
    print_table("Import time in a fresh interpreter: milliseconds", rows, scale=1e3, digits=1)
    print("Targets:")
    targets = [
        target(
            "import skbn / import sklearn.neural_network", rows[1]["ratio_to_baseline"], 1.1, ""
        ),
        target("torch modules loaded by import skbn", float(torch_loaded), 0, "(0 = none)"),
    ]
    engines = ["numpy"] + (["torch"] if importlib.util.find_spec("torch") else [])
    memory = {}
    print(
        f"\nPeak memory of a 1-epoch fit above the data ({args.n_samples} x {args.n_features} float32):"
    )
    for engine in engines:
        m = peak_memory(engine, args.n_samples, args.n_features, args.hidden)
        memory[engine] = m
        ratio = m["extra_bytes"] / m["x_bytes"]
        print(
            f"  {engine}: {m['extra_bytes'] / 2**20:.1f} MiB above X ({m['x_bytes'] / 2**20:.1f} MiB)"
        )
        targets.append(target(f"{engine} fit peak memory / size of X", ratio, 2.0, ""))
    if args.json:
        write_json(
            args.json, {"args": vars(args), "imports": rows, "memory": memory, "targets": targets}
        )
    return rows, memory, targets


if __name__ == "__main__":
    main()
