"""Four optimizers training on MNIST (6.1.8, figure 6-9)
=====================================================

SGD, Momentum, AdaGrad and Adam training the same network on MNIST: the book's figure 6-9.

Mirrors section 6.1.8 of the book and ``ch06/optimizer_compare_mnist.py``: a
five-layer network (four hidden layers of 100 ReLU units, He initialisation:
weights with standard deviation ``sqrt(2 / fan_in)``), mini-batches of 128 and
2,000 iterations, each optimizer with its default learning rate (SGD 0.01,
Momentum 0.01, AdaGrad 0.01, Adam 0.001). All four start from the same weights
and see the same mini-batches. It prints the loss every 100 iterations, as the
book does, and the final test accuracy, then draws the smoothed loss curves.

MNIST is found by :func:`tinynn.datasets.load_mnist` (``--data-dir``,
``$TINYNN_DATA``, the user cache) or downloaded unless ``--no-download``. Run
``python examples/optimizer_compare_mnist.py --help`` for all options.

This page ran ``python examples/optimizer_compare_mnist.py --iters 200 --train-size
10000``: 200 iterations (a tenth of the book's) on the first 10,000 training images, the
loss printed at iterations 0 and 100. SGD is already the slowest (test accuracy about
0.81), the three others near 0.91 to 0.93.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time

import numpy as np

from tinynn import SGD, AdaGrad, Adam, Affine, Momentum, Optimizer, Relu, Sequential, Trainer
from tinynn.base import Layer
from tinynn.utils.notebook import command_line


def book_optimizers() -> dict[str, Optimizer]:
    """New instances with the defaults the book compares in figure 6-9."""
    return {"SGD": SGD(), "Momentum": Momentum(), "AdaGrad": AdaGrad(), "Adam": Adam()}


def five_layer_net(seed: int, sizes: tuple[int, ...] = (784, 100, 100, 100, 100, 10)) -> Sequential:
    """The book's ``MultiLayerNet`` with ReLU and He initialisation, from a seed."""
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for n_in, n_out in itertools.pairwise(sizes):
        std = float(np.sqrt(2.0 / n_in))
        layers += [Affine.random(n_in, n_out, rng=rng, weight_init_std=std), Relu()]
    return Sequential(layers[:-1])  # no ReLU after the last Affine: softmax with loss follows


def compare(
    x_train: np.ndarray,
    t_train: np.ndarray,
    *,
    iters: int = 2000,
    batch_size: int = 128,
    seed: int = 0,
    x_test: np.ndarray | None = None,
    t_test: np.ndarray | None = None,
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Train one network per optimizer, same weights and batches; return losses and accuracy."""
    losses: dict[str, list[float]] = {}
    accuracy: dict[str, float] = {}
    for name, optimizer in book_optimizers().items():
        net = five_layer_net(seed)
        history = Trainer(net, optimizer, batch_size=batch_size, rng=seed + 1).fit(
            x_train, t_train, iters=iters
        )
        losses[name] = list(history.train_loss_list)
        if x_test is not None and t_test is not None:
            accuracy[name] = net.accuracy(x_test, t_test)
    return losses, accuracy


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--iters", type=int, default=2000, help="iterations per optimizer (2000)")
    p.add_argument("--batch-size", type=int, default=128, help="mini-batch size (128)")
    p.add_argument("--train-size", type=int, default=None, help="use the first N training images")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and batches (0)")
    p.add_argument("--data-dir", default=None, help="folder holding the MNIST files")
    p.add_argument("--no-download", action="store_true", help="never download MNIST")
    p.add_argument("--out", default="optimizer_compare_mnist.png", help="the figure's file")
    p.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    args = p.parse_args(argv)
    for name in ("iters", "batch_size", "train_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {value}")

    from tinynn.datasets import load_mnist

    try:
        (x_train, t_train), (x_test, t_test) = load_mnist(
            normalize=True, root=args.data_dir, download=not args.no_download
        )
    except (OSError, ValueError) as exc:
        print(f"error: could not load MNIST: {exc}", file=sys.stderr)
        return 1
    if args.train_size is not None:
        x_train, t_train = x_train[: args.train_size], t_train[: args.train_size]

    start = time.perf_counter()
    losses, accuracy = compare(x_train, t_train, iters=args.iters, batch_size=args.batch_size,
                               seed=args.seed, x_test=x_test, t_test=t_test)  # fmt: skip
    for i in range(0, args.iters, 100):
        print(f"===========iteration:{i}===========")
        for name, loss in losses.items():
            print(f"{name}:{loss[i]}")
    for name, acc in accuracy.items():
        mean = np.mean(losses[name][-100:])
        print(f"{name:8s} final test acc {acc:.4f}, mean loss of the last 100 iterations "
              f"{mean:.4f}")  # fmt: skip
    print(f"wall time {time.perf_counter() - start:.1f} s")

    if not args.no_plot:
        try:  # matplotlib is optional: pip install "tinynn[plot]"
            from tinynn.plot import optimizer_loss_figure

            fig = optimizer_loss_figure(losses, smooth=args.iters >= 11)
        except ImportError as exc:
            print(f"figure skipped: {exc}")
        else:
            fig.set_size_inches(7.0, 4.5)
            fig.savefig(args.out, dpi=100)
            print(f"figure 6-9 written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
