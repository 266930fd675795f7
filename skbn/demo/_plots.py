"""The report's figures. Importing this sets no matplotlib backend: the
``skbn`` command chooses Agg for its own process, and a user calling
``run_demo`` keeps theirs (every figure is closed once saved)."""

import matplotlib.pyplot as plt
import numpy as np


def curves_figure(curves, xlabel, ylabel, log_y=False):
    """Mean curve per label, a band of ± one std over the seeds.

    ``curves`` maps a label to a list of per-seed curves (they may differ in
    length, e.g. after divergence: the mean is over the seeds still running).
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    for label, runs in curves.items():
        length = max(len(c) for c in runs)
        padded = np.full((len(runs), length), np.nan)
        for i, c in enumerate(runs):
            padded[i, : len(c)] = c
        mu, sd = np.nanmean(padded, axis=0), np.nanstd(padded, axis=0)
        x = np.arange(1, length + 1)
        ax.plot(x, mu, label=label)
        ax.fill_between(x, mu - sd, mu + sd, alpha=0.2)
    if log_y:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def lines_figure(x, series, xlabel, ylabel, log_x=False, xticks=None):
    """One line per label with ± std error bars; ``series`` maps a label to
    ``(means, stds)`` aligned with ``x``."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    for label, (mu, sd) in series.items():
        ax.errorbar(x, mu, yerr=sd, marker="o", capsize=3, label=label)
    if log_x:
        ax.set_xscale("log")
    if xticks is not None:
        ax.set_xticks(xticks, [str(t) for t in xticks])
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def bars_figure(groups, series, ylabel):
    """Grouped bars: ``series`` maps a label to ``(means, stds)`` over ``groups``."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(groups))
    for i, (label, (mu, sd)) in enumerate(series.items()):
        ax.bar(x + i * width - 0.4 + width / 2, mu, width, yerr=sd, capsize=3, label=label)
    ax.set_xticks(x, groups)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, axis="y")
    return fig


def close(fig):
    plt.close(fig)
