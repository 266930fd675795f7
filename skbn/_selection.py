"""How much each kind of member counts, decided from out-of-bag predictions alone.

A fit that trains members of several kinds (:class:`skbn.BalancedBNMLPClassifier`)
has, for each training row, each kind's out-of-bag probability: the mean of
that kind's members that did not train on the row. :func:`weigh_kinds` mixes
the kinds by greedy selection with replacement on those predictions (Caruana
et al. 2004), and keeps the mix only where the out-of-bag evidence for it is
strong: on a small table the out-of-bag scores of two kinds differ by more
than their noise only when one is clearly better, and there the first kind
(the default) keeps all the weight.
"""

import numpy as np

__all__ = ["GREEDY_STEPS", "MIN_EVIDENCE", "balanced_accuracy", "weigh_kinds"]

# Rounds of greedy selection: the weights are multiples of 1 / GREEDY_STEPS.
GREEDY_STEPS = 10
# The mix replaces the default kind only when its out-of-bag balanced accuracy
# is higher by at least this many standard errors of the difference.
MIN_EVIDENCE = 1.0


def balanced_accuracy(proba, codes, n_classes):
    """Mean recall over the classes present in ``codes`` of ``argmax(proba)``."""
    correct = np.argmax(proba, axis=1) == codes
    return float(np.mean(_class_means(correct, codes, n_classes)))


def _class_means(values, codes, n_classes):
    counts = np.bincount(codes, minlength=n_classes)
    sums = np.bincount(codes, values.astype(np.float64), minlength=n_classes)
    return sums[counts > 0] / counts[counts > 0]


def _balanced_log_loss(proba, codes, n_classes):
    own = np.maximum(proba[np.arange(len(codes)), codes], np.finfo(np.float64).tiny)
    return float(np.mean(_class_means(-np.log(own), codes, n_classes)))


def _evidence(mix, default, codes, n_classes):
    """How many standard errors the mix's balanced accuracy is above the
    default's, from the paired per-row differences in being right."""
    diff = (np.argmax(mix, axis=1) == codes).astype(np.float64) - (
        np.argmax(default, axis=1) == codes
    )
    present = np.flatnonzero(np.bincount(codes, minlength=n_classes))
    gain, variance = 0.0, 0.0
    for k in present:
        d = diff[codes == k]
        gain += d.mean()
        variance += d.var(ddof=1) / len(d) if len(d) > 1 else 0.0
    gain, se = gain / len(present), np.sqrt(variance) / len(present)
    if gain <= 0:
        return 0.0
    return np.inf if se == 0 else gain / se


def weigh_kinds(kind_proba, codes, n_classes, *, steps=GREEDY_STEPS, min_evidence=MIN_EVIDENCE):
    """The weight of each kind, from out-of-bag probabilities.

    Parameters
    ----------
    kind_proba : ndarray of shape (n_kinds, n_rows, n_classes)
        Each kind's out-of-bag probability of each training row; NaN for a
        row that every member of the kind trained on.
    codes : ndarray of shape (n_rows,)
        The rows' class codes.
    n_classes : int
    steps, min_evidence : int, float
        Rounds of greedy selection; standard errors the mix must gain over
        kind 0 to replace it.

    Returns
    -------
    weights : ndarray of shape (n_kinds,)
        Sum to 1; kind 0 alone when the evidence is too weak, or when some
        class has no row scored by every kind.
    scores : ndarray of shape (n_kinds,)
        Each kind's out-of-bag balanced accuracy on the rows every kind scores.
    """
    n_kinds = len(kind_proba)
    scored = np.isfinite(kind_proba).all(axis=(0, 2))
    default = np.eye(n_kinds)[0]
    present = np.bincount(codes, minlength=n_classes) > 0
    covered = np.bincount(codes[scored], minlength=n_classes) > 0
    if not scored.any() or not np.array_equal(covered, present):
        return default, np.full(n_kinds, np.nan)
    proba, codes = kind_proba[:, scored], codes[scored]
    scores = np.array([balanced_accuracy(p, codes, n_classes) for p in proba])
    if n_kinds == 1:
        return default, scores
    counts = np.zeros(n_kinds)
    total = np.zeros_like(proba[0])
    for step in range(steps):
        # The best addition by balanced accuracy; ties by balanced log loss.
        candidates = (total + proba) / (step + 1)
        keys = [
            (balanced_accuracy(c, codes, n_classes), -_balanced_log_loss(c, codes, n_classes))
            for c in candidates
        ]
        best = max(range(n_kinds), key=keys.__getitem__)
        counts[best] += 1
        total += proba[best]
    weights = counts / steps
    if _evidence(total / steps, proba[0], codes, n_classes) < min_evidence:
        return default, scores
    return weights, scores
