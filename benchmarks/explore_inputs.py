"""Members that differ in their inputs: measured before building them.

Issue 35 lets the kinds of members differ "in width, depth or input
encoding, e.g. ``PiecewiseLinearEncoder``", and the forest's edge on the
tables where the network trails it (spambase, splice, phoneme; glass0,
wine-r8v6) comes partly from each tree seeing a random subset of the
features. Before either becomes a kind of member, this script measures it
with the machinery the fit already has: every member of the one network gets
a fixed 0/1 mask over the first layer's input columns (its weights there
start at zero and their gradients are zeroed at every step, so Adam and the
L2 penalty leave them at zero and prediction needs nothing new). The masks
are patched into the NumPy engine here, in this script's processes only;
nothing of it is in skbn.

Variants, each beside the recommended fit itself (``backend='numpy'``, so
every variant trains on the engine the masks are patched into):

- ``subspace 0.75`` / ``subspace 0.5``: every member keeps a random 75 % or
  50 % of the input columns (a random subspace per member, as a forest's
  trees draw features, drawn from the fit's ``random_state``);
- ``subspace 0.5, balanced members``: only the balanced members draw them,
  the fold members see every column;
- ``PLE for fold members``: the input is the smooth-clipped numbers, then
  their piecewise-linear encoding (8 bins a feature, after standard
  scaling), then the one-hot categories; the balanced members see the first
  and last blocks, the fold members all three; the fit weighs the two kinds
  from out-of-bag rows as it does today;
- ``L1 first layer 10, every member`` / ``L1 first layer 30, fold
  members``: masks the fit learns instead of drawing them. After each Adam
  step the first layer's weights are soft-thresholded (a decoupled L1
  penalty, as AdamW decouples L2) by ``lr * strength * rms``, ``rms`` the
  root mean square of the unit's weights in that member: BN after the layer
  makes its output blind to a unit's scale, so the threshold scales with it.
  Weights a member's gradient does not hold up reach zero and stay there, as
  an L1-penalised logistic regression drops columns; splice's 240 one-hot
  columns, of which a few positions carry the signal, are where that should
  pay (a probe on the reports' folds: an L1 logistic regression at C = 0.1
  reached an average precision of 0.79 there, the balanced L2 one at
  scikit-learn's default C = 1 0.60).

Every fit on one thread, two side by side; the real-data benchmark's folds
and seeds, and the forest on the same folds (for the fit-time ratio and the
sets below it).

    python benchmarks/explore_inputs.py --panel development [--variants ...]

Writes ``results/inputs/<panel>.csv`` and ``<panel>.md`` and ``report.md``
(``explore_depth.summary``'s tables). Exploratory: the real-data benchmark's
cache does not see it.
"""

import argparse
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_real_data as bench  # noqa: E402
from explore_depth import (  # noqa: E402
    fit_and_score,
    panel_arguments,
    run_panel,
    summary,
    write_report,
)

BASE = "recommended"
PLE_BINS = 8
# name -> (the share of columns a masked member keeps, which members draw a
# subset: 'all' or 'balanced'); or 'ple' for the encoded fold members.
VARIANTS = {
    BASE: None,
    "subspace 0.75": (0.75, "all"),
    "subspace 0.5": (0.5, "all"),
    "subspace 0.5, balanced members": (0.5, "balanced"),
    "PLE for fold members": "ple",
    "L1 first layer 10, every member": ("l1", 10.0, "all"),
    "L1 first layer 30, fold members": ("l1", 30.0, "fold"),
}


class _Encoded(TransformerMixin, BaseEstimator):
    """The numbers smooth-clipped, then their piecewise-linear encoding; the
    engine's patch reads where the second block starts and ends."""

    def fit(self, X, y=None):
        from sklearn.preprocessing import StandardScaler

        from skbn import PiecewiseLinearEncoder, SmoothClipScaler

        self.clip_ = SmoothClipScaler().fit(X)
        self.scale_ = StandardScaler().fit(X)
        self.encoder_ = PiecewiseLinearEncoder(n_bins=PLE_BINS).fit(self.scale_.transform(X))
        return self

    def transform(self, X):
        clipped = self.clip_.transform(X)
        encoded = self.encoder_.transform(self.scale_.transform(X))
        _state()["encoded"] = (clipped.shape[1], clipped.shape[1] + encoded.shape[1])
        return np.hstack([clipped, encoded])


def _input_mask(state, n_members, n_columns, dtype):
    """Each member's 0/1 mask over the input columns, ``(members, columns, 1)``."""
    variant, n_balanced = state["variant"], state["n_balanced"]
    mask = np.ones((n_members, n_columns, 1), dtype)
    if variant == "ple":
        start, stop = state.get("encoded", (0, 0))  # no numbers: nothing encoded
        mask[:n_balanced, start:stop] = 0
        return mask
    share, who = variant
    drawn = n_members if who == "all" else n_balanced
    rng = np.random.default_rng([state["seed"], zlib.crc32(b"input subspace")])
    keep = max(1, round(share * n_columns))
    for member in range(drawn):
        mask[member] = 0
        mask[member, rng.choice(n_columns, keep, replace=False)] = 1
    return mask


def _state():
    """What the patched engine masks with: set by run_fold before each fit (one
    fit at a time per process) and by _Encoded when it transforms. It lives on
    the patched class, as joblib unpickles this script's functions with fresh
    globals for every task."""
    from skbn.engines import _numpy

    engine = _numpy.NumpyEngine
    if not hasattr(engine, "_input_state"):
        _patch(engine)
        engine._input_state = {}
    return engine._input_state


def _patch(engine):
    """Mask the first layer of every ensemble the NumPy engine trains while a
    variant is set."""
    init, adam_step = engine.__init__, engine._adam_step

    def __init__(self, config, network, *args, **kwargs):
        init(self, config, network, *args, **kwargs)
        self._mask = self._l1 = None
        first = network.coefs[0]
        state = self._input_state
        variant = state.get("variant")
        if isinstance(variant, tuple) and variant[0] == "l1" and first.ndim == 3:
            # Learnt masks: every column open at the start, no drawn mask.
            _, strength, who = variant
            self._l1 = np.full((first.shape[0], 1, 1), strength, first.dtype)
            if who == "fold":
                # The fit's first engine trains the balanced members first; a
                # later one the fold members alone.
                self._l1[: first.shape[0] - (state["n_members"] - state["n_balanced"])] = 0
            state["engines"] = state.get("engines", 0) + 1
            return
        if state.get("variant") is not None and first.ndim == 3:
            # The fit's first engine trains every member; a later one (the
            # fold members trained on alone) its last members, whose masks
            # stay those they started with.
            if "mask" not in state:
                state["mask"] = _input_mask(state, *first.shape[:2], first.dtype)
            self._mask = state["mask"][-first.shape[0] :]
            state["engines"] = state.get("engines", 0) + 1
            first *= self._mask  # a view of the engine's flat parameters

    def _adam_step(self, grads, lr):
        if self._mask is not None:
            grads[0] *= self._mask
        adam_step(self, grads, lr)
        if self._l1 is not None:
            _soft_threshold(self.net.coefs[0], lr * self._l1)

    engine.__init__, engine._adam_step = __init__, _adam_step


def _soft_threshold(coef, strength):
    """Move each weight of ``coef`` (members, inputs, units) towards zero by
    ``strength`` times its unit's root mean square (per member), in place,
    stopping at zero."""
    threshold = strength * np.sqrt(np.mean(coef * coef, axis=-2, keepdims=True))
    np.copyto(coef, np.sign(coef) * np.maximum(np.abs(coef) - threshold, 0))


def run_fold(dataset, repeat, fold, train, test, variants):
    from threadpoolctl import threadpool_limits

    from skbn import BalancedBNMLPClassifier, SmoothClipScaler

    state = _state()
    warnings.simplefilter("ignore")
    seed = 1000 * repeat + fold  # the real-data benchmark's seed of this fold
    record = {"dataset": dataset.name, "repeat": repeat, "fold": fold}
    models = {"forest": (bench._brf(dataset.y[train], seed), None)}
    for name in variants:
        variant = VARIANTS[name]
        model = BalancedBNMLPClassifier(backend="numpy", oob_score=True, random_state=seed)
        numbers = _Encoded() if variant == "ple" else SmoothClipScaler()
        models[name] = (bench.pipeline(model, numbers=numbers), variant)
    with threadpool_limits(limits=1):
        for name, (model, variant) in models.items():
            state.update(variant=variant, seed=seed)
            if name != "forest":
                estimator = model[-1]
                state["n_balanced"] = estimator.n_members
                state["n_members"] = estimator.n_members + estimator.n_fold_members
            fit_and_score(record, name, model, dataset, train, test)
            state.clear()
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--variants",
        nargs="+",
        default=list(VARIANTS),
        choices=list(VARIANTS),
        help=f"the first is the baseline (default: all, {BASE!r} first)",
    )
    panel_arguments(parser, HERE / "results" / "inputs")
    args = parser.parse_args(argv)
    frame = run_panel(args, run_fold, args.variants)
    write_report(
        args,
        summary(frame, args.panel, args.variants, "numpy", label="inputs", choice=False),
        "# Members that differ in their inputs\n\n"
        "`benchmarks/explore_inputs.py` (issue 35): first-layer input masks per member, "
        "patched into the NumPy engine (not in skbn), beside the recommended fit; the "
        "real-data benchmark's folds and seeds, the forest on the same folds; one thread "
        "per fit, two side by side.",
    )
    return frame


if __name__ == "__main__":
    main()
