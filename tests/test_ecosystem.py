"""BNMLPClassifier inside the tools scikit-learn users already use."""

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline as make_imblearn_pipeline
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skbn import BNMLPClassifier

X, y = make_classification(
    n_samples=300, n_features=8, n_informative=5, weights=[0.8, 0.2], random_state=0
)


def clf(**params):
    return BNMLPClassifier((16,), max_iter=30, learning_rate_init=0.01, random_state=0, **params)


def test_string_labels():
    labels = np.array(["spam", "ham"])[y]
    model = clf().fit(X, labels)
    assert list(model.classes_) == ["ham", "spam"]
    assert set(model.predict(X)) <= {"ham", "spam"}
    assert model.score(X, labels) > 0.85


def test_pandas_categorical_labels_and_dataframe_features():
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    labels = pd.Series(pd.Categorical.from_codes(y, ["low", "high"]))
    model = clf().fit(frame, labels)
    assert list(model.feature_names_in_) == list(frame.columns)
    assert set(model.classes_) == {"low", "high"}
    assert model.score(frame, labels) > 0.85
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        model.predict(X)


def test_sklearn_pipeline():
    pipe = Pipeline([("scale", StandardScaler()), ("clf", clf())]).fit(X, y)
    assert pipe.score(X, y) > 0.85


def test_grid_search_in_parallel_matches_sequential():
    grid = {"batch_norm": [True, False], "class_weight": [None, "balanced"]}
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    parallel = GridSearchCV(
        clf(), grid, cv=cv, scoring="balanced_accuracy", n_jobs=2, error_score="raise"
    ).fit(X, y)
    sequential = GridSearchCV(
        clf(), grid, cv=cv, scoring="balanced_accuracy", n_jobs=1, error_score="raise"
    ).fit(X, y)
    assert len(parallel.cv_results_["params"]) == 4
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"], sequential.cv_results_["mean_test_score"]
    )
    assert parallel.best_score_ > 0.7


def test_cross_validate_with_stratified_folds():
    scores = cross_validate(
        clf(), X, y, cv=StratifiedKFold(4), scoring=["accuracy", "roc_auc"], error_score="raise"
    )
    assert scores["test_roc_auc"].mean() > 0.85


def test_imblearn_pipeline_with_smote():
    pipe = make_imblearn_pipeline(StandardScaler(), SMOTE(random_state=0), clf())
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.85
    # Resampling balances what the network sees: it predicts the minority more.
    plain = make_imblearn_pipeline(StandardScaler(), clf()).fit(X, y)
    assert (pipe.predict(X) == 1).sum() >= (plain.predict(X) == 1).sum()


def test_clone_of_fitted_is_unfitted_and_refits_identically():
    model = clf().fit(X, y)
    again = clone(model)
    assert not hasattr(again, "coefs_")
    np.testing.assert_array_equal(again.fit(X, y).coefs_[0], model.coefs_[0])
