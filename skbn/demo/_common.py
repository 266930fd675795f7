"""What the experiments share: the run's settings, model factory, summaries and
sentences computed from numbers."""

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._classifier import BNMLPClassifier


@dataclass(frozen=True)
class Setup:
    """Settings of one demonstration run, handed to every experiment."""

    quick: bool = True
    seeds: tuple = (0, 1, 2)
    backend: str = "auto"
    scale: float = 1.0  # multiplies data sizes and epochs; tests use a tiny scale

    def n(self, quick, full):
        """A size or epoch count for this mode, scaled (at least 2)."""
        return max(2, int(round((quick if self.quick else full) * self.scale)))

    def model(self, hidden=(64,), **params):
        # One thread per fit: the demonstration runs fits side by side
        # (--n-jobs), and its numbers must not depend on how many.
        return BNMLPClassifier(hidden, backend=self.backend, n_threads=1, **params)


@dataclass
class Figure:
    name: str  # file stem of the PNG
    figure: object  # a matplotlib Figure
    caption: str


@dataclass
class Section:
    """What an experiment contributes to the report."""

    title: str
    intro: str
    tables: list = field(default_factory=list)  # (header, rows) pairs, cells as text
    figures: list = field(default_factory=list)
    findings: list = field(default_factory=list)


def quiet_fit(model, X, y, **kwargs):
    """Fit for a fixed epoch budget, without convergence warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **kwargs)


def values(rows, key, **where):
    """``row[key]`` of the rows matching ``where``, Nones dropped."""
    out = [r[key] for r in rows if all(r[k] == v for k, v in where.items())]
    return [v for v in out if v is not None]


def mean(rows, key, **where):
    v = values(rows, key, **where)
    return float(np.mean(v)) if v else float("nan")


def series(rows, key, along, xs, **where):
    """Means and standard deviations over the seeds of ``key``, one per value
    ``x`` in ``xs`` of the row key ``along`` (for a figure's line or bars)."""
    groups = [values(rows, key, **where, **{along: x}) for x in xs]
    return [float(np.mean(g)) for g in groups], [float(np.std(g)) for g in groups]


def mean_std(rows, key, digits=3, **where):
    """``'mean ± std'`` over the seeds of the matching rows."""
    v = values(rows, key, **where)
    if not v:
        return "—"
    return f"{np.mean(v):.{digits}f} ± {np.std(v):.{digits}f}"


def compare(a, b, noun, tol=5e-3, digits=3):
    """A clause saying how ``noun`` moves from ``a`` to ``b``."""
    if not (np.isfinite(a) and np.isfinite(b)):
        return f"{noun} cannot be compared (no value)"
    if abs(a - b) <= tol:
        return f"{noun} stays about the same ({a:.{digits}f} → {b:.{digits}f})"
    word = "rises" if b > a else "falls"
    return f"{noun} {word} from {a:.{digits}f} to {b:.{digits}f}"


def more_or_less(a, b, tol=0.0):
    """'more' when b > a beyond ``tol``, 'less' when below, else 'about as much'."""
    if b > a + tol:
        return "more"
    if b < a - tol:
        return "less"
    return "about as much"
