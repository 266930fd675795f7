"""Smoke test: the benchmark scripts run (at a tiny size; no timing is asserted)."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_bench_fit_runs(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_fit", BENCH / "bench_fit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.main(
        [
            "--n-samples",
            "300",
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
            str(tmp_path / "out.json"),
        ]
    )
    assert {r["contender"] for r in rows} >= {"sklearn MLPClassifier", "skbn numpy, BN on"}
    assert (tmp_path / "out.json").exists()
    assert "x sklearn" in capsys.readouterr().out
