"""Training curves as a scikit-learn style Display."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["TrainingCurveDisplay"]


class TrainingCurveDisplay:
    """Training curves of a fitted :class:`~skbn.BNMLPClassifier`.

    The training loss per epoch (left axis) and, when the model was fitted
    with early stopping, the validation score and the validation recall of
    each class per epoch (right axis), with the kept epoch marked (the best
    validation epoch, whose weights early stopping restores; otherwise the
    last epoch). Build it with :meth:`from_estimator`; like scikit-learn's
    displays (e.g. :class:`sklearn.metrics.RocCurveDisplay`), the
    constructor takes the data to draw and :meth:`plot` draws it.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss of each epoch.
    validation_scores : array-like of shape (n_epochs,), default=None
        Validation score of each epoch (early stopping).
    validation_recall_per_class : array-like of shape (n_epochs, n_classes), default=None
        Validation recall of each class per epoch (early stopping).
    kept_epoch : int, default=None
        The 1-based epoch whose weights the model kept; the last epoch when None.
    classes : array-like of shape (n_classes,), default=None
        Class labels, for the legend of the recall curves.
    estimator_name : str, default=None
        Shown in the title.

    Attributes
    ----------
    loss_line_ : matplotlib Line2D
        The training loss.
    score_line_ : matplotlib Line2D or None
        The validation score.
    recall_lines_ : list of matplotlib Line2D
        One per class (empty without early stopping).
    kept_line_ : matplotlib Line2D
        The vertical mark at the kept epoch.
    ax_ : matplotlib Axes
        The axes of the loss; the score and recalls are on ``ax_score_``.
    ax_score_ : matplotlib Axes or None
        The twin axes of the validation curves.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_classification
    >>> from skbn import BNMLPClassifier, TrainingCurveDisplay
    >>> X, y = make_classification(n_samples=200, weights=[0.8], random_state=0)
    >>> clf = BNMLPClassifier((16,), max_iter=15, early_stopping=True,
    ...                       scoring="balanced_accuracy", random_state=0).fit(X, y)
    >>> display = TrainingCurveDisplay.from_estimator(clf)
    >>> len(display.recall_lines_), display.kept_epoch == clf.n_iter_
    (2, False)
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_scores=None,
        validation_recall_per_class=None,
        kept_epoch=None,
        classes=None,
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.validation_recall_per_class = validation_recall_per_class
        self.kept_epoch = kept_epoch
        self.classes = classes
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None):
        """Draw the training curves of a fitted estimator.

        Parameters
        ----------
        estimator : BNMLPClassifier or Pipeline ending with one
            A fitted model.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        name : str, default=None
            Title; the estimator's class name when None.

        Returns
        -------
        display : TrainingCurveDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import make_classification
        >>> from skbn import BNMLPClassifier, TrainingCurveDisplay
        >>> X, y = make_classification(n_samples=100, random_state=0)
        >>> clf = BNMLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
        >>> TrainingCurveDisplay.from_estimator(clf).kept_epoch
        5
        """
        model = estimator[-1] if hasattr(estimator, "steps") else estimator
        check_is_fitted(model)
        if not hasattr(model, "loss_curve_"):
            raise TypeError(
                f"{type(model).__name__} has no loss_curve_; TrainingCurveDisplay draws "
                "the training curves of a BNMLPClassifier."
            )
        scores = getattr(model, "validation_scores_", None)
        kept = len(model.loss_curve_)
        if scores:
            # The first best epoch: the one whose weights early stopping kept.
            kept = int(np.argmax(scores)) + 1
        display = cls(
            loss_curve=model.loss_curve_,
            validation_scores=scores,
            validation_recall_per_class=getattr(model, "validation_recall_per_class_", None),
            kept_epoch=kept,
            classes=getattr(model, "classes_", None),
            estimator_name=name or type(model).__name__,
        )
        return display.plot(ax=ax)

    def plot(self, ax=None, *, name=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        name : str, default=None
            Title; ``estimator_name`` when None.

        Returns
        -------
        display : TrainingCurveDisplay
            ``self``, with the matplotlib objects as attributes.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skbn import TrainingCurveDisplay
        >>> display = TrainingCurveDisplay(loss_curve=[0.7, 0.5, 0.4]).plot()
        >>> display.loss_line_.get_ydata().tolist()
        [0.7, 0.5, 0.4]
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        loss = np.asarray(self.loss_curve, dtype=float)
        epochs = np.arange(1, len(loss) + 1)
        (self.loss_line_,) = ax.plot(epochs, loss, color="C0", label="training loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        handles = [self.loss_line_]
        self.score_line_, self.recall_lines_, self.ax_score_ = None, [], None
        if self.validation_scores:
            right = ax.twinx()
            self.ax_score_ = right
            (self.score_line_,) = right.plot(
                epochs, self.validation_scores, color="C1", label="validation score"
            )
            handles.append(self.score_line_)
            recalls = self.validation_recall_per_class
            if recalls is not None and len(recalls):
                recalls = np.asarray(recalls, dtype=float)
                labels = self.classes if self.classes is not None else range(recalls.shape[1])
                for j, label in enumerate(labels):
                    (line,) = right.plot(
                        epochs,
                        recalls[:, j],
                        linestyle="--",
                        color=f"C{2 + j % 8}",
                        label=f"validation recall of {label}",
                    )
                    self.recall_lines_.append(line)
                handles += self.recall_lines_
            right.set_ylabel("validation score and recall")
        kept = self.kept_epoch or len(loss)
        self.kept_line_ = ax.axvline(kept, color="grey", linestyle=":", label=f"kept epoch {kept}")
        handles.append(self.kept_line_)
        ax.legend(handles=handles, loc="best", fontsize="small")
        title = name or self.estimator_name
        if title:
            ax.set_title(title)
        self.ax_, self.figure_ = ax, ax.figure
        return self
