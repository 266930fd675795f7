"""The demonstration runs end to end and its findings come from its results."""

import json
import subprocess
import sys

from skbn.demo import run_demo
from skbn.demo._report import imbalance_section


def test_demo_writes_the_report_files(tmp_path):
    results = run_demo(tmp_path, quick=True, n_seeds=1, log=lambda line: None)
    assert set(results) == {"bn_training", "imbalance"}
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["meta"]["seeds"] == [0]
    assert saved["results"]["imbalance"] == results["imbalance"]
    header = (tmp_path / "results.csv").read_text().splitlines()[0]
    assert header == "experiment,seed,config,metric,value"
    report = (tmp_path / "report.md").read_text()
    assert "## Batch normalization and training speed" in report
    assert "## Class imbalance" in report


def test_findings_follow_the_numbers():
    def rows(recall_at_100):
        base = {
            "accuracy": 0.9,
            "balanced_accuracy": 0.8,
            "average_precision": 0.7,
            "roc_auc": 0.9,
            "majority_share_of_predictions": 0.5,
            "seed": 0,
        }
        return [
            {**base, "ratio": 1, "minority_recall": 0.5},
            {**base, "ratio": 100, "minority_recall": recall_at_100},
        ]

    assert "minority recall falls from 0.500 to 0.100" in "\n".join(imbalance_section(rows(0.1)))
    assert "minority recall rises from 0.500 to 0.900" in "\n".join(imbalance_section(rows(0.9)))


def test_command_line_help_lists_the_experiments():
    out = subprocess.run(
        [sys.executable, "-m", "skbn", "demo", "--help"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "bn_training:" in out and "imbalance:" in out and "--quick" in out
