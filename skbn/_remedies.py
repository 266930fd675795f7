"""The remedies for class imbalance, each one object that says all about itself.

A remedy answers, for the rows of one fit:

- :meth:`Remedy.class_weights`: each class's weight in the loss;
- :attr:`Remedy.batch_sampler`: how the batches draw rows (None: as asked);
- :meth:`Remedy.member_subset`: the rows a member trains on, drawn from the
  generator the plan gives it (the plan stays the only source of randomness);
- :meth:`Remedy.loss_offset` and :meth:`Remedy.predict_offset`: what is added
  to the logits in the training loss and at predict time;
- :meth:`Remedy.drawn`: how many rows of each class the batches draw, from
  which :func:`trained_prior_mass` gives the prior the loss trains under;
- :meth:`Remedy.refuses`: which other remedies it cannot be combined with.

The training layer reads nothing else, so a new remedy is a new class here.
:class:`RemedyGroups` gives each group of members its own remedy.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils import compute_class_weight

__all__ = [
    "BalancedBatches",
    "ClassWeights",
    "LogitAdjustedFolds",
    "LogitAdjustedLoss",
    "LogitAdjustment",
    "MemberSubsets",
    "NoRemedy",
    "Remedy",
    "RemedyGroups",
    "check_combination",
    "seen",
]


def seen(prior):
    """A prior with a declared class never seen in training counted as the
    rarest seen one, so that its logarithm is finite."""
    return np.where(prior > 0, prior, prior[prior > 0].min())


@dataclass(frozen=True)
class Remedy:
    """No correction: the loss trains under the training data's frequencies.

    Subclasses override what their remedy changes; ``spelled`` is how the user
    asked for it, for messages.
    """

    spelled = "no remedy"
    kind = "plain"  # the name of the kind of member it trains (kinds_)
    corrects_imbalance = False
    batch_sampler = None  # the batch sampler the remedy needs; None: the user's
    # Whether the members of this kind draw their subsets from one generator
    # shared by the kind (one partition of the rows) rather than each its own.
    shared_draw = False

    def refuses(self, other):
        """Whether this remedy cannot train together with ``other``: two that
        each correct the imbalance would correct it twice."""
        return self.corrects_imbalance and other.corrects_imbalance

    def class_weights(self, classes, y, codes):
        """Each class's loss weight, aligned with ``classes``; None for all 1."""
        return None

    def check_partial_fit(self):
        """Refuse what ``partial_fit``, seeing one chunk at a time, cannot do."""

    def draws_subsets(self):
        """Whether each member trains on a fixed subset (:meth:`member_subset`)."""
        return False

    def member_subset(self, codes, rng):
        """The rows a member trains on, sorted; every row unless overridden."""
        return np.arange(len(codes))

    def subset_rows(self, codes):
        """How many rows :meth:`member_subset` draws."""
        return len(codes)

    def drawn(self, codes, n_classes):
        """Rows of each class the batches draw, relative to each other; None
        for every row once (the loss then trains under the weighted counts)."""
        return None

    def loss_offset(self, class_prior):
        """Added to the logits in the training loss only; None for nothing."""
        return None

    def predict_offset(self, class_prior):
        """Added to the logits at predict time (read at every predict); None
        for the probabilities as trained."""
        return None


NoRemedy = Remedy


@dataclass(frozen=True)
class ClassWeights(Remedy):
    """``class_weight``: a dict, ``'balanced'`` or a callable of ``y`` giving a dict."""

    class_weight: object = None

    corrects_imbalance = True

    @property
    def spelled(self):
        return f"class_weight={self.class_weight!r}"

    def check_partial_fit(self):
        cw = self.class_weight
        if cw == "balanced" or callable(cw):
            raise ValueError(
                f"class_weight={cw!r} is not supported by partial_fit, which sees one "
                "chunk of data at a time and would weight each chunk differently. "
                "Compute the weights over all the data (e.g. with "
                "sklearn.utils.class_weight.compute_class_weight('balanced', "
                "classes=classes, y=y)) and pass them as a dict."
            )

    def class_weights(self, classes, y, codes):
        cw = self.class_weight
        if callable(cw):
            cw = cw(y)
            if not isinstance(cw, dict):
                raise TypeError(
                    f"class_weight={self.class_weight!r} returned {type(cw).__name__}; "
                    "a callable class_weight must return a dict of class -> weight."
                )
        elif cw == "balanced":
            # Over the classes present, as compute_class_weight requires them.
            present = np.unique(codes)
            weights = np.ones(len(classes))
            weights[present] = compute_class_weight("balanced", classes=present, y=codes)
            return weights
        known = set(classes.tolist())
        unknown = [label for label in cw if label not in known]
        if unknown:
            raise ValueError(
                f"class_weight has labels {unknown} that are not classes of y "
                f"(classes: {classes.tolist()})."
            )
        return np.array([cw.get(label, 1.0) for label in classes.tolist()])


def _each_present(codes, n_classes):
    return (np.bincount(codes, minlength=n_classes) > 0).astype(np.float64)


@dataclass(frozen=True)
class BalancedBatches(Remedy):
    """``batch_sampler='balanced'``: every batch draws the classes equally."""

    spelled = "batch_sampler='balanced'"
    corrects_imbalance = True
    batch_sampler = "balanced"

    def drawn(self, codes, n_classes):
        return _each_present(codes, n_classes)


@dataclass(frozen=True)
class LogitAdjustedLoss(Remedy):
    """``loss='logit_adjusted'`` (Menon et al. 2021): ``log(class_prior_)``
    added to the training logits, which then learn a balanced prior."""

    spelled = "loss='logit_adjusted'"
    corrects_imbalance = True

    def loss_offset(self, class_prior):
        return np.log(seen(class_prior))

    def drawn(self, codes, n_classes):
        return _each_present(codes, n_classes)


@dataclass(frozen=True)
class LogitAdjustedFolds(LogitAdjustedLoss):
    """The logit-adjusted loss on every row but those of one fold: the rows
    are cut into ``n_folds`` class-stratified folds (one partition, shared by
    the ``n_folds`` members of this kind) and member ``fold`` trains on the
    others, so that every row is out of the bag of exactly one member while
    each member sees ``(n_folds - 1) / n_folds`` of the rows. Unlike a
    bootstrap, this costs a network little (issue 35's measurement)."""

    fold: int = 0
    n_folds: int = 5

    spelled = "loss='logit_adjusted' on all folds but one"
    kind = "logit_adjusted_folds"
    shared_draw = True

    def draws_subsets(self):
        return True

    def member_subset(self, codes, rng):
        # Each class's rows in a random order, dealt to the folds in turn.
        order = np.concatenate(
            [rng.permutation(np.flatnonzero(codes == k)) for k in np.unique(codes)]
        )
        folds = np.empty(len(codes), dtype=np.intp)
        folds[order] = np.arange(len(codes)) % self.n_folds
        return np.flatnonzero(folds != self.fold)

    def subset_rows(self, codes):
        # Position i of the dealt order goes to fold i % n_folds.
        return len(codes) - -(-(len(codes) - self.fold) // self.n_folds)


@dataclass(frozen=True)
class LogitAdjustment(Remedy):
    """``logit_adjustment=tau``: ``-tau * log(class_prior_)`` added at predict time."""

    tau: float = 1.0

    corrects_imbalance = True

    @property
    def spelled(self):
        return f"logit_adjustment={self.tau!r}"

    def predict_offset(self, class_prior):
        return -self.tau * np.log(seen(class_prior))


@dataclass(frozen=True)
class MemberSubsets(Remedy):
    """Each member on its own fixed subset: every class present drawn to the
    smallest class's count divided by ``sampling_strategy``, or to
    ``min_class_rows`` if that is more, at most its own count; with
    replacement (a balanced bootstrap, as each tree of a balanced random
    forest gets, Chen et al. 2004) or without (EasyEnsemble, Liu et al. 2009).
    Where the counts stay unequal, the loss weights each class back to the
    same total, so the members still train under a balanced prior."""

    replacement: bool = True
    sampling_strategy: float = 1.0
    min_class_rows: int = 1
    spelled_as: str = "BalancedBNMLPClassifier"

    kind = "balanced"
    corrects_imbalance = True

    @property
    def spelled(self):
        return self.spelled_as

    def counts(self, codes):
        """Rows of each class in a member's subset, aligned with ``np.bincount(codes)``."""
        counts = np.bincount(codes)
        n_min = int(counts[counts > 0].min())
        wanted = max(
            n_min, int(np.ceil(n_min / self.sampling_strategy - 1e-9)), self.min_class_rows
        )
        return np.where(counts > 0, np.minimum(counts, wanted), 0)

    def draws_subsets(self):
        return True

    def subset_rows(self, codes):
        return int(self.counts(codes).sum())

    def member_subset(self, codes, rng):
        counts = self.counts(codes)
        pools = [(np.flatnonzero(codes == k), counts[k]) for k in np.unique(codes)]
        return np.sort(
            np.concatenate([rng.choice(p, n, replace=self.replacement) for p, n in pools])
        )

    def class_weights(self, classes, y, codes):
        counts = self.counts(codes)
        present = counts > 0
        if not np.ptp(counts[present]) > 0:
            return None
        balance = np.ones(len(classes))
        balance[present] = counts[present].sum() / (present.sum() * counts[present])
        return balance

    def drawn(self, codes, n_classes):
        drawn = np.zeros(n_classes)
        sub = self.counts(codes)
        drawn[: len(sub)] = sub
        return drawn


def check_combination(remedies):
    """Refuse remedies that would correct the class imbalance twice."""
    for i, first in enumerate(remedies):
        for other in remedies[i + 1 :]:
            if first.refuses(other) or other.refuses(first):
                used = " and ".join(r.spelled for r in remedies if r.corrects_imbalance)
                raise ValueError(
                    f"{used} each correct the class imbalance; together they correct it "
                    "twice and favour the minority too much (e.g. balanced accuracy "
                    "0.87 -> 0.66 with class weights inside balanced members). Use one: "
                    "class_weight='balanced' (in the loss), batch_sampler='balanced' (in "
                    "the batches), logit_adjustment=1 (at predict time), "
                    "loss='logit_adjusted' (in the logits of the loss) or "
                    "BalancedBNMLPClassifier (members on balanced subsets)."
                )


def combined(remedies):
    """The one remedy of those asked for (refusing two), or :class:`NoRemedy`."""
    check_combination(remedies)
    asked = [r for r in remedies if r.corrects_imbalance]
    return asked[0] if asked else NoRemedy()


@dataclass(frozen=True)
class RemedyGroups:
    """Which remedy each member trains under: ``groups`` of ``(n_members,
    remedy)``, members numbered in order. An estimator with one remedy for
    all its members has one group."""

    groups: tuple

    @classmethod
    def one(cls, remedy, n_members):
        return cls(((n_members, remedy),))

    @property
    def n_members(self):
        return sum(n for n, _ in self.groups)

    @property
    def remedies(self):
        return tuple(r for _, r in self.groups)

    def per_member(self):
        """The remedy of each member, in member order."""
        return tuple(r for n, r in self.groups for _ in range(n))

    def kinds(self):
        """The kinds of members, ``[(kind, n_members), ...]`` in member order:
        consecutive groups of one kind (the folds of one partition) merged."""
        kinds = []
        for n, remedy in self.groups:
            if kinds and kinds[-1][0] == remedy.kind:
                kinds[-1] = (remedy.kind, kinds[-1][1] + n)
            else:
                kinds.append((remedy.kind, n))
        return kinds

    @property
    def shared(self):
        """The remedy every member has, or None when the groups differ."""
        first = self.groups[0][1]
        return first if all(r == first for r in self.remedies) else None

    @property
    def batch_sampler(self):
        """The sampler the remedies need (one for all members: they share the
        batch boundaries), or None."""
        samplers = {r.batch_sampler for r in self.remedies}
        if len(samplers) > 1:
            raise ValueError(
                "Member groups whose remedies draw batches differently "
                f"({sorted(map(str, samplers))}) cannot train in one network."
            )
        return samplers.pop()

    def draws_subsets(self):
        return any(r.draws_subsets() for r in self.remedies)

    def subset_rows(self, codes):
        """Rows of the smallest member subset: an epoch's length, since the
        members share the batch boundaries (members of larger subsets walk
        through theirs over several epochs, see :class:`skbn._plan.TrainingPlan`)."""
        return min(r.subset_rows(codes) for r in self.remedies)

    def row_weights(self, classes, y, codes, sample_weight, dtype):
        """Each row's loss weight, ``(n_samples,)`` when every group weights the
        rows alike, else ``(n_members, n_samples)``; None when all are one."""
        per_group = [
            _row_weights(r, classes, y, codes, sample_weight, dtype) for r in self.remedies
        ]
        if all(_same(w, per_group[0]) for w in per_group):
            return per_group[0]
        ones = np.ones(len(codes), dtype=dtype)
        return np.stack(
            [
                ones if w is None else w
                for (n, _), w in zip(self.groups, per_group)
                for _ in range(n)
            ]
        )

    def loss_offset(self, class_prior):
        """The training logits' offset: ``(n_classes,)``, ``(n_members, 1,
        n_classes)`` when the groups differ, or None."""
        per_group = [r.loss_offset(class_prior) for r in self.remedies]
        if all(_same(o, per_group[0]) for o in per_group):
            return per_group[0]
        zeros = np.zeros(len(class_prior))
        rows = [
            zeros if o is None else o
            for (n, _), o in zip(self.groups, per_group)
            for _ in range(n)
        ]
        return np.stack(rows)[:, None, :]

    def trained_prior_mass(self, codes, weights, n_classes):
        """The class prior of each group's loss, before normalisation, one row
        per group (see :func:`trained_prior_mass`)."""
        if weights is not None and weights.ndim == 2:
            starts = np.cumsum([0] + [n for n, _ in self.groups])[:-1]
            per_group = [weights[s] for s in starts]
        else:
            per_group = [weights] * len(self.groups)
        return np.stack(
            [trained_prior_mass(r, codes, w, n_classes) for r, w in zip(self.remedies, per_group)]
        )


def _same(a, b):
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _row_weights(remedy, classes, y, codes, sample_weight, dtype):
    """Class weight times sample weight per row; None when all are one."""
    cw = remedy.class_weights(classes, y, codes)
    if cw is None:
        return sample_weight
    if not np.all(np.isfinite(cw)) or np.any(cw < 0):
        raise ValueError(f"class weights must be finite and non-negative, got {cw}.")
    rows = cw.astype(dtype)[codes]
    rows = rows if sample_weight is None else rows * sample_weight
    if not np.any(rows > 0):
        raise ValueError(
            f"{remedy.spelled} (with any sample_weight) gives every row a weight of 0, "
            "so there is nothing to learn; give at least one class present in y a "
            "positive weight."
        )
    return rows


def trained_prior_mass(remedy, codes, weights, n_classes):
    """Each class's share of the loss a fit trains on: the class prior that the
    network's probabilities assume, before normalisation.

    A class's share is the rows of it the batches draw (:meth:`Remedy.drawn`)
    times the mean loss weight of its rows (class weight times sample weight).
    Class weights ``w`` on all rows give ``w * n``; balanced batches or
    balanced members give equal shares; members whose classes are drawn to
    unequal counts are weighted back to equal shares.
    """
    counts = np.bincount(codes, minlength=n_classes).astype(np.float64)
    totals = counts if weights is None else np.bincount(codes, weights, n_classes)
    drawn = remedy.drawn(codes, n_classes)
    if drawn is None:
        return totals
    mean_weight = np.divide(totals, counts, out=np.zeros(n_classes), where=counts > 0)
    return drawn * mean_weight
