"""Writes the results (JSON, CSV) and the report (Markdown), findings computed from them."""

import csv
import json

import numpy as np

from ._bn_training import epochs_to


def _mean_std(values):
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def _change(before, after, noun):
    """A sentence fragment saying which way ``noun`` moved, computed from the numbers."""
    if np.isclose(before, after, atol=5e-3):
        return f"{noun} stays about the same ({before:.3f} → {after:.3f})"
    word = "rises" if after > before else "falls"
    return f"{noun} {word} from {before:.3f} to {after:.3f}"


def bn_training_section(rows):
    lines = ["## Batch normalization and training speed", ""]
    lines.append("| activation | BN | final training loss | epochs to target | test accuracy |")
    lines.append("|---|---|---|---|---|")
    findings = []
    for activation in sorted({r["activation"] for r in rows}):
        group = [r for r in rows if r["activation"] == activation]
        # Target: the mean final loss of the runs without BN, so "epochs to
        # target" asks how soon BN gets where plain training ends up.
        target = float(np.mean([r["final_loss"] for r in group if not r["batch_norm"]]))
        epochs = {}
        for bn in (True, False):
            runs = [r for r in group if r["batch_norm"] == bn]
            hits = [epochs_to(r["loss_curve"], target) for r in runs]
            epochs[bn] = [h for h in hits if h is not None]
            lines.append(
                f"| {activation} | {'on' if bn else 'off'} | "
                f"{_mean_std([r['final_loss'] for r in runs])} | "
                f"{_mean_std(epochs[bn])} ({len(epochs[bn])}/{len(runs)} reached) | "
                f"{_mean_std([r['test_accuracy'] for r in runs])} |"
            )
        with_bn = np.mean(epochs[True]) if epochs[True] else None
        without = np.mean(epochs[False]) if epochs[False] else None
        if with_bn is None:
            findings.append(
                f"With {activation}, the BN runs never reached the loss "
                f"({target:.3f}) at which the plain runs ended."
            )
        elif without is None or with_bn < without:
            findings.append(
                f"With {activation}, BN reached the plain runs' final loss "
                f"({target:.3f}) after {with_bn:.1f} epochs on average, "
                f"{'sooner than' if without else 'while'} the plain runs "
                f"{f'({without:.1f} epochs)' if without else 'did not reach it'}."
            )
        else:
            findings.append(
                f"With {activation}, BN did not train faster: it needed "
                f"{with_bn:.1f} epochs to reach {target:.3f}, the plain runs "
                f"{without:.1f}."
            )
    return lines + ["", *[f"- {f}" for f in findings], ""]


def imbalance_section(rows):
    metrics = [
        "accuracy",
        "balanced_accuracy",
        "minority_recall",
        "average_precision",
        "roc_auc",
        "majority_share_of_predictions",
    ]
    lines = [
        "## Class imbalance",
        "",
        "| ratio | " + " | ".join(metrics) + " |",
        "|---" * (len(metrics) + 1) + "|",
    ]
    ratios = sorted({r["ratio"] for r in rows})
    means = {}
    for ratio in ratios:
        group = [r for r in rows if r["ratio"] == ratio]
        means[ratio] = {m: float(np.mean([r[m] for r in group])) for m in metrics}
        lines.append(
            f"| {ratio} | " + " | ".join(_mean_std([r[m] for r in group]) for m in metrics) + " |"
        )
    lo, hi = means[ratios[0]], means[ratios[-1]]
    findings = [
        f"From ratio {ratios[0]} to {ratios[-1]}, "
        + _change(lo["accuracy"], hi["accuracy"], "accuracy")
        + ", while "
        + _change(lo["minority_recall"], hi["minority_recall"], "minority recall")
        + ".",
        _change(lo["balanced_accuracy"], hi["balanced_accuracy"], "Balanced accuracy")
        + "; "
        + _change(lo["roc_auc"], hi["roc_auc"], "ROC-AUC")
        + ".",
        f"At ratio {ratios[-1]}, {100 * hi['majority_share_of_predictions']:.1f}% of the "
        f"predictions go to the majority class.",
    ]
    return lines + ["", *[f"- {f}" for f in findings], ""]


SECTIONS = {"bn_training": bn_training_section, "imbalance": imbalance_section}


def write(out, results, meta):
    """Write results.json, results.csv and report.md into the folder ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    with open(out / "results.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["experiment", "seed", "config", "metric", "value"])
        for name, rows in results.items():
            for row in rows:
                config = {
                    k: v
                    for k, v in row.items()
                    if k != "seed" and not isinstance(v, (float, list))
                }
                for metric, value in row.items():
                    values = value if isinstance(value, list) else [value]
                    if isinstance(value, (list, float)):
                        for i, v in enumerate(values):
                            label = f"{metric}[{i}]" if isinstance(value, list) else metric
                            writer.writerow([name, row["seed"], json.dumps(config), label, v])
    lines = [
        "# skbn demonstration report",
        "",
        f"Seeds: {meta['seeds']}; mode: {meta['mode']}; backend: {meta['backend']}. "
        "Every number is a mean ± standard deviation over the seeds; every sentence "
        "below is computed from results.json.",
        "",
    ]
    for name, rows in results.items():
        lines += SECTIONS[name](rows)
    (out / "report.md").write_text("\n".join(lines))
