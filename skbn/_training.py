"""One fit's orchestration, the epoch loop and its stopping rules.

The estimators validate their input, resolve their parameters into a
:class:`FitSpec` and store what :func:`fit` returns. :func:`fit` does the rest,
in order: the rows' loss weights and the class priors (from the remedies of
:mod:`skbn._remedies`), the early-stopping split, the plan, the engine and its
threads, the :class:`Trainer` and the divergence check. The trainer runs
planned epochs, keeps the bookkeeping scikit-learn's MLPs expose
(``loss_curve_``, ``validation_scores_`` ...) in a :class:`Progress`, and
decides when to stop; :func:`out_of_bag_validator` is the stopping rule's
check for members on their own subsets. Nothing here knows about estimators,
and the member axis of an ensemble lives in the plan, the network and the
engines.
"""

import math
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse
from sklearn.model_selection import train_test_split

from ._network import fold_network, forward_folded, softmax_
from ._plan import TrainingPlan, init_network
from ._remedies import RemedyGroups
from .engines import AdamState, TrainingConfig, select_engine, step_macs

__all__ = [
    "FitResult",
    "FitSpec",
    "FitState",
    "Progress",
    "Trainer",
    "fit",
    "out_of_bag_mean",
    "out_of_bag_validator",
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
    watch : int or None
        The stopping rule and ``loss_curve`` follow the mean loss of the first
        ``watch`` members (None: all), so that members of another kind added
        after them do not change how long they train.
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
        watch=None,
    ):
        self.watch = watch
        self.engine = engine
        self.plan = plan
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.validate = validate
        self.verbose = verbose
        self.divergence_hint = divergence_hint
        self.loss_limit = loss_limit

    def run(self, codes, progress, n_epochs, stop_early=True, initial=None):
        """Train at most ``n_epochs`` epochs, updating ``progress`` in place.

        Returns ``(network, adam_state, converged)``: the network of the best
        validation epoch with early stopping, else the last one; ``converged``
        tells whether a stopping rule ended the run (never when
        ``stop_early`` is false, as in ``partial_fit``). ``initial``: the
        network to keep when no epoch beats ``progress.best_validation_score``
        (the network training started from, scored before it).
        """
        self._best_net = initial  # the best validation epoch's network, kept by _run
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
            losses = np.atleast_1d(self.engine.run_epoch(epoch_plan))
            worst = float(np.max(losses))
            if not np.isfinite(losses).all() or worst > self.loss_limit:
                raise ValueError(
                    f"Training diverged: the loss became {worst:.4g} in epoch "
                    f"{progress.n_iter + 1}. {self.divergence_hint} The estimator was "
                    "left as it was before this call."
                )
            loss = float(np.mean(losses[: self.watch]))
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


@dataclass(frozen=True)
class FitSpec:
    """What one call of ``fit`` or ``partial_fit`` does, resolved by an
    estimator from its parameters."""

    remedies: RemedyGroups
    config: TrainingConfig  # without the loss offset, which fit computes
    batch_norm: bool
    # An int, or a callable of the class codes (a default that depends on them).
    batch_size: object
    shuffle: bool = True
    batch_sampler: str = "random"  # a remedy's own sampler takes precedence
    member_batches: str = "shared"
    lr_schedule: str = "constant"
    max_iter: int = 200
    incremental: bool = False  # partial_fit: one epoch, Adam and totals continue
    early_stopping: bool = False
    # None: early stopping watches the out-of-bag rows of subset members.
    validation_fraction: float | None = 0.1
    # score(network, X, codes, weights, loss_offset, (class_prior,
    # trained_prior)) -> (score, recall per class) on the validation split.
    score: object = None
    tol: float = 1e-4
    n_iter_no_change: float = 10
    verbose: bool = False
    backend: str = "auto"
    device: object = "cpu"
    n_threads: int | None = None
    divergence_hint: str = ""
    name: str = "The estimator"  # for messages
    # The stopping rule watches the first `watch` members' loss (None: all).
    watch: int | None = None


@dataclass
class FitState:
    """What earlier calls left for this one; a fresh fit has no network."""

    seed: int
    classes: np.ndarray
    layer_sizes: list
    network: object = None  # None: initialised from ``seed``
    adam: AdamState | None = None  # None: Adam starts afresh
    progress: Progress = field(default_factory=Progress)
    class_totals: np.ndarray | None = None  # partial_fit accumulates these
    trained_mass: np.ndarray | None = None


@dataclass
class FitResult:
    """What :func:`fit` hands back: the trained arrays and bookkeeping, the
    class priors, the plan it followed, and the engine and threads that did
    the work."""

    network: object
    adam: AdamState
    progress: Progress
    converged: bool
    engine: str
    n_threads: int | None
    plan: TrainingPlan
    class_totals: np.ndarray
    trained_mass: np.ndarray
    # Epochs the members after ``FitSpec.watch`` trained on alone.
    later_epochs: int = 0

    @property
    def class_prior(self):
        return self.class_totals / self.class_totals.sum()

    @property
    def trained_prior(self):
        """The prior each group's loss trained under (one row for one group)."""
        return _normalised(self.trained_mass)


def _normalised(mass):
    # Groups that train under the same prior (kinds that each balance the
    # classes in their own way) have one prior.
    prior = mass / mass.sum(axis=-1, keepdims=True)
    return prior[0] if np.allclose(prior, prior[0], rtol=1e-12, atol=0) else prior


def fit(X, y, codes, sample_weight, spec, state):
    """Train (or continue) a network on ``X`` and the class ``codes`` of its
    labels ``y``, as ``spec`` says, from ``state``; returns a :class:`FitResult`.

    ``state.network`` is trained in place where the engine can; a caller who
    keeps it copies it first.
    """
    n_classes = len(state.classes)
    remedies = spec.remedies
    class_totals = np.bincount(codes, weights=sample_weight, minlength=n_classes)
    _check_weighted_classes(state.classes, codes, class_totals, spec.name)
    weights = remedies.row_weights(state.classes, y, codes, sample_weight, X.dtype)
    if state.class_totals is not None:
        class_totals = class_totals + state.class_totals
    mass = remedies.trained_prior_mass(codes, weights, n_classes)
    # Each partial_fit call counts by its rows, as the class totals do.
    mass = mass / mass.sum(axis=-1, keepdims=True) * len(codes)
    if state.trained_mass is not None:
        mass = mass + state.trained_mass
    priors = (class_totals / class_totals.sum(), _normalised(mass))
    offset = remedies.loss_offset(priors[0])
    config = spec.config
    if offset is not None:
        config = replace(config, logit_offset=_nested_tuple(offset))

    early_stopping = spec.early_stopping and not spec.incremental
    X_val = codes_val = weights_val = None
    if early_stopping and spec.validation_fraction is not None:
        X, X_val, codes, codes_val, weights, weights_val = validation_split(
            X, codes, weights, spec.validation_fraction, state.seed
        )
    if weights_val is not None and weights_val.ndim == 2:
        # The validation score is the ensemble's: its rows weigh the members' mean.
        weights_val = weights_val.mean(axis=0)
    plan = TrainingPlan(
        seed=state.seed,
        batch_size=_batch_size(codes, spec),
        shuffle=spec.shuffle,
        merge_singleton=spec.batch_norm,
        dropout=config.dropout,
        batch_sampler=remedies.batch_sampler or spec.batch_sampler,
        n_members=remedies.n_members,
        member_batches=spec.member_batches,
        member_remedies=remedies.per_member(),
        lr_schedule=spec.lr_schedule,
        max_epochs=spec.max_iter,
        schedule_start=0 if spec.incremental else state.progress.n_iter,
    )
    network = state.network
    if network is None:
        network = init_network(
            state.seed,
            state.layer_sizes,
            config.activation,
            spec.batch_norm,
            X.dtype,
            n_members=remedies.n_members,
        )
    # partial_fit continues Adam; fit (warm start or not) starts it afresh.
    if spec.incremental and state.adam is not None:
        adam = state.adam
    else:
        adam = AdamState.zeros_like(network.trainable())

    validate = None
    if X_val is not None:

        def validate(net):
            return spec.score(net, X_val, codes_val, weights_val, offset, priors)

    elif early_stopping:
        validate = out_of_bag_validator(
            X, codes, plan, config.activation, config.bn_eps, n_classes
        )
    progress = state.progress
    if not spec.incremental:
        progress.restart(early_stopping=validate is not None)
        if validate is None and early_stopping:
            progress.validation_scores = progress.validation_recall_per_class = None
            progress.best_validation_score = None

    density = X.nnz / max(1, X.shape[0] * X.shape[1]) if sparse.issparse(X) else 1.0
    n_epochs = 1 if spec.incremental else spec.max_iter
    data = (X, codes, weights, n_classes, density)
    run = dict(stop_early=not spec.incremental, watch=spec.watch)
    net, adam, converged, choice = _train(
        spec, config, network, adam, data, plan, progress, n_epochs, validate, **run
    )
    later_epochs = 0
    if not spec.incremental and spec.watch is not None and spec.watch < remedies.n_members:
        later_epochs = _train_on_alone(
            X, codes, weights, config, net, adam, plan, spec, n_classes, density, progress.n_iter
        )
    if not all(np.isfinite(a).all() for a in net.trainable()):
        raise ValueError(
            "Training diverged: the weights became non-finite. Lower "
            "learning_rate_init or scale the features."
        )
    return FitResult(
        net,
        adam,
        progress,
        converged,
        choice.name,
        choice.n_threads,
        plan,
        class_totals,
        mass,
        later_epochs,
    )


# The members that train on alone see most rows each: in the balanced
# members' batches an epoch is hundreds of small steps. Four times the batch
# (explore_kinds.py, 5-fold x 1, runs at 461537c and 1888310): BA / AP
# medium 0.906 / 0.678 against 0.905 / 0.672, long tails 0.901 / 0.944
# against 0.900 / 0.943, KEEL 0.882 / 0.727 against 0.881 / 0.728; the fit
# times moved within the runs' noise (medium 2.91x the forest's against
# 3.41x, long tails 2.03x against 1.73x).
ALONE_BATCH_FACTOR = 4
# Their step size as a multiple of the fit's, and the fewest of their own
# epochs they wait for their out-of-bag score to improve. A smaller step and
# a longer wait train them better and cost fit time (results/kinds/alone/).
# 0.3 and 5 (results/kinds/alone_0.3_4_5/, 5-fold x 1, BA / AP): medium
# 0.906 / 0.672 against 0.903 / 0.670 at 1.41x the forest's fit against
# 1.36x, KEEL 0.882 / 0.724 against 0.881 / 0.725, long tails 0.900 / 0.943
# against 0.901 / 0.944; six sets more than 0.02 below the best reference
# became four. 0.1 and 10 gained little more at 2.33x the forest's fit.
ALONE_LR_FACTOR = 0.3
ALONE_MIN_PATIENCE = 5


def _train_on_alone(X, codes, weights, config, net, adam, plan, spec, n_classes, density, epoch):
    """Train the members after the first ``spec.watch`` (members of later
    kinds) on alone, once the watched ones have stopped (at most
    ``spec.max_iter`` more epochs, each a pass over their own rows); ``net``
    and ``adam`` are updated in place. Returns the epochs run.

    The watched members stop when they would alone; members that see many
    more rows each (the fold members) need more steps than a balanced subset
    gives them, and on a small table more steps overfit: they stop on their
    out-of-bag rows (:func:`out_of_bag_validator`) and keep their best epoch,
    which may be the one they start from. Their patience is the watched
    members' in Adam steps: ``n_iter_no_change`` of the watched members'
    epochs, counted in steps, in their own (longer) epochs, at least one.
    Their epochs continue the numbering of the fit's (``epoch`` first), from
    their own streams (``member_offset``)."""
    later = slice(spec.watch, None)
    members = net.members(later)
    moments = AdamState(
        adam.step,
        [a[later].copy() for a in adam.exp_avg],
        [a[later].copy() for a in adam.exp_avg_sq],
    )
    offset = config.logit_offset
    if offset is not None and np.ndim(offset) == 3:  # one offset per member
        config = replace(config, logit_offset=offset[later])
    if weights is not None and weights.ndim == 2:  # one row of weights per member
        weights = weights[later]
    patience = spec.n_iter_no_change
    if math.isfinite(patience):
        watched_steps = math.ceil(spec.remedies.subset_rows(codes) / plan.batch_size)
        own_rows = min(r.subset_rows(codes) for r in plan.member_remedies[later])
        own_steps = math.ceil(own_rows / (plan.batch_size * ALONE_BATCH_FACTOR))
        spec = replace(
            spec,
            n_iter_no_change=max(
                ALONE_MIN_PATIENCE, math.ceil(patience * watched_steps / own_steps)
            ),
        )
    config = replace(config, learning_rate=config.learning_rate * ALONE_LR_FACTOR)
    plan = replace(
        plan,
        n_members=members.n_members,
        member_remedies=plan.member_remedies[later],
        member_offset=spec.watch,
        schedule_start=epoch,
        batch_size=plan.batch_size * ALONE_BATCH_FACTOR,
    )
    # Each row is out of the bag of one of them: their held-out folds tell
    # when more epochs stop helping (on a small table, often at once).
    validate = out_of_bag_validator(X, codes, plan, config.activation, config.bn_eps, n_classes)
    score, _ = validate(members)
    progress = Progress(
        n_iter=epoch,
        best_loss=None,
        validation_scores=[],
        validation_recall_per_class=[],
        best_validation_score=score,
    )
    start = members.copy()
    data = (X, codes, weights, n_classes, density)
    members, moments, _, _ = _train(
        spec,
        config,
        members,
        moments,
        data,
        plan,
        progress,
        spec.max_iter,
        validate,
        initial=start,
    )
    net.set_members(later, members)
    for full, part in zip(adam.exp_avg + adam.exp_avg_sq, moments.exp_avg + moments.exp_avg_sq):
        full[later] = part
    return progress.n_iter - epoch


def _train(spec, config, network, adam, data, plan, progress, n_epochs, validate, **run):
    """Run a :class:`Trainer` over ``plan`` on the engine ``spec`` asks for
    (chosen by the size of a step), with its threads; returns ``(network,
    adam, converged, engine choice)``. ``data`` is ``(X, codes, weights,
    n_classes, density)``; ``run`` holds ``stop_early``, ``watch`` and
    ``initial``."""
    X, codes, weights, n_classes, density = data
    layer_sizes = [X.shape[1], *(c.shape[-1] for c in network.coefs)]
    choice = select_engine(
        spec.backend,
        spec.device,
        step_macs(layer_sizes, plan.batch_size, network.n_members, density),
        spec.n_threads,
    )
    with choice.threads():
        trainer = Trainer(
            choice.factory(config, network, adam, X, codes, weights, n_classes),
            plan,
            tol=spec.tol,
            n_iter_no_change=spec.n_iter_no_change,
            validate=validate,
            verbose=spec.verbose,
            divergence_hint=spec.divergence_hint,
            loss_limit=DIVERGED_NATS * (1.0 if weights is None else float(np.max(weights))),
            watch=run.get("watch"),
        )
        net, adam, converged = trainer.run(
            codes, progress, n_epochs, run.get("stop_early", True), run.get("initial")
        )
    return net, adam, converged, choice


def _nested_tuple(array):
    # TrainingConfig is frozen and hashable: the offset travels as tuples.
    return tuple(array.tolist()) if array.ndim == 1 else tuple(map(_nested_tuple, array))


def _check_weighted_classes(classes, codes, totals, name):
    """A class whose rows all weigh 0 (``totals``: its rows' summed sample
    weight) would be in ``classes_`` and predicted with no information on it;
    the balanced members would even draw it."""
    present = np.bincount(codes, minlength=len(classes)) > 0
    empty = classes[present & ~(totals > 0)]
    if len(empty):
        raise ValueError(
            f"{name}: sample_weight is 0 on every row of class(es) {empty.tolist()}, so "
            "the model would learn nothing about them yet predict them. Drop those "
            "rows (and the class) from X and y, or give them a positive weight."
        )


def _batch_size(codes, spec):
    """Rows per batch: ``spec.batch_size``, or what it computes from the codes."""
    if callable(spec.batch_size):
        return spec.batch_size(codes)
    n_samples = spec.remedies.subset_rows(codes)
    if spec.batch_size > n_samples:
        warnings.warn(
            f"batch_size={spec.batch_size} is larger than the {n_samples} training "
            "rows; using one batch of all rows."
        )
    if spec.batch_size == 1 and spec.batch_norm and n_samples > 1:
        warnings.warn(
            "batch_size=1 with batch_norm=True: a one-row batch has no batch "
            "statistics, so every row is normalised with the running statistics, "
            "which then never change. Use batch_size >= 2 for batch normalization."
        )
    return min(spec.batch_size, n_samples)


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
    # Members that partition the rows (the fold members) leave each row out of
    # one bag: each then scores only its own rows, a k-th of the products. A
    # row's probability is that member's, as the out-of-bag mean of one is.
    alone = [np.flatnonzero(m) for m in mask] if (mask.sum(axis=0) == 1).all() else None

    def validate(net):
        layers = fold_network(net, bn_eps)
        if alone is None:
            proba = softmax_(forward_folded(layers, Xo, activation))
            p = out_of_bag_mean(mask, proba.reshape(len(mask), len(co), -1))
        else:
            p = np.empty((len(co), layers[-1][0].shape[-1]))
            for j, at in enumerate(alone):
                member = [(coef[j], intercept[j]) for coef, intercept in layers]
                p[at] = softmax_(forward_folded(member, Xo[at], activation))
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


def validation_split(X, codes, sample_weight, fraction, seed):
    """The early-stopping split, stratified, planned from the fit's seed:
    ``(X_train, X_val, codes_train, codes_val, weights_train, weights_val)``."""
    # Per-member weights, (members, rows), are split along their rows.
    per_member = sample_weight is not None and sample_weight.ndim == 2
    weights = sample_weight.T if per_member else sample_weight
    arrays = [X, codes] + ([] if weights is None else [weights])
    split = train_test_split(
        *arrays, test_size=fraction, stratify=codes, random_state=np.random.RandomState(seed)
    )
    X_tr, X_val, y_tr, y_val = split[:4]
    sw_tr, sw_val = split[4:] if weights is not None else (None, None)
    if per_member:
        sw_tr, sw_val = sw_tr.T, sw_val.T
    return X_tr, X_val, y_tr, y_val, sw_tr, sw_val
