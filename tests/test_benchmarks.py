"""Smoke tests: the benchmark scripts run at a tiny size (no timing is asserted)."""

import importlib.util
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name):
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_fit_runs(tmp_path, capsys):
    rows, targets = load("bench_fit").main(
        [
            "--n-samples",
            "600",
            "--n-features",
            "5",
            "--hidden",
            "8",
            "--batch-size",
            "32",
            "--epochs",
            "1",
            "--rounds",
            "1",
            "--json",
            str(tmp_path / "fit.json"),
        ]
    )
    names = {r["contender"] for r in rows}
    assert {"sklearn MLPClassifier", "skbn numpy, BN on", "matmul floor"} <= names
    assert json.loads((tmp_path / "fit.json").read_text())["targets"] == targets
    out = capsys.readouterr().out
    assert "Targets" in out and ("PASS" in out or "FAIL" in out)


def test_bench_predict_runs(tmp_path):
    latency, bulk, targets = load("bench_predict").main(
        [
            "--n-features",
            "5",
            "--hidden",
            "8",
            "--n-rows",
            "500",
            "--single-calls",
            "5",
            "--rounds",
            "1",
            "--json",
            str(tmp_path / "predict.json"),
        ]
    )
    assert len(latency) == len(bulk) == 3 and len(targets) == 4


def test_bench_import_memory_runs(tmp_path):
    rows, memory, targets = load("bench_import_memory").main(
        [
            "--rounds",
            "1",
            "--n-samples",
            "2000",
            "--n-features",
            "5",
            "--hidden",
            "8",
            "--json",
            str(tmp_path / "im.json"),
        ]
    )
    assert memory["numpy"]["x_bytes"] == 2000 * 5 * 4
    torchless = next(t for t in targets if t["target"].startswith("torch modules"))
    assert torchless["pass"]  # import skbn never imports torch


def test_bench_scaling_runs(tmp_path):
    rows = load("bench_scaling").main(
        [
            "--sizes",
            "600",
            "1200",
            "--widths",
            "64",
            "--n-features",
            "5",
            "--batch-size",
            "32",
            "--engine",
            "numpy",
            "--json",
            str(tmp_path / "scaling.json"),
        ]
    )
    assert [r["n_samples"] for r in rows] == [600, 1200] and rows[0]["per_row_ratio"] == 1.0
