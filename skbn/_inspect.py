"""A fitted model as the rest of skbn reads it.

ONNX export (:mod:`skbn.onnx`) and the demonstration look inside a fitted
estimator only through these functions, never through its private methods,
so that the estimator can change inside without them:

- :func:`folded_layers`: what prediction multiplies by;
- :func:`prior_offset`: what prediction adds to the logits for the prior asked for;
- :func:`member_weights`: how much each member counts in the model's probability;
- :func:`hidden_outputs`: the eval-mode output of each hidden layer;
- :func:`network` and :func:`loss_and_gradients`: the fitted weights, and the
  training-mode loss and gradients of any weights under the model's
  hyperparameters (the NumPy engine's arithmetic).
"""

from sklearn.utils.validation import check_is_fitted

from ._network import ACTIVATIONS, forward_folded
from .engines._numpy import loss_and_gradients as _engine_loss_and_gradients

__all__ = [
    "folded_layers",
    "hidden_outputs",
    "loss_and_gradients",
    "member_weights",
    "network",
    "prior_offset",
]


def folded_layers(model):
    """``[(coef, intercept), ...]`` with BN folded into the linear layers, the
    output layer last; a leading member axis for an ensemble."""
    check_is_fitted(model)
    return model._folded_layers()


def prior_offset(model):
    """The per-class offset added to the logits for the prior the
    probabilities are asked for (``prior``, or ``logit_adjustment``), shape
    ``(n_classes,)``; None for the probabilities as trained."""
    check_is_fitted(model)
    return model._prior_offset()


def member_weights(model):
    """Each member's weight in the model's probability, ``(n_members,)``
    summing to 1; None where the members count equally (their mean)."""
    check_is_fitted(model)
    return model._weights()


def hidden_outputs(model, X):
    """The eval-mode output of each hidden layer on ``X`` (after its
    activation), as prediction computes it."""
    act = ACTIVATIONS[model.activation].forward
    outputs, a = [], X
    for layer in folded_layers(model)[:-1]:
        # One layer through the forward pass is its affine map; then the activation.
        a = act(forward_folded([layer], a, model.activation))
        outputs.append(a)
    return outputs


def network(model):
    """A copy of the fitted network (:class:`skbn._network.Network`): BN's
    parameters and running statistics unfolded, free to change."""
    check_is_fitted(model)
    return model._get_network()


def loss_and_gradients(model, X, y, net=None, **overrides):
    """Training-mode loss and gradients of ``net`` (the fitted network when
    None) on the rows ``X`` and class codes ``y``, in one batch, under the
    model's hyperparameters; ``overrides`` replace some (e.g. ``dropout=0.0``,
    ``alpha=0.0``). Returns ``(loss, gradients, bn_batch_stats)``."""
    check_is_fitted(model)
    config = model._training_config(**overrides)
    return _engine_loss_and_gradients(
        network(model) if net is None else net, config, X, y, None, None
    )
