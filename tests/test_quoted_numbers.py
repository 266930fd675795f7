"""Every number the docs quote from a benchmark report is the one the report shows.

A region of a document that quotes reports opens with a comment naming them,
``<!-- numbers: holdout medium -->`` (folders of ``benchmarks/results/``), and runs
to the next heading or the next such comment; ``<!-- numbers: none -->`` opens a
region that quotes no report (history, other benchmarks). Inside a region every
decimal with two or more places, every ratio (``1.02×``) and every wins/ties/losses
triple must appear in one of the named reports as the report prints it.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOCUMENTS = [
    ROOT / "README.md",
    ROOT / "benchmarks" / "README.md",
    *sorted((ROOT / "docs").rglob("*.md")),
]
TAG = re.compile(r"^<!-- numbers: (.*?) -->$")
NUMBER = re.compile(
    r"(?<![\w.])[+-]?\d+\.\d{2,}(?![\d])"  # a mean, a difference, a p-value
    r"|(?<![\w.])\d+\.\d+(?=×)"  # a ratio
    r"|(?<![\w/])\d+/\d+/\d+(?![\w/])"  # wins/ties/losses
)
# Words that mark a paragraph as one about the real-data benchmark.
ABOUT_REPORTS = re.compile(
    r"forest|LightGBM|CatBoost|hold-out|KEEL|long-tail|--panel|real-data|W/T/L", re.I
)
REPORT_FILES = ("report.md", "headline.md", "findings.md")


def _plain(text):
    """Code holds commands and parameters, not results; minus signs are written
    two ways."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    return re.sub(r"`[^`\n]*`", " ", text).replace("−", "-")


def regions(text):
    """(first line, report folders or None, text) per region; None: not in any."""
    found, sources, start, lines = [], None, 1, []
    for number, line in enumerate(text.splitlines(), 1):
        tag = TAG.match(line.strip())
        if tag or line.startswith("#"):
            found.append((start, sources, "\n".join(lines)))
            sources, start, lines = None, number, []
            if tag:
                sources = () if tag[1] == "none" else tuple(tag[1].split())
            continue
        lines.append(line)
    found.append((start, sources, "\n".join(lines)))
    return found


def report_text(folder):
    texts = [(RESULTS / folder / name) for name in REPORT_FILES]
    present = [p.read_text() for p in texts if p.exists()]
    assert present, f"benchmarks/results/{folder} has no report"
    return _plain("\n".join(present))


def missing_numbers(quoted, reports):
    """The numbers of ``quoted`` that none of ``reports`` shows."""
    shown = "\n".join(reports)
    missing = []
    for number in NUMBER.findall(_plain(quoted)):
        # Signed: a difference, which the reports print with its sign.
        # A difference may be quoted from either side (BN's gain, or the loss
        # without it): a signed number matches its magnitude with either sign.
        magnitude = number.lstrip("+-")
        sign = "[+-]" if number[0] in "+-" else r"(?<![\d.])"
        pattern = sign + re.escape(magnitude) + r"(?![\d])"
        if not re.search(pattern, shown):
            missing.append(number)
    return missing


def quoted_regions():
    for document in DOCUMENTS:
        for start, sources, text in regions(document.read_text()):
            if sources:
                yield document.relative_to(ROOT).as_posix(), start, sources, text


@pytest.mark.parametrize(
    "document, start, sources, text",
    list(quoted_regions()),
    ids=lambda v: v if isinstance(v, str) and "\n" not in v else "",
)
def test_every_number_a_document_quotes_is_the_one_its_report_shows(
    document, start, sources, text
):
    missing = missing_numbers(text, [report_text(folder) for folder in sources])
    assert not missing, (
        f"{document}, region from line {start}: {missing} are in none of "
        f"{', '.join(f'benchmarks/results/{s}' for s in sources)}"
    )


def test_every_paragraph_about_the_benchmark_says_which_report_it_quotes():
    """A paragraph with results of the real-data benchmark lies in a region that
    names its reports, or in one marked ``none`` on purpose."""
    loose = []
    for document in DOCUMENTS:
        for start, sources, text in regions(document.read_text()):
            if sources is not None:
                continue
            for paragraph in re.split(r"\n\s*\n", text):
                if NUMBER.search(_plain(paragraph)) and ABOUT_REPORTS.search(paragraph):
                    where = document.relative_to(ROOT).as_posix()
                    loose.append(f"{where}, region from line {start}: {paragraph[:60]!r}")
    assert not loose, "\n".join(loose)


def test_the_check_sees_a_wrong_number():
    report = "| skbn recommended | 0.880 | 0.877 | 9/0/11 | 0.51 |\n+0.009 [-0.006, +0.025]"
    quoted = "0.880 and 0.877, 9/0/11, 0.51×, +0.009 [−0.006, +0.025], −0.009"
    assert missing_numbers(quoted, [report]) == []
    # Rounded otherwise than the report prints it is a mismatch too.
    assert missing_numbers("0.88 then 0.881, 9/1/10, 0.5×, +0.008 (`tol=0.001`)", [report]) == [
        "0.88",
        "0.881",
        "9/1/10",
        "0.5",
        "+0.008",
    ]
    assert missing_numbers("0.8800 +0.00", [report]) == ["0.8800", "+0.00"]  # no prefixes


def test_the_regions_check_a_sizable_share_of_the_docs():
    """Guards against a test that passes because it checks nothing."""
    numbers = sum(len(NUMBER.findall(_plain(text))) for *_, text in quoted_regions())
    assert numbers >= 300, numbers
