"""skbn: a scikit-learn MLP classifier with batch normalization and class weights."""

from ._class_weight import effective_number_weights
from ._balanced import BalancedBNMLPClassifier
from ._classifier import BNMLPClassifier
from ._costs import CostMatrixClassifier, minimum_cost_decisions
from ._display import TrainingCurveDisplay
from .preprocessing import PiecewiseLinearEncoder, SmoothClipScaler

__all__ = [
    "BNMLPClassifier",
    "BalancedBNMLPClassifier",
    "CostMatrixClassifier",
    "GaussianNoiseOverSampler",
    "PiecewiseLinearEncoder",
    "SmoothClipScaler",
    "TrainingCurveDisplay",
    "effective_number_weights",
    "minimum_cost_decisions",
    "__version__",
]

# The one place the version is written: pyproject.toml reads it from here.
__version__ = "0.2.0"


def __getattr__(name):
    # imbalanced-learn takes longer to import than the rest of skbn: load the
    # sampler on first use, so that `import skbn` stays as quick as sklearn's MLP.
    if name == "GaussianNoiseOverSampler":
        from .resampling import GaussianNoiseOverSampler

        return GaussianNoiseOverSampler
    raise AttributeError(f"module 'skbn' has no attribute {name!r}")
