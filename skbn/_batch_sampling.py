"""Class-aware mini-batches: which rows go into each batch of an epoch.

Each sampler returns the epoch's row ``order`` (indices into the training set)
for given batch ``bounds``; batch ``b`` is ``order[start_b:stop_b]``. The plan
(:mod:`skbn._plan`) calls them with its own random generators, so every engine
trains on the same batches.

- ``'random'``: a permutation of the rows (or their order, without shuffling).
- ``'stratified'``: a permutation whose every batch keeps the class proportions
  of the training set as closely as integer counts allow.
- ``'balanced'``: each batch draws the classes present equally, rows sampled
  with replacement within their class; the epoch keeps its number of batches
  and rows, so minority rows repeat and majority rows may be skipped.
"""

import numpy as np

__all__ = ["BATCH_SAMPLERS", "balanced_order", "random_order", "stratified_order"]


def random_order(codes, bounds, rng):
    """A shuffle of the rows (``rng=None``: their original order)."""
    n = len(codes)
    return np.arange(n) if rng is None else rng.permutation(n)


def _class_pools(codes, rng):
    """Row indices of each class present, shuffled when ``rng`` is given."""
    classes = np.unique(codes)
    pools = [np.flatnonzero(codes == k) for k in classes]
    if rng is not None:
        pools = [rng.permutation(p) for p in pools]
    return pools


def stratified_counts(class_counts, batch_sizes, rng=None):
    """How many rows of each class go into each batch.

    Batch by batch, each class gets its share of the rows still to place
    (``remaining_k * m_b / remaining``) rounded down, and the rows left over go
    to the largest fractional parts (ties broken by ``rng``). Working from what
    remains keeps every class's running total close to its proportional
    target, so each count is the floor or ceiling of ``n_k * m_b / n`` or at
    most one row beyond. One rule takes precedence: a class whose expected
    count in a batch, ``n_k * m_b / n``, is at least 1 gets at least one row
    of that batch (rows are held back for its later such batches), so a class
    with one row or more per batch on average is never missing from a batch.

    Returns
    -------
    counts : ndarray of shape (n_batches, n_classes)
        Rows per batch sum to ``batch_sizes``; columns sum to ``class_counts``.
    """
    remaining = np.asarray(class_counts, dtype=np.int64).copy()
    sizes = np.asarray(batch_sizes, dtype=np.int64)
    # guaranteed[b, k]: class k is owed a row in batch b. A class is owed at
    # most n_k rows and a batch owes at most m_b, so this is always feasible.
    guaranteed = np.outer(sizes, remaining) >= sizes.sum()
    owed_later = guaranteed[::-1].cumsum(axis=0)[::-1] - guaranteed
    counts = np.zeros((len(sizes), len(remaining)), dtype=np.int64)
    for b, m in enumerate(sizes):
        lo = guaranteed[b].astype(np.int64)
        hi = remaining - owed_later[b]
        target = remaining * (m / remaining.sum())
        take = np.clip(np.floor(target).astype(np.int64), lo, hi)
        short = m - take.sum()
        frac = target - take
        tie = rng.random(len(take)) if rng is not None else -np.arange(len(take))
        if short > 0:
            ranked = np.lexsort((-tie, -frac))  # largest fractional part first
            ranked = ranked[take[ranked] < hi[ranked]]
            take[ranked[:short]] += 1
        elif short < 0:
            ranked = np.lexsort((-tie, frac))  # most over-served first
            ranked = ranked[take[ranked] > lo[ranked]]
            take[ranked[:-short]] -= 1
        counts[b] = take
        remaining -= take
    return counts


def stratified_order(codes, bounds, rng):
    """Rows ordered so that each batch keeps the class proportions."""
    pools = _class_pools(codes, rng)
    sizes = [stop - start for start, stop in bounds]
    counts = stratified_counts([len(p) for p in pools], sizes, rng)
    cursor = np.zeros(len(pools), dtype=np.int64)
    order = np.empty(len(codes), dtype=np.intp)
    for (start, _), row in zip(bounds, counts):
        parts = [p[c : c + k] for p, c, k in zip(pools, cursor, row)]
        batch = np.concatenate(parts)
        order[start : start + len(batch)] = batch if rng is None else rng.permutation(batch)
        cursor += row
    return order


def balanced_order(codes, bounds, rng):
    """Each batch draws the classes present equally, with replacement."""
    pools = _class_pools(codes, None)
    n_classes = len(pools)
    order = np.empty(len(codes), dtype=np.intp)
    for start, stop in bounds:
        m = stop - start
        per_class = np.full(n_classes, m // n_classes)
        per_class[rng.choice(n_classes, m % n_classes, replace=False)] += 1
        batch = np.concatenate(
            [pool[rng.integers(len(pool), size=k)] for pool, k in zip(pools, per_class)]
        )
        order[start:stop] = rng.permutation(batch)
    return order


BATCH_SAMPLERS = {
    "random": random_order,
    "stratified": stratified_order,
    "balanced": balanced_order,
}
