"""Training with SPSA gradient estimates (4.4.2, 4.5.2)
====================================================

Train a two-layer network on MNIST with the SPSA gradient estimate instead of backpropagation.

SPSA (:class:`tinynn.SPSA`) evaluates the loss twice per direction, however
many weights the network has, and never calls ``backward``: the gradient it
returns is a noisy, unbiased estimate. This script shows that this is enough
for the loss to go down: it prints the loss on the training subset (and the
test accuracy) before and after ``--iters`` SGD steps.

The noise grows with the number of parameters (variance about n / k times the
squared gradient), so the defaults use a small network (784-10-10, 7,960
parameters) on the first 1,000 training images; a larger network needs a
smaller ``--lr`` or a larger ``--k``.

Run ``python examples/train_spsa.py`` (500 steps, about a second), or see ``--help``;
with ``--out FILE`` it also draws the mini-batch loss of every step (as figure 4-11).
This page ran ``python examples/train_spsa.py --iters 200 --out train_spsa.png``: 200
steps, in which the training loss goes from 2.30 to about 2.21 and the test accuracy
from about 0.12 to 0.20.
MNIST is found as by :func:`tinynn.datasets.load_mnist` (``$TINYNN_DATA``, the
user cache), never downloaded here.
"""

from __future__ import annotations

import argparse
import sys

from tinynn import SGD, SPSA, Trainer, TwoLayerNet
from tinynn.utils.notebook import command_line


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--train-size", type=int, default=1000, help="training images used (1000)")
    p.add_argument("--hidden", type=int, default=10, help="hidden units (10)")
    p.add_argument("--iters", type=int, default=500, help="SGD steps (500)")
    p.add_argument("--lr", type=float, default=0.05, help="SGD learning rate (0.05)")
    p.add_argument("--k", type=int, default=1, help="SPSA directions per step (1)")
    p.add_argument("--c", type=float, default=1e-4, help="SPSA perturbation size (1e-4)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights, directions, batches (0)")
    p.add_argument("--out", default=None, help="draw the loss of every step into this PNG file")
    args = p.parse_args(argv)

    from tinynn.datasets import load_mnist

    try:
        (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, download=False)
    except (OSError, ValueError) as exc:
        print(f"could not load MNIST: {exc}", file=sys.stderr)
        return 1
    x, t = x_train[: args.train_size], t_train[: args.train_size]
    net = TwoLayerNet(784, args.hidden, 10, rng=args.seed)
    spsa = SPSA(c=args.c, k=args.k, rng=args.seed + 1)
    n_params = sum(w.size for w in net.params.values())
    print(
        f"TwoLayerNet 784-{args.hidden}-10 ({n_params} parameters), {len(x)} training images, "
        f"SPSA(c={args.c:g}, k={args.k}), SGD(lr={args.lr:g}), {args.iters} steps of 100"
    )
    before, acc_before = net.loss(x, t), net.accuracy(x_test, t_test)
    history = Trainer(net, SGD(lr=args.lr), spsa, batch_size=100, rng=args.seed + 2).fit(
        x, t, iters=args.iters
    )
    after, acc_after = net.loss(x, t), net.accuracy(x_test, t_test)
    print(f"training loss before {before:.4f}, after {after:.4f}")
    print(f"test accuracy before {acc_before:.4f}, after {acc_after:.4f}")
    print(f"loss evaluations for gradients: {2 * args.k * args.iters} (backprop: none; "
          f"central differences: {2 * n_params * args.iters})")  # fmt: skip
    if args.out is not None:
        try:
            from tinynn.plot import loss_curve_figure, smooth_curve
        except ImportError:
            print('figure skipped: matplotlib is not installed (pip install "tinynn[plot]")')
            return 0
        fig = loss_curve_figure(history)
        ax = fig.axes[0]
        ax.lines[0].set_label("mini-batch loss")
        ax.plot(smooth_curve(history.train_loss_list), linewidth=2, label="smoothed")
        ax.set_title(f"SGD with SPSA gradients (k={args.k}): the loss goes down")
        ax.legend()
        fig.set_size_inches(7, 3.6)
        fig.savefig(args.out, dpi=100)
        print(f"figure written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
