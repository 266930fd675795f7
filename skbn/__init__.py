"""skbn: a scikit-learn MLP classifier with batch normalization and class weights."""

from ._class_weight import effective_number_weights
from ._classifier import BNMLPClassifier
from .resampling import GaussianNoiseOverSampler

__all__ = [
    "BNMLPClassifier",
    "GaussianNoiseOverSampler",
    "effective_number_weights",
    "__version__",
]

__version__ = "0.1.0"
