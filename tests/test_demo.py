"""The demonstration runs end to end, writes its files, and its findings come
from its results."""

import copy
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from skbn.demo import EXPERIMENTS, run_demo
from skbn.demo._common import Setup


@pytest.fixture(autouse=True)
def _close_figures():
    # Sections built outside run_demo keep their figures open; pyplot warns past 20.
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    results = run_demo(out, n_seeds=2, scale=0.15, n_jobs=2, progress=False, log=lambda line: None)
    return out, results


def test_every_experiment_writes_its_section_and_files(tiny_run):
    out, results = tiny_run
    assert set(results) == set(EXPERIMENTS)
    saved = json.loads((out / "results.json").read_text())
    assert saved["meta"]["seeds"] == [0, 1]
    assert saved["results"] == json.loads(json.dumps(results))
    csv_lines = (out / "results.csv").read_text().splitlines()
    assert csv_lines[0] == "experiment,seed,config,metric,value"
    assert {line.split(",")[0] for line in csv_lines[1:]} == set(EXPERIMENTS)
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(pngs) >= 10
    for png in pngs:
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({png})" in md  # linked from the Markdown
    # The HTML is self-contained: every figure embedded, nothing fetched.
    assert html.count('src="data:image/png;base64,') == len(pngs)
    assert "http://" not in html and "https://" not in html
    for name in EXPERIMENTS:
        assert f'<section id="{name}">' in html
    assert md.count("\n## ") == len(EXPERIMENTS) and md.count("**Findings**") == len(EXPERIMENTS)


def test_the_same_seed_gives_the_same_numbers(tiny_run, tmp_path):
    out, _ = tiny_run
    run_demo(tmp_path, n_seeds=2, scale=0.15, n_jobs=1, progress=False, log=lambda line: None)
    assert (tmp_path / "results.json").read_text() == (out / "results.json").read_text()
    assert (tmp_path / "report.md").read_text() == (out / "report.md").read_text()


def test_a_later_run_with_only_removes_the_earlier_runs_files(tmp_path):
    quiet = dict(n_seeds=1, scale=0.15, progress=False, log=lambda line: None)
    run_demo(tmp_path, only=["ensembles", "leakage"], **quiet)
    assert list(tmp_path.glob("ensembles_*.png"))
    (tmp_path / "notes.txt").write_text("the user's own file")
    run_demo(tmp_path, only=["leakage"], **quiet)
    # No figure of the earlier run sits beside a report that no longer mentions it.
    md = (tmp_path / "report.md").read_text()
    assert all(f"]({p.name})" in md for p in tmp_path.glob("*.png"))
    assert not list(tmp_path.glob("ensembles_*.png"))
    assert (tmp_path / "notes.txt").read_text() == "the user's own file"


def perturbed(rows, key, factor):
    rows = copy.deepcopy(rows)
    for r in rows:
        if isinstance(r.get(key), float):
            r[key] *= factor
    return rows


@pytest.mark.parametrize(
    "name, key",
    [
        ("imbalance", "minority_recall"),
        ("lr_sweep", "test_accuracy"),
        ("init_scale", "test_accuracy"),
        ("batch_size", "train_eval_gap"),
        ("covariate_shift", "mean_shift"),
        ("regularization", "gap"),
        ("remedies", "balanced_accuracy"),
        ("bn_imbalance", "minority_recall"),
        ("leakage", "cv_minority_f1"),
        ("bn_training", "final_loss"),
        ("ensembles", "disagreement"),
        ("ensembles", "brier"),
        ("probabilities", "log_loss"),
    ],
)
def test_findings_follow_the_numbers(tiny_run, name, key):
    _, results = tiny_run
    setup = Setup(seeds=(0, 1), scale=0.15)
    module = EXPERIMENTS[name]
    before = module.section(results[name], setup).findings
    after = module.section(perturbed(results[name], key, 0.5), setup).findings
    assert before != after


def test_imbalance_findings_state_a_direction_only_when_the_seeds_agree():
    base = {
        "accuracy": 0.9,
        "balanced_accuracy": 0.8,
        "average_precision": 0.7,
        "roc_auc": 0.9,
        "majority_share_of_predictions": 0.5,
        "train_test_gap": 0.1,
    }

    def rows(recalls):
        return [
            row
            for seed, recall in enumerate(recalls)
            for row in (
                {**base, "seed": seed, "ratio": 1, "minority_recall": 0.5},
                {**base, "seed": seed, "ratio": 100, "minority_recall": recall},
            )
        ]

    def text(recalls):
        return " ".join(EXPERIMENTS["imbalance"].section(rows(recalls), Setup()).findings)

    assert "minority recall falls from 0.500 to 0.100" in text([0.09, 0.1, 0.11])
    assert "minority recall rises from 0.500 to 0.900" in text([0.89, 0.9, 0.91])
    # Seeds that disagree on the direction give no verdict, whatever the means say.
    assert "minority recall shows no clear difference (0.500 vs 0.600" in text([0.1, 0.9, 0.8])


def test_every_number_a_finding_quotes_is_the_one_its_table_shows(tiny_run):
    """Unsigned numbers in findings (means, shares) are formatted from the values the
    tables show; signed ones are changes and their intervals, which tables do not hold."""
    import re

    _, results = tiny_run
    setup = Setup(seeds=(0, 1), scale=0.15)
    for name, module in EXPERIMENTS.items():
        section = module.section(results[name], setup)
        cells = " ".join(c for _, rows in section.tables for row in rows for c in row)
        for finding in section.findings:
            for number in re.findall(r"(?<![+\-−\d.×])\d+\.\d{3,4}(?![\d%])", finding):
                assert number in cells, (name, number, finding)


def test_activations_are_named_alike_in_tables_findings_and_legends(tiny_run):
    from skbn.demo._common import ACTIVATION_NAMES

    _, results = tiny_run
    setup = Setup(seeds=(0, 1), scale=0.15)
    checked = 0
    for name, module in EXPERIMENTS.items():
        section = module.section(results[name], setup)
        for header, rows in section.tables:
            if "activation" not in header:
                continue
            shown = {row[header.index("activation")] for row in rows}
            assert shown <= set(ACTIVATION_NAMES.values()), (name, shown)
            words = " ".join(section.findings) + " ".join(
                t.get_text()
                for f in section.figures
                for ax in f.figure.axes
                for t in ax.get_legend().get_texts()
                if ax.get_legend()
            )
            assert all(a in words for a in shown), (name, shown)
            for raw in set(ACTIVATION_NAMES) - set(ACTIVATION_NAMES.values()):
                assert raw not in words, (name, raw)
            checked += 1
    assert checked == 2  # the BN-training and learning-rate experiments


def test_a_change_of_a_rate_stays_within_what_is_possible():
    from skbn.demo._common import change

    rows = [
        row
        for seed, (a, b) in enumerate([(0.95, 0.02), (0.99, 0.01), (0.88, 0.14)])
        for row in ({"seed": seed, "s": "a", "recall": a}, {"seed": seed, "s": "b", "recall": b})
    ]
    moved = change(rows, "recall", {"s": "a"}, {"s": "b"})
    assert moved.low == pytest.approx(-np.mean([0.95, 0.99, 0.88])) and moved.cut
    assert "(cut to the possible range)" in moved.words("recall")
    # The same numbers as a loss (no bounds) keep the t-interval as it is.
    loss = [{**r, "loss": r.pop("recall")} for r in copy.deepcopy(rows)]
    assert change(loss, "loss", {"s": "a"}, {"s": "b"}).low < -1


def test_error_bars_show_the_spread_the_table_shows(tiny_run):
    _, results = tiny_run
    section = EXPERIMENTS["regularization"].section(results["regularization"], Setup())
    ax = section.figures[0].figure.axes[0]
    spans = [
        abs(seg[1][1] - seg[0][1])
        for container in ax.containers
        for collection in container.lines[2]
        for seg in collection.get_segments()
    ]
    assert max(spans) > 0  # the zero-length bars of an earlier version fail here


def test_command_line_help_lists_every_experiment():
    out = subprocess.run(
        [sys.executable, "-m", "skbn", "demo", "--help"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for name in EXPERIMENTS:
        assert f"  {name} " in out
    for option in ("--out", "--quick", "--full", "--seed", "--n-jobs", "--backend", "--only"):
        assert option in out


def test_command_line_runs_one_experiment(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "skbn",
            "demo",
            "--out",
            str(tmp_path),
            "--only",
            "leakage",
            "--seed",
            "3",
            "--scale",
            "0.2",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert "Report written to" in done.stdout
    # stderr is a pipe here: no bar, a line per experiment, so a log shows progress.
    assert "3/3" not in done.stderr
    assert re.fullmatch(r"skbn demo: leakage done in \d+\.\d s \(1/1\)\n", done.stderr)
    assert json.loads((tmp_path / "results.json").read_text())["meta"]["seeds"] == [3, 4, 5]


def test_progress_bar_is_tqdm_shown_on_request_and_silenced_by_quiet(tmp_path, capsys):
    from skbn.demo import main

    args = ["demo", "--out", str(tmp_path), "--only", "leakage", "--scale", "0.2"]
    main(args + ["--progress"])
    assert "3/3" in capsys.readouterr().err  # tqdm's counter, forced on a non-terminal
    main(args + ["--progress", "--quiet"])
    assert capsys.readouterr().err == ""
    main(args + ["--quiet"])
    assert capsys.readouterr().err == ""
