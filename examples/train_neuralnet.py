"""Training the two-layer network on MNIST (4.5)
=============================================

Train the book's two-layer network on MNIST by mini-batch SGD, evaluating every epoch.

Mirrors section 4.5 of the book and ``ch04/train_neuralnet.py`` (figures 4-11
and 4-12): a ``TwoLayerNet`` 784-50-10 with sigmoid, SGD with learning rate
0.1, mini-batches of 100 and 10,000 iterations. At every epoch (600
iterations) it prints the train and test accuracy as the book does
(``train acc, test acc | ...``): 17 records, ending near 0.95. It then writes
the loss curve and the accuracy curves to ``train_neuralnet.png``.

``--estimator numerical`` uses the numerical gradient (central differences,
two loss evaluations per weight: about 80,000 per iteration for this network)
instead of backpropagation. The book's loop would take about two days for the
full run; ``NumericalDiff``'s structured path computes the same differences
hundreds of times faster, so the full configuration runs in about ten minutes
(``--numerical-method loop`` forces the book's loop).

``--checkpoint run.npz`` saves the whole training state at every epoch (and when
the run ends or is stopped with Ctrl-C); the same command with ``--resume run.npz``
added continues it, bit for bit as if it had not stopped. ``--save-model net.npz``
writes the trained network, which ``tinynn.load_model("net.npz")`` rebuilds.

MNIST is found by :func:`tinynn.datasets.load_mnist` (``--data-dir``,
``$TINYNN_DATA``, the user cache) or downloaded unless ``--no-download``.

Run ``python examples/train_neuralnet.py --help`` for all options.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import ClassVar

import numpy as np

from tinynn import (
    SGD,
    Backprop,
    Callback,
    Checkpoint,
    EpochAccuracy,
    NumericalDiff,
    ProgressPrinter,
    Trainer,
    TwoLayerNet,
    save_model,
)
from tinynn.base import GradientEstimator
from tinynn.callbacks import Logs


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


def nonnegative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


class BookLine(Callback):
    """Print the book's per-epoch line, ``train acc, test acc | 0.7874, 0.7929``."""

    order: ClassVar[int] = 60  # after EpochAccuracy has written the accuracies

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        print(f"train acc, test acc | {logs['train_acc']}, {logs['test_acc']}", flush=True)


class GradientProgress:
    """A line every 10 s *within* one slow numerical gradient (the book's loop: ~16 s)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.start = self.last

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total:
            self.last = self.start = now  # the next gradient starts its own clock
        elif now - self.last >= 10.0:
            self.last = now
            rate = done / (now - self.start)
            print(f"  numerical gradient: {done:,}/{total:,} weights, {rate:,.0f}/s, "
                  f"~{(total - done) / rate:.0f} s left", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument(
        "--estimator",
        choices=("backprop", "numerical"),
        default="backprop",
        help="how gradients are computed (default backprop; numerical is very slow)",
    )
    p.add_argument(
        "--numerical-method",
        choices=("auto", "structured", "loop"),
        default="auto",
        help="with --estimator numerical: the structured path (auto) or the book's loop",
    )
    p.add_argument("--iters", type=positive_int, default=10000, help="iterations (10000)")
    p.add_argument("--batch-size", type=positive_int, default=100, help="mini-batch size (100)")
    p.add_argument("--lr", type=positive_float, default=0.1, help="SGD learning rate (0.1)")
    p.add_argument("--hidden", type=positive_int, default=50, help="hidden units (50)")
    p.add_argument(
        "--seed", type=nonnegative_int, default=0, help="seed of the weights and batches (0)"
    )
    p.add_argument(
        "--data-dir",
        default=None,
        help="folder holding the MNIST files (default: let the loader search)",
    )
    p.add_argument("--no-download", action="store_true", help="never download MNIST")
    p.add_argument(
        "--train-size",
        type=positive_int,
        default=None,
        help="use only the first N training samples",
    )
    p.add_argument("--out", default="train_neuralnet.png", help="where to write the figure")
    p.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    p.add_argument(
        "--save-history",
        metavar="PATH.npz",
        default=None,
        help="save the loss and accuracy lists with np.savez",
    )
    p.add_argument(
        "--save-model", metavar="PATH.npz", default=None, help="save the trained network"
    )
    p.add_argument(
        "--checkpoint",
        metavar="PATH.npz",
        default=None,
        help="save the training state every epoch, at the end and on Ctrl-C",
    )
    p.add_argument(
        "--resume",
        metavar="PATH.npz",
        default=None,
        help="continue the run saved in this checkpoint (give the same other options)",
    )
    return p.parse_args(argv)


def warn_numerical(
    net: TwoLayerNet, estimator: NumericalDiff, x: np.ndarray, t: np.ndarray, iters: int
) -> float:
    """Print how long one numerical-gradient iteration will take (measured), and return it."""
    entries = sum(p.size for p in net.params.values())
    if estimator.method == "loop":  # time a few loss evaluations, not a whole gradient
        loss = net.bind_loss(x, t)  # what the loop evaluates: inputs checked once
        loss()  # warm-up
        start = time.perf_counter()
        for _ in range(20):
            loss()
        per_iter = 2 * entries * (time.perf_counter() - start) / 20
    else:
        estimator.gradient(net, x, t)  # warm-up
        start = time.perf_counter()
        estimator.gradient(net, x, t)
        per_iter = time.perf_counter() - start
    print(
        f"note: --estimator numerical ({estimator.method}) evaluates the loss twice per weight, "
        f"2 x {entries:,} times per iteration: about {per_iter:.2g} s per iteration here, so "
        f"{iters} iteration{'s' * (iters != 1)} take{'s' * (iters == 1)} about "
        f"{per_iter * iters:,.0f} s. Backprop gives the same gradient in milliseconds.",
        file=sys.stderr,
        flush=True,
    )
    return per_iter


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from tinynn.datasets import load_mnist

    try:
        (x_train, t_train), (x_test, t_test) = load_mnist(
            normalize=True,
            flatten=True,
            one_hot_label=True,
            root=args.data_dir,
            download=not args.no_download,
        )
    except (OSError, ValueError) as exc:  # DatasetNotFoundError, DownloadError, ChecksumError
        print(f"error: could not load MNIST: {exc}", file=sys.stderr)
        return 1
    if args.train_size is not None:
        x_train, t_train = x_train[: args.train_size], t_train[: args.train_size]

    net_seed, batch_seed = np.random.SeedSequence(args.seed).spawn(2)
    net = TwoLayerNet(784, args.hidden, 10, rng=np.random.default_rng(net_seed))
    estimator: GradientEstimator = Backprop()
    every = None
    if args.estimator == "numerical":
        numerical = NumericalDiff(method=args.numerical_method, progress=GradientProgress())
        estimator = numerical
        batch = min(args.batch_size, len(x_train))
        per_iter = warn_numerical(net, numerical, x_train[:batch], t_train[:batch], args.iters)
        every = max(1, round(10.0 / per_iter))  # a progress line about every 10 s
    callbacks: list[Callback] = [
        EpochAccuracy(train=(x_train, t_train), test=(x_test, t_test)),
        ProgressPrinter(every=every),
        BookLine(),
    ]
    if args.checkpoint is not None:
        callbacks.append(Checkpoint(args.checkpoint, every_epochs=1))
    trainer = Trainer(
        net,
        SGD(lr=args.lr),
        estimator,
        batch_size=args.batch_size,
        callbacks=callbacks,
        rng=np.random.default_rng(batch_seed),
    )
    per_epoch = max(len(x_train) // args.batch_size, 1)
    print(
        f"TwoLayerNet 784-{args.hidden}-10 (sigmoid), SGD lr {args.lr:g}, batch "
        f"{args.batch_size}, {args.iters} iterations ({per_epoch} per epoch), "
        f"{len(x_train)} training samples, estimator {args.estimator}, seed {args.seed}",
        flush=True,
    )
    if args.resume is not None:
        print(f"resuming from {args.resume}", flush=True)
    start = time.perf_counter()
    try:
        history = trainer.fit(x_train, t_train, iters=args.iters, resume=args.resume)
    except (OSError, ValueError) as exc:  # a checkpoint that is missing or does not fit
        print(f"error: {exc}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - start
    records = len(history.test_acc_list)
    if records:
        print(
            f"final train acc {history.train_acc_list[-1]:.4f}, test acc "
            f"{history.test_acc_list[-1]:.4f} ({records} accuracy record{'s' * (records != 1)}), "
            f"wall time {wall:.1f} s"
        )
    if trainer.interrupted:
        where = f"; continue with --resume {args.checkpoint}" if args.checkpoint else ""
        print(f"stopped after {trainer.iterations_done} of {args.iters} iterations{where}")
    if args.save_model is not None:
        print(f"model saved to {save_model(net, args.save_model)}")

    if args.save_history is not None:
        np.savez(
            args.save_history,
            train_loss_list=np.asarray(history.train_loss_list),
            train_acc_list=np.asarray(history.train_acc_list),
            test_acc_list=np.asarray(history.test_acc_list),
            iteration=np.asarray(history.history.get("iteration", []), dtype=np.int64),
        )
        print(f"history saved to {args.save_history}")

    if not args.no_plot:
        try:
            from matplotlib.figure import Figure

            from tinynn.plot import accuracy_figure, loss_curve_figure
        except ImportError as exc:
            print(f"figure skipped: {exc}")
        else:
            fig = Figure(figsize=(11, 4.2), layout="constrained")
            left, right = fig.subplots(1, 2)
            loss_curve_figure(history, ax=left)
            left.set_title("mini-batch loss (figure 4-11)")
            accuracy_figure(history, ax=right)
            right.set_title("accuracy per epoch (figure 4-12)")
            fig.savefig(args.out, dpi=100)
            print(f"figures 4-11 and 4-12 written to {args.out}")
    return 0


if __name__ == "__main__":
    status = main()
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
