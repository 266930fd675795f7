"""The interface between the estimator and a training engine.

An engine owns the arithmetic of training only: forward and backward passes,
the loss and the Adam update. What is random (initial weights, row order,
batches, dropout masks) arrives from :mod:`skbn._plan`, and the state it
starts from and hands back is plain NumPy (:class:`skbn._network.Network`,
:class:`AdamState`). Any two engines given the same inputs walk the same path.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = ["AdamState", "Engine", "TrainingConfig"]


@dataclass(frozen=True)
class TrainingConfig:
    """Hyperparameters an engine needs, already validated."""

    activation: str
    bn_momentum: float
    bn_eps: float
    dropout: float
    alpha: float
    learning_rate: float
    beta_1: float
    beta_2: float
    epsilon: float
    label_smoothing: float = 0.0
    weight_decay: float = 0.0
    # Added to the output logits in the training loss only (the logit-adjusted
    # loss, Menon et al. 2021): one float per class, nested (members, 1,
    # classes) when member groups differ, or None.
    logit_offset: tuple | None = None


@dataclass
class AdamState:
    """Adam's step count and moments, one array per trainable parameter.

    The moments follow the order of :meth:`Network.trainable`.
    """

    step: int
    exp_avg: list
    exp_avg_sq: list

    @classmethod
    def zeros_like(cls, params):
        from numpy import zeros_like

        return cls(0, [zeros_like(p) for p in params], [zeros_like(p) for p in params])

    def copy(self):
        return AdamState(
            self.step, [a.copy() for a in self.exp_avg], [a.copy() for a in self.exp_avg_sq]
        )


class Engine(ABC):
    """Trains a :class:`Network` on one dataset, one planned epoch at a time.

    Parameters
    ----------
    config : TrainingConfig
    network : Network
        Starting state; the engine may update these arrays in place.
    adam : AdamState
        Starting optimiser state.
    X : ndarray of shape (n_samples, n_features)
        Training data, already in the training dtype.
    y : ndarray of shape (n_samples,)
        Class codes in ``range(n_classes)``.
    sample_weight : ndarray of shape (n_samples,) or (n_members, n_samples), or None
        Per-sample loss weights (class and sample weights multiplied); one
        row per member when member groups weight the rows differently.
    n_classes : int
    """

    @abstractmethod
    def __init__(self, config, network, adam, X, y, sample_weight, n_classes): ...

    @abstractmethod
    def run_epoch(self, epoch_plan):
        """Train over one :class:`skbn._plan.EpochPlan`; batch ``b`` takes an Adam
        step of ``config.learning_rate * epoch_plan.lr_factors[b]``.

        Returns each member's loss of the epoch, an ndarray of shape
        ``(n_members,)``: its batch losses (penalty included) averaged with the
        batch sizes as weights, as scikit-learn's ``loss_curve_``.
        """

    @abstractmethod
    def export(self, final=False):
        """The current ``(Network, AdamState)`` as NumPy arrays the caller owns.

        ``final=True`` says the engine will not be used again: it may hand over
        its own arrays instead of copies (a copy of a wide first layer and its
        Adam moments is the largest allocation of a fit on wide sparse data).
        """
