"""The report's figures. Importing this sets no matplotlib backend: the
``skbn`` command chooses Agg for its own process, and a user calling
``run_demo`` keeps theirs (every figure is closed once saved)."""

import matplotlib.pyplot as plt
import numpy as np

# One colour per setting in every figure: BN on is always blue, BN off orange,
# and a remedy keeps its colour wherever it appears.
_COLOURS = {
    "BN on": "tab:blue",
    "BN off": "tab:orange",
    "BN": "tab:blue",
    "neither": "tab:gray",
    "dropout": "tab:green",
    "BN + dropout": "tab:purple",
    "no remedy": "tab:gray",
    "none": "tab:gray",
    "class weights": "tab:orange",
    "class_weight='balanced'": "tab:orange",
    "logit adjustment": "tab:green",
    "logit-adjusted loss": "tab:olive",
    "balanced batches": "tab:cyan",
    "balanced ensemble": "tab:red",
    "shared": "tab:blue",
    "train": "black",
    "test": "tab:pink",
    "independent": "tab:red",
}


def style(label):
    """Colour (and, for a second factor such as the activation, line style) of
    a setting, the same in every figure."""
    if label in _COLOURS:
        return {"color": _COLOURS[label]}
    for key in ("BN on", "BN off"):
        if key in label:
            dashed = "logistic" in label or "sigmoid" in label
            return {"color": _COLOURS[key], "linestyle": "--" if dashed else "-"}
    if label.startswith("balanced ensemble"):
        return {"color": "tab:brown"}
    return {}


def curves_figure(curves, xlabel, ylabel, log_y=False):
    """Mean curve per label, a band of ± one std over the seeds.

    ``curves`` maps a label to a list of per-seed curves (they may differ in
    length, e.g. after divergence: the mean is over the seeds still running).
    On a log axis the centre is the geometric mean and the band one geometric
    standard deviation either side (×/÷), which stays on the axis.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    for label, runs in curves.items():
        length = max(len(c) for c in runs)
        padded = np.full((len(runs), length), np.nan)
        for i, c in enumerate(runs):
            padded[i, : len(c)] = c
        x = np.arange(1, length + 1)
        if log_y:
            logs = np.log(np.maximum(padded, np.finfo(float).tiny))
            mu, sd = np.nanmean(logs, axis=0), np.nanstd(logs, axis=0)
            centre, low, high = np.exp(mu), np.exp(mu - sd), np.exp(mu + sd)
        else:
            mu, sd = np.nanmean(padded, axis=0), np.nanstd(padded, axis=0)
            centre, low, high = mu, mu - sd, mu + sd
        (line,) = ax.plot(x, centre, label=label, **style(label))
        ax.fill_between(x, low, high, alpha=0.2, color=line.get_color())
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
        ax.errorbar(x, mu, yerr=sd, marker="o", capsize=3, label=label, **style(label))
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
        colour = style(label).get("color")
        ax.bar(
            x + i * width - 0.4 + width / 2,
            mu,
            width,
            yerr=sd,
            capsize=3,
            label=label,
            color=colour,
        )
    ax.set_xticks(x, groups)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, axis="y")
    return fig


def points_figure(groups, series, ylabel):
    """Means ± std as points per group, side by side, on an axis fitted to the
    data (bars on a 0-1 axis hide differences of a few hundredths)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    offset = 0.3 / max(len(series) - 1, 1)
    x = np.arange(len(groups))
    for i, (label, (mu, sd)) in enumerate(series.items()):
        shift = (i - (len(series) - 1) / 2) * offset
        ax.errorbar(x + shift, mu, yerr=sd, fmt="o", capsize=4, label=label, **style(label))
    ax.set_xticks(x, groups)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, axis="y")
    return fig


def close(fig):
    plt.close(fig)
