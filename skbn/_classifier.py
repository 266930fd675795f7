"""The single network (or packed ensemble) estimator."""

import warnings
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import _BNMLPBase, _store_parameters
from ._remedies import (
    BalancedBatches,
    ClassWeights,
    LogitAdjustedLoss,
    LogitAdjustment,
    MemberSubsets,
)
from ._shared_docs import fill as fill_shared_docs

__all__ = ["BNMLPClassifier"]

# ensemble_size='auto' with the deprecated member_batches='bootstrap' or
# 'undersampled' (each member on its own balanced subset), chosen on the
# real-data panel (see the real-data docs).
AUTO_SUBSET_MEMBERS = 24
_SUBSET_MEMBERS = ("undersampled", "bootstrap")


@fill_shared_docs
class BNMLPClassifier(_BNMLPBase):
    """Multilayer perceptron classifier with batch normalization and class weights.

    Each hidden block is ``Linear -> BatchNorm -> activation (-> dropout)``;
    the output layer is a softmax over the classes, trained with cross-entropy
    by mini-batch Adam. Class and sample weights multiply the per-sample loss.

    Parameters
    ----------
    %(hidden_layer_sizes)s

    %(activation)s

    %(batch_norm)s

    %(bn_momentum)s

    %(bn_eps)s

    %(dropout)s

    class_weight : dict, 'balanced', callable or None, default=None
        Weight of each class in the loss. ``'balanced'`` uses
        ``n_samples / (n_classes * np.bincount(y))`` as computed by
        :func:`sklearn.utils.class_weight.compute_class_weight`; a dict maps
        labels to weights (labels it omits get 1; a label that is not a class
        is an error). A callable is called with the training labels ``y`` of
        each fit and returns such a dict, so weights that depend on the class
        counts are recomputed on each cross-validation fold: for the
        effective-number weights of Cui et al. (2019), pass
        ``functools.partial(skbn.effective_number_weights, beta=0.999)``
        (also as a value in a ``GridSearchCV`` grid). Multiplied with
        ``sample_weight``. ``'balanced'`` and callables are not available in
        :meth:`partial_fit`, which sees one chunk at a time.

    %(label_smoothing)s

    %(alpha)s

    batch_size : int or 'auto', default='auto'
        Rows per mini-batch; ``'auto'`` means ``min(200, n_samples)``, as in
        scikit-learn's MLPs. The value used is ``batch_size_`` after fit.
        Larger values are clipped to ``n_samples`` with a warning. With BN, a
        trailing batch of one row is merged into the previous batch, so no
        batch ever has one row unless the whole training set has one row (a
        single-row ``partial_fit``) or ``batch_size=1`` (with a warning): such
        a batch is normalised with the running statistics, which it leaves
        unchanged, while the weights, scales and shifts still learn.

    learning_rate_init : float > 0, default=1e-3
        Adam's step size (at the start of the schedule).

    %(lr_schedule)s

    %(weight_decay)s

    max_iter : int >= 1, default=200
        Maximum number of epochs (passes over the training data).

    shuffle : bool, default=True
        Whether to shuffle the rows at each epoch (within each class for
        ``batch_sampler='stratified'``; ``'balanced'`` always draws at random).

    batch_sampler : {'random', 'stratified', 'balanced'}, default='random'
        How the rows of an epoch are cut into mini-batches.

        - ``'random'``: a shuffle of the rows, cut into consecutive batches.
        - ``'stratified'``: every batch keeps the class proportions of the
          training set as closely as integer counts allow (each count is the
          floor or ceiling of its share, rarely one row beyond); a class
          whose share of a batch is at least one row is never missing from it.
        - ``'balanced'``: each batch holds the classes in equal numbers, rows
          drawn with replacement within their class; an epoch keeps
          ``ceil(n_samples / batch_size)`` batches, so minority rows repeat
          and majority rows are skipped at random.

        With BN, the batches decide what the running statistics estimate:
        under ``'balanced'`` they estimate the mean and variance of the
        class-balanced mixture, not of the data. Predictions are normalised
        with those statistics, which matches what the network was trained
        on, and the model behaves as if trained on a balanced set (its
        probabilities reflect equal class priors, like after oversampling).
        ``'random'`` and ``'stratified'`` estimate the data's statistics.

    %(random_state)s

    %(tol)s

    %(verbose)s

    %(warm_start)s

    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the training data,
        stop when its ``scoring`` (weighted by the class and sample weights)
        stops improving and keep the weights of the best epoch.
        Ignored by :meth:`partial_fit`.

    scoring : 'loss', str or callable, default='loss'
        The validation score of early stopping (higher is better).
        ``'loss'`` is minus the weighted mean cross-entropy on the held-out
        rows (the training objective without the penalty); any other value is
        a scikit-learn scorer name (``'balanced_accuracy'``,
        ``'average_precision'``, ...) or a callable
        ``scorer(estimator, X, y, sample_weight=None)``. Scorers see the
        model's predictions, ``logit_adjustment`` included. Ignored without
        ``early_stopping``.

    logit_adjustment : float >= 0, default=0.0
        Post-hoc logit adjustment (Menon et al., 2021): at predict time
        ``tau * log(class_prior_)`` is subtracted from the logits, which
        favours rare classes; ``tau = 1`` turns the posterior of the training
        prior into that of a balanced prior. ``predict_proba`` returns the
        adjusted probabilities, ``softmax(logits - tau * log(prior))``, i.e.
        the unadjusted ones times ``prior ** -tau``, renormalised: they are
        no longer calibrated for the training prior. With two classes it is
        a shift of the decision threshold, so ranking metrics (ROC-AUC,
        average precision) do not change. Training is unaffected, so it can
        be changed with ``set_params`` after fitting. It corrects the same
        bias as class weights and balanced batches: combining it with
        either is an error, as is combining those two (each would correct
        the imbalance the other already corrected). ``prior`` says the same
        exactly, whatever the remedy: ``logit_adjustment=1`` without a remedy
        is ``prior='balanced'``; setting both is an error.

    loss : {'log_loss', 'logit_adjusted'}, default='log_loss'
        The training loss. ``'logit_adjusted'`` is the logit-adjusted
        cross-entropy (Menon et al., 2021; for ``tau = 1`` the balanced
        softmax of Ren et al., 2020): during training ``log(class_prior_)``
        is added to the logits, so the network's own logits learn the
        posterior of a balanced prior, which :meth:`predict_proba` returns
        (``trained_prior_`` is uniform). It is the training-time form of
        ``logit_adjustment=1`` and corrects the imbalance like class weights
        or balanced batches, so combining it with any of them is an error.

    prior : {None, 'balanced', 'frequencies'}, dict or array-like, default=None
        The class prior that :meth:`predict_proba` assumes: the class
        frequencies of the world its probabilities describe; :meth:`predict` is
        their argmax. None: the prior the model trained under,
        ``trained_prior_`` (the training data's frequencies without a remedy;
        equal classes with ``class_weight='balanced'`` or balanced batches).
        ``'balanced'``: equal classes, whose argmax is the decision that
        maximises balanced accuracy. ``'frequencies'``: the training data's
        class frequencies (``class_prior_``), for probabilities that are risks
        under them. A dict ``{class: frequency}`` or an array in the order of
        ``classes_``: the frequencies expected where the model is used. The
        probabilities move from ``trained_prior_`` to it exactly, as ``p *
        prior / trained_prior_`` renormalised (Saerens et al. 2002; the maths
        per remedy is in the conventions page of the user guide). It is read at
        every predict: ``set_params(prior=...)`` needs no refit, and ONNX
        export follows it.

    validation_fraction : float in (0, 1), default=0.1
        Share of the training data held out for early stopping.

    %(adam_and_engine)s

    ensemble_size : int >= 1, default=1
        Number of members trained in one pass as one batched network (the
        "packed" ensemble of TabM, Gorishniy et al. 2025): each member has
        its own weights, biases, BN scales, shifts and running statistics,
        initialised from its own planned seed (member 0 is the network that
        ``ensemble_size=1`` gives), and each layer is one batched matrix
        product over the members. Each member is trained on its own loss, as
        if alone; ``loss_curve_`` records the members' mean. Prediction
        averages the members' probabilities, as deep ensembles do
        (Lakshminarayanan et al. 2017; TabM averages probabilities, not
        logits): an average of probabilities is a mixture of calibrated
        posteriors, while averaged logits would sharpen it. Early stopping
        scores that average. :meth:`predict_member_proba` gives each
        member's probabilities. For members that each train on their own
        balanced subset, use :class:`BalancedBNMLPClassifier`.

        .. deprecated:: 0.2
            ``'auto'`` (24 members with the subset modes of
            ``member_batches``, else 1) is accepted with a ``FutureWarning``
            until 0.3; the default is now 1.

    member_batches : {'shared', 'independent'}, default='shared'
        What each member of an ensemble trains on. ``'shared'``: every member
        sees the same batches (TabM; members differ by their initialisation
        and dropout masks). ``'independent'``: each member draws its own row
        order from its own stream, and with ``batch_sampler='balanced'`` its
        own balanced draw, so members see different majority rows in each
        epoch (over many epochs, all of them). The two are the same for
        ``ensemble_size=1``.

        .. deprecated:: 0.2
            ``'undersampled'`` and ``'bootstrap'`` (each member on its own
            balanced subset) moved to :class:`BalancedBNMLPClassifier`
            (``replacement=False`` and ``True``). Until 0.3 they are accepted
            here with a ``FutureWarning`` and train ``ensemble_size`` members
            with batches of ``batch_size`` rows, as given.

    dtype : {'float32', 'float64'} or None, default=None
        The floating-point type the network trains in and its fitted arrays
        keep. ``None`` follows ``X``, as scikit-learn's MLPs do: float32 data
        trains in float32, anything else in float64. ``'float32'`` trains in
        about half the time of float64 (half the memory traffic and faster
        matrix products), to results that differ by rounding; it is
        :class:`BalancedBNMLPClassifier`'s default.

    Attributes
    ----------
    %(input_attributes)s

    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix from layer ``i`` to layer ``i + 1``,
        of shape ``(fan_in, fan_out)``. With ``ensemble_size=k > 1`` this and
        every other network array below has a leading member axis:
        ``(k, fan_in, fan_out)`` here, ``(k, width)`` for the others.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i + 1`` (zeros for
        hidden layers followed by BN).

    bn_scales_, bn_shifts_ : list of ndarray
        BN's learned scale (gamma) and shift (beta) per hidden layer; empty
        lists without BN.

    bn_running_means_, bn_running_vars_ : list of ndarray
        BN's running mean and running (unbiased) variance per hidden layer,
        used at predict time; empty lists without BN.

    backend_ : {'numpy', 'torch'}
        The engine the last call of ``fit`` or ``partial_fit`` trained with.

    n_threads_ : int or None
        The CPU threads it used (see ``n_threads``); None on an accelerator.

    n_iter_ : int
        Number of epochs run, over all calls to ``fit`` (with warm start)
        and ``partial_fit``.

    t_ : int
        Number of training rows seen, counted over epochs.

    loss_curve_ : list of float
        The training loss of each epoch (penalty included).

    best_loss_ : float or None
        Lowest training loss reached; None with ``early_stopping``.

    class_prior_ : ndarray of shape (n_classes,)
        Share of each class in the training labels, weighted by
        ``sample_weight`` (not by ``class_weight``), as used by
        ``logit_adjustment``; accumulated over :meth:`partial_fit` calls.

    trained_prior_ : ndarray of shape (n_classes,)
        The class prior the loss trained under, which the probabilities assume
        with ``prior=None``: each class's share of the rows the batches drew
        times the mean loss weight of its rows (the training data's frequencies
        without a remedy; ``w * n`` normalised with class weights ``w``; equal
        with ``class_weight='balanced'`` or balanced batches). Accumulated over
        :meth:`partial_fit` calls.

    validation_scores_ : list of float or None
        Validation score (see ``scoring``) of each epoch with
        ``early_stopping``, else None.

    best_validation_score_ : float or None
        Best validation score with ``early_stopping``, else None.

    validation_recall_per_class_ : list of ndarray or None
        With ``early_stopping``, the recall of each class (in the order of
        ``classes_``) on the validation rows, one array per epoch; else None.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs: one per class (softmax for every number of
        classes, two included).

    out_activation_ : str
        Always ``'softmax'``.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : MLP without BN or class weights.

    Notes
    -----
    **dtype policy.** Training runs in ``dtype`` (by default the dtype of
    ``X`` when it is float32, float64 otherwise); the fitted arrays keep it
    and later calls of ``partial_fit``, ``predict`` and friends convert their
    input to it. ``dtype='float32'`` (or float32 data) is the faster,
    lighter path.

    **Divergence.** If the training loss becomes NaN or infinite, ``fit``
    raises a ``ValueError`` and leaves the estimator as it was before the
    call, so a model never predicts NaN.

    Randomness (initial weights, row order, dropout masks) is planned in
    NumPy from ``random_state``, so every backend walks the same path.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skbn import BNMLPClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = BNMLPClassifier(hidden_layer_sizes=(32,), batch_size=32, max_iter=50,
    ...                       random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> [a.shape for a in clf.bn_running_means_]
    [(32,)]
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints = {
        **_BNMLPBase._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), callable, None],
        "batch_sampler": [StrOptions({"random", "stratified", "balanced"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "scoring": [str, callable],
        "logit_adjustment": [Interval(Real, 0, None, closed="left")],
        "loss": [StrOptions({"log_loss", "logit_adjusted"})],
        "ensemble_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        # 'undersampled' and 'bootstrap': deprecated, see _spec.
        "member_batches": [StrOptions({"shared", "independent", "undersampled", "bootstrap"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        batch_norm=True,
        bn_momentum=0.1,
        bn_eps=1e-5,
        dropout=0.0,
        class_weight=None,
        label_smoothing=0.0,
        alpha=1e-4,
        weight_decay=0.0,
        batch_size="auto",
        learning_rate_init=1e-3,
        lr_schedule="constant",
        max_iter=200,
        shuffle=True,
        batch_sampler="random",
        random_state=None,
        tol=1e-4,
        verbose=0,
        warm_start=False,
        early_stopping=False,
        validation_fraction=0.1,
        scoring="loss",
        logit_adjustment=0.0,
        loss="log_loss",
        prior=None,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        backend="auto",
        n_threads=None,
        device="cpu",
        ensemble_size=1,
        member_batches="shared",
        dtype=None,
    ):
        _store_parameters(self, locals())

    def _remedies(self):
        asked = []
        if self.class_weight is not None:
            asked.append(ClassWeights(self.class_weight))
        if self.batch_sampler == "balanced":
            asked.append(BalancedBatches())
        if self.logit_adjustment > 0:
            asked.append(LogitAdjustment(self.logit_adjustment))
        if self.loss == "logit_adjusted":
            asked.append(LogitAdjustedLoss())
        if self.member_batches in _SUBSET_MEMBERS:  # deprecated
            asked.append(
                MemberSubsets(
                    replacement=self.member_batches == "bootstrap",
                    spelled_as=f"member_batches={self.member_batches!r}",
                )
            )
        return asked

    def _fit_options(self):
        subsets = self.member_batches in _SUBSET_MEMBERS  # deprecated
        if self.ensemble_size == "auto":
            warnings.warn(
                "ensemble_size='auto' is deprecated and will be removed in 0.3: give "
                "the number of members (the default is now 1). For members on "
                "balanced subsets use BalancedBNMLPClassifier(n_members=24).",
                FutureWarning,
            )
        if subsets:
            warnings.warn(
                f"member_batches={self.member_batches!r} is deprecated in "
                "BNMLPClassifier and will be removed in 0.3; use "
                f"BalancedBNMLPClassifier(replacement={self.member_batches == 'bootstrap'}), "
                "whose defaults are the recommended setting (24 balanced members and 5 "
                "fold members, batches of 64, learning_rate_init=0.03). Here it trains "
                "ensemble_size members "
                "with batch_size rows per batch, as given.",
                FutureWarning,
            )
        n_members = self.ensemble_size
        if n_members == "auto":  # deprecated: its meaning before 0.2
            n_members = AUTO_SUBSET_MEMBERS if subsets else 1
        batch_size = self.batch_size
        if batch_size == "auto":
            if subsets:
                rows = MemberSubsets().counts
                batch_size = lambda codes: min(200, int(rows(codes).sum()))  # noqa: E731
            else:
                batch_size = lambda codes: min(200, len(codes))  # noqa: E731
        return dict(
            n_members=n_members,
            batch_size=batch_size,
            batch_sampler=self.batch_sampler,
            member_batches="independent" if subsets else self.member_batches,
            early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction,
            scoring=self.scoring,
        )
