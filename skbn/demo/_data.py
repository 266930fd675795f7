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


def describe(n_samples, n_features=20):
    """The data sentence of an experiment on :func:`classification`."""
    return (
        f"Data: scikit-learn's make_classification, {n_samples:,} rows, {n_features} "
        "features (10 informative), two balanced classes with 2 % of labels flipped; a "
        "stratified 70/30 train/test split, standardised on the training part. "
    )


def describe_imbalanced(n_majority, ratio, split=True):
    """The data sentence of an experiment on :func:`imbalanced` (or, with
    ``split=False``, :func:`imbalanced_pool`)."""
    ratio_text = f"1:{ratio}" if isinstance(ratio, int) else ratio
    return (
        f"Data: scikit-learn's make_classification made imbalanced with imbalanced-learn's "
        f"make_imbalance: {n_majority:,} majority rows and a minority at {ratio_text} (at "
        "least 12 rows), 20 features (8 informative); "
        + (
            "a stratified 70/30 train/test split, standardised on the training part. "
            if split
            else "standardised, for cross-validation. "
        )
    )


def _split(X, y, seed):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test
