"""Complex step against backpropagation (4.4.2)
============================================

How close the complex-step gradient comes to backpropagation (and the central difference).

Builds the book's TwoLayerNet (784-5-10, so that it runs in seconds) and
``--models`` random stacks of Affine and Sigmoid layers, all with
``SoftmaxWithLoss(delta=0.0)`` (the loss that backpropagation differentiates),
and prints the largest difference of :class:`tinynn.ComplexStep` and of
:class:`tinynn.NumericalDiff` from :class:`tinynn.Backprop`, as
:func:`tinynn.gradient_check` measures it.

Run ``python examples/complex_step_check.py`` (100 random stacks, about ten seconds); with
``--out FILE`` it also draws the largest difference of each model as a figure. This page
ran ``python examples/complex_step_check.py --models 10 --out complex_step_check.png``:
10 random stacks.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from tinynn import (
    Affine,
    Backprop,
    ComplexStep,
    GradientEstimator,
    NumericalDiff,
    Sequential,
    Sigmoid,
    SoftmaxWithLoss,
    TwoLayerNet,
    gradient_check,
)
from tinynn.typing import IntArray
from tinynn.utils.notebook import command_line


def random_case(seed: int) -> tuple[Sequential, np.ndarray, IntArray]:
    """A random stack of 1-4 Affine layers (1-5 units) with Sigmoid between, and a batch."""
    rng = np.random.default_rng(seed)
    widths = rng.integers(1, 6, int(rng.integers(2, 6))).tolist()
    std = (0.1, 1.0, 3.0)[seed % 3]
    layers: list[Affine | Sigmoid] = []
    for n_in, n_out in itertools.pairwise(widths):
        layers += [Affine.random(n_in, n_out, rng=rng, weight_init_std=std), Sigmoid()]
    net = Sequential(layers[:-1], SoftmaxWithLoss(delta=0.0))
    x = rng.standard_normal((int(rng.integers(1, 5)), widths[0]))
    return net, x, rng.integers(0, widths[-1], x.shape[0])


def worst(
    net: Sequential, x: np.ndarray, t: IntArray, estimate: GradientEstimator
) -> tuple[float, float, float]:
    """Largest difference from backprop: absolute, per entry (gradient_check's max_rel), and
    relative to the largest gradient entry of each parameter."""
    diff = gradient_check(net, x, t, estimate=estimate, reference=Backprop())
    a, b = estimate.gradient(net, x, t), net.gradient(x, t)
    scaled = max(float(np.max(np.abs(a[k] - b[k])) / max(np.max(np.abs(b[k])), 1e-300)) for k in b)
    return (max(d.max_abs for d in diff.values()), max(d.max_rel for d in diff.values()), scaled)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--models", type=int, default=100, help="random stacks (100)")
    parser.add_argument("--out", default=None, help="draw the differences into this PNG file")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    net = TwoLayerNet(784, 5, 10, rng=0)
    net.loss_layer = SoftmaxWithLoss(delta=0.0)
    x, t = rng.random((3, 784)), rng.integers(0, 10, 3)
    for name, estimator in (("complex step", ComplexStep()), ("central difference",
                                                               NumericalDiff())):  # fmt: skip
        a, r, sc = worst(net, x, t, estimator)
        print(f"TwoLayerNet 784-5-10, {name}: max abs diff {a:.2e}, max rel diff {r:.2e}, "
              f"relative to the largest entry {sc:.2e}")  # fmt: skip
    found = {"complex step": [0.0, 0.0, 0.0], "central difference": [0.0, 0.0, 0.0]}
    per_model: dict[str, list[float]] = {"complex step": [], "central difference": []}
    for seed in range(args.models):
        case = random_case(seed)
        for name, estimator in (("complex step", ComplexStep()),
                                ("central difference", NumericalDiff())):  # fmt: skip
            result = worst(*case, estimator)
            per_model[name].append(result[2])
            found[name] = [max(u, v) for u, v in zip(found[name], result, strict=True)]
    for name, (a, r, sc) in found.items():
        print(f"{args.models} random Affine/Sigmoid stacks, {name}: max abs diff {a:.2e}, "
              f"max rel diff {r:.2e}, relative to the largest entry {sc:.2e}")  # fmt: skip
    if args.out is not None:
        draw(per_model, args.out)
    return 0


def draw(per_model: dict[str, list[float]], out: str) -> None:
    """Each random model's largest difference from backprop (relative to the largest gradient
    entry), both estimators, on a log scale."""
    try:
        from tinynn.plot.common import figure_class

        Figure = figure_class()  # matplotlib's, shown in a notebook when saved
    except ImportError:
        print('figure skipped: matplotlib is not installed (pip install "tinynn[plot]")')
        return
    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.add_subplot()
    for (name, values), marker in zip(per_model.items(), ("o", "s"), strict=True):
        floor = np.maximum(values, 1e-18)  # an exact 0 shown at the bottom of the axis
        ax.semilogy(np.arange(len(values)), floor, marker=marker, linestyle="none", label=name)
    ax.axhline(np.finfo(np.float64).eps, color="grey", linewidth=0.8, linestyle=":")
    ax.text(0, np.finfo(np.float64).eps * 1.6, "float64 epsilon", color="grey", fontsize=8)
    if min(min(v) for v in per_model.values()) == 0:  # a stack whose gradient is all 0
        ax.text(0, 2e-18, "exactly 0 (drawn at 1e-18)", color="grey", fontsize=8)
    ax.set_xlabel("random Affine/Sigmoid stack (seed)")
    ax.set_ylabel("largest |difference from backprop|\n/ largest |gradient entry|")
    ax.set_title("complex step against the central difference")
    ax.legend(loc="center right")
    fig.savefig(out, dpi=100)
    print(f"figure written to {out}")


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
