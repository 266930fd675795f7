"""What the experiments share: the run's settings, model factory, summaries and
sentences computed from numbers."""

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from .._classifier import BNMLPClassifier
from .._network import ACTIVATIONS

# How tables, findings and legends name scikit-learn's activations: one
# spelling for the reader everywhere.
ACTIVATION_NAMES = {name: act.label for name, act in ACTIVATIONS.items()}


def activation_name(activation):
    return ACTIVATION_NAMES[activation]


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


@dataclass(frozen=True)
class Change:
    """How ``key`` moves from setting ``a`` to setting ``b``, paired by seed:
    the two means, and the 95 % t-interval of the mean per-seed change
    (Student's t with n - 1 degrees of freedom; none with one seed). For a
    rate, the interval is cut to the changes that are possible (``cut``)."""

    a: float
    b: float
    low: float
    high: float
    n: int
    cut: bool = False

    @property
    def clear(self):
        """Whether the interval excludes zero: the seeds agree on a direction."""
        return self.n > 1 and (self.low > 0 or self.high < 0)

    @property
    def up(self):
        return self.clear and self.low > 0

    def interval(self, digits=3):
        if self.n < 2:
            return "one seed, no interval"
        return (
            f"95 % CI of the paired change {self.low:+.{digits}f} to {self.high:+.{digits}f}"
            f"{' (cut to the possible range)' if self.cut else ''}, {self.n} seeds"
        )

    def words(self, noun, digits=3, rises="rises", falls="falls"):
        """A clause that states a direction only when the interval does."""
        if not self.clear:
            return (
                f"{noun} shows no clear difference ({self.a:.{digits}f} vs "
                f"{self.b:.{digits}f}; {self.interval(digits)})"
            )
        verb = rises if self.up else falls
        return (
            f"{noun} {verb} from {self.a:.{digits}f} to {self.b:.{digits}f} "
            f"({self.interval(digits)})"
        )


# Row keys naming one of these are rates in [0, 1].
RATES = ("accuracy", "recall", "precision", "f1", "brier")


def change(rows, key, a, b):
    """The :class:`Change` of ``key`` from the rows matching ``a`` (a dict of
    row keys) to those matching ``b``, over the seeds both have.

    The t-interval assumes a symmetric spread; for a rate in [0, 1] with few
    seeds it can pass what the change can be (a recall cannot fall by more
    than it was), so it is cut to [-mean a, 1 - mean a] and says so.
    """
    seeds = sorted({r["seed"] for r in rows})
    pairs = [(mean(rows, key, seed=s, **a), mean(rows, key, seed=s, **b)) for s in seeds]
    pairs = np.array([(x, y) for x, y in pairs if np.isfinite(x) and np.isfinite(y)])
    mu_a, mu_b = mean(rows, key, **a), mean(rows, key, **b)
    if len(pairs) < 2:
        return Change(mu_a, mu_b, float("nan"), float("nan"), len(pairs))
    d = pairs[:, 1] - pairs[:, 0]
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    low, high = d.mean() - half, d.mean() + half
    cut = False
    if any(rate in key for rate in RATES):
        lowest, highest = -pairs[:, 0].mean(), 1 - pairs[:, 0].mean()
        cut = low < lowest or high > highest
        low, high = max(low, lowest), min(high, highest)
    return Change(mu_a, mu_b, float(low), float(high), len(d), cut)
