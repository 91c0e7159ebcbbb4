"""Training the convolutional network on MNIST (7.5, figure 7-24)
==============================================================

Train the book's ``SimpleConvNet`` on MNIST with Adam, and draw its first layer's filters
before and after training.

Mirrors section 7.5 of the book and ``ch07/train_convnet.py``: convolution (30 filters of
5x5) - ReLU - 2x2 max pooling - affine 100 - ReLU - affine 10 - softmax, trained for 20
epochs of mini-batches of 100 with Adam (learning rate 0.001). As the book's ``Trainer``
with ``evaluate_sample_num_per_epoch=1000``, every epoch (600 iterations) it prints the
accuracy on the first 1,000 training and test images (``=== epoch:1, train acc:...,
test acc:... ===``), and at the end the accuracy on the whole test set
(``Final Test Accuracy``: about 0.99 in the book's run). It then writes figure 7-24 (the
30 filters before and after training) to ``train_convnet.png`` and the feature maps of
one test digit to ``train_convnet_maps.png``.

The full run is 12,000 iterations (its time on two cores, measured, is on the
documentation's performance page), so ``--epochs`` and ``--train-size`` choose a
shorter one.

This page ran ``python examples/train_convnet.py --epochs 1 --train-size 3000
--test-size 2000``, so that the build stays quick: one epoch of 30 iterations, one
record (after the first iteration, near 0.2) and a final test accuracy near 0.67 on the
first 2,000 test images, far from the full run's 0.99; its filters have only begun to
change from the random ones they started from.

``--checkpoint run.npz`` saves the whole training state at every epoch (and when the run
ends or is stopped with Ctrl-C); the same command with ``--resume run.npz`` added
continues it, bit for bit. ``--save-model net.npz`` writes the trained network; load it
with ``tinynn.load_model("net.npz", model=tinynn.SimpleConvNet())``.

MNIST is found by :func:`tinynn.datasets.load_mnist` (``--data-dir``, ``$TINYNN_DATA``,
the user cache) or downloaded unless ``--no-download``. Run
``python examples/train_convnet.py --help`` for all options.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import ClassVar

import numpy as np

from tinynn import Adam, Callback, Checkpoint, EpochAccuracy, SimpleConvNet, Trainer, save_model
from tinynn.callbacks import Logs
from tinynn.cli.threads import choose, limited
from tinynn.utils.notebook import command_line

#: The short schedule the documentation's gallery runs (docs/_ext/gallery_helpers.py).
DOCS_OPTIONS = ["--epochs", "1", "--train-size", "3000", "--test-size", "2000"]


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


class BookEpochLine(Callback):
    """Print the book's ``Trainer`` line, ``=== epoch:1, train acc:0.213, test acc:0.197 ===``."""

    order: ClassVar[int] = 60  # after EpochAccuracy has written the accuracies

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        print(f"=== epoch:{epoch + 1}, train acc:{logs['train_acc']}, test acc:"
              f"{logs['test_acc']} ===", flush=True)  # fmt: skip


class TimedEpochAccuracy(EpochAccuracy):
    """:class:`~tinynn.EpochAccuracy` that keeps the seconds it spends evaluating."""

    def __init__(self, **datasets: tuple[np.ndarray, np.ndarray]) -> None:
        super().__init__(**datasets)
        self.seconds = 0.0

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        start = time.perf_counter()
        super().on_epoch_end(epoch, logs)
        self.seconds += time.perf_counter() - start

    def state_dict(self) -> dict[str, float]:
        """Nothing to resume: the seconds are this process's (a checkpoint keeps no time)."""
        return {}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Take the empty state :meth:`state_dict` gives."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--epochs", type=positive_int, default=20, help="epochs (20)")
    p.add_argument("--batch-size", type=positive_int, default=100, help="mini-batch size (100)")
    p.add_argument("--lr", type=positive_float, default=0.001, help="Adam's learning rate (0.001)")
    p.add_argument(
        "--train-size", type=positive_int, default=None, help="use the first N training images"
    )
    p.add_argument(
        "--test-size", type=positive_int, default=None,
        help="use the first N test images for the final accuracy (all 10000)",
    )  # fmt: skip
    p.add_argument(
        "--eval-samples", type=positive_int, default=1000,
        help="images of each set evaluated per epoch (1000, as the book)",
    )  # fmt: skip
    p.add_argument(
        "--seed", type=nonnegative_int, default=0, help="seed of the weights and batches (0)"
    )
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="the network's dtype (float64, the book's; float32 is faster)")
    p.add_argument("--data-dir", default=None, help="folder holding the MNIST files")
    p.add_argument("--no-download", action="store_true", help="never download MNIST")
    p.add_argument("--out", default="train_convnet.png", help="figure 7-24's file")
    p.add_argument(
        "--maps-out", default="train_convnet_maps.png", help="the feature maps' figure file"
    )
    p.add_argument("--no-plot", action="store_true", help="do not draw the figures")
    p.add_argument("--save-model", metavar="PATH.npz", default=None, help="save the network")
    p.add_argument(
        "--checkpoint", metavar="PATH.npz", default=None,
        help="save the training state every epoch, at the end and on Ctrl-C",
    )  # fmt: skip
    p.add_argument(
        "--resume", metavar="PATH.npz", default=None,
        help="continue the run saved in this checkpoint (give the same other options)",
    )  # fmt: skip
    return p.parse_args(argv)


def draw(net: SimpleConvNet, W_before: np.ndarray, digit: np.ndarray, args: argparse.Namespace
         ) -> None:  # fmt: skip
    """Figure 7-24 (the filters before and after training) and one digit's feature maps."""
    try:
        from tinynn.plot import feature_maps_figure, filters_figure
        from tinynn.plot.common import figure_class

        Figure = figure_class()  # matplotlib's, shown in a notebook when saved
    except ImportError as exc:
        print(f"figures skipped: {exc}")
        return
    fig = Figure(figsize=(10, 2.0), layout="constrained")
    before, after = fig.subplots(1, 2)
    filters_figure(W_before, ax=before)
    before.set_title("filters before training")
    filters_figure(net.params["W1"], ax=after)
    after.set_title("after training")
    fig.savefig(args.out, dpi=100)
    print(f"figure 7-24 written to {args.out}")
    relu_maps = net.layers[1].forward(net.layers[0].forward(digit[np.newaxis]))[0]
    maps = feature_maps_figure(digit, relu_maps)
    maps.suptitle("what the trained filters see in one test digit (after the ReLU)")
    maps.savefig(args.maps_out, dpi=100)
    print(f"feature maps written to {args.maps_out}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from tinynn.datasets import load_mnist

    try:
        (x_train, t_train), (x_test, t_test) = load_mnist(
            normalize=True, flatten=False, root=args.data_dir, download=not args.no_download
        )
    except (OSError, ValueError) as exc:  # DatasetNotFoundError, DownloadError, ChecksumError
        print(f"error: could not load MNIST: {exc}", file=sys.stderr)
        return 1
    if args.train_size is not None:
        x_train, t_train = x_train[: args.train_size], t_train[: args.train_size]
    if args.test_size is not None:
        x_test, t_test = x_test[: args.test_size], t_test[: args.test_size]

    net_seed, batch_seed = np.random.SeedSequence(args.seed).spawn(2)
    net = SimpleConvNet(rng=np.random.default_rng(net_seed), dtype=args.dtype)
    W_before = net.params["W1"].copy()
    n_eval = args.eval_samples
    evaluation = TimedEpochAccuracy(train=(x_train[:n_eval], t_train[:n_eval]),
                                    test=(x_test[:n_eval], t_test[:n_eval]))  # fmt: skip
    callbacks: list[Callback] = [evaluation, BookEpochLine()]
    if args.checkpoint is not None:
        callbacks.append(Checkpoint(args.checkpoint, every_epochs=1))
    trainer = Trainer(net, Adam(lr=args.lr), batch_size=args.batch_size, callbacks=callbacks,
                      rng=np.random.default_rng(batch_seed))  # fmt: skip
    per_epoch = max(len(x_train) // args.batch_size, 1)
    threads = choose(net.layers, x_train.shape[1:], args.batch_size)  # one for this network
    print(
        f"SimpleConvNet conv 30x5x5 - relu - pool 2x2 - affine 100 - relu - affine 10"
        f"{'' if args.dtype == 'float64' else ', ' + args.dtype}, Adam lr "
        f"{args.lr:g}, batch {args.batch_size}, {args.epochs} epoch(s) of {per_epoch} "
        f"iterations, {len(x_train)} training images, {len(x_test)} test images, seed "
        f"{args.seed}, {threads.describe()}",
        flush=True,
    )
    if args.resume is not None:
        print(f"resuming from {args.resume}", flush=True)
    start = time.perf_counter()
    try:
        with limited(threads):  # the BLAS threads for this run only
            trainer.fit(x_train, t_train, epochs=args.epochs, resume=args.resume)
    except (OSError, ValueError) as exc:  # a checkpoint that is missing or does not fit
        print(f"error: {exc}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - start
    done = trainer.iterations_done - trainer.start_iteration
    if done:
        training = wall - evaluation.seconds
        print(f"{done} iterations in {training:.1f} s ({1000 * training / done:.0f} ms per "
              f"iteration), plus {evaluation.seconds:.1f} s of per-epoch evaluation")  # fmt: skip
    if trainer.interrupted:
        where = f"; continue with --resume {args.checkpoint}" if args.checkpoint else ""
        print(f"stopped after {trainer.iterations_done} iterations{where}")
    print("=============== Final Test Accuracy ===============")
    print(f"test acc:{net.accuracy(x_test, t_test)}")  # 100 images at a time, as the book
    if args.save_model is not None:
        print(f"model saved to {save_model(net, args.save_model)}")
    if not args.no_plot:
        draw(net, W_before, np.asarray(x_test[0], dtype=np.float64), args)
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
