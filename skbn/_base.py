"""What both estimators share: parameters, fit, partial_fit and predict."""

import copy
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import _check_partial_fit_first_call, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._network import (
    ACTIVATIONS,
    Network,
    combine_members,
    fold_network,
    forward_folded,
    log_softmax_,
    member_mean,
    predict_logits,
    softmax_,
)
from ._remedies import RemedyGroups, combined, seen
from ._sparse import sorted_csr
from ._training import FitSpec, FitState, Progress, fit
from ._validation import check_magnitude, check_numeric_frame, check_targets
from .engines import AdamState, TrainingConfig

__all__ = ["_BNMLPBase"]

_BN_ATTRS = ("bn_scales_", "bn_shifts_", "bn_running_means_", "bn_running_vars_")


def _store_parameters(estimator, arguments):
    """Store an ``__init__``'s arguments as given, as scikit-learn asks (no
    validation, no logic): ``arguments`` is its ``locals()``."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def _shifted(logits, offset):
    """``logits`` plus a per-class ``offset`` (None: unchanged), in their dtype."""
    return logits if offset is None else logits + offset.astype(logits.dtype)


class _BNMLPBase(ClassifierMixin, BaseEstimator):
    """Fit, partial_fit and predict of the skbn classifiers.

    A subclass stores its parameters and says, in :meth:`_remedies` and
    :meth:`_fit_options`, what a fit does with them; everything else is shared.
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
        "dtype": [StrOptions({"float32", "float64"}), None],
    }

    def _training_dtype(self):
        # None: scikit-learn's MLPs' policy (float32 stays, anything else is float64).
        return (np.float64, np.float32) if self.dtype is None else self.dtype

    def _remedies(self):
        """The remedies for class imbalance the parameters ask for
        (:mod:`skbn._remedies`); a fit refuses two that correct it twice."""
        raise NotImplementedError

    def _remedy_groups(self, n_members):
        """Which remedy each of the ``n_members`` members trains under: by
        default one for all, the one :meth:`_remedies` asks for."""
        return RemedyGroups.one(combined(self._remedies()), n_members)

    def _fit_options(self):
        """What a fit does beyond the shared parameters: a dict of
        ``n_members``, ``batch_size`` (an int or a callable of the class
        codes), ``batch_sampler``, ``member_batches``, ``early_stopping``,
        ``validation_fraction`` (None: the out-of-bag rows) and ``scoring``."""
        raise NotImplementedError

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
        for remedy in self._remedies():
            remedy.check_partial_fit()
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
        options = self._fit_options()
        remedies = self._remedy_groups(options["n_members"])
        if incremental:
            first_call = _check_partial_fit_first_call(self, classes)
        else:
            first_call = not (self.warm_start and hasattr(self, "classes_"))
        hidden = self._validated_hidden_layer_sizes()
        check_numeric_frame(X, self)
        check_targets(y)
        X, y = validate_data(
            self,
            X,
            y,
            reset=first_call,
            # Sparse input stays sparse: every format becomes CSR, once.
            accept_sparse="csr",
            dtype=self._training_dtype() if first_call else self.coefs_[0].dtype,
            # Every batch gathers rows: from a column-major X (what a
            # ColumnTransformer returns) that took a third of a NumPy step.
            order="C",
        )
        if sparse.issparse(X):
            X = sorted_csr(X)
        check_magnitude(X)
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
        uniform = np.full(len(self.classes_), 1 / len(self.classes_))
        self._offset_under(uniform, uniform)  # a bad `prior` fails before training
        early_stopping = options["early_stopping"] and not incremental
        split = early_stopping and options["validation_fraction"] is not None
        scorer = self._validation_scorer(options["scoring"]) if split else None
        if not first_call:
            self._check_architecture(hidden, remedies.n_members)
        hint = "" if self.batch_norm else " or use batch_norm=True"
        spec = FitSpec(
            remedies=remedies,
            config=self._training_config(),
            batch_norm=self.batch_norm,
            batch_size=options["batch_size"],
            shuffle=self.shuffle,
            batch_sampler=options["batch_sampler"],
            member_batches=options["member_batches"],
            lr_schedule=self.lr_schedule,
            max_iter=self.max_iter,
            incremental=incremental,
            early_stopping=early_stopping,
            validation_fraction=options["validation_fraction"],
            score=partial(self._validation_score, scorer=scorer) if split else None,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            verbose=self.verbose,
            backend=self.backend,
            device=self.device,
            n_threads=self.n_threads,
            divergence_hint="Lower learning_rate_init, scale the features (e.g. with "
            f"StandardScaler){hint}.",
            name=type(self).__name__,
            watch=options.get("watch"),
        )
        state = self._fit_state(first_call, incremental, X, hidden, early_stopping)
        result = fit(X, y, codes, sample_weight, spec, state)
        self._store(result, incremental)
        self._after_fit(X, codes, result.plan, incremental)

    def _fit_state(self, first_call, incremental, X, hidden, early_stopping):
        """What the fit continues from: a new seed on a first call, else the
        fitted network (a copy: a failed call leaves it), Adam and totals."""
        layer_sizes = [X.shape[1], *hidden, len(self.classes_)]
        if first_call:
            self._seed = int(check_random_state(self.random_state).randint(2**31 - 1))
            progress = Progress(
                best_loss=None if early_stopping else np.inf,
                validation_scores=[] if early_stopping else None,
                validation_recall_per_class=[] if early_stopping else None,
                best_validation_score=-np.inf if early_stopping else None,
            )
            return FitState(self._seed, self.classes_, layer_sizes, progress=progress)
        return FitState(
            self._seed,
            self.classes_,
            layer_sizes,
            network=self._get_network(),
            adam=None if self._adam is None else AdamState(**self._adam).copy(),
            progress=self._progress(),
            # partial_fit accumulates the class totals; fit counts its own data.
            class_totals=self._class_totals if incremental else None,
            trained_mass=self._trained_mass if incremental else None,
        )

    def _store(self, result, incremental):
        self._set_network(result.network)
        self.n_layers_ = len(result.network.coefs) + 1
        self.n_outputs_ = len(self.classes_)
        self.out_activation_ = "softmax"
        self._class_totals, self._trained_mass = result.class_totals, result.trained_mass
        self._later_epochs = result.later_epochs
        self.class_prior_ = result.class_prior
        self.trained_prior_ = result.trained_prior
        self.backend_, self.n_threads_ = result.engine, result.n_threads
        self.n_members_, self.batch_size_ = result.plan.n_members, result.plan.batch_size
        # Builtins and arrays only, so that skops loads the model without
        # trusting a private type.
        adam = result.adam
        self._adam = {"step": adam.step, "exp_avg": adam.exp_avg, "exp_avg_sq": adam.exp_avg_sq}
        self._set_progress(result.progress)
        if not incremental and not result.converged:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    def _after_fit(self, X, codes, plan, incremental):
        """What a subclass computes from the trained model, its training data
        and the fit's plan."""

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

    def _validation_scorer(self, scoring):
        if scoring == "loss":
            return None
        try:
            return check_scoring(self, scoring=scoring)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"scoring={scoring!r} is neither 'loss' nor a valid scikit-learn scorer: {exc}"
            ) from None

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

    def _validation_score(self, net, X, codes, sample_weight, offset, priors, *, scorer):
        """The early-stopping score of ``net`` and its recall of each class;
        ``'loss'`` is the training loss's cross-entropy (``offset`` added).
        ``priors`` are the fit's ``(class_prior, trained_prior)``, which the
        estimator itself gets only when the fit ends."""
        logits = predict_logits(net, X, self.activation, self.bn_eps)
        pred = np.argmax(_shifted(logits, self._offset_under(*priors)), axis=1)
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
        # Scorers call predict/predict_proba: give them a copy holding `net`
        # and this fit's priors.
        model = copy.copy(self)
        model.class_prior_, model.trained_prior_ = priors
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
            check_numeric_frame(X, self)
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
        return self._adjust(combine_members(self._member_logits(X), self._weights()))

    def _weights(self):
        """How much each member counts in the model's probability; None: equally."""
        return getattr(self, "member_weights_", None)

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
        return _shifted(logits, self._prior_offset())

    def _prior_offset(self):
        """What :meth:`_adjust` adds to the logits (see :meth:`_offset_under`)."""
        return self._offset_under(self.class_prior_, self.trained_prior_)

    def _offset_under(self, class_prior, trained_prior):
        """``log(prior) - log(trained_prior)`` per class (Saerens et al. 2002);
        a post-hoc remedy's offset (``-tau * log(class_prior_)`` for
        ``logit_adjustment=tau``); None for the probabilities as trained."""
        posthoc = [
            (r, offset)
            for r in self._remedies()
            if (offset := r.predict_offset(class_prior)) is not None
        ]
        if self.prior is None:
            return posthoc[0][1] if posthoc else None
        if posthoc:
            raise ValueError(
                f"prior={self.prior!r} and {posthoc[0][0].spelled} both set the prior "
                "of the probabilities; use prior alone (logit_adjustment=1 is "
                "prior='balanced' for a model trained without a remedy)."
            )
        return np.log(self._target_prior(class_prior)) - np.log(seen(trained_prior))

    def _target_prior(self, class_prior):
        n = len(self.classes_)
        prior = self.prior
        if isinstance(prior, str):
            if prior == "balanced":
                return np.full(n, 1.0 / n)
            if prior == "frequencies":
                return seen(class_prior)
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
            :meth:`predict_proba` is their mean, weighted by
            ``member_weights_`` where the model has them. With
            ``ensemble_size=1`` the single member's.

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
        under the same ``prior``, weighted by ``member_weights_`` where the
        model has them.

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
        weights = self._weights()
        if weights is None:
            weights = np.full(len(members), 1 / len(members))

        def entropy(p):
            return -np.sum(p * np.log(np.maximum(p, np.finfo(p.dtype).tiny)), axis=-1)

        members = members.astype(np.float64)  # entropies at the weights' precision
        mean = member_mean(members, weights)
        return np.maximum(entropy(mean) - member_mean(entropy(members), weights), 0.0)

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
