"""The MLP's fitted state and its inference (eval-mode) forward pass, in NumPy.

Prediction never needs torch: a fitted model is plain arrays and this module.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from ._batchnorm import fold_batchnorm
from ._reductions import max_last, sum_last
from ._sparse import input_product

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Network",
    "combine_members",
    "fold_network",
    "forward_folded",
    "log_softmax_",
    "member_mean",
    "predict_logits",
    "softmax_",
]


@dataclass(frozen=True)
class Activation:
    """One hidden activation, everything each part of the package needs to
    know of it: NumPy's in-place forward pass and derivative (here), torch's
    kernels (the torch engine), ONNX's operator and the initialisation's gain."""

    forward: object  # NumPy, in place: callers pass arrays they own
    # f'(z) written with the output h = f(z) (NumPy arrays and torch tensors
    # alike); None for the identity.
    derivative: object
    torch_forward: str | None  # torch's in-place function; None: the identity
    # An aten backward kernel, called (dh, h, *args); None: the identity.
    torch_backward: tuple | None
    onnx: str
    glorot_factor: float = 6.0  # scikit-learn's Glorot-uniform gain
    label: str = ""  # its name in the demonstration's tables and plots
    # For a piecewise-linear activation, its slope as a function of z (NumPy,
    # written into ``out``): the forward pass is then ``z * slope`` and the
    # backward ``dh * slope``, one product each with the slope kept between
    # them, where recomputing ``h > 0`` and casting it took three times as long.
    slope: object = None


ACTIVATIONS = {
    "identity": Activation(lambda z: z, None, None, None, "Identity", label="identity"),
    "logistic": Activation(
        lambda z: expit(z, out=z),
        lambda h: h * (1 - h),
        "sigmoid_",
        ("sigmoid_backward",),
        "Sigmoid",
        glorot_factor=2.0,
        label="sigmoid",
    ),
    "relu": Activation(
        # A product with the mask: np.maximum takes 1.5x as long (NumPy 2.4).
        lambda z: np.multiply(z, z > 0, out=z),
        lambda h: h > 0,
        "relu_",
        ("threshold_backward", 0),
        "Relu",
        label="ReLU",
        slope=lambda z, out: np.greater(z, 0, out=out),
    ),
    "tanh": Activation(
        lambda z: np.tanh(z, out=z),
        lambda h: 1 - h * h,
        "tanh_",
        ("tanh_backward",),
        "Tanh",
        label="tanh",
    ),
}


@dataclass
class Network:
    """Parameters and BN state of an MLP, as plain NumPy arrays.

    ``coefs[i]`` has shape ``(fan_in, fan_out)`` as in scikit-learn's MLPs. The
    BN lists have one entry per hidden layer, or are empty without BN. With BN
    the hidden layers' intercepts are fixed at zero: BN subtracts the batch
    mean, so a bias there has no effect and no gradient (it is what
    ``nn.Linear(bias=False)`` before ``nn.BatchNorm1d`` does in PyTorch).

    An ensemble of ``k`` members trained as one network (``ensemble_size``)
    has a leading member axis on every array: ``coefs[i]`` of shape
    ``(k, fan_in, fan_out)``, the others ``(k, width)``.
    """

    coefs: list
    intercepts: list
    bn_scales: list = field(default_factory=list)
    bn_shifts: list = field(default_factory=list)
    bn_running_means: list = field(default_factory=list)
    bn_running_vars: list = field(default_factory=list)

    @property
    def batch_norm(self):
        return bool(self.bn_scales)

    @property
    def n_members(self):
        return self.coefs[0].shape[0] if self.coefs[0].ndim == 3 else 1

    def trainable(self):
        """The arrays the optimiser updates, in a fixed order."""
        params = list(self.coefs)
        # Intercepts of BN layers are redundant (see class docstring).
        first = len(self.coefs) - 1 if self.batch_norm else 0
        params += self.intercepts[first:]
        params += self.bn_scales + self.bn_shifts
        return params

    def copy(self):
        return Network(*[[a.copy() for a in arrays] for arrays in self._lists()])

    def members(self, which):
        """The ensemble's members ``which`` (a slice), as a network of copies."""
        return Network(*[[a[which].copy() for a in arrays] for arrays in self._lists()])

    def set_members(self, which, other):
        """Write ``other``'s arrays into members ``which``, in place."""
        for arrays, others in zip(self._lists(), other._lists()):
            for a, b in zip(arrays, others):
                a[which] = b

    def _lists(self):
        return (
            self.coefs,
            self.intercepts,
            self.bn_scales,
            self.bn_shifts,
            self.bn_running_means,
            self.bn_running_vars,
        )


def fold_network(net, eps):
    """The eval-mode network as plain affine layers ``[(W, b), ...]``, BN folded in."""
    layers = []
    for i in range(len(net.coefs)):
        coef, intercept = net.coefs[i], net.intercepts[i]
        if net.batch_norm and i < len(net.coefs) - 1:
            coef, intercept = fold_batchnorm(
                coef,
                intercept,
                net.bn_scales[i],
                net.bn_shifts[i],
                net.bn_running_means[i],
                net.bn_running_vars[i],
                eps,
            )
        layers.append((coef, intercept))
    return layers


# Rows per block in forward_folded: a block's activations stay in the CPU
# cache between layers (1.7x faster than whole-array passes at 100k rows).
_BLOCK_ROWS = 4096


def forward_folded(layers, X, activation):
    """Logits of ``fold_network``'s layers: one matmul and one add per layer,
    in blocks of rows. Shape ``(n, classes)``, or ``(k, n, classes)`` for an
    ensemble (one batched matmul per layer over the members)."""
    n = X.shape[0]
    if n <= _BLOCK_ROWS:
        return _forward_block(layers, X, activation)
    last = layers[-1][0]
    shape = (*last.shape[:-2], n, last.shape[-1])
    out = np.empty(shape, dtype=np.result_type(X.dtype, last))
    for start in range(0, n, _BLOCK_ROWS):
        stop = start + _BLOCK_ROWS
        out[..., start:stop, :] = _forward_block(layers, X[start:stop], activation)
    return out


def _forward_block(layers, X, activation):
    act = ACTIVATIONS[activation].forward
    a = X
    for i, (coef, intercept) in enumerate(layers[:-1]):
        a = input_product(a, coef) if i == 0 else a @ coef  # X may be sparse
        a += intercept[..., None, :]
        a = act(a)
    coef, intercept = layers[-1]
    a = a @ coef
    a += intercept[..., None, :]
    return a


def member_mean(values, weights):
    """``sum_j weights[j] * values[j]`` over the leading member axis, in
    ``values``' dtype.

    Member by member, so that every entry gets the same operations: a BLAS
    product over the members (``np.tensordot``) rounds an entry by where it
    falls in the kernel's blocks, and a row's probabilities then changed with
    its position in X on some CPUs (scikit-learn's
    ``check_methods_sample_order_invariance``).
    """
    w = weights.astype(values.dtype)
    mean = values[0] * w[0]
    scratch = np.empty_like(mean)
    for j in range(1, len(w)):
        mean += np.multiply(values[j], w[j], out=scratch)
    return mean


def combine_members(logits, weights=None):
    """An ensemble's output from its members' logits ``(k, n, classes)``: the
    log of the members' mean probability (weighted by ``weights``, which sum
    to 1), which a softmax maps back to that mean. Plain logits ``(n,
    classes)`` pass through."""
    if logits.ndim == 2:
        return logits
    logp = log_softmax_(logits)
    top = logp.max(axis=0)
    p = np.exp(logp - top)
    mean = p.mean(axis=0) if weights is None else member_mean(p, weights)
    with np.errstate(divide="ignore"):  # a row only zero-weight members predict
        return top + np.log(mean)


def predict_logits(net, X, activation, eps):
    """Logits of the network in eval mode, BN folded into the linear layers;
    for an ensemble, the log of the members' mean probability."""
    return combine_members(forward_folded(fold_network(net, eps), X, activation))


# Row-wise (log-)softmax in place: SciPy's array-API wrappers cost more than
# the maths for a training batch or a single row.


def log_softmax_(z):
    """Row-wise log-softmax of ``z`` (over the last axis), in place."""
    z -= max_last(z)[..., None]
    z -= np.log(sum_last(np.exp(z)))[..., None]
    return z


def softmax_(z):
    """Row-wise softmax of ``z`` (over the last axis), in place.

    For two classes it is the logistic of the logit difference: reductions
    along a 2-wide axis cost more than the whole rest of a large predict.
    """
    if z.shape[-1] == 2:
        d = z[..., 1] - z[..., 0]
        expit(d, out=z[..., 1])
        np.negative(d, out=d)
        expit(d, out=z[..., 0])  # not 1 - p: tiny probabilities keep their precision
        return z
    z -= max_last(z)[..., None]
    np.exp(z, out=z)
    z /= sum_last(z)[..., None]
    return z
