"""Overfitting, and weight decay (6.4.1-6.4.2, figures 6-20 and 6-21)
==================================================================

A large network trained on few images fits them perfectly and generalises badly;
weight decay narrows the gap.

Mirrors sections 6.4.1 and 6.4.2 of the book and ``ch06/overfit_weight_decay.py``:
the first 300 MNIST training images, a :class:`~tinynn.MultiLayerNet` of six hidden
layers of 100 ReLU units (He initial weights), trained by SGD (learning rate 0.01,
mini-batches of 100) for 201 epochs, once without weight decay (figure 6-20) and
once with ``weight_decay_lambda=0.1`` (figure 6-21): the loss adds
:math:`\\frac{1}{2}\\lambda \\sum W^2` over the weights. As the book does, the train
and test accuracy are recorded at the start of every epoch
(:class:`~tinynn.EpochAccuracy` on the 300 images and the 10,000 test images; the
book's loop stops right after its last record, after 601 iterations) and drawn with
:func:`tinynn.plot.overfitting_figure`. Both runs start from the same weights and see
the same mini-batches.

The book's result: without weight decay the training accuracy reaches 1.0 after
about 100 epochs while the test accuracy stays near 0.7; with it, the training
accuracy stays below 1.0 and the gap narrows.

MNIST is found by :func:`tinynn.datasets.load_mnist` (``--data-dir``,
``$TINYNN_DATA``, the user cache) or downloaded unless ``--no-download``. Run
``python examples/overfit_weight_decay.py --help`` for all options.

This page ran ``python examples/overfit_weight_decay.py --epochs 101 --test-size
2000``: half the book's epochs (the last record after 301 iterations), tested on the
first 2,000 test images. Without weight decay the training accuracy ends near 0.99 and
the test accuracy near 0.67 (a gap of about 0.32); with it, near 0.86 and 0.62 (a gap
of about 0.24).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from tinynn import SGD, EpochAccuracy, History, MultiLayerNet, Trainer
from tinynn.utils.notebook import command_line


def train(
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_test: np.ndarray,
    t_test: np.ndarray,
    *,
    weight_decay_lambda: float,
    epochs: int = 201,
    batch_size: int = 100,
    lr: float = 0.01,
    seed: int = 0,
) -> History:
    """Train the book's six-layer network; the history holds train and test accuracy."""
    net = MultiLayerNet(784, [100] * 6, 10, weight_decay_lambda=weight_decay_lambda, rng=seed)
    accuracy = EpochAccuracy(train=(x_train, t_train), test=(x_test, t_test))
    trainer = Trainer(net, SGD(lr=lr), batch_size=batch_size, callbacks=[accuracy], rng=seed + 1)
    iters_per_epoch = max(len(x_train) // batch_size, 1)
    return trainer.fit(x_train, t_train, iters=(epochs - 1) * iters_per_epoch + 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--epochs", type=int, default=201, help="epochs (accuracy records) (201)")
    p.add_argument("--train-size", type=int, default=300, help="training images (300)")
    p.add_argument("--test-size", type=int, default=None, help="use the first N test images")
    p.add_argument("--weight-decay", type=float, default=0.1, help="lambda of figure 6-21 (0.1)")
    p.add_argument("--print-every", type=int, default=10, help="print every N epochs (10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and batches (0)")
    p.add_argument("--data-dir", default=None, help="folder holding the MNIST files")
    p.add_argument("--no-download", action="store_true", help="never download MNIST")
    p.add_argument("--out", default="overfit_weight_decay.png", help="the figures' file")
    p.add_argument("--no-plot", action="store_true", help="do not draw the figures")
    args = p.parse_args(argv)
    for name in ("epochs", "train_size", "test_size", "print_every"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    if not args.weight_decay >= 0:
        p.error(f"--weight-decay must be >= 0, got {args.weight_decay}")

    from tinynn.datasets import load_mnist

    try:
        (x_train, t_train), (x_test, t_test) = load_mnist(
            normalize=True, root=args.data_dir, download=not args.no_download
        )
    except (OSError, ValueError) as exc:
        print(f"error: could not load MNIST: {exc}", file=sys.stderr)
        return 1
    x_train, t_train = x_train[: args.train_size], t_train[: args.train_size]
    if args.test_size is not None:
        x_test, t_test = x_test[: args.test_size], t_test[: args.test_size]

    start = time.perf_counter()
    runs = {}
    for figure, lam in (("6-20", 0.0), ("6-21", args.weight_decay)):
        print(f"== figure {figure}: weight_decay_lambda = {lam} ==")
        history = train(x_train, t_train, x_test, t_test, weight_decay_lambda=lam,
                        epochs=args.epochs, seed=args.seed)  # fmt: skip
        for epoch, (a, b) in enumerate(zip(history.train_acc_list, history.test_acc_list,
                                           strict=True)):  # fmt: skip
            if epoch % args.print_every == 0 or epoch == args.epochs - 1:
                print(f"epoch:{epoch}, train acc:{a}, test acc:{b}")
        runs[figure, lam] = history
    for (figure, lam), history in runs.items():
        train_acc, test_acc = history.train_acc_list[-1], history.test_acc_list[-1]
        print(f"figure {figure} (lambda {lam}): last train acc {train_acc:.4f}, test acc "
              f"{test_acc:.4f}, gap {train_acc - test_acc:.4f}")  # fmt: skip
    print(f"wall time {time.perf_counter() - start:.1f} s")

    if not args.no_plot:
        try:  # matplotlib is optional: pip install "tinynn[plot]"
            from tinynn.plot import overfitting_figure
            from tinynn.plot.common import figure_class

            Figure = figure_class()  # matplotlib's, shown in a notebook when saved
        except ImportError as exc:
            print(f"figure skipped: {exc}")
            return 0
        fig = Figure(figsize=(11.0, 4.2), layout="constrained")
        for ax, ((figure, lam), history) in zip(fig.subplots(1, 2), runs.items(), strict=True):
            title = f"figure {figure}: weight decay lambda = {lam:g}"
            overfitting_figure(history, title=title, markevery=max(args.epochs // 20, 1), ax=ax)
        fig.savefig(args.out, dpi=100)
        print(f"figures 6-20 and 6-21 written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
