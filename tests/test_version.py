"""One version story: the package, its metadata and every deprecation agree."""

import re
from importlib.metadata import version
from pathlib import Path

import skbn

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    *ROOT.joinpath("skbn").rglob("*.py"),
    ROOT / "README.md",
    *ROOT.joinpath("docs").rglob("*.md"),
]


def _minor(text):
    return tuple(int(p) for p in text.split(".")[:2])


def test_the_installed_metadata_is_the_package_version():
    assert version("skbn") == skbn.__version__


def test_every_removal_is_in_a_later_release_and_every_before_in_this_or_an_earlier_one():
    current = _minor(skbn.__version__)
    later, earlier = [], []
    for path in TEXTS:
        text = " ".join(path.read_text().split())  # a phrase may be wrapped
        later += [(path.name, v) for v in re.findall(r"(?:removed in|until) (\d+\.\d+)", text)]
        earlier += [
            (path.name, v)
            for v in re.findall(r"(?:[Bb]efore|[Ss]ince|added in) (\d+\.\d)\b", text)
        ]
    assert later, "the deprecations name the release that removes them"
    assert all(_minor(v) > current for _, v in later), later
    assert earlier and all(_minor(v) <= current for _, v in earlier), earlier
