"""Shared by the benchmark scripts: interleaved timing, tables, targets, JSON."""

import json
import platform
import time

import numpy as np


def interleaved(contenders, rounds, per=1.0):
    """Time each contender once per round, round by round, so that machine noise
    hits all of them alike. ``contenders`` maps a name to a zero-argument
    callable; each time is divided by ``per``. Returns name -> list of seconds."""
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) / per)
    return times


def summarise(times, baseline, unit="s"):
    """Rows with median, min, max and the ratio of medians to ``baseline``."""
    base = float(np.median(times[baseline]))
    return [
        {
            "contender": name,
            f"median_{unit}": float(np.median(t)),
            f"min_{unit}": float(np.min(t)),
            f"max_{unit}": float(np.max(t)),
            "ratio_to_baseline": float(np.median(t) / base),
            "baseline": baseline,
        }
        for name, t in times.items()
    ]


def print_table(title, rows, unit="s", scale=1.0, digits=3):
    print(f"\n{title}")
    width = max(len(r["contender"]) for r in rows) + 2
    base = rows[0]["baseline"]
    print(
        f"{'contender':<{width}}{'median ' + unit:>14}{'min-max':>20}{'x ' + base:>{len(base) + 4}}"
    )
    for r in rows:
        print(
            f"{r['contender']:<{width}}{r[f'median_{unit}'] * scale:>14.{digits}f}"
            f"{r[f'min_{unit}'] * scale:>10.{digits}f}-{r[f'max_{unit}'] * scale:<9.{digits}f}"
            f"{r['ratio_to_baseline']:>{len(base) + 4}.2f}"
        )


def target(name, value, limit, what="", of_minimums=None):
    """A pass/fail line for ``value <= limit`` (a ratio of medians); returns the
    record. ``of_minimums``, the same ratio of the fastest rounds, is shown
    beside it: on a noisy machine it tells a slow round from a slow contender."""
    ok = bool(value <= limit)
    extra = "" if of_minimums is None else f"; ratio of minimums {of_minimums:.2f}"
    print(
        f"  [{'PASS' if ok else 'FAIL'}] {name}: {value:.2f} (target <= {limit:g}{extra}) {what}"
    )
    record = {"target": name, "value": float(value), "limit": float(limit), "pass": ok}
    if of_minimums is not None:
        record["ratio_of_minimums"] = float(of_minimums)
    return record


def write_json(path, payload):
    payload = {"machine": platform.platform(), "processor": platform.processor(), **payload}
    with open(path, "w") as f:
        json.dump(payload, f, indent=1)
