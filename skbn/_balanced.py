"""The balanced ensemble inside one network, as an estimator of its own."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.metrics import balanced_accuracy_score
from sklearn.utils._param_validation import Interval, Options, StrOptions

from ._base import _BNMLPBase, _store_parameters
from ._network import forward_folded, softmax_
from ._remedies import LogitAdjustedFolds, MemberSubsets, RemedyGroups
from ._selection import weigh_kinds
from ._shared_docs import fill as fill_shared_docs
from ._training import OOB_ROWS_PER_CLASS, out_of_bag_mean

__all__ = ["BalancedBNMLPClassifier"]

# batch_size='auto': rows per batch, at most a member's subset (chosen on the
# real-data panel, see the real-data docs).
AUTO_SUBSET_BATCH = 64


# BNMLPClassifier's remedies, each with what the balanced ensemble offers instead.
_REMEDIES_ELSEWHERE = {
    "class_weight": "to weight some classes more than balance does, use BNMLPClassifier("
    "class_weight=...), a single network",
    "batch_sampler": "sampling_strategy and min_class_rows set how its subsets are drawn",
    "logit_adjustment": "for probabilities under another class prior, use prior="
    "'frequencies' or the deployment frequencies (exact, no refit)",
    "loss": "its loss is the cross-entropy of balanced subsets; BNMLPClassifier("
    "loss='logit_adjusted') is the single network with the logit-adjusted loss",
}


def _refuse_remedies(cls, params, error):
    for name, instead in _REMEDIES_ELSEWHERE.items():
        if name in params:
            raise error(
                f"{cls.__name__} has no parameter {name!r}: each member already trains "
                "on its own balanced subset, and a second remedy would correct the "
                f"imbalance twice. Instead, {instead}."
            )


class _RefusesRemedies:
    """Explains why a remedy parameter is refused, at construction and in
    ``set_params``. ``__new__`` lives here, not on the estimator, so that
    ``inspect.signature`` still reads the estimator's ``__init__``."""

    def __new__(cls, *args, **kwargs):
        # Python's bare "unexpected keyword argument" would not say why.
        _refuse_remedies(cls, kwargs, TypeError)
        return super().__new__(cls)

    def set_params(self, **params):
        """Set the parameters of this estimator (scikit-learn's ``set_params``).

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            This estimator.
        """
        _refuse_remedies(type(self), params, ValueError)
        return super().set_params(**params)


@fill_shared_docs
class BalancedBNMLPClassifier(_RefusesRemedies, _BNMLPBase):
    """A balanced ensemble of MLPs with batch normalization, trained as one network.

    Each of ``n_members`` members is an MLP of its own (``Linear -> BatchNorm
    -> activation`` blocks and a softmax output) that trains on its own
    balanced subset of the rows: every class drawn to the smallest class's
    count, with replacement (a balanced bootstrap, as each tree of
    imbalanced-learn's :class:`~imblearn.ensemble.BalancedRandomForestClassifier`
    gets; Chen et al. 2004) or without (EasyEnsemble's subsets, Liu et al.
    2009). The members are trained together as one batched network, each
    layer one batched matrix product over the members (TabM's packed
    ensemble, Gorishniy et al. 2025), each member on its own loss. Beside
    them, ``n_fold_members`` members of a second kind see nearly every row,
    with the logit-adjusted loss, each leaving out one fold of the rows; the
    fit decides from out-of-bag predictions alone how much each kind counts,
    and the model predicts the members' weighted mean of probabilities. Its
    defaults are the setting chosen on the three development panels of real
    imbalanced data (twenty small binary KEEL sets, ten binary sets of
    1,200-16,000 training rows and ten multi-class long-tailed sets; see the
    real-data page of the user guide), one model for binary and multi-class
    tables of any size; put a :class:`~skbn.SmoothClipScaler` in front of it.

    The members are balanced already: there is no ``class_weight``,
    ``batch_sampler``, ``logit_adjustment`` or ``loss``, which would correct
    the imbalance a second time (passing one is an error that says what to
    use instead). Its probabilities are those of balanced
    training data (a balanced class prior): their argmax is the decision
    that maximises balanced accuracy, not a calibrated risk under the
    training data's class frequencies.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100, 16)
        Width of each hidden layer of each member. At least one layer, every
        width positive. The narrow second layer is the default because it
        raised balanced accuracy and average precision on all three
        development panels, at some more fit time; ``(100,)`` fits faster
        (``benchmarks/explore_depth.py``).

    %(activation)s

    n_members : int >= 1, default=24
        Number of members, each on its own balanced subset.

    replacement : bool, default=True
        Whether each member's subset is drawn with replacement (a balanced
        bootstrap: minority rows are resampled too, so members differ on
        them, and each leaves about a third of them out of its bag) or
        without (every member sees all rows of the smallest class). Without
        replacement, no member of this kind leaves a row of the smallest
        class out, so the fit has no out-of-bag evidence on that class to
        weigh the kinds by and keeps ``kind_weights_`` at their default. On
        the development panels the two settings' mean balanced accuracy and
        average precision are within 0.01 of each other (the real-data
        page's ablations).

    sampling_strategy : float in (0, 1], default=1.0
        The smallest class's count over each other class's count in a
        member's subset, as imbalanced-learn's under-samplers take it: 1
        draws every class to the smallest class's count; 0.25 draws up to
        four times that many rows of each larger class (at most all of
        them), so members see more of a large table. Where classes are drawn
        to unequal counts, each member's loss weights them back to equal
        total weight, so the probabilities stay those of a balanced prior.

    min_class_rows : int >= 1, default=1
        Every class is drawn to at least this many rows of a member's subset
        (at most all of its rows), whatever the smallest class's count: with
        a class of 5 rows, a member otherwise sees ``5 x n_classes`` rows in
        all. The classes' unequal counts are weighted back to balance in the
        loss, as with ``sampling_strategy < 1``. The counts drawn are
        ``member_class_counts_`` after fit.

    n_fold_members : int, 0 or >= 2, default=5
        Members of a second kind, trained in the same network and the same
        steps: each sees every training row but those of one of
        ``n_fold_members`` class-stratified folds, with the logit-adjusted
        loss (``log(class_prior_)`` added to its logits in training, Menon et
        al. 2021), so that it learns balanced-prior probabilities like the
        balanced members, from (nearly) all the data. Every row is out of the
        bag of exactly one of them. They train in the balanced members'
        steps (a member whose subset is larger than a balanced member's walks
        through it over several epochs: the members share the batch
        boundaries), then on alone, after the balanced members stopped, in
        batches four times ``batch_size_`` at 0.3 times the step size, for
        as long as their out-of-bag rows improve (``n_iter_fold_members_``;
        their patience is ``n_iter_no_change`` of the balanced members'
        epochs, in Adam steps, and at least five of their own epochs).
        0: the balanced members alone (the default of 0.2.0; on the
        development panels the two kinds reached higher average precision
        on all three and higher balanced accuracy on two, most on the
        long-tailed sets, at about 1.2-2x the fit time).

    member_weighting : {'oob', 'uniform'}, default='oob'
        How much each kind of member counts in :meth:`predict_proba`.
        ``'oob'``: decided by the fit from out-of-bag predictions alone (each
        kind's mean over its members that did not train on a row): the kinds
        start at equal weight, greedy selection with replacement (Caruana et
        al. 2004) on the class-balanced log loss of those predictions moves
        the weights, and the move is kept only where it gains at least two
        standard errors over the equal mix (see ``skbn._selection``).
        ``'uniform'``: every member counts the same. The weights are
        ``kind_weights_`` and ``member_weights_`` after fit.

    %(batch_norm)s

    %(bn_momentum)s

    %(bn_eps)s

    %(dropout)s

    %(label_smoothing)s

    %(alpha)s

    %(weight_decay)s

    batch_size : int or 'auto', default='auto'
        Rows per mini-batch of a member; ``'auto'`` means
        ``min(64, rows per member)``: a member sees ``n_classes x`` the
        smallest class's count of rows, and small batches give it enough
        steps per epoch. The value used is ``batch_size_`` after fit.

    learning_rate_init : float > 0, default=0.03
        Adam's step size. Thirty times scikit-learn's ``1e-3``: a member's
        subset is small (a few batches an epoch) and BN keeps large steps
        stable, so at ``1e-3`` the members are still learning when
        ``max_iter`` ends. At ``0.03`` the training loss settles within the
        epoch budget on every set of both development panels, and balanced
        accuracy on the medium-size panel rises from 0.813 to 0.864 (the
        benchmarks' report).

    %(lr_schedule)s

    max_iter : int >= 1, default=200
        Maximum number of epochs (passes over each member's subset).

    shuffle : bool, default=True
        Whether each member's rows are shuffled every epoch.

    %(random_state)s

    %(tol)s

    %(verbose)s

    %(warm_start)s

    early_stopping : bool, default=False
        Stop on the out-of-bag rows instead of the training loss: after each
        epoch, every training row that some member did not train on is
        predicted by those members (at most 1,000 rows per class, drawn once),
        and training stops when the class-balanced cross-entropy of these
        predictions has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the network of the best epoch is kept. No rows are set aside:
        each member's out-of-bag rows are its validation set.
        ``validation_scores_`` records minus that cross-entropy per epoch and
        ``validation_recall_per_class_`` the out-of-bag recall of each class.
        Off by default: at the default step size the training loss settles
        within the budget, and on the development panels this rule moved
        balanced accuracy by less than the folds' noise while it about
        doubled the fit time on the larger tables (scoring the out-of-bag
        rows every epoch).

    oob_score : bool or callable, default=False
        Whether to score the model on the out-of-bag rows: each training row
        is predicted by the members whose subset does not hold it. ``True``
        scores with balanced accuracy (imbalanced-learn's forests use
        accuracy; a balanced model is judged by balanced accuracy here); a
        callable ``metric(y_true, y_pred)`` is used instead. See
        ``oob_score_`` and ``oob_decision_function_``.

    prior : {None, 'balanced', 'frequencies'}, dict or array-like, default=None
        The class prior that :meth:`predict_proba` assumes: the class
        frequencies of the world its probabilities describe; :meth:`predict` is
        their argmax. None: the prior the model trained under,
        ``trained_prior_`` (equal classes: the members train on balanced
        subsets). ``'balanced'``: equal classes, whose argmax is the decision
        that maximises balanced accuracy. ``'frequencies'``: the training
        data's class frequencies (``class_prior_``), for probabilities that are
        risks under them. A dict ``{class: frequency}`` or an array in the
        order of ``classes_``: the frequencies expected where the model is
        used. The probabilities move from ``trained_prior_`` to it exactly, as
        ``p * prior / trained_prior_`` renormalised (Saerens et al. 2002; the
        maths per remedy is in the conventions page of the user guide). It is
        read at every predict: ``set_params(prior=...)`` needs no refit, and
        ONNX export follows it.

    %(adam_and_engine)s

    dtype : {'float32', 'float64'} or None, default='float32'
        The floating-point type the members train in and the fitted arrays
        keep; later calls of ``partial_fit``, ``predict`` and friends convert
        their input to it. float32 trains in about half the time of float64
        (half the memory traffic and faster matrix products), and the
        members' rounding in it is far below their disagreement, which the
        ensemble averages. ``None`` follows ``X`` as scikit-learn's MLPs do
        (float32 data in float32, anything else in float64), which is
        :class:`BNMLPClassifier`'s default.

    Attributes
    ----------
    %(input_attributes)s

    n_members_ : int
        Number of members trained, of every kind.

    kinds_ : list of str
        The kinds of members, in member order: ``'balanced'``, then
        ``'logit_adjusted_folds'`` with ``n_fold_members``.

    member_kinds_ : ndarray of int
        Each member's kind, an index into ``kinds_`` (one entry per member,
        ``n_members_`` in all).

    n_iter_fold_members_ : int
        Epochs the fold members trained on alone after the balanced members
        stopped, each a pass over their own rows (0 without them, and in
        :meth:`partial_fit`): they see many more rows each than a balanced
        subset, so they need more steps, and the balanced members' stopping
        point must not change.

    kind_weights_ : ndarray of shape (n_kinds,)
        How much each kind counts in the model's probability (summing to 1).

    member_weights_ : ndarray of float
        Each member's weight (one entry per member): its kind's weight shared equally by the
        kind's members. :meth:`predict_proba` is the weighted mean of
        :meth:`predict_member_proba`.

    oob_scores_ : dict or None
        Each kind's out-of-bag balanced accuracy on the rows every kind
        leaves out of some member (at most 1,000 of each class, a planned
        draw; NaN when some class has none), from which
        ``member_weighting='oob'`` decided; None when nothing was
        decided (one kind, or ``'uniform'``, without ``oob_score``).

    batch_size_ : int
        Rows per batch of each member in the last fit.

    member_class_counts_ : ndarray of shape (n_classes,)
        Rows of each class in every member's subset in the last fit (the
        same counts for every member), from ``sampling_strategy`` and
        ``min_class_rows``.

    coefs_, intercepts_, bn_scales_, bn_shifts_, bn_running_means_, bn_running_vars_ : list of ndarray
        The members' arrays, with a leading member axis of ``n_members_``
        (as ``BNMLPClassifier``'s with ``ensemble_size``).

    backend_ : {'numpy', 'torch'}
        The engine the last fit trained with.

    n_threads_ : int or None
        The CPU threads it used; None on an accelerator.

    oob_score_ : float
        Score of the out-of-bag prediction of the training rows (with
        ``oob_score``).

    oob_decision_function_ : ndarray of shape (n_samples, n_classes)
        Each training row's out-of-bag probabilities: the mean over the
        members of each kind that did not train on it, the kinds weighted
        by ``kind_weights_``; NaN for a row in every member's subset
        (always so for the smallest class without replacement and without
        fold members).

    n_iter_ : int
        Number of epochs run.

    validation_scores_ : list of float or None
        With ``early_stopping``, minus the out-of-bag class-balanced
        cross-entropy of each epoch; else None.

    best_validation_score_ : float or None
        The best of them with ``early_stopping``; else None.

    validation_recall_per_class_ : list of ndarray or None
        With ``early_stopping``, the out-of-bag recall of each class per epoch.

    loss_curve_ : list of float
        The balanced members' mean training loss of each epoch, which the
        stopping rule watches (the fold members' logit-adjusted loss is on
        another scale, and they train as long as the balanced members do).

    class_prior_ : ndarray of shape (n_classes,)
        Share of each class in the training labels.

    trained_prior_ : ndarray of shape (n_classes,)
        The class prior the loss trained under, which the probabilities assume
        with ``prior=None``: each class's share of the rows the batches drew
        times the mean loss weight of its rows (equal shares for balanced
        members, also where ``sampling_strategy`` or ``min_class_rows`` draw
        classes to unequal counts, whose loss weights restore them).
        Accumulated over :meth:`partial_fit` calls.

    See Also
    --------
    BNMLPClassifier : One network (or an ensemble on shared batches) with its
        own imbalance remedies.
    imblearn.ensemble.BalancedRandomForestClassifier : Trees on balanced bootstraps.
    imblearn.ensemble.EasyEnsembleClassifier : Boosted learners on balanced subsets.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.pipeline import make_pipeline
    >>> from skbn import BalancedBNMLPClassifier, SmoothClipScaler
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> clf = make_pipeline(
    ...     SmoothClipScaler(), BalancedBNMLPClassifier(max_iter=30, random_state=0)
    ... ).fit(X, y)
    >>> clf[-1].n_members_, clf[-1].kinds_, clf.predict_proba(X[:2]).shape
    (29, ['balanced', 'logit_adjusted_folds'], (2, 2))
    """

    _parameter_constraints = {
        **_BNMLPBase._parameter_constraints,
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "replacement": ["boolean"],
        "sampling_strategy": [Interval(Real, 0, 1, closed="right")],
        "min_class_rows": [Interval(Integral, 1, None, closed="left")],
        "n_fold_members": [Interval(Integral, 2, None, closed="left"), Options(Integral, {0})],
        "member_weighting": [StrOptions({"oob", "uniform"})],
        "oob_score": ["boolean", callable],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100, 16),
        activation="relu",
        *,
        n_members=24,
        replacement=True,
        sampling_strategy=1.0,
        min_class_rows=1,
        n_fold_members=5,
        member_weighting="oob",
        batch_norm=True,
        bn_momentum=0.1,
        bn_eps=1e-5,
        dropout=0.0,
        label_smoothing=0.0,
        alpha=1e-4,
        weight_decay=0.0,
        batch_size="auto",
        learning_rate_init=0.03,
        lr_schedule="constant",
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=0,
        warm_start=False,
        early_stopping=False,
        oob_score=False,
        prior=None,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        backend="auto",
        n_threads=None,
        device="cpu",
        dtype="float32",
    ):
        _store_parameters(self, locals())

    def _remedies(self):
        return [
            MemberSubsets(
                replacement=self.replacement,
                sampling_strategy=self.sampling_strategy,
                min_class_rows=self.min_class_rows,
            )
        ]

    def _remedy_groups(self, n_members):
        (subsets,) = self._remedies()
        folds = [
            (1, LogitAdjustedFolds(fold=f, n_folds=self.n_fold_members))
            for f in range(self.n_fold_members)
        ]
        return RemedyGroups(((n_members, subsets), *folds))

    def _fit_options(self):
        batch_size = self.batch_size
        if batch_size == "auto":
            (subsets,) = self._remedies()
            batch_size = lambda codes: min(  # noqa: E731
                AUTO_SUBSET_BATCH, subsets.subset_rows(codes)
            )
        return dict(
            n_members=self.n_members,
            batch_size=batch_size,
            batch_sampler="random",
            member_batches="independent",
            early_stopping=self.early_stopping,
            validation_fraction=None,  # the out-of-bag rows
            scoring="loss",
            # The balanced members train as long as they would alone.
            watch=self.n_members,
        )

    def _after_fit(self, X, codes, plan, incremental):
        self.member_class_counts_ = plan.member_remedies[0].counts(codes)
        kinds = self._remedy_groups(self.n_members).kinds()
        self.kinds_ = [name for name, _ in kinds]
        self.n_iter_fold_members_ = self._later_epochs if self.n_fold_members else 0
        self.member_kinds_ = np.repeat(np.arange(len(kinds)), [n for _, n in kinds])
        for name in ("oob_score_", "oob_decision_function_"):
            self.__dict__.pop(name, None)
        weigh = len(kinds) > 1 and self.member_weighting == "oob"
        score = self.oob_score and not incremental
        # 'uniform' (or one kind): each kind counts by its number of members.
        weights = np.array([n for _, n in kinds]) / self.n_members_
        self.oob_scores_ = None
        if weigh or score:
            # The fit's own plan: the subsets the members trained on, not drawn
            # again. The weights need the evidence, not every row: at most
            # OOB_ROWS_PER_CLASS rows of each class, as early stopping scores.
            rows, mask = plan.out_of_bag(codes, OOB_ROWS_PER_CLASS)
            # X is validated already (and has lost its column names).
            logits = forward_folded(self._folded_layers(), X[rows], self.activation)
            # Chosen under the prior the members trained under, whatever `prior` asks.
            kind_proba = self._kind_means(mask, softmax_(logits))
            chosen, scores = weigh_kinds(kind_proba, codes[rows], len(self.classes_))
            self.oob_scores_ = dict(zip(self.kinds_, scores.tolist()))
            weights = chosen if weigh else weights
        self.kind_weights_ = weights
        self.member_weights_ = (weights / np.bincount(self.member_kinds_))[self.member_kinds_]
        if score:
            mask = plan.out_of_bag_mask(codes)
            logits = forward_folded(self._folded_layers(), X, self.activation)
            adjusted = self._kind_means(mask, softmax_(self._adjust(logits)))
            self._score_out_of_bag(codes, adjusted, weights)

    def _kind_means(self, mask, member_proba):
        """Each kind's out-of-bag probability of each row, ``(kinds, rows, classes)``."""
        return np.stack(
            [
                out_of_bag_mean(
                    mask[self.member_kinds_ == k], member_proba[self.member_kinds_ == k]
                )
                for k in range(len(self.kinds_))
            ]
        )

    def _score_out_of_bag(self, codes, kind_proba, weights):
        # A row some weighted kind cannot predict takes the others', reweighted.
        used = weights > 0
        finite = np.isfinite(kind_proba[used, :, 0])
        w = weights[used, None] * finite
        with np.errstate(invalid="ignore", divide="ignore"):
            decision = (
                np.einsum("kn,knc->nc", w, np.nan_to_num(kind_proba[used]))
                / w.sum(axis=0)[:, None]
            )
        self.oob_decision_function_ = decision
        scored = ~np.isnan(decision[:, 0])
        if not scored.all():
            warnings.warn(
                f"{int((~scored).sum())} of {len(codes)} rows are in every member's "
                "subset and have no out-of-bag prediction (NaN in "
                "oob_decision_function_); oob_score_ is computed without them. More "
                "members, or replacement=True, leave fewer such rows.",
                UserWarning,
            )
        unscored = np.setdiff1d(np.unique(codes), codes[scored])
        if len(unscored):
            # A score over the other classes only would pass for the model's.
            warnings.warn(
                f"No row of class(es) {self.classes_[unscored].tolist()} is out of the "
                "bag: oob_score_ is NaN. replacement=True leaves rows of every class "
                "out of some members' subsets.",
                UserWarning,
            )
            self.oob_score_ = np.nan
            return
        metric = self.oob_score if callable(self.oob_score) else balanced_accuracy_score
        y_true = self.classes_[codes[scored]]
        y_pred = self.classes_[np.argmax(decision[scored], axis=1)]
        self.oob_score_ = float(metric(y_true, y_pred))
