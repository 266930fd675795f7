"""Checks of the input of fit and predict, with messages that say the fix."""

import numpy as np
from scipy import sparse
from sklearn.utils.multiclass import check_classification_targets, type_of_target

__all__ = ["check_magnitude", "check_numeric_frame", "check_targets"]


def check_numeric_frame(X, estimator):
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


def check_magnitude(X):
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


def check_targets(y):
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
