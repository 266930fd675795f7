"""The estimator: validation, fitted state and prediction."""

import copy
import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._network import (
    ACTIVATIONS,
    Network,
    combine_members,
    fold_network,
    forward_folded,
    log_softmax_,
    predict_logits,
    softmax_,
)
from ._plan import SUBSET_MEMBERS, TrainingPlan, init_network, subset_counts, subset_rows
from ._shared_docs import fill as fill_shared_docs
from ._sparse import sorted_csr
from ._training import (
    Progress,
    out_of_bag_validator,
    row_weights,
    train,
    trained_prior_mass,
    validation_split,
)
from .engines import AdamState, TrainingConfig

__all__ = ["BNMLPClassifier"]

# ensemble_size='auto' and batch_size='auto' when each member trains on its own
# balanced subset (member_batches='bootstrap' or 'undersampled'), chosen on the
# real-data panel (see the real-data docs).
AUTO_SUBSET_MEMBERS = 24
AUTO_SUBSET_BATCH = 64

_BN_ATTRS = ("bn_scales_", "bn_shifts_", "bn_running_means_", "bn_running_vars_")


def _check_numeric_frame(X, estimator):
    """A DataFrame with string or category columns gets an error that names them
    and shows the recommended encoding pipeline (scikit-learn's own message says
    only that a string could not be converted to float)."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    bad = [col for col, dt in dtypes.items() if not (is_numeric_dtype(dt) or is_bool_dtype(dt))]
    if bad:
        name = type(estimator).__name__
        kinds = sorted({str(dtypes[col]) for col in bad})
        raise ValueError(
            f"X has non-numeric columns {bad} (dtype {', '.join(kinds)}); "
            f"{name} takes numbers only. Encode them in a pipeline, as the README's "
            "recommended model does:\n"
            "    make_pipeline(\n"
            "        ColumnTransformer([\n"
            "            ('numbers', make_pipeline(SimpleImputer(), SmoothClipScaler()),\n"
            "             make_column_selector(dtype_include='number')),\n"
            f"            ('strings', OneHotEncoder(handle_unknown='ignore'), {bad!r}),\n"
            "        ]),\n"
            f"        {name}(),\n"
            "    )"
        )


def _check_magnitude(X):
    """Refuse features whose squares overflow the dtype: BN's variance and the
    loss would turn them into inf and train a constant model, silently."""
    values = X.data if sparse.issparse(X) else X
    if not values.size:
        return
    largest = max(abs(float(values.max())), abs(float(values.min())))  # no copy of X
    # 1e4 leaves room for the sums over features and rows of a batch.
    limit = float(np.sqrt(np.finfo(values.dtype).max)) / 1e4
    if largest > limit:
        raise ValueError(
            f"X has values as large as {largest:.3g}; at this size the squares that BN "
            f"and the loss compute overflow {values.dtype} (limit about {limit:.1g}), and "
            "the network would train to a constant. Scale the features first, e.g. with "
            "StandardScaler or skbn.SmoothClipScaler in a pipeline."
        )


def _is_missing(label):
    return label is None or label != label or type(label).__name__ == "NAType"


def _missing_labels(y):
    """Which labels are missing: NaN, None or pandas' NA (without importing pandas)."""
    isna = getattr(y, "isna", None)  # pandas Series and extension arrays
    if callable(isna):
        return np.asarray(isna(), dtype=bool).ravel()
    y = np.asarray(y)
    if y.dtype.kind == "f":
        return np.isnan(y).ravel()
    if y.dtype.kind == "O":
        return np.asarray(np.frompyfunc(_is_missing, 1, 1)(y), dtype=bool).ravel()
    return np.zeros(y.size, dtype=bool)


def _check_targets(y):
    """Reject missing labels, multilabel, multioutput and continuous targets by name."""
    missing = np.zeros(0, dtype=bool) if y is None else _missing_labels(y)
    if missing.any():
        rows = np.flatnonzero(missing)
        raise ValueError(
            f"y contains missing values (NaN, None or pandas NA) at {len(rows)} row(s), "
            f"e.g. row {rows[0]}; every row needs a class label. Drop those rows, or "
            "give them a label of their own."
        )
    values = np.asarray(y) if y is not None else None
    if values is not None and values.dtype.kind == "f" and np.isinf(values).any():
        # Said here: scikit-learn's target checks would first warn on casting inf.
        raise ValueError(
            f"y contains infinity at {int(np.isinf(values).sum())} row(s); class labels "
            "are finite numbers or strings."
        )
    kind = type_of_target(y, input_name="y")
    if kind in ("multilabel-indicator", "multiclass-multioutput", "continuous-multioutput"):
        raise ValueError(
            f"Multilabel and multioutput targets are not supported. y is {kind!r}; "
            "BNMLPClassifier predicts one label per row from a 1-D y."
        )
    check_classification_targets(y)


@dataclass(frozen=True)
class _Spec:
    """What a fit does, resolved from an estimator's parameters: the one
    place where the two estimators' parameters meet the shared training code."""

    n_members: int
    member_batches: str
    batch_size: object  # an int, or a callable of the class codes
    batch_sampler: str = "random"
    # Subset members: see skbn._plan.subset_counts; where they leave a member's
    # classes unequal, its loss weights them back to a balanced prior.
    sampling_strategy: float = 1.0
    min_class_rows: int = 1
    class_weight: object = None
    early_stopping: bool = False
    # None: early stopping watches the out-of-bag rows of subset members
    # instead of a validation split.
    validation_fraction: float | None = 0.1
    scoring: object = "loss"
    # The logit-adjusted loss: log(class prior) added to the training logits.
    logit_adjusted_loss: bool = False

    def subset_counts(self, codes):
        """Rows of each class in a subset member's subset."""
        return subset_counts(codes, self.sampling_strategy, self.min_class_rows)


def _seen(prior):
    """A prior with a declared class never seen in training counted as the
    rarest seen one, so that its logarithm is finite."""
    return np.where(prior > 0, prior, prior[prior > 0].min())


class _BNMLPBase(ClassifierMixin, BaseEstimator):
    """Fit, partial_fit and predict of the skbn classifiers.

    A subclass stores its parameters and says, in :meth:`_spec`, what a fit
    does with them; everything else is shared.
    """

    # The constraints of the parameters both estimators share; each estimator
    # adds its own to a copy (imbalanced-learn's balanced ensembles do the same).
    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "batch_norm": ["boolean"],
        "bn_momentum": [Interval(Real, 0, 1, closed="both")],
        "bn_eps": [Interval(Real, 0, None, closed="neither")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"constant", "cosine"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "early_stopping": ["boolean"],
        "prior": [None, StrOptions({"balanced", "frequencies"}), dict, "array-like"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        # np.inf (never stop early) as scikit-learn's MLPs accept it.
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "backend": [StrOptions({"auto", "numpy", "torch"})],
        "device": "no_validation",  # a str or a torch.device, checked by the engine
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def _spec(self):
        raise NotImplementedError

    def _logit_adjustment(self):
        """The ``tau`` of the post-hoc logit adjustment; read at every predict."""
        return 0.0

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to ``X`` and ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data: finite real numbers.
        y : array-like of shape (n_samples,)
            Class labels; at least two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights, not all zero; multiplied with
            the class weights in the loss.

        Returns
        -------
        self : BNMLPClassifier
            The fitted estimator.

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from skbn import BNMLPClassifier
        >>> X, y = make_classification(n_samples=100, random_state=0)
        >>> clf = BNMLPClassifier((8,), max_iter=3, random_state=0).fit(X, y)
        >>> clf.n_iter_, len(clf.loss_curve_)
        (3, 3)
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch over ``X`` and ``y``, continuing any previous training.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels, all among ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class the model will ever see. Required on the first call,
            ignored (but checked for consistency) afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights, not all zero.

        Returns
        -------
        self : BNMLPClassifier
            The updated estimator.

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from skbn import BNMLPClassifier
        >>> X, y = make_classification(n_samples=100, random_state=0)
        >>> clf = BNMLPClassifier((8,), random_state=0)
        >>> for chunk in range(0, 100, 50):
        ...     clf = clf.partial_fit(X[chunk:chunk + 50], y[chunk:chunk + 50], classes=[0, 1])
        >>> clf.n_iter_
        2
        """
        class_weight = self._spec().class_weight
        if class_weight == "balanced" or callable(class_weight):
            raise ValueError(
                f"class_weight={class_weight!r} is not supported by partial_fit, "
                "which sees one chunk of data at a time and would weight each chunk "
                "differently. Compute the weights over all the data (e.g. with "
                "sklearn.utils.class_weight.compute_class_weight('balanced', "
                "classes=classes, y=y)) and pass them as a dict."
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        # A failed call (bad input, divergence) leaves the estimator as it was.
        before = dict(self.__dict__)
        try:
            self._fit_or_raise(X, y, sample_weight, incremental, classes)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        return self

    def _fit_or_raise(self, X, y, sample_weight, incremental, classes):
        spec = self._spec()
        self._check_remedies()
        if incremental:
            first_call = _check_partial_fit_first_call(self, classes)
        else:
            first_call = not (self.warm_start and hasattr(self, "classes_"))
        hidden = self._validated_hidden_layer_sizes()
        _check_numeric_frame(X, self)
        _check_targets(y)
        X, y = validate_data(
            self,
            X,
            y,
            reset=first_call,
            # Sparse input stays sparse: every format becomes CSR, once.
            accept_sparse="csr",
            dtype=(np.float64, np.float32) if first_call else self.coefs_[0].dtype,
        )
        if sparse.issparse(X):
            X = sorted_csr(X)
        _check_magnitude(X)
        if first_call and not incremental:
            self.classes_ = unique_labels(y)
        codes = self._encode(y, check_warm_start=not first_call and not incremental)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
            # scikit-learn refuses all-zero weights itself only from 1.7 on.
            if not np.any(sample_weight > 0):
                raise ValueError("Sample weights must contain at least one non-zero number.")
            self._check_weighted_classes(codes, sample_weight)
        reset = not incremental or first_call
        self._update_class_prior(codes, sample_weight, reset=reset)
        sample_weight = row_weights(self.classes_, y, codes, sample_weight, X.dtype, spec)
        self._update_trained_prior(codes, sample_weight, spec, reset=reset)
        self._prior_offset()  # a bad `prior` fails before training, not at predict
        early_stopping = spec.early_stopping and not incremental
        split = early_stopping and spec.validation_fraction is not None
        scorer = self._validation_scorer(spec.scoring) if split else None

        X_val = y_val = sw_val = None
        if first_call:
            self._initialize(X.shape[1], hidden, X.dtype, early_stopping, spec.n_members)
        else:
            self._check_architecture(hidden, spec.n_members)
        if split:
            X, X_val, codes, y_val, sample_weight, sw_val = validation_split(
                X, codes, sample_weight, spec.validation_fraction, self._seed
            )
        plan = self._train(
            X,
            codes,
            sample_weight,
            X_val,
            y_val,
            sw_val,
            incremental,
            scorer,
            first_call,
            spec,
            out_of_bag=early_stopping and not split,
        )
        self._after_fit(X, codes, plan, incremental)

    def _after_fit(self, X, codes, plan, incremental):
        """What a subclass computes from the trained model, its training data
        and the fit's plan."""

    def _check_remedies(self):
        """Refuse parameters that would correct the class imbalance twice."""

    def _check_architecture(self, hidden, n_members):
        fitted = [c.shape[-1] for c in self.coefs_[:-1]]
        members = Network(self.coefs_, self.intercepts_).n_members
        if (
            fitted != hidden
            or bool(self.bn_scales_) != bool(self.batch_norm)
            or members != n_members
        ):
            raise ValueError(
                "warm_start and partial_fit continue the fitted network, which has "
                f"hidden_layer_sizes={tuple(fitted)}, batch_norm={bool(self.bn_scales_)} "
                f"and {members} member(s); the parameters now ask for "
                f"{tuple(hidden)}, batch_norm={bool(self.batch_norm)} and "
                f"{n_members} member(s)."
            )

    def _validated_hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if not sizes or not all(isinstance(s, Integral) and s > 0 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must be a positive integer or a non-empty sequence "
                f"of positive integers, got {self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    def _check_weighted_classes(self, codes, sample_weight):
        """A class whose rows all weigh 0 would be in ``classes_`` and predicted
        with no information on it; the balanced members would even draw it."""
        present = np.bincount(codes, minlength=len(self.classes_)) > 0
        weighed = np.bincount(codes, weights=sample_weight, minlength=len(self.classes_)) > 0
        empty = self.classes_[present & ~weighed]
        if len(empty):
            raise ValueError(
                f"{type(self).__name__}: sample_weight is 0 on every row of class(es) "
                f"{empty.tolist()}, so the model would learn nothing about them yet "
                "predict them. Drop those rows (and the class) from X and y, or give "
                "them a positive weight."
            )

    def _encode(self, y, check_warm_start):
        present = unique_labels(y)
        unknown = np.setdiff1d(present, self.classes_)
        if check_warm_start and not len(unknown) and len(present) != len(self.classes_):
            raise ValueError(
                f"warm_start needs the same classes as the previous fit, "
                f"{self.classes_.tolist()}; y holds {present.tolist()}."
            )
        if len(unknown):
            raise ValueError(
                f"y has labels {unknown.tolist()} that are not among the classes the "
                f"model was set up with, {self.classes_.tolist()} (y holds "
                f"{present.tolist()}). partial_fit needs every class in its first "
                "call's `classes`; warm_start needs the same classes as the previous fit."
            )
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes to train, but y "
                f"contains only one class: {self.classes_.tolist()[0]!r}."
            )
        return np.searchsorted(self.classes_, y)

    def _update_class_prior(self, codes, sample_weight, reset):
        counts = np.bincount(codes, weights=sample_weight, minlength=len(self.classes_))
        if not reset:
            counts = counts + self._class_totals
        self._class_totals = counts
        self.class_prior_ = counts / counts.sum()

    def _update_trained_prior(self, codes, weights, spec, reset):
        mass = trained_prior_mass(codes, weights, spec, len(self.classes_))
        # Each partial_fit call counts by its rows, as class_prior_ does.
        mass = mass / mass.sum() * len(codes)
        if not reset:
            mass = mass + self._trained_mass
        self._trained_mass = mass
        self.trained_prior_ = mass / mass.sum()

    def _validation_scorer(self, scoring):
        if scoring == "loss":
            return None
        try:
            return check_scoring(self, scoring=scoring)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"scoring={scoring!r} is neither 'loss' nor a valid scikit-learn scorer: {exc}"
            ) from None

    def _initialize(self, n_features, hidden, dtype, early_stopping, n_members):
        self._seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        layer_sizes = [n_features, *hidden, len(self.classes_)]
        net = init_network(
            self._seed,
            layer_sizes,
            self.activation,
            self.batch_norm,
            dtype,
            n_members=n_members,
        )
        self._set_network(net, fold=False)
        self._adam = None
        self.n_layers_ = len(layer_sizes)
        self.n_outputs_ = len(self.classes_)
        self.out_activation_ = "softmax"
        self._set_progress(
            Progress(
                best_loss=None if early_stopping else np.inf,
                validation_scores=[] if early_stopping else None,
                validation_recall_per_class=[] if early_stopping else None,
                best_validation_score=-np.inf if early_stopping else None,
            )
        )

    def _batch_size(self, codes, spec):
        """Rows per batch: ``spec.batch_size``, or what it computes from the codes."""
        if callable(spec.batch_size):
            return spec.batch_size(codes)
        batch_size = spec.batch_size
        if spec.member_batches in SUBSET_MEMBERS:
            n_samples = int(spec.subset_counts(codes).sum())
        else:
            n_samples = len(codes)
        if batch_size > n_samples:
            warnings.warn(
                f"batch_size={batch_size} is larger than the {n_samples} training "
                "rows; using one batch of all rows."
            )
        if batch_size == 1 and self.batch_norm and n_samples > 1:
            warnings.warn(
                "batch_size=1 with batch_norm=True: a one-row batch has no batch "
                "statistics, so every row is normalised with the running statistics, "
                "which then never change. Use batch_size >= 2 for batch normalization."
            )
        return min(batch_size, n_samples)

    def _training_config(self, **overrides):
        """The engine's view of the hyperparameters (``overrides`` replace some)."""
        params = dict(
            activation=self.activation,
            bn_momentum=float(self.bn_momentum),
            bn_eps=float(self.bn_eps),
            dropout=float(self.dropout),
            alpha=float(self.alpha),
            learning_rate=float(self.learning_rate_init),
            beta_1=float(self.beta_1),
            beta_2=float(self.beta_2),
            epsilon=float(self.epsilon),
            label_smoothing=float(self.label_smoothing),
            weight_decay=float(self.weight_decay),
        )
        return TrainingConfig(**{**params, **overrides})

    def _train(
        self,
        X,
        codes,
        sample_weight,
        X_val,
        y_val,
        sw_val,
        incremental,
        scorer,
        fresh,
        spec,
        out_of_bag=False,
    ):
        offset = self._training_offset(spec)
        config = self._training_config(
            logit_offset=None if offset is None else tuple(offset.tolist())
        )
        plan = TrainingPlan(
            seed=self._seed,
            batch_size=self._batch_size(codes, spec),
            shuffle=self.shuffle,
            merge_singleton=self.batch_norm,
            dropout=config.dropout,
            batch_sampler=spec.batch_sampler,
            n_members=spec.n_members,
            member_batches=spec.member_batches,
            sampling_strategy=spec.sampling_strategy,
            min_class_rows=spec.min_class_rows,
            lr_schedule=self.lr_schedule,
            max_epochs=self.max_iter,
            schedule_start=0 if incremental else self.n_iter_,
        )
        # Initial weights made by this call are trained in place (no copy of a
        # wide first layer); fitted ones are copied, so a failed call leaves them.
        net = self._get_network(copy=not fresh)
        # partial_fit continues Adam; fit (warm start or not) starts it afresh.
        if incremental and self._adam is not None:
            adam = AdamState(**self._adam).copy()
        else:
            adam = AdamState.zeros_like(net.trainable())
        validate = None
        if X_val is not None:

            def validate(current):
                return self._validation_score(current, scorer, X_val, y_val, sw_val, offset)

        elif out_of_bag:
            validate = out_of_bag_validator(
                X, codes, plan, self.activation, self.bn_eps, len(self.classes_)
            )
        progress = self._progress()
        if not incremental:
            progress.restart(early_stopping=validate is not None)
            if validate is None and out_of_bag:
                progress.validation_scores = progress.validation_recall_per_class = None
                progress.best_validation_score = None
        hint = "" if self.batch_norm else " or use batch_norm=True"
        result = train(
            X,
            codes,
            sample_weight,
            network=net,
            adam=adam,
            progress=progress,
            plan=plan,
            config=config,
            n_classes=len(self.classes_),
            backend=self.backend,
            device=self.device,
            n_threads=self.n_threads,
            validate=validate,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            n_epochs=1 if incremental else self.max_iter,
            stop_early=not incremental,
            verbose=self.verbose,
            divergence_hint="Lower learning_rate_init, scale the features (e.g. with "
            f"StandardScaler){hint}.",
        )
        self.backend_, self.n_threads_ = result.engine, result.n_threads
        self.n_members_, self.batch_size_ = spec.n_members, plan.batch_size
        self._set_network(result.network)
        # Builtins and arrays only, so that skops loads the model without
        # trusting a private type.
        adam = result.adam
        self._adam = {"step": adam.step, "exp_avg": adam.exp_avg, "exp_avg_sq": adam.exp_avg_sq}
        self._set_progress(progress)
        if not incremental and not result.converged:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        return plan

    def _progress(self):
        """The fitted bookkeeping as a :class:`Progress` the trainer may update."""
        copied = lambda v: None if v is None else list(v)  # noqa: E731
        return Progress(
            self.n_iter_,
            self.t_,
            list(self.loss_curve_),
            self.best_loss_,
            copied(self.validation_scores_),
            copied(self.validation_recall_per_class_),
            self.best_validation_score_,
            self._no_improvement_count,
        )

    def _set_progress(self, progress):
        self.n_iter_, self.t_, self.loss_curve_ = progress.n_iter, progress.t, progress.loss_curve
        self.best_loss_ = progress.best_loss
        self.validation_scores_ = progress.validation_scores
        self.validation_recall_per_class_ = progress.validation_recall_per_class
        self.best_validation_score_ = progress.best_validation_score
        self._no_improvement_count = progress.no_improvement_count

    def _training_offset(self, spec):
        """What the logit-adjusted loss adds to the logits: ``log(class_prior_)``
        (a class not seen yet counted as the rarest seen); None for the plain loss."""
        return np.log(_seen(self.class_prior_)) if spec.logit_adjusted_loss else None

    def _validation_score(self, net, scorer, X, codes, sample_weight, offset=None):
        """The early-stopping score of ``net`` and its recall of each class;
        ``'loss'`` is the training loss's cross-entropy (``offset`` added)."""
        logits = predict_logits(net, X, self.activation, self.bn_eps)
        pred = np.argmax(self._adjust(logits), axis=1)
        if offset is not None:
            logits = logits + offset
        recall = np.full(len(self.classes_), np.nan)
        for k in np.unique(codes):
            rows = codes == k
            w = None if sample_weight is None else sample_weight[rows]
            recall[k] = np.average(pred[rows] == k, weights=w)
        if scorer is None:  # minus the weighted mean cross-entropy
            ce = -log_softmax_(logits)[np.arange(len(codes)), codes]  # pred is taken
            return -float(np.average(ce, weights=sample_weight)), recall
        # Scorers call predict/predict_proba: give them a copy holding `net`.
        model = copy.copy(self)
        model._set_network(net)
        model.__dict__.pop("feature_names_in_", None)  # X is an array by now
        labels = self.classes_[codes]
        if sample_weight is None:
            return float(scorer(model, X, labels)), recall
        return float(scorer(model, X, labels, sample_weight=sample_weight)), recall

    def _get_network(self, copy=True):
        """The fitted network; copies unless the caller may train it in place."""
        arrays = [self.coefs_, self.intercepts_, *[getattr(self, n) for n in _BN_ATTRS]]
        return Network(*[[a.copy() for a in group] if copy else group for group in arrays])

    def _set_network(self, net, fold=True):
        self.coefs_, self.intercepts_ = net.coefs, net.intercepts
        self.bn_scales_, self.bn_shifts_ = net.bn_scales, net.bn_shifts
        self.bn_running_means_, self.bn_running_vars_ = (
            net.bn_running_means,
            net.bn_running_vars,
        )
        # Fold now, so that predicting never changes the estimator's __dict__
        # (not for the initial weights, which training replaces).
        self._fold_cache = None
        if fold:
            self._folded_layers()

    # -------------------------------------------------------------- predict

    def _member_logits(self, X):
        """Raw logits, ``(n, classes)`` or ``(k, n, classes)`` for an ensemble."""
        check_is_fitted(self)
        # Overflow is checked for below, and reported with what to do: numpy's
        # own RuntimeWarnings would only repeat it, less clearly.
        with np.errstate(over="ignore", invalid="ignore"):
            return self._checked_member_logits(X)

    def _checked_member_logits(self, X):
        dtype = self.coefs_[0].dtype
        fast = (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype == dtype
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
            # A finite sum means finite entries (scikit-learn's own shortcut);
            # an overflowing sum just takes the full validation below.
            and np.isfinite(X.sum())
        )
        if not fast:  # the full validation, with its error messages and conversions
            _check_numeric_frame(X, self)
            X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=dtype)
        logits = forward_folded(self._folded_layers(), X, self.activation)
        # Finite inputs near the dtype's maximum can overflow inside the network;
        # softmax would turn that into NaN probabilities without a word.
        if not np.isfinite(logits.sum()):
            bad = ~np.isfinite(logits).all(axis=-1)
            rows = np.flatnonzero(bad if bad.ndim == 1 else bad.any(axis=0))
            raise ValueError(
                f"The network's outputs overflow for {len(rows)} row(s) of X (e.g. row "
                f"{rows[0]}): their features are too large for {dtype.name} arithmetic "
                "(near the dtype's maximum), so their probabilities would be NaN. Scale "
                "or clip the features as they were in training (e.g. with the pipeline's "
                "scaler, or SmoothClipScaler)."
            )
        return logits

    def _logits(self, X):
        """The adjusted logits of the model (of the members' mean probability
        for an ensemble)."""
        return self._adjust(combine_members(self._member_logits(X)))

    def _folded_layers(self):
        """BN folded into the linear layers, cached until a fitted array is replaced.

        The cache is made when the network is set (end of ``fit``) and holds
        the arrays it was computed from; it is used only while the fitted
        attributes are those very objects (``fit`` and ``partial_fit`` always
        assign new ones; edit a fitted array in place and the cache is stale).
        """
        arrays = [a for name in ("coefs_", "intercepts_", *_BN_ATTRS) for a in getattr(self, name)]
        key = (arrays, self.bn_eps)
        cached = getattr(self, "_fold_cache", None)
        if (
            cached is None
            or cached[0][1] != key[1]
            or len(cached[0][0]) != len(arrays)
            or any(a is not b for a, b in zip(cached[0][0], arrays))
        ):
            net = Network(self.coefs_, self.intercepts_, *[getattr(self, n) for n in _BN_ATTRS])
            cached = (key, fold_network(net, self.bn_eps))
            self._fold_cache = cached
        return cached[1]

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_fold_cache", None)  # derived; rebuilt on the first predict
        return state

    def _adjust(self, logits):
        """The logits under the prior the probabilities are asked for (``prior``,
        or ``logit_adjustment``): a per-class offset, read at every predict."""
        offset = self._prior_offset()
        return logits if offset is None else logits + offset.astype(logits.dtype)

    def _prior_offset(self):
        """``log(prior) - log(trained_prior_)`` per class (Saerens et al. 2002);
        ``-tau * log(class_prior_)`` for ``logit_adjustment=tau``; None for the
        probabilities as trained."""
        tau = self._logit_adjustment()
        if self.prior is None:
            return None if not tau else -tau * np.log(_seen(self.class_prior_))
        if tau:
            raise ValueError(
                f"prior={self.prior!r} and logit_adjustment={tau!r} both set the prior "
                "of the probabilities; use prior alone (logit_adjustment=1 is "
                "prior='balanced' for a model trained without a remedy)."
            )
        return np.log(self._target_prior()) - np.log(_seen(self.trained_prior_))

    def _target_prior(self):
        n = len(self.classes_)
        prior = self.prior
        if isinstance(prior, str):
            if prior == "balanced":
                return np.full(n, 1.0 / n)
            if prior == "frequencies":
                return _seen(self.class_prior_)
            raise ValueError(
                f"prior={prior!r} is not one of None, 'balanced', 'frequencies', a "
                "dict of class -> frequency or an array of one frequency per class."
            )
        if isinstance(prior, dict):
            known = self.classes_.tolist()
            unknown = [c for c in prior if c not in known]
            missing = [c for c in known if c not in prior]
            if unknown or missing:
                problems = [f"names classes {unknown} the model does not know"] if unknown else []
                problems += [f"lacks classes {missing}"] if missing else []
                raise ValueError(
                    f"prior {' and '.join(problems)}: give one frequency for each of "
                    f"classes_ = {known}."
                )
            prior = [prior[c] for c in known]
        prior = np.asarray(prior, dtype=np.float64)
        if prior.shape != (n,):
            raise ValueError(
                f"prior has shape {prior.shape}; give one frequency for each of the "
                f"{n} classes, in the order of classes_ = {self.classes_.tolist()}."
            )
        if not np.all(np.isfinite(prior)) or np.any(prior <= 0):
            raise ValueError(
                f"prior must hold positive, finite frequencies, got {prior.tolist()}; "
                "a class the model should never predict needs a cost, not a prior of 0."
            )
        return prior / prior.sum()

    def predict(self, X):
        """Predict the class of each row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, with the features seen in fit.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The class with the highest probability.

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from skbn import BNMLPClassifier
        >>> X, y = make_classification(n_samples=100, random_state=0)
        >>> clf = BNMLPClassifier((8,), max_iter=50, random_state=0).fit(X, y)
        >>> clf.predict(X[:4]).shape
        (4,)
        """
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]

    def predict_proba(self, X):
        """Class probabilities (softmax of the network's output).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, with the features seen in fit.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; each row sums to 1. They
            assume the class prior ``prior`` asks for (or are moved by
            ``logit_adjustment``); with neither, the prior of the training.

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from skbn import BNMLPClassifier
        >>> X, y = make_classification(n_samples=100, random_state=0)
        >>> clf = BNMLPClassifier((8,), max_iter=50, random_state=0).fit(X, y)
        >>> proba = clf.predict_proba(X[:4])
        >>> proba.shape, bool(abs(proba.sum(axis=1) - 1).max() < 1e-12)
        ((4, 2), True)
        """
        return softmax_(self._logits(X))

    def predict_member_proba(self, X):
        """Each ensemble member's class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, with the features seen in fit.

        Returns
        -------
        proba : ndarray of shape (ensemble_size, n_samples, n_classes)
            ``proba[j]`` is member ``j``'s softmax, with the prior correction
            (``prior`` or ``logit_adjustment``) applied to its logits; their
            spread shows how much the members disagree. Without a correction,
            :meth:`predict_proba` is their mean. With ``ensemble_size=1`` the
            single member's.

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from skbn import BNMLPClassifier
        >>> X, y = make_classification(n_samples=100, random_state=0)
        >>> clf = BNMLPClassifier((8,), ensemble_size=4, max_iter=20, random_state=0).fit(X, y)
        >>> members = clf.predict_member_proba(X[:3])
        >>> members.shape
        (4, 3, 2)
        >>> bool(abs(members.mean(axis=0) - clf.predict_proba(X[:3])).max() < 1e-12)
        True
        """
        logits = self._member_logits(X)
        if logits.ndim == 2:
            logits = logits[None]
        return softmax_(self._adjust(logits))

    def predict_disagreement(self, X):
        """How much the members disagree on each row.

        The mutual information between the prediction and the choice of
        member (BALD; Houlsby et al. 2011; Lakshminarayanan et al. 2017): the
        entropy of the members' mean probability minus the members' mean
        entropy, in nats. It is 0 when every member gives the row the same
        probabilities (and always for a single network) and grows when they
        are confident about different classes, the uncertainty a model has
        from having seen too little data like the row; the entropy of
        :meth:`predict_proba` adds the uncertainty every member shares. The
        members' probabilities are those of :meth:`predict_member_proba`,
        under the same ``prior``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score, with the features seen in fit.

        Returns
        -------
        disagreement : ndarray of shape (n_samples,)
            Non-negative; at most ``log(n_classes)``.

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from skbn import BalancedBNMLPClassifier
        >>> X, y = make_classification(n_samples=200, weights=[0.9], random_state=0)
        >>> clf = BalancedBNMLPClassifier((8,), n_members=4, random_state=0).fit(X, y)
        >>> d = clf.predict_disagreement(X)
        >>> d.shape, bool((d >= 0).all())
        ((200,), True)
        """
        members = self.predict_member_proba(X)

        def entropy(p):
            return -np.sum(p * np.log(np.maximum(p, np.finfo(p.dtype).tiny)), axis=-1)

        return np.maximum(entropy(members.mean(axis=0)) - entropy(members).mean(axis=0), 0.0)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed stably.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, with the features seen in fit.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``, without underflow for tiny probabilities.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import make_classification
        >>> from skbn import BNMLPClassifier
        >>> X, y = make_classification(n_samples=100, random_state=0)
        >>> clf = BNMLPClassifier((8,), max_iter=50, random_state=0).fit(X, y)
        >>> bool(np.allclose(np.exp(clf.predict_log_proba(X[:4])), clf.predict_proba(X[:4])))
        True
        """
        return log_softmax_(self._logits(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags


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

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when ``X`` has string column
        names.

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
    **dtype policy.** Training runs in the dtype of ``X`` when it is float32
    and in float64 otherwise; the fitted arrays keep that dtype and later
    calls of ``partial_fit``, ``predict`` and friends convert their input to
    it. Pass float32 data for the faster, lighter path.

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
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.batch_norm = batch_norm
        self.bn_momentum = bn_momentum
        self.bn_eps = bn_eps
        self.dropout = dropout
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.alpha = alpha
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.lr_schedule = lr_schedule
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.batch_sampler = batch_sampler
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.scoring = scoring
        self.logit_adjustment = logit_adjustment
        self.loss = loss
        self.prior = prior
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.backend = backend
        self.n_threads = n_threads
        self.device = device
        self.ensemble_size = ensemble_size
        self.member_batches = member_batches

    def _spec(self):
        subsets = self.member_batches in SUBSET_MEMBERS  # deprecated
        n_members = self.ensemble_size
        if n_members == "auto":  # deprecated: its meaning before 0.2
            n_members = AUTO_SUBSET_MEMBERS if subsets else 1
        batch_size = self.batch_size
        if batch_size == "auto":
            if subsets:
                batch_size = lambda codes: min(200, subset_rows(codes))  # noqa: E731
            else:
                batch_size = lambda codes: min(200, len(codes))  # noqa: E731
        return _Spec(
            n_members=n_members,
            member_batches=self.member_batches,
            batch_size=batch_size,
            batch_sampler=self.batch_sampler,
            class_weight=self.class_weight,
            early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction,
            scoring=self.scoring,
            logit_adjusted_loss=self.loss == "logit_adjusted",
        )

    def _logit_adjustment(self):
        return self.logit_adjustment

    def _check_remedies(self):
        if self.ensemble_size == "auto":
            warnings.warn(
                "ensemble_size='auto' is deprecated and will be removed in 0.3: give "
                "the number of members (the default is now 1). For members on "
                "balanced subsets use BalancedBNMLPClassifier(n_members=24).",
                FutureWarning,
            )
        if self.member_batches in SUBSET_MEMBERS:
            warnings.warn(
                f"member_batches={self.member_batches!r} is deprecated in "
                "BNMLPClassifier and will be removed in 0.3; use "
                f"BalancedBNMLPClassifier(replacement={self.member_batches == 'bootstrap'}), "
                "whose defaults are the recommended setting (24 members, batches of "
                "64, learning_rate_init=0.03). Here it trains ensemble_size members "
                "with batch_size rows per batch, as given.",
                FutureWarning,
            )
        remedies = {
            f"class_weight={self.class_weight!r}": self.class_weight is not None,
            "batch_sampler='balanced'": self.batch_sampler == "balanced",
            f"logit_adjustment={self.logit_adjustment!r}": self.logit_adjustment > 0,
            "loss='logit_adjusted'": self.loss == "logit_adjusted",
            f"member_batches={self.member_batches!r}": self.member_batches in SUBSET_MEMBERS,
        }
        used = [name for name, on in remedies.items() if on]
        if len(used) > 1:
            raise ValueError(
                f"{' and '.join(used)} each correct the class imbalance; together they "
                "correct it twice and favour the minority too much (e.g. balanced "
                "accuracy 0.87 -> 0.66 with class weights inside balanced members). "
                "Use one: class_weight='balanced' (in the loss), "
                "batch_sampler='balanced' (in the batches), logit_adjustment=1 (at "
                "predict time), loss='logit_adjusted' (in the logits of the loss) or "
                "BalancedBNMLPClassifier (members on balanced subsets)."
            )
