"""The documentation of the parameters both estimators share, written once.

Each estimator's docstring holds a line ``%(name)s`` where a shared parameter
goes (imbalanced-learn fills its balanced ensembles' docstrings the same way);
:func:`fill` puts the text in at that line's indentation.
"""

import textwrap

PARAMETERS = {
    "hidden_layer_sizes": """\
hidden_layer_sizes : int or sequence of int, default=(100,)
    Width of each hidden layer (of each member, in an ensemble). At least
    one layer, every width positive.""",
    "activation": """\
activation : {'relu', 'tanh', 'logistic', 'identity'}, default='relu'
    Activation of the hidden layers.""",
    "batch_norm": """\
batch_norm : bool, default=True
    Whether each hidden layer is batch-normalised before its activation.
    The conventions are PyTorch's ``BatchNorm1d``: training batches are
    normalised with their mean and *biased* variance; running estimates
    of the mean and the *unbiased* variance are kept with
    ``running = (1 - bn_momentum) * running + bn_momentum * batch`` and
    used at predict time, where BN is folded into the linear layer. With
    BN the bias of the linear layer before it is redundant and fixed at 0.""",
    "bn_momentum": """\
bn_momentum : float in [0, 1], default=0.1
    Weight of the current batch in the running statistics (PyTorch's
    convention; Keras' ``momentum=0.99`` is ``0.01`` here).""",
    "bn_eps": """\
bn_eps : float > 0, default=1e-5
    Added to the variance before taking its square root.""",
    "dropout": """\
dropout : float in [0, 1), default=0.0
    Probability of zeroing a hidden unit after its activation during
    training (inverted dropout: kept units are scaled by ``1 / (1 - p)``).
    The masks are planned in NumPy from ``random_state``, per member in an
    ensemble.""",
    "label_smoothing": """\
label_smoothing : float in [0, 1), default=0.0
    The training target of each row is ``(1 - label_smoothing)`` on its
    class plus ``label_smoothing / n_classes`` on every class (Szegedy et
    al. 2016; the convention of ``torch.nn.CrossEntropyLoss``), which
    keeps the logits from growing without bound on separable rows. The
    loss and ``loss_curve_`` are the cross-entropy with the smoothed
    target; the loss that early stopping watches is the plain one.""",
    "alpha": """\
alpha : float >= 0, default=1e-4
    Strength of the L2 penalty on the weights (not on intercepts or BN
    parameters). Each batch loss is
    ``(sum_i w_i * CE_i + alpha / 2 * sum ||W||^2) / batch_rows``, as in
    scikit-learn's MLPs.""",
    "weight_decay": """\
weight_decay : float >= 0, default=0.0
    Decoupled weight decay (AdamW, Loshchilov & Hutter 2019): before each
    Adam step the weight matrices (not intercepts or BN parameters) are
    multiplied by ``1 - lr * weight_decay``, ``lr`` the step's learning
    rate, as ``torch.optim.AdamW`` does. Unlike ``alpha``, whose L2
    gradient Adam rescales per weight, it shrinks every weight at the
    same relative rate.""",
    "lr_schedule": """\
lr_schedule : {'constant', 'cosine'}, default='constant'
    How the step size changes during a fit. ``'cosine'`` anneals it from
    ``learning_rate_init`` to 0 over ``max_iter`` epochs, batch by batch,
    along ``(1 + cos(pi * s)) / 2`` with ``s`` the fraction of the
    ``max_iter`` epochs done (Loshchilov & Hutter 2017, no restarts); each
    ``fit`` call (``warm_start`` included) starts it afresh, while
    :meth:`partial_fit` calls count epochs from the first call (so after
    ``max_iter`` calls it stays at 0). The stopping rule (``tol``,
    ``n_iter_no_change``) may end training before the schedule does.""",
    "random_state": """\
random_state : int, RandomState instance or None, default=None
    Decides everything random, planned once in NumPy: the initial
    weights, the row order of each epoch, the dropout masks, and the
    early-stopping split or the members' subsets. With an int, two fits on
    the CPU give bitwise-identical results (the torch engine's with a
    fixed ``n_threads``); on a GPU, sparse input's gradient sums use
    atomic adds whose order varies, so they agree to rounding only.""",
    "tol": """\
tol : float >= 0, default=1e-4
    Training stops when what it watches (the training loss; with
    ``early_stopping``, the held-out rows' score or loss) has not improved
    by at least ``tol`` for
    ``n_iter_no_change`` consecutive epochs.""",
    "verbose": """\
verbose : int, default=0
    Print the loss of each epoch when positive.""",
    "warm_start": """\
warm_start : bool, default=False
    Continue from the previous fit's weights and BN state (the optimiser
    starts afresh, as in scikit-learn's MLPs).""",
    "beta_1_and_beta_2": """\
beta_1, beta_2 : float in [0, 1), default=0.9, 0.999
    Adam's decay rates for the first and second moment estimates.""",
    "epsilon": """\
epsilon : float > 0, default=1e-8
    Adam's numerical-stability term (added to the bias-corrected
    square root of the second moment, as in ``torch.optim.Adam``).""",
    "n_iter_no_change": """\
n_iter_no_change : int >= 1 or np.inf, default=10
    Epochs without improvement tolerated before stopping; ``np.inf``
    never stops early (training runs ``max_iter`` epochs).""",
    "backend": """\
backend : {'auto', 'numpy', 'torch'}, default='auto'
    The engine that does the arithmetic of training. ``'auto'`` picks,
    for each fit, the one that is faster for that work: torch on an
    accelerator ``device``; on the CPU, NumPy for small steps (below six
    million multiply-adds per batch, where its step is as fast or faster
    and it saves importing torch) and torch, when installed, above. The
    engine used is ``backend_`` after fit, its CPU threads ``n_threads_``
    (see ``n_threads``; the rule and its measurements are on the engines
    page of the user guide).
    Both walk the same planned path, so the choice changes speed, not
    results (beyond floating-point rounding). Prediction always runs in
    NumPy.""",
    "device": """\
device : str or torch.device, default='cpu'
    Where the torch engine trains (``'cpu'``, ``'cuda'``, ``'cuda:1'``,
    ...). An unavailable device is a ``ValueError``; a device other than
    the CPU with the NumPy engine too. The fitted state always comes back
    to NumPy arrays.""",
    "n_threads": """\
n_threads : int >= 1 or None, default=None
    CPU threads of a fit's arithmetic, on either engine. ``None`` chooses
    them per fit: one, or one per million multiply-adds of a training
    step, at most the threads the process may use (its CPU affinity,
    ``OMP_NUM_THREADS``, joblib's and threadpoolctl's limits, a
    ``torch.set_num_threads`` of the user's) and at most the cores that
    are idle when the fit starts, because threads that compete with
    other busy processes for the cores slow a fit down many times over.
    An int uses that many (at most the process's cores) whatever the
    load. The torch engine's sums depend on its thread count in the
    last bits, so for results that are the same bit for bit on every
    run of the torch engine, whatever else the machine does, give an
    int (the NumPy engine's results do not depend on it). The caller's
    thread settings are restored after the fit.""",
}
# The attributes both estimators open their list with.
PARAMETERS["input_attributes"] = """\
classes_ : ndarray of shape (n_classes,)
    Class labels.

n_features_in_ : int
    Number of features seen during fit.

feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of the features seen during fit, when ``X`` has string column
    names."""
# Adam's and the engine's parameters, which both estimators list last, in this order.
PARAMETERS["adam_and_engine"] = "\n\n".join(
    PARAMETERS[name]
    for name in (
        "beta_1_and_beta_2",
        "epsilon",
        "n_iter_no_change",
        "backend",
        "n_threads",
        "device",
    )
)


def fill(cls):
    """Class decorator: the shared parameters' text in place of their markers."""
    lines = []
    for line in cls.__doc__.splitlines():
        name = line.strip()
        if name.startswith("%(") and name.endswith(")s"):
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(textwrap.indent(PARAMETERS[name[2:-2]], indent))
        else:
            lines.append(line)
    cls.__doc__ = "\n".join(lines)
    return cls
