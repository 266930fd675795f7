"""``skbn demo``: runs the experiments, shows progress, writes the report."""

import argparse
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from . import (
    _batch_size,
    _bn_imbalance,
    _bn_training,
    _covariate_shift,
    _ensembles,
    _imbalance,
    _init_scale,
    _leakage,
    _long_tail,
    _lr_sweep,
    _probabilities,
    _regularization,
    _remedies,
    _report,
)
from ._common import Setup

EXPERIMENTS = {
    m.NAME: m
    for m in (
        _bn_training,
        _lr_sweep,
        _init_scale,
        _batch_size,
        _covariate_shift,
        _regularization,
        _imbalance,
        _remedies,
        _long_tail,
        _probabilities,
        _bn_imbalance,
        _leakage,
        _ensembles,
    )
}


def _run(job):
    # One thread for every computation of a job, in this process as in joblib's
    # workers: OpenBLAS's sums depend on its thread count in the last bits, and
    # the numbers must not depend on --n-jobs (the fits take n_threads=1 too).
    with warnings.catch_warnings(), threadpool_limits(1):
        # The experiments train for fixed epoch budgets on purpose.
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Under-sampling at 1:100 leaves fewer rows than a batch, as intended.
        warnings.filterwarnings("ignore", message="batch_size=", category=UserWarning)
        return job()


def run_demo(
    out="skbn-report",
    quick=True,
    seed=0,
    backend="auto",
    only=None,
    n_seeds=None,
    n_jobs=1,
    scale=1.0,
    progress=True,
    log=print,
):
    """Run the experiments and write the report into ``out``.

    Parameters
    ----------
    out : str or Path, default='skbn-report'
        Folder for report.html, report.md, the PNG figures, results.json and
        results.csv.
    quick : bool, default=True
        Small data and 3 seeds; ``False`` runs larger data and 5 seeds.
    seed : int, default=0
        First seed; the runs use ``seed, seed + 1, ...``.
    backend : {'auto', 'numpy', 'torch'}, default='auto'
        Training backend of every model (``'auto'`` picks the faster engine for
        each fit; both give the same numbers up to rounding). Every fit runs
        on one thread, so the numbers do not depend on ``n_jobs``.
    only : list of str or None, default=None
        Names of the experiments to run (all when None).
    n_seeds : int or None, default=None
        Overrides the number of seeds of the mode.
    n_jobs : int, default=1
        Jobs run in parallel by joblib (-1: one per core). Results do not
        depend on it.
    scale : float, default=1.0
        Multiplies data sizes and epoch counts (the tests use a tiny scale).
    progress : bool or 'always', default=True
        ``True``: a tqdm progress bar on stderr where stderr is a terminal,
        and elsewhere (a CI log, a redirect) one line per finished
        experiment with its name and seconds. ``'always'``: the bar
        everywhere. ``False``: nothing.
    log : callable, default=print
        Receives the closing line.

    Returns
    -------
    results : dict
        Experiment name to its list of result rows.

    Examples
    --------
    >>> from skbn.demo import run_demo
    >>> results = run_demo("/tmp/skbn-doctest", only=["leakage"], n_seeds=1, scale=0.2,
    ...                    progress=False, log=lambda line: None)
    >>> sorted({row["protocol"] for row in results["leakage"]})
    ['SMOTE before the split', 'SMOTE inside the pipeline', 'held-out test set']
    """
    names = list(only or EXPERIMENTS)
    unknown = sorted(set(names) - set(EXPERIMENTS))
    if unknown:
        raise ValueError(f"Unknown experiments {unknown}; choose from {list(EXPERIMENTS)}.")
    seeds = tuple(range(seed, seed + (n_seeds or (3 if quick else 5))))
    setup = Setup(quick=quick, seeds=seeds, backend=backend, scale=scale)
    tasks = [(name, job) for name in names for job in EXPERIMENTS[name].jobs(setup)]
    on_terminal = sys.stderr.isatty()
    bar = tqdm(
        total=len(tasks),
        unit="job",
        disable=not (progress == "always" or (progress and on_terminal)),
        dynamic_ncols=True,
    )
    # Where the bar is not drawn (a CI log, nohup, a notebook's redirect), one
    # line per finished experiment says the run is alive.
    lines = progress is True and not on_terminal
    results = {name: [] for name in names}
    start = time.perf_counter()
    # Ordered results: the output does not depend on n_jobs or timing.
    outputs = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_run)(job) for _, job in tasks
    )
    remaining = Counter(name for name, _ in tasks)
    bar.set_description(tasks[0][0])
    last = start
    for (name, _), rows in zip(tasks, outputs):
        results[name] += rows
        bar.set_description(name)
        bar.update()
        remaining[name] -= 1
        if lines and not remaining[name]:
            now = time.perf_counter()
            done = len(names) - sum(1 for left in remaining.values() if left)
            print(
                f"skbn demo: {name} done in {now - last:.1f} s ({done}/{len(names)})",
                file=sys.stderr,
                flush=True,
            )
            last = now
    bar.close()
    sections = {name: EXPERIMENTS[name].section(results[name], setup) for name in names}
    meta = {
        "seeds": list(seeds),
        "mode": "quick" if quick else "full",
        "backend": backend,
        "scale": scale,
    }
    config_keys = {name: EXPERIMENTS[name].CONFIG for name in names}
    _report.write(Path(out), sections, results, config_keys, meta)
    log(
        f"Report written to {Path(out) / 'report.html'} (and report.md) in "
        f"{time.perf_counter() - start:.0f} s."
    )
    return results


def main(argv=None):
    """The ``skbn`` command line: ``skbn demo [options]``.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name (``sys.argv[1:]`` when None).

    Returns
    -------
    status : int
        0 on success (argparse exits with 2 on bad arguments).

    Examples
    --------
    >>> from skbn.demo import main
    >>> main(["demo", "--out", "/tmp/skbn-doctest-cli", "--only", "leakage",
    ...       "--scale", "0.2"])  # doctest: +ELLIPSIS
    Report written to /tmp/skbn-doctest-cli/report.html (and report.md) in ... s.
    0
    """
    # The command draws to files only: its own process needs no display.
    import matplotlib

    matplotlib.use("Agg")
    experiments = "\n".join(f"  {name:16s} {mod.DESCRIPTION}" for name, mod in EXPERIMENTS.items())
    parser = argparse.ArgumentParser(
        prog="skbn",
        description="skbn: batch normalization and class imbalance, measured.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="train models and write a report",
        description="Train models on built-in data and write a report (HTML, Markdown, PNG "
        "figures, results.json, results.csv) on what batch normalization and class "
        "imbalance do to training.",
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
        help="small data, 3 seeds; about 2.5 minutes on one core (default)",
    )
    mode.add_argument("--full", dest="quick", action="store_false", help="larger data, 5 seeds")
    demo.add_argument("--seed", type=int, default=0, help="first seed (default: %(default)s)")
    demo.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="parallel jobs, -1 for all cores (default: %(default)s)",
    )
    demo.add_argument(
        "--backend",
        default="auto",
        choices=["auto", "numpy", "torch"],
        help="training engine (default: %(default)s, the faster one for each fit)",
    )
    demo.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply data sizes and epochs, e.g. 0.2 for a smoke test (default: %(default)s)",
    )
    demo.add_argument(
        "--quiet",
        action="store_true",
        help="no progress output (by default a bar on a terminal, else a line per experiment)",
    )
    demo.add_argument(
        "--progress",
        action="store_true",
        help="show the progress bar even when stderr is not a terminal",
    )
    demo.add_argument(
        "--only",
        nargs="+",
        choices=list(EXPERIMENTS),
        metavar="EXPERIMENT",
        help="run only these experiments",
    )
    args = parser.parse_args(argv)
    run_demo(
        args.out,
        quick=args.quick,
        seed=args.seed,
        backend=args.backend,
        only=args.only,
        n_jobs=args.n_jobs,
        scale=args.scale,
        progress=False if args.quiet else ("always" if args.progress else True),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
