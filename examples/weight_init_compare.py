"""Initial weights compared on MNIST (6.2.4, figure 6-15)
======================================================

The same five-layer ReLU network trained from three initial weights: a standard
deviation of 0.01, Xavier's and He's.

Mirrors section 6.2.4 of the book and ``ch06/weight_init_compare.py``: a
:class:`~tinynn.MultiLayerNet` of four hidden layers of 100 ReLU units
(784-100-100-100-100-10), trained by SGD with learning rate 0.01 on mini-batches
of 128 for 2,000 iterations, with ``weight_init_std`` 0.01, ``'sigmoid'`` (Xavier,
:math:`\\sqrt{1/n}`) and ``'relu'`` (He, :math:`\\sqrt{2/n}`). The three start from the
same random numbers (scaled differently) and see the same mini-batches (one seed for
the three :class:`~tinynn.Trainer`). It prints the loss every 100 iterations, as the
book does, then the mean loss of the last 100 and the test accuracy of each, and draws
the smoothed loss curves (:func:`tinynn.plot.weight_init_loss_figure`).

The book's result: with 0.01 the network does not learn at all (the activations of
the deep layers are almost 0, figure 6-14, so the gradients are too); with Xavier
and He it learns, He faster.

MNIST is found by :func:`tinynn.datasets.load_mnist` (``--data-dir``,
``$TINYNN_DATA``, the user cache) or downloaded unless ``--no-download``. Run
``python examples/weight_init_compare.py --help`` for all options.

This page ran ``python examples/weight_init_compare.py --iters 500 --train-size 10000``:
500 iterations (a quarter of the book's) on the first 10,000 training images, the loss
printed at iterations 0 to 400. The book's result shows already: with 0.01 the loss
stays at 2.30 (test accuracy about 0.11), with Xavier it falls to about 1.0 (0.77), with
He to about 0.37 (0.88).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from tinynn import SGD, MultiLayerNet, Trainer
from tinynn.utils.notebook import command_line

#: The book's three initial weights, by the name its figure gives them.
WEIGHT_INIT_TYPES: dict[str, float | str] = {"std=0.01": 0.01, "Xavier": "sigmoid", "He": "relu"}


def compare(
    x_train: np.ndarray,
    t_train: np.ndarray,
    *,
    iters: int = 2000,
    batch_size: int = 128,
    lr: float = 0.01,
    seed: int = 0,
) -> tuple[dict[str, list[float]], dict[str, MultiLayerNet]]:
    """Train one network per initial weight on the same batches; return losses and networks."""
    losses: dict[str, list[float]] = {}
    networks: dict[str, MultiLayerNet] = {}
    for name, init in WEIGHT_INIT_TYPES.items():
        net = MultiLayerNet(784, [100, 100, 100, 100], 10, weight_init_std=init, rng=seed)
        trainer = Trainer(net, SGD(lr=lr), batch_size=batch_size, rng=seed + 1)
        losses[name] = list(trainer.fit(x_train, t_train, iters=iters).train_loss_list)
        networks[name] = net
    return losses, networks


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--iters", type=int, default=2000, help="iterations per network (2000)")
    p.add_argument("--batch-size", type=int, default=128, help="mini-batch size (128)")
    p.add_argument("--train-size", type=int, default=None, help="use the first N training images")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and batches (0)")
    p.add_argument("--data-dir", default=None, help="folder holding the MNIST files")
    p.add_argument("--no-download", action="store_true", help="never download MNIST")
    p.add_argument("--out", default="weight_init_compare.png", help="the figure's file")
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
    losses, networks = compare(x_train, t_train, iters=args.iters, batch_size=args.batch_size,
                               seed=args.seed)  # fmt: skip
    for i in range(0, args.iters, 100):
        print(f"===========iteration:{i}===========")
        for name, loss in losses.items():
            print(f"{name}:{loss[i]}")
    for name, net in networks.items():
        mean = np.mean(losses[name][-100:])
        print(f"{name:8s} mean loss of the last 100 iterations {mean:.4f}, "
              f"test acc {net.accuracy(x_test, t_test):.4f}")  # fmt: skip
    print(f"wall time {time.perf_counter() - start:.1f} s")

    if not args.no_plot:
        try:  # matplotlib is optional: pip install "tinynn[plot]"
            from tinynn.plot import weight_init_loss_figure

            fig = weight_init_loss_figure(losses, smooth=args.iters >= 11)
        except ImportError as exc:
            print(f"figure skipped: {exc}")
        else:
            fig.set_size_inches(7.0, 4.5)
            fig.savefig(args.out, dpi=100)
            print(f"figure 6-15 written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
