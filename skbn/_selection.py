"""How much each kind of member counts, decided from out-of-bag predictions alone.

A fit that trains members of several kinds (:class:`skbn.BalancedBNMLPClassifier`)
has, for each training row, each kind's out-of-bag probability: the mean of
that kind's members that did not train on the row. :func:`weigh_kinds` starts
from every kind at the same weight, moves the weights by greedy selection with
replacement on those predictions (Caruana et al. 2004), and keeps the move only
where the out-of-bag evidence for it is strong.

Why so cautious (``benchmarks/explore_kinds.py``, issue 35): on the three
development panels the equal mix of the balanced members and the
logit-adjusted fold members was as good as or better than either kind alone,
while the kind with the better out-of-bag score was the better one on the test
fold in only about half of the small tables' folds; out-of-bag scores of
tables with a few dozen minority rows are mostly noise.
"""

import numpy as np

__all__ = [
    "GREEDY_STEPS",
    "GREEDY_START",
    "MIN_EVIDENCE",
    "OBJECTIVE",
    "balanced_accuracy",
    "weigh_kinds",
]

# Rounds of greedy selection, after GREEDY_START rounds' worth of the equal
# mix in the bag: a round moves a kind's weight by at most 1 / 14.
GREEDY_STEPS = 10
GREEDY_START = 4
# The greedy mix replaces the equal one only when its out-of-bag score is
# higher by at least this many standard errors of the paired difference.
MIN_EVIDENCE = 2.0
# What the greedy selection maximises, per row, each class weighing the same:
# 'log_loss' (minus the log loss: smooth, so informative on few rows) or
# 'balanced_accuracy' (being right).
OBJECTIVE = "log_loss"


def balanced_accuracy(proba, codes, n_classes):
    """Mean recall over the classes present in ``codes`` of ``argmax(proba)``."""
    return _balanced_mean(_row_scores(proba, codes, "balanced_accuracy"), codes, n_classes)


def _row_scores(proba, codes, objective):
    if objective == "balanced_accuracy":
        return (np.argmax(proba, axis=1) == codes).astype(np.float64)
    own = proba[np.arange(len(codes)), codes]
    return np.log(np.maximum(own, np.finfo(np.float64).tiny))


def _balanced_mean(values, codes, n_classes):
    counts = np.bincount(codes, minlength=n_classes)
    sums = np.bincount(codes, values, minlength=n_classes)
    return float(np.mean(sums[counts > 0] / counts[counts > 0]))


def _evidence(diff, codes, n_classes):
    """How many standard errors the class-balanced mean of the paired per-row
    differences ``diff`` is above 0 (for being right: McNemar's z)."""
    present = np.flatnonzero(np.bincount(codes, minlength=n_classes))
    gain, variance = 0.0, 0.0
    for k in present:
        d = diff[codes == k]
        gain += d.mean()
        variance += d.var(ddof=1) / len(d) if len(d) > 1 else 0.0
    if gain <= 0:
        return 0.0
    return np.inf if variance == 0 else gain / np.sqrt(variance)


def weigh_kinds(
    kind_proba,
    codes,
    n_classes,
    *,
    default=None,
    steps=GREEDY_STEPS,
    start=GREEDY_START,
    min_evidence=MIN_EVIDENCE,
    objective=OBJECTIVE,
):
    """The weight of each kind, from out-of-bag probabilities.

    Parameters
    ----------
    kind_proba : ndarray of shape (n_kinds, n_rows, n_classes)
        Each kind's out-of-bag probability of each training row; NaN for a
        row that every member of the kind trained on.
    codes : ndarray of shape (n_rows,)
        The rows' class codes.
    n_classes : int
    default : ndarray of shape (n_kinds,), default=None
        The weights kept without strong evidence against them; None: every
        kind the same.
    steps, start : int
        Rounds of greedy selection, after ``start`` rounds' worth of the
        default mix in the bag (0: greedy selection from an empty bag).
    min_evidence, objective : float, str
        Standard errors the mix must gain over the default to replace it;
        what both are measured by.

    Returns
    -------
    weights : ndarray of shape (n_kinds,)
        Sum to 1; the default when the evidence is too weak, or when some
        class has no row scored by every kind.
    scores : ndarray of shape (n_kinds,)
        Each kind's out-of-bag balanced accuracy on the rows every kind scores.
    """
    n_kinds = len(kind_proba)
    default = np.full(n_kinds, 1 / n_kinds) if default is None else np.asarray(default)
    scored = np.isfinite(kind_proba).all(axis=(0, 2))
    present = np.bincount(codes, minlength=n_classes) > 0
    covered = np.bincount(codes[scored], minlength=n_classes) > 0
    if not scored.any() or not np.array_equal(covered, present):
        return default, np.full(n_kinds, np.nan)
    proba, codes = kind_proba[:, scored], codes[scored]
    scores = np.array([balanced_accuracy(p, codes, n_classes) for p in proba])
    if n_kinds == 1:
        return default, scores
    counts = start * default
    total = np.tensordot(counts, proba, 1)
    for step in range(steps):
        # The best addition; ties (frequent for being right) by the log loss.
        candidates = (total + proba) / (start + step + 1)
        keys = [
            tuple(
                _balanced_mean(_row_scores(c, codes, o), codes, n_classes)
                for o in (objective, "log_loss")
            )
            for c in candidates
        ]
        best = max(range(n_kinds), key=keys.__getitem__)
        counts[best] += 1
        total += proba[best]
    mixed = np.tensordot(default, proba, 1)
    diff = _row_scores(total / (start + steps), codes, objective) - _row_scores(
        mixed, codes, objective
    )
    if _evidence(diff, codes, n_classes) < min_evidence:
        return default, scores
    return counts / counts.sum(), scores
