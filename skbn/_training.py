"""One fit's orchestration, the epoch loop and its stopping rules.

The estimators validate their input and store the fitted state; this layer
does the rest of a fit: :func:`train` picks the engine and its threads for the
plan's work and runs a :class:`Trainer`, which runs planned epochs, keeps the
bookkeeping scikit-learn's MLPs expose (``loss_curve_``,
``validation_scores_`` ...) in a :class:`Progress`, and decides when to stop;
:func:`out_of_bag_validator` is the stopping rule's check for members on
their own subsets. Nothing here knows about estimators, and the member axis
of an ensemble lives in the plan, the network and the engines.
"""

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from sklearn.model_selection import train_test_split
from sklearn.utils import compute_class_weight

from ._network import fold_network, forward_folded, softmax_
from ._plan import SUBSET_MEMBERS
from .engines import select_engine, step_macs

__all__ = [
    "FitResult",
    "Progress",
    "Trainer",
    "out_of_bag_mean",
    "out_of_bag_validator",
    "row_weights",
    "train",
    "validation_split",
]

# Out-of-bag early stopping scores at most this many rows of each class.
OOB_ROWS_PER_CLASS = 1000


@dataclass
class Progress:
    """What training has done so far; carried over by ``partial_fit`` and
    ``warm_start`` and published as the estimator's fitted attributes."""

    n_iter: int = 0
    t: int = 0
    loss_curve: list = field(default_factory=list)
    best_loss: float | None = np.inf
    validation_scores: list | None = None
    validation_recall_per_class: list | None = None
    best_validation_score: float | None = None
    no_improvement_count: int = 0

    def restart(self, early_stopping):
        """Reset the stopping rule's memory for a new ``fit`` (curves are kept,
        as scikit-learn keeps them with ``warm_start``)."""
        self.no_improvement_count = 0
        if early_stopping:
            self.validation_scores = list(self.validation_scores or [])
            self.validation_recall_per_class = list(self.validation_recall_per_class or [])
            self.best_validation_score = -np.inf
        else:
            self.best_loss = np.inf


# A loss is a mean of row weights times cross-entropies (plus a small L2
# term), so it stays below (largest row weight) x (largest cross-entropy). A
# cross-entropy of 10,000 nats is a probability of e^-10000 for the true class:
# no model that is learning gets there, while a run whose weights blow up
# (learning_rate_init=1e6) passes it in its first epochs, long before NaN.
DIVERGED_NATS = 1e4


class Trainer:
    """Runs epochs of ``plan`` on ``engine`` until a stopping rule fires.

    Parameters
    ----------
    engine : skbn.engines.Engine
    plan : skbn._plan.TrainingPlan
    tol, n_iter_no_change : float, int
        Stop after more than ``n_iter_no_change`` consecutive epochs that do not
        improve the best loss (or validation score) by at least ``tol``.
    validate : callable or None
        ``validate(network) -> (score, recall_per_class)``; with it the rule
        watches the validation score and the best epoch's network is kept
        (early stopping), without it the training loss.
    verbose : bool
    divergence_hint : str
        Appended to the error raised when the loss stops being finite.
    loss_limit : float
        A loss above it is divergence too (see :data:`DIVERGED_NATS`).
    """

    def __init__(
        self,
        engine,
        plan,
        *,
        tol,
        n_iter_no_change,
        validate,
        verbose,
        divergence_hint,
        loss_limit=math.inf,
    ):
        self.engine = engine
        self.plan = plan
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.validate = validate
        self.verbose = verbose
        self.divergence_hint = divergence_hint
        self.loss_limit = loss_limit

    def run(self, codes, progress, n_epochs, stop_early=True):
        """Train at most ``n_epochs`` epochs, updating ``progress`` in place.

        Returns ``(network, adam_state, converged)``: the network of the best
        validation epoch with early stopping, else the last one; ``converged``
        tells whether a stopping rule ended the run (never when
        ``stop_early`` is false, as in ``partial_fit``).
        """
        self._best_net = None  # the best validation epoch's network, kept by _run
        try:
            return self._run(codes, progress, n_epochs, stop_early)
        except KeyboardInterrupt:
            # As scikit-learn's MLPs: the user stopped a long fit to keep it.
            warnings.warn(
                f"Training interrupted by the user after {progress.n_iter} epoch(s); "
                "the model keeps what it trained so far.",
                UserWarning,
                stacklevel=4,
            )
            return self._result(converged=False)

    def _run(self, codes, progress, n_epochs, stop_early):
        for _ in range(n_epochs):
            epoch_plan = self.plan.epoch(progress.n_iter, codes)
            loss = self.engine.run_epoch(epoch_plan)
            if not math.isfinite(loss) or loss > self.loss_limit:
                raise ValueError(
                    f"Training diverged: the loss became {loss:.4g} in epoch "
                    f"{progress.n_iter + 1}. {self.divergence_hint} The estimator was "
                    "left as it was before this call."
                )
            progress.n_iter += 1
            progress.t += epoch_plan.order.shape[-1]
            progress.loss_curve.append(loss)
            if self.verbose:
                print(f"Iteration {progress.n_iter}, loss = {loss:.8f}")
            if self.validate is not None:
                current, _ = self.engine.export()
                score, recall = self.validate(current)
                progress.validation_scores.append(score)
                progress.validation_recall_per_class.append(recall)
                if self.verbose:
                    print(f"Validation score: {score:.6f}")
                if score > progress.best_validation_score:
                    self._best_net = current
                improved = score >= progress.best_validation_score + self.tol
                progress.best_validation_score = max(progress.best_validation_score, score)
            else:
                # None after an early-stopping fit that partial_fit now continues.
                best = np.inf if progress.best_loss is None else progress.best_loss
                improved = loss <= best - self.tol
                progress.best_loss = min(best, loss)
            progress.no_improvement_count = 0 if improved else progress.no_improvement_count + 1
            if stop_early and progress.no_improvement_count > self.n_iter_no_change:
                if self.verbose:
                    print(
                        f"Training stopped: no improvement of at least tol={self.tol} "
                        f"for {self.n_iter_no_change} consecutive epochs."
                    )
                return self._result(converged=True)
        return self._result(converged=False)

    def _result(self, converged):
        net, adam = self.engine.export(final=True)
        return (net if self._best_net is None else self._best_net), adam, converged


@dataclass
class FitResult:
    """What :func:`train` hands back: the trained arrays, whether a stopping
    rule ended the run, and the engine and threads that did the work."""

    network: object
    adam: object
    converged: bool
    engine: str
    n_threads: int | None


def train(
    X,
    codes,
    sample_weight,
    *,
    network,
    adam,
    progress,
    plan,
    config,
    n_classes,
    backend,
    device,
    n_threads,
    validate,
    tol,
    n_iter_no_change,
    n_epochs,
    stop_early,
    verbose,
    divergence_hint,
):
    """Train ``network`` (in place where the engine can) over ``plan``'s epochs.

    The engine and its CPU threads are chosen for the work of one step of
    ``plan`` (:func:`skbn.engines.select_engine`) and the thread setting is
    undone afterwards. ``progress`` is updated in place.
    """
    layer_sizes = [X.shape[1], *(c.shape[-1] for c in network.coefs)]
    density = X.nnz / max(1, X.shape[0] * X.shape[1]) if sparse.issparse(X) else 1.0
    choice = select_engine(
        backend,
        device,
        step_macs(layer_sizes, plan.batch_size, network.n_members, density),
        n_threads,
    )
    with choice.threads():
        trainer = Trainer(
            choice.factory(config, network, adam, X, codes, sample_weight, n_classes),
            plan,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            validate=validate,
            verbose=verbose,
            divergence_hint=divergence_hint,
            loss_limit=DIVERGED_NATS
            * (1.0 if sample_weight is None else float(np.max(sample_weight))),
        )
        net, adam, converged = trainer.run(codes, progress, n_epochs, stop_early)
    if not all(np.isfinite(a).all() for a in net.trainable()):
        raise ValueError(
            "Training diverged: the weights became non-finite. Lower "
            "learning_rate_init or scale the features."
        )
    return FitResult(net, adam, converged, choice.name, choice.n_threads)


def out_of_bag_validator(X, codes, plan, activation, bn_eps, n_classes):
    """Early stopping on the rows each member did not train on: ``validate``
    for the trainer, returning minus the class-balanced cross-entropy of each
    row's out-of-bag probability (the mean of the members that did not see it)
    and the out-of-bag recall of each class; None when no row is out of every
    bag (a warning says the training loss is watched instead).

    The members train on balanced subsets, so their probabilities are those of
    a balanced prior: each class weighs the same in the score. At most
    ``OOB_ROWS_PER_CLASS`` rows of a class are scored (planned once), so the
    check costs little beside an epoch on a large table.
    """
    rows, mask = plan.out_of_bag(codes, OOB_ROWS_PER_CLASS)
    if not len(rows):
        warnings.warn(
            "early_stopping found no out-of-bag rows (every row is in every "
            "member's subset): training stops on the training loss instead. "
            "More members or replacement=True leave rows out of the bag."
        )
        return None
    Xo, co = X[rows], codes[rows]
    classes = np.unique(co)

    def validate(net):
        proba = softmax_(forward_folded(fold_network(net, bn_eps), Xo, activation))
        p = out_of_bag_mean(mask, proba.reshape(len(mask), len(co), -1))
        own = np.maximum(p[np.arange(len(co)), co], np.finfo(p.dtype).tiny)
        ce = -np.log(own)
        pred = np.argmax(p, axis=1)
        recall = np.full(n_classes, np.nan)
        for k in classes:
            recall[k] = np.mean(pred[co == k] == k)
        return -float(np.mean([ce[co == k].mean() for k in classes])), recall

    return validate


def out_of_bag_mean(mask, member_proba):
    """Each row's mean probability over the members whose ``mask`` is true for
    it, ``(rows, classes)`` from ``(members, rows, classes)``; NaN for a row no
    member left out."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.einsum("jn,jnc->nc", mask, member_proba) / mask.sum(axis=0)[:, None]


def class_weights(classes, y, codes, class_weight):
    """Weight of each class, as an array aligned with ``classes``, or None."""
    cw = class_weight
    if cw is None:
        return None
    if callable(cw):
        cw = cw(y)
        if not isinstance(cw, dict):
            raise TypeError(
                f"class_weight={class_weight!r} returned {type(cw).__name__}; "
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


def row_weights(classes, y, codes, sample_weight, dtype, spec):
    """Each row's loss weight: class weight times sample weight, and for subset
    members whose classes are drawn to unequal counts (``sampling_strategy < 1``
    or ``min_class_rows``) the weight that gives each class the same total in a
    member's loss; None when all are one."""
    cw = class_weights(classes, y, codes, spec.class_weight)
    if spec.member_batches in SUBSET_MEMBERS:
        counts = spec.subset_counts(codes)
        present = counts > 0
        if np.ptp(counts[present]) > 0:
            balance = np.ones(len(classes))
            balance[present] = counts[present].sum() / (present.sum() * counts[present])
            cw = balance if cw is None else cw * balance
    if cw is None:
        return sample_weight
    if not np.all(np.isfinite(cw)) or np.any(cw < 0):
        raise ValueError(f"class weights must be finite and non-negative, got {cw}.")
    rows = cw.astype(dtype)[codes]
    rows = rows if sample_weight is None else rows * sample_weight
    if not np.any(rows > 0):
        raise ValueError(
            f"class_weight={spec.class_weight!r} (with any sample_weight) gives every "
            "row a weight of 0, so there is nothing to learn; give at least one "
            "class present in y a positive weight."
        )
    return rows


def trained_prior_mass(codes, weights, spec, n_classes):
    """Each class's share of the loss a fit trains on: the class prior that the
    network's probabilities assume, before normalisation.

    A class's share is the rows of it the batches draw (all of them, the same
    number per class for balanced batches, a member's subset count for subset
    members) times the mean loss weight of its rows (class weight times sample
    weight). Class weights ``w`` on all rows give ``w * n``; balanced batches
    or balanced members give equal shares; members whose classes are drawn to
    unequal counts are weighted back to equal shares.
    """
    counts = np.bincount(codes, minlength=n_classes).astype(np.float64)
    totals = counts if weights is None else np.bincount(codes, weights, n_classes)
    if spec.batch_sampler == "balanced" or spec.logit_adjusted_loss:
        # The logit-adjusted loss trains the logits for a balanced prior too.
        drawn = (counts > 0).astype(np.float64)
    elif spec.member_batches in SUBSET_MEMBERS:
        drawn = np.zeros(n_classes)
        sub = spec.subset_counts(codes)
        drawn[: len(sub)] = sub
    else:
        return totals
    mean_weight = np.divide(totals, counts, out=np.zeros(n_classes), where=counts > 0)
    return drawn * mean_weight


def validation_split(X, codes, sample_weight, fraction, seed):
    """The early-stopping split, stratified, planned from the fit's seed:
    ``(X_train, X_val, codes_train, codes_val, weights_train, weights_val)``."""
    arrays = [X, codes] + ([] if sample_weight is None else [sample_weight])
    split = train_test_split(
        *arrays, test_size=fraction, stratify=codes, random_state=np.random.RandomState(seed)
    )
    X_tr, X_val, y_tr, y_val = split[:4]
    sw_tr, sw_val = split[4:] if sample_weight is not None else (None, None)
    return X_tr, X_val, y_tr, y_val, sw_tr, sw_val
