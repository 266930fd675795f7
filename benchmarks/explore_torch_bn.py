"""Would the torch engine's first layer gain from BN through its input's covariance? Issue 36.

The NumPy engine computes a first layer's BN without passes over the
layer's output (``skbn._batchnorm.linear_batchnorm_train``): BN of a linear
layer is linear in the centred input, so the output is one product of the
centred input (with a column of ones) and the weights scaled per unit, and
the backward pass gets the weights' gradient from ``xc.T @ dout``. The torch
engine still runs torch's BN kernel over ``z = x @ W``, forward and
backward, through transposed copies of ``(members, rows, units)`` arrays
(``_bn_forward``). At the balanced ensemble's step sizes its step is several
times its matmul floor (``bench_step.py``), which is why ``backend='auto'``
keeps the NumPy engine up to 6 M multiply-adds a step.

This times the first layer of a training step both ways, in torch, one
thread: forward (with the running statistics' update) and backward to the
weights', scales' and shifts' gradients, at ``bench_step.py``'s ensemble
step (its default members, 64 rows, ``(100, 16)``) for several input
widths, and beside it the torch engine's whole step at that size. The two
agree to rounding (checked: the largest difference relative to the largest
value). Nothing of it is in skbn.

    python benchmarks/explore_torch_bn.py [--features 8 16 36 64] [--rounds 9]
        [--json results/step/torch_linear_bn.json]
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import bench_step  # noqa: E402
from _harness import interleaved, write_json  # noqa: E402

from skbn.engines._torch import _bn_backward, _bn_forward  # noqa: E402

MOMENTUM, EPS = 0.1, 1e-5


def kernel_layer(x, coef, gamma, beta, running_mean, running_var, dout):
    """The engine's way: ``z = x @ coef``, torch's BN kernel forward and
    backward, then the weights' gradient from BN's input gradient."""
    z = x @ coef
    out, saved = _bn_forward(z, gamma, beta, running_mean, running_var, True, MOMENTUM, EPS)
    dz, dgamma, dbeta = _bn_backward(dout, saved, gamma, running_mean, running_var, True, EPS)
    return out, x.transpose(-1, -2) @ dz, dgamma, dbeta


def linear_layer(x, coef, gamma, beta, running_mean, running_var, dout):
    """The same through the input's covariance, as the NumPy engine does it."""
    m, fan_in = x.shape[-2:]
    x_mean = x.sum(-2, keepdim=True) / m
    centred = torch.cat([x - x_mean, torch.ones_like(x[..., :1])], dim=-1)
    xc = centred[..., :fan_in]
    cov_coef = (xc.transpose(-1, -2) @ xc) @ coef
    cov_coef /= m
    var = (coef * cov_coef).sum(-2).clamp_min_(0.0)
    mean = (x_mean @ coef).squeeze(-2)
    running_mean.mul_(1 - MOMENTUM).add_(mean, alpha=MOMENTUM)
    running_var.mul_(1 - MOMENTUM).add_(var, alpha=MOMENTUM * m / (m - 1))
    inv_std = (var + EPS).rsqrt()
    scale = gamma * inv_std
    scaled = torch.cat([coef * scale.unsqueeze(-2), beta.unsqueeze(-2)], dim=-2)
    out = centred @ scaled
    both = centred.transpose(-1, -2) @ dout
    grad, dbeta = both[..., :fan_in, :], both[..., fan_in, :]
    dgamma = (coef * grad).sum(-2) * inv_std
    dcoef = grad * scale.unsqueeze(-2)
    dcoef -= cov_coef * (scale * inv_std * dgamma).unsqueeze(-2)
    return out, dcoef, dgamma, dbeta


def layer_inputs(size, features, seed=0):
    """A first layer's tensors at the ensemble step with ``features`` inputs."""
    rng = np.random.default_rng(seed)
    k, m, units = size["members"], size["rows"], size["hidden"][0]

    def tensor(*shape, loc=0.0):
        return torch.from_numpy(rng.normal(loc, 1.0, shape).astype(np.float32))

    x = tensor(k, m, features, loc=0.5)
    coef = tensor(k, features, units) / np.sqrt(features)
    gamma, beta = tensor(k, units) * 0.1 + 1, tensor(k, units) * 0.1
    return x, coef, gamma, beta, tensor(k, m, units)


def compare(size, features, rounds, number=200):
    x, coef, gamma, beta, dout = layer_inputs(size, features)
    stats = {w: (torch.zeros_like(gamma), torch.ones_like(gamma)) for w in ("kernel", "linear")}
    ways = {"kernel": kernel_layer, "linear": linear_layer}
    results = {w: ways[w](x, coef, gamma, beta, *stats[w], dout) for w in ways}
    worst = max(
        float((a - b).abs().max() / b.abs().max())
        for a, b in zip(results["linear"], results["kernel"])
    )

    def repeat(way):
        fn, running = ways[way], stats[way]
        return lambda: [fn(x, coef, gamma, beta, *running, dout) for _ in range(number)]

    times = interleaved({w: repeat(w) for w in ways}, rounds, per=number)
    setup = bench_step.Setup("torch", dict(size, features=features), epochs=2)
    setup.run()  # warms
    step = interleaved({"step": setup.run}, rounds, per=setup.steps)["step"]
    row = {
        "features": features,
        "kernel_us": 1e6 * min(times["kernel"]),
        "linear_us": 1e6 * min(times["linear"]),
        "step_us": 1e6 * min(step),
        "largest_relative_difference": worst,
    }
    row["saved_share_of_step"] = (row["kernel_us"] - row["linear_us"]) / row["step_us"]
    print(
        f"{features:3d} features: first layer {row['kernel_us']:.0f} -> "
        f"{row['linear_us']:.0f} us, "
        f"torch step {row['step_us']:.0f} us, saves {row['saved_share_of_step']:.0%} of it; "
        f"largest relative difference {worst:.1e}",
        flush=True,
    )
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", nargs="+", type=int, default=[8, 16, 36, 64])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--json", help="write every number to this file")
    args = parser.parse_args(argv)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        size = bench_step.ENSEMBLE_STEP
        rows = [compare(size, f, args.rounds) for f in args.features]
    finally:
        torch.set_num_threads(before)
    if args.json:
        write_json(args.json, {"size": size, "rows": rows})
    return rows


if __name__ == "__main__":
    main()
