"""Batch Normalization against none (6.3.2, figures 6-18 and 6-19)
===============================================================

How fast a deep network learns with and without Batch Normalization, for sixteen
scales of the initial weights.

Mirrors section 6.3.2 of the book and ``ch06/batch_norm_test.py``: the first 1,000
MNIST training images, a :class:`~tinynn.MultiLayerNetExtend` of five hidden layers
of 100 ReLU units, with ``use_batchnorm=True`` and without, trained by SGD
(learning rate 0.01, mini-batches of 100) for 20 epochs, for each standard deviation
of the initial weights in ``np.logspace(0, -4, 16)`` (1 down to 0.0001). The two
networks of one scale start from the same random numbers and see the same
mini-batches. As the book does, the training accuracy is recorded at the start of
every epoch (:class:`~tinynn.EpochAccuracy`; 20 records, the last after 191
iterations) and printed as ``epoch:N | without - with``.

Figure 6-18 is one scale (``--scale``, by default the 5th, 0.086, where both
networks learn but at different speeds; the book's script draws only figure 6-19 and
does not say which scale its figure 6-18 shows); figure 6-19 all sixteen, Batch
Normalization solid and without dashed (:func:`tinynn.plot.batch_norm_grid_figure`).
The book's result: with Batch Normalization the network learns faster, and at
almost every scale, including those where it does not learn at all without.

One difference from the book's loop: at the largest scales the network without
Batch Normalization diverges within a few iterations (its loss becomes NaN). The
book's loop goes on silently with NaN weights, which then answer class 0 for every
image (an accuracy of about 0.1); the :class:`~tinynn.Trainer` stops with an error
instead, which this script catches: that run's line ends where it diverged, marked
with an x, and the output says so.

MNIST is found by :func:`tinynn.datasets.load_mnist` (``--data-dir``,
``$TINYNN_DATA``, the user cache) or downloaded unless ``--no-download``. Run
``python examples/batch_norm_test.py --help`` for all options.

This page ran ``python examples/batch_norm_test.py --epochs 10``: the whole of figure
6-19 with half the book's epochs, so 10 records per scale, the last after 91
iterations. There Batch Normalization ends higher at 14 of the 16 scales: without it
the network diverges at the two largest scales, learns faster at 0.29 and 0.16, and
hardly learns (about 0.12 to 0.22) at every smaller one, where with Batch
Normalization it does.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from tinynn import SGD, EpochAccuracy, MultiLayerNetExtend, Trainer
from tinynn.utils.notebook import command_line

#: The book's sixteen standard deviations of the initial weights (figure 6-19).
WEIGHT_SCALES = np.logspace(0, -4, num=16)


def train(
    x_train: np.ndarray,
    t_train: np.ndarray,
    weight_init_std: float,
    *,
    use_batchnorm: bool,
    epochs: int = 20,
    batch_size: int = 100,
    lr: float = 0.01,
    seed: int = 0,
) -> tuple[list[float], str | None]:
    """The training accuracy per epoch, and why training stopped early (``None`` if not).

    The book's loop stops right after its last record, so ``(epochs - 1) *
    iters_per_epoch + 1`` iterations: 191 for 20 epochs of 10.
    """
    net = MultiLayerNetExtend(784, [100] * 5, 10, weight_init_std=weight_init_std,
                              use_batchnorm=use_batchnorm, rng=seed)  # fmt: skip
    trainer = Trainer(net, SGD(lr=lr), batch_size=batch_size, rng=seed + 1,
                      callbacks=[EpochAccuracy(train=(x_train, t_train))])  # fmt: skip
    iters_per_epoch = max(len(x_train) // batch_size, 1)
    try:
        trainer.fit(x_train, t_train, iters=(epochs - 1) * iters_per_epoch + 1)
    except FloatingPointError as exc:  # the loss became NaN or overflowed: diverged
        if trainer.iterations_done == 0 and not trainer.history.train_loss_list:
            raise
        why = str(exc).split(":")[0]  # "training diverged at iteration N"
        return list(trainer.history.train_acc_list), why
    return list(trainer.history.train_acc_list), None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--epochs", type=int, default=20, help="epochs per network (20)")
    p.add_argument("--train-size", type=int, default=1000, help="training images (1000)")
    p.add_argument("--scale", type=int, default=5, help="the scale of figure 6-18, 1 to 16 (5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and batches (0)")
    p.add_argument("--data-dir", default=None, help="folder holding the MNIST files")
    p.add_argument("--no-download", action="store_true", help="never download MNIST")
    p.add_argument("--out", default="batch_norm_test.png", help="figure 6-19's file; 6-18's "
                   "gets -one before the suffix")  # fmt: skip
    p.add_argument("--no-plot", action="store_true", help="do not draw the figures")
    args = p.parse_args(argv)
    for name in ("epochs", "train_size"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if not 1 <= args.scale <= len(WEIGHT_SCALES):
        p.error(f"--scale must be in 1..16, got {args.scale}")

    from tinynn.datasets import load_mnist

    try:
        (x_train, t_train), _ = load_mnist(
            normalize=True, root=args.data_dir, download=not args.no_download
        )
    except (OSError, ValueError) as exc:
        print(f"error: could not load MNIST: {exc}", file=sys.stderr)
        return 1
    x_train, t_train = x_train[: args.train_size], t_train[: args.train_size]

    start = time.perf_counter()
    bn_acc, plain_acc = [], []
    for i, w in enumerate(WEIGHT_SCALES):
        print(f"============== {i + 1}/16 ==============")
        (bn, bn_stop), (plain, plain_stop) = (
            train(x_train, t_train, float(w), use_batchnorm=use_batchnorm, epochs=args.epochs,
                  seed=args.seed)
            for use_batchnorm in (True, False)
        )  # fmt: skip
        for epoch, b in enumerate(bn):
            a = plain[epoch] if epoch < len(plain) else "-"
            print(f"epoch:{epoch} | {a} - {b}")
        for name, stop in (("without BatchNorm", plain_stop), ("with BatchNorm", bn_stop)):
            if stop is not None:
                print(f"{name}: {stop}")
        bn_acc.append(bn)
        plain_acc.append(plain)
    print("scale     last train acc: without  with BN")
    wins = 0
    for w, bn, plain in zip(WEIGHT_SCALES, bn_acc, plain_acc, strict=True):
        without = f"{plain[-1]:.3f}" if len(plain) == len(bn) else "diverged"
        higher = len(plain) < len(bn) or bn[-1] > plain[-1]
        wins += higher
        print(f"{w:<9.4g} {without:>23} {bn[-1]:>8.3f}{'  BN higher' if higher else ''}")
    print(f"Batch Normalization ends higher at {wins} of 16 scales")
    print(f"wall time {time.perf_counter() - start:.1f} s")

    if not args.no_plot:
        try:  # matplotlib is optional: pip install "tinynn[plot]"
            from tinynn.plot import batch_norm_figure, batch_norm_grid_figure
        except ImportError as exc:
            print(f"figure skipped: {exc}")
            return 0
        k = args.scale - 1
        one = batch_norm_figure(bn_acc[k], plain_acc[k], weight_scale=float(WEIGHT_SCALES[k]))
        one.set_size_inches(6.0, 4.2)
        first = args.out.rsplit(".", 1)
        out_one = f"{first[0]}-one.{first[1]}" if len(first) == 2 else f"{args.out}-one"
        one.savefig(out_one, dpi=100)
        print(f"figure 6-18 written to {out_one}")
        grid = batch_norm_grid_figure(WEIGHT_SCALES.tolist(), bn_acc, plain_acc)
        grid.savefig(args.out, dpi=90)
        print(f"figure 6-19 written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
