"""skbn: a scikit-learn MLP classifier with batch normalization and class weights."""

from ._classifier import BNMLPClassifier

__all__ = ["BNMLPClassifier", "__version__"]

__version__ = "0.1.0"
