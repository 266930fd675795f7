"""TrainingCurveDisplay: what it draws, in scikit-learn's display style."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skbn import BNMLPClassifier, TrainingCurveDisplay  # noqa: E402

X, y = make_classification(n_samples=300, weights=[0.85], random_state=0)


def test_early_stopping_curves_recalls_and_the_kept_epoch():
    import matplotlib.pyplot as plt

    model = BNMLPClassifier(
        (16,),
        max_iter=25,
        early_stopping=True,
        scoring="balanced_accuracy",
        n_iter_no_change=5,
        random_state=0,
        backend="numpy",
    ).fit(X, y)
    fig, ax = plt.subplots()
    display = TrainingCurveDisplay.from_estimator(make_pipeline(StandardScaler(), model), ax=ax)
    assert display.ax_ is ax and display.figure_ is fig
    np.testing.assert_allclose(display.loss_line_.get_ydata(), model.loss_curve_)
    np.testing.assert_allclose(display.score_line_.get_ydata(), model.validation_scores_)
    assert len(display.recall_lines_) == 2
    recalls = np.asarray(model.validation_recall_per_class_)
    np.testing.assert_allclose(display.recall_lines_[1].get_ydata(), recalls[:, 1])
    # The kept epoch is the first best validation epoch, whose weights the model holds.
    kept = int(np.argmax(model.validation_scores_)) + 1
    assert display.kept_epoch == kept and display.kept_line_.get_xdata()[0] == kept
    assert kept < model.n_iter_
    plt.close(fig)


def test_without_early_stopping_only_the_loss_and_the_last_epoch():
    model = BNMLPClassifier((8,), max_iter=6, random_state=0, backend="numpy").fit(X, y)
    display = TrainingCurveDisplay.from_estimator(model, name="plain")
    assert display.score_line_ is None and display.recall_lines_ == []
    assert display.kept_epoch == 6 and display.ax_.get_title() == "plain"


def test_unfitted_and_foreign_estimators_are_rejected():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TrainingCurveDisplay.from_estimator(BNMLPClassifier())
    with pytest.raises(TypeError, match="loss_curve_"):
        TrainingCurveDisplay.from_estimator(LogisticRegression().fit(X, y))
