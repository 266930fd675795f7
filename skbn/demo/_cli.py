"""``skbn demo``: the command line of the demonstration."""

import argparse
import sys
import time
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

from . import _bn_training, _imbalance, _report

EXPERIMENTS = {"bn_training": _bn_training, "imbalance": _imbalance}


def run_demo(
    out="skbn-report", quick=True, seed=0, backend="auto", only=None, n_seeds=None, log=print
):
    """Run the experiments and write the report into ``out``.

    Parameters
    ----------
    out : str or Path, default='skbn-report'
        Folder for report.md, results.json and results.csv.
    quick : bool, default=True
        Small data and 3 seeds; ``False`` runs larger data and 5 seeds.
    seed : int, default=0
        First seed; the runs use ``seed, seed + 1, ...``.
    backend : str, default='auto'
        Training backend of every model.
    only : list of str or None, default=None
        Names of the experiments to run (all when None).
    n_seeds : int or None, default=None
        Overrides the number of seeds of the mode.
    log : callable, default=print
        Receives one line per finished step.

    Returns
    -------
    results : dict
        Experiment name to its list of result rows.
    """
    names = list(only or EXPERIMENTS)
    seeds = list(range(seed, seed + (n_seeds or (3 if quick else 5))))
    results = {}
    for i, name in enumerate(names, 1):
        start = time.perf_counter()
        with warnings.catch_warnings():
            # The experiments train for fixed epoch budgets on purpose.
            warnings.simplefilter("ignore", ConvergenceWarning)
            results[name] = EXPERIMENTS[name].run(seeds, quick, backend)
        log(f"[{i}/{len(names)}] {name}: {time.perf_counter() - start:.1f} s")
    meta = {"seeds": seeds, "mode": "quick" if quick else "full", "backend": backend}
    _report.write(Path(out), results, meta)
    log(f"Report written to {Path(out) / 'report.md'}")
    return results


def main(argv=None):
    experiments = "\n".join(f"  {name}: {mod.DESCRIPTION}" for name, mod in EXPERIMENTS.items())
    parser = argparse.ArgumentParser(
        prog="skbn",
        description="skbn: batch normalization and class imbalance, measured.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="train models and write a report",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="experiments:\n" + experiments,
    )
    demo.add_argument("--out", default="skbn-report", help="output folder (default: %(default)s)")
    mode = demo.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        dest="quick",
        action="store_true",
        default=True,
        help="small data, 3 seeds (default)",
    )
    mode.add_argument("--full", dest="quick", action="store_false", help="larger data, 5 seeds")
    demo.add_argument("--seed", type=int, default=0, help="first seed (default: %(default)s)")
    demo.add_argument("--backend", default="auto", choices=["auto", "numpy", "torch"])
    demo.add_argument(
        "--only",
        nargs="+",
        choices=list(EXPERIMENTS),
        metavar="EXPERIMENT",
        help="run only these experiments",
    )
    args = parser.parse_args(argv)
    run_demo(args.out, quick=args.quick, seed=args.seed, backend=args.backend, only=args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
