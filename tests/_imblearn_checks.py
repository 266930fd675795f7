"""imbalanced-learn's ``parametrize_with_checks`` with its checks in a list:
it hands pytest a generator, which pytest deprecates (and will refuse)."""

import pytest
from imblearn.utils.estimator_checks import parametrize_with_checks as _generated


def parametrize_with_checks(estimators, **kwargs):
    mark = _generated(estimators, **kwargs)
    names, values = mark.args
    return pytest.mark.parametrize(names, list(values), **mark.kwargs)
