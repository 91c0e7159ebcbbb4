"""Overfitting, and Dropout (6.4.3, figures 6-22 and 6-23)
=======================================================

The overfitting network of section 6.4.1, trained without and with Dropout.

Mirrors section 6.4.3 of the book and ``ch06/overfit_dropout.py``: the first 300
MNIST training images, a :class:`~tinynn.MultiLayerNetExtend` of six hidden layers of
100 ReLU units (He initial weights), trained by SGD (learning rate 0.01, mini-batches
of 100) for 301 epochs of 3 iterations, as the book's ``Trainer`` runs it, once
without Dropout (figure 6-22) and once with ``use_dropout=True, dropout_ratio=0.2``
(figure 6-23; the book spells the argument ``dropout_ration``, which is accepted too).
The train and test accuracy are recorded at the start of every epoch
(:class:`~tinynn.EpochAccuracy`) and drawn with :func:`tinynn.plot.overfitting_figure`;
the accuracy of the trained network (after the last of the 903 iterations) is printed
as the book's "Final Test Accuracy". Both runs start from the same weights and see the
same mini-batches; the dropout masks come from generators spawned from the same seed.

Dropout trains within :meth:`~tinynn.Sequential.training` (the gradient) and evaluates
everywhere else, so the recorded accuracies are of the whole network, every unit kept
and scaled by ``1 - dropout_ratio``, as the book's ``train_flg=False``.

The book's result: without Dropout the training accuracy reaches 1.0 and the test
accuracy stays far below; with Dropout the two stay closer (both lower after 301
epochs: Dropout also slows the learning).

MNIST is found by :func:`tinynn.datasets.load_mnist` (``--data-dir``,
``$TINYNN_DATA``, the user cache) or downloaded unless ``--no-download``. Run
``python examples/overfit_dropout.py --help`` for all options.

This page ran ``python examples/overfit_dropout.py --epochs 101 --test-size 2000``: a
third of the book's epochs (303 iterations), tested on the first 2,000 test images.
Without Dropout the training accuracy ends near 0.99 and the test accuracy near 0.67;
with it both are still low, near 0.32 and 0.28 (a gap of about 0.04): in so few
epochs, Dropout's slower learning shows more than its narrower gap.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from tinynn import SGD, EpochAccuracy, History, MultiLayerNetExtend, Trainer
from tinynn.utils.notebook import command_line


def train(
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_test: np.ndarray,
    t_test: np.ndarray,
    *,
    use_dropout: bool,
    dropout_ratio: float = 0.2,
    epochs: int = 301,
    batch_size: int = 100,
    lr: float = 0.01,
    seed: int = 0,
) -> tuple[History, MultiLayerNetExtend]:
    """Train the book's six-layer network for ``epochs`` epochs (the book's Trainer)."""
    net = MultiLayerNetExtend(784, [100] * 6, 10, use_dropout=use_dropout,
                              dropout_ratio=dropout_ratio, rng=seed)  # fmt: skip
    accuracy = EpochAccuracy(train=(x_train, t_train), test=(x_test, t_test))
    trainer = Trainer(net, SGD(lr=lr), batch_size=batch_size, callbacks=[accuracy], rng=seed + 1)
    return trainer.fit(x_train, t_train, epochs=epochs), net


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--epochs", type=int, default=301, help="epochs (301)")
    p.add_argument("--train-size", type=int, default=300, help="training images (300)")
    p.add_argument("--test-size", type=int, default=None, help="use the first N test images")
    p.add_argument("--dropout-ratio", type=float, default=0.2, help="of figure 6-23 (0.2)")
    p.add_argument("--print-every", type=int, default=10, help="print every N epochs (10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights, masks, batches (0)")
    p.add_argument("--data-dir", default=None, help="folder holding the MNIST files")
    p.add_argument("--no-download", action="store_true", help="never download MNIST")
    p.add_argument("--out", default="overfit_dropout.png", help="the figures' file")
    p.add_argument("--no-plot", action="store_true", help="do not draw the figures")
    args = p.parse_args(argv)
    for name in ("epochs", "train_size", "test_size", "print_every"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    if not 0 <= args.dropout_ratio < 1:
        p.error(f"--dropout-ratio must be in [0, 1), got {args.dropout_ratio}")

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
    for figure, use_dropout in (("6-22", False), ("6-23", True)):
        what = f"Dropout, ratio {args.dropout_ratio}" if use_dropout else "no Dropout"
        print(f"== figure {figure}: {what} ==")
        history, net = train(x_train, t_train, x_test, t_test, use_dropout=use_dropout,
                             dropout_ratio=args.dropout_ratio, epochs=args.epochs,
                             seed=args.seed)  # fmt: skip
        for epoch, (a, b) in enumerate(zip(history.train_acc_list, history.test_acc_list,
                                           strict=True)):  # fmt: skip
            if epoch % args.print_every == 0 or epoch == args.epochs - 1:
                print(f"=== epoch:{epoch + 1}, train acc:{a}, test acc:{b} ===")
        final = (net.accuracy(x_train, t_train), net.accuracy(x_test, t_test))
        print("=============== Final Test Accuracy ===============")
        print(f"test acc:{final[1]}")
        runs[figure, what] = (history, final)
    for (figure, what), (history, (train_acc, test_acc)) in runs.items():
        print(f"figure {figure} ({what}): after {len(history.train_loss_list)} iterations "
              f"train acc {train_acc:.4f}, test acc {test_acc:.4f}, gap "
              f"{train_acc - test_acc:.4f}")  # fmt: skip
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
        for ax, ((figure, what), (history, _)) in zip(fig.subplots(1, 2), runs.items(),
                                                       strict=True):  # fmt: skip
            overfitting_figure(history, title=f"figure {figure}: {what}",
                               markevery=max(args.epochs // 30, 1), ax=ax)  # fmt: skip
        fig.savefig(args.out, dpi=100)
        print(f"figures 6-22 and 6-23 written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
