"""Built-in data for the experiments: scikit-learn generators, no download."""

from imblearn.datasets import make_imbalance
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def classification(n_samples, seed, n_features=20):
    """A standardised train/test split of a 2-class problem."""
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=10,
        n_redundant=4,
        class_sep=1.0,
        flip_y=0.02,
        random_state=seed,
    )
    return _split(X, y, seed)


def _imbalanced_arrays(n_majority, ratio, seed, n_features):
    n_minority = max(n_majority // ratio, 12)  # enough for SMOTE in 3-fold CV
    X, y = make_classification(
        n_samples=2 * n_majority,
        n_features=n_features,
        n_informative=8,
        n_redundant=4,
        class_sep=0.8,
        weights=[0.5, 0.5],
        flip_y=0.0,
        random_state=seed,
    )
    return make_imbalance(
        X, y, sampling_strategy={0: n_majority, 1: n_minority}, random_state=seed
    )


def imbalanced(n_majority, ratio, seed, n_features=20):
    """A standardised train/test split of a 2-class problem with ``ratio``
    majority rows per minority row (class 1 is the minority)."""
    return _split(*_imbalanced_arrays(n_majority, ratio, seed, n_features), seed)


def imbalanced_pool(n_majority, ratio, seed, n_features=20):
    """The same problem unsplit, for cross-validation. It is standardised on
    all rows, which uses no labels and so leaks nothing about them."""
    X, y = _imbalanced_arrays(n_majority, ratio, seed, n_features)
    return StandardScaler().fit_transform(X), y


def _split(X, y, seed):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test
