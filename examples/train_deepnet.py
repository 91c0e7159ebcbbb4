"""Training the deep network on MNIST (8.1, figure 8-4)
=====================================================

Train the book's ``DeepConvNet`` on MNIST with Adam, and draw the test digits it gets
wrong with their true and predicted class (the idea of figure 8-4).

Mirrors section 8.1 of the book and ``ch08/train_deepnet.py``: six 3x3 convolutions
(16, 16, 32, 32, 64 and 64 filters, each followed by a ReLU, a 2x2 max pooling after
every second one), then affine 50 - ReLU - Dropout - affine 10 - Dropout - softmax, with
He's initial weights, trained for 20 epochs of mini-batches of 100 with Adam (learning
rate 0.001). As the book's ``Trainer`` with ``evaluate_sample_num_per_epoch=1000``, every
epoch (600 iterations) it prints the accuracy on the first 1,000 training and test images
(``=== epoch:1, train acc:..., test acc:... ===``), and at the end the accuracy on the whole
test set (``Final Test Accuracy``: about 0.9938 in the book's run, which misrecognises 62
of the 10,000 digits). It saves the parameters, as the book's script does
(``deep_convnet_params.npz``, a tinynn model file: ``tinynn.load_model`` reads it), and
draws the loss and the accuracies per epoch (``train_deepnet.png``) and the first misclassified test
digits, each titled ``true -> predicted`` (``train_deepnet_misclassified.png``).

The full run is 12,000 iterations of a network that computes far more than Chapter 7's
(its time and accuracy, measured, are on the documentation's performance page: 36 minutes
on one core and 0.9934 in float32), so ``--epochs`` and ``--train-size`` choose a shorter one.
This page ran ``python examples/train_deepnet.py --epochs 2 --train-size 3000
--eval-samples 500 --test-size 1000 --save-model ''``, so that the build stays quick: 2
epochs of 30 iterations (60 updates) on 3,000 training images, a record per epoch on 500
images of each set, the final accuracy on the first 1,000 test images, and nothing saved.
A network this deep has only begun to learn after 60 updates, so its accuracy here is far
below the full run's, and the misclassified digits below are many.

``--augment`` moves each training mini-batch's images by up to ``--shift`` pixels (2) and
turns them by up to ``--rotate`` degrees (10), anew at every iteration
(:class:`tinynn.Augmentation`, section 8.1.3), and draws a few digits as the network sees
them (``train_deepnet_augmented.png``). ``--checkpoint run.npz`` saves the whole training
state at every epoch (and when the run ends or is stopped with Ctrl-C), the augmentation's
generator too; the same command with ``--resume run.npz`` added continues it, bit for bit.

MNIST is found by :func:`tinynn.datasets.load_mnist` (``--data-dir``, ``$TINYNN_DATA``,
the user cache) or downloaded unless ``--no-download``. Run
``python examples/train_deepnet.py --help`` for all options.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import ClassVar

import numpy as np

from tinynn import (
    Adam,
    Augmentation,
    Callback,
    Checkpoint,
    DeepConvNet,
    EpochAccuracy,
    Trainer,
    save_model,
)
from tinynn.callbacks import Logs
from tinynn.cli.threads import choose, limited
from tinynn.utils.notebook import command_line

#: The short schedule the documentation's gallery runs (docs/_ext/gallery_helpers.py).
DOCS_OPTIONS = ["--epochs", "2", "--train-size", "3000", "--eval-samples", "500", "--test-size",
                "1000", "--save-model", ""]  # fmt: skip
#: Misclassified test digits drawn (figure 8-4 shows the book's 62 mistakes).
SHOWN = 30


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


def nonnegative_float(text: str) -> float:
    value = float(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
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
    p.add_argument("--train-size", type=positive_int, default=None,
                   help="use the first N training images")  # fmt: skip
    p.add_argument("--test-size", type=positive_int, default=None,
                   help="use the first N test images for the final accuracy (all 10000)")
    p.add_argument("--eval-samples", type=positive_int, default=1000,
                   help="images of each set evaluated per epoch (1000, as the book)")  # fmt: skip
    p.add_argument("--seed", type=nonnegative_int, default=0,
                   help="seed of the weights, batches and augmentation (0)")  # fmt: skip
    p.add_argument("--augment", action="store_true",
                   help="shift and turn each training batch's images (section 8.1.3)")  # fmt: skip
    p.add_argument("--shift", type=nonnegative_int, default=2,
                   help="with --augment: the largest shift in pixels (2)")  # fmt: skip
    p.add_argument("--rotate", type=nonnegative_float, default=10.0,
                   help="with --augment: the largest turn in degrees (10)")  # fmt: skip
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="the network's dtype (float64, the book's; float32 is faster)")
    p.add_argument("--data-dir", default=None, help="folder holding the MNIST files")
    p.add_argument("--no-download", action="store_true", help="never download MNIST")
    p.add_argument("--out", default="train_deepnet.png", help="the accuracies' figure file")
    p.add_argument("--misclassified-out", default="train_deepnet_misclassified.png",
                   help="the misclassified digits' figure file")  # fmt: skip
    p.add_argument("--augmented-out", default="train_deepnet_augmented.png",
                   help="with --augment: the figure of digits as the network sees them")
    p.add_argument("--no-plot", action="store_true", help="do not draw the figures")
    p.add_argument("--save-model", metavar="PATH.npz", default="deep_convnet_params.npz",
                   help="where the trained network is saved (deep_convnet_params.npz, as the "
                   "book's script; '' saves nothing)")  # fmt: skip
    p.add_argument("--checkpoint", metavar="PATH.npz", default=None,
                   help="save the training state every epoch, at the end and on Ctrl-C")
    p.add_argument("--resume", metavar="PATH.npz", default=None,
                   help="continue the run saved in this checkpoint (give the same other "
                   "options)")  # fmt: skip
    args = p.parse_args(argv)
    if not args.augment and (args.shift, args.rotate) != (2, 10.0):
        p.error("--shift and --rotate need --augment")
    if args.rotate > 180:
        p.error(f"argument --rotate: must be at most 180 degrees, got {args.rotate:g}")
    return args


def draw(trainer: Trainer, x_test: np.ndarray, t_test: np.ndarray, predicted: np.ndarray,
         args: argparse.Namespace) -> None:  # fmt: skip
    """The accuracies per epoch, the misclassified test digits (figure 8-4's idea) and, with
    --augment, a few training digits as the network sees them."""
    try:
        from matplotlib.figure import Figure

        from tinynn.plot import misclassified_figure, training_figure
    except ImportError as exc:
        print(f"figures skipped: {exc}")
        return
    final = {"test": float(np.mean(predicted == t_test))}
    title = (f"DeepConvNet: the loss of each mini-batch, the accuracy on {args.eval_samples} "
             f"images at each epoch, and on the {len(t_test)} test images at the end")  # fmt: skip
    fig = training_figure(trainer.history, iters_per_epoch=trainer.iters_per_epoch, final=final,
                          title=title)  # fmt: skip
    fig.savefig(args.out, dpi=100)
    print(f"accuracies written to {args.out}")
    wrong = np.flatnonzero(predicted != t_test)
    if len(wrong):
        shown = wrong[:SHOWN]
        fig = Figure(figsize=(10, 1.25 * -(-len(shown) // 10) + 0.6), layout="constrained")
        misclassified_figure(x_test[shown], t_test[shown], predicted[shown], ax=fig.add_subplot())
        which = (f"the {len(wrong)}" if len(shown) == len(wrong)
                 else f"the first {len(shown)} of the {len(wrong)}")  # fmt: skip
        fig.suptitle(f"{which} test digits DeepConvNet gets wrong ({len(t_test)} tested): "
                     "true -> predicted")  # fmt: skip
        fig.savefig(args.misclassified_out, dpi=100)
        print(f"misclassified digits written to {args.misclassified_out}")
    else:
        print("no misclassified test digit to draw")
    if trainer.augment is not None:
        x = np.asarray(trainer.train_data[1][:10] if trainer.train_data else [])
        moved = Augmentation(args.shift, args.rotate, rng=args.seed)(x)
        fig = Figure(figsize=(10, 2.4), layout="constrained")
        for row, (images, name) in enumerate(((x, "as given"), (moved, "augmented"))):
            for col, image in enumerate(images):
                ax = fig.add_subplot(2, 10, 10 * row + col + 1)
                ax.imshow(image[0], cmap="gray", vmin=0, vmax=1)
                ax.set_xticks([]), ax.set_yticks([])
                if col == 0:
                    ax.set_ylabel(name)
        fig.suptitle(f"training digits moved by up to {args.shift} pixels and {args.rotate:g} "
                     "degrees (section 8.1.3)")  # fmt: skip
        fig.savefig(args.augmented_out, dpi=100)
        print(f"augmented digits written to {args.augmented_out}")


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

    net_seed, batch_seed, augment_seed = np.random.SeedSequence(args.seed).spawn(3)
    net = DeepConvNet(rng=np.random.default_rng(net_seed), dtype=args.dtype)
    augment = None
    if args.augment:
        augment = Augmentation(args.shift, args.rotate, rng=np.random.default_rng(augment_seed))
    n_eval = args.eval_samples
    evaluation = TimedEpochAccuracy(train=(x_train[:n_eval], t_train[:n_eval]),
                                    test=(x_test[:n_eval], t_test[:n_eval]))  # fmt: skip
    callbacks: list[Callback] = [evaluation, BookEpochLine()]
    if args.checkpoint is not None:
        callbacks.append(Checkpoint(args.checkpoint, every_epochs=1))
    trainer = Trainer(net, Adam(lr=args.lr), batch_size=args.batch_size, callbacks=callbacks,
                      rng=np.random.default_rng(batch_seed), augment=augment)  # fmt: skip
    per_epoch = max(len(x_train) // args.batch_size, 1)
    threads = choose(net.layers, x_train.shape[1:], args.batch_size)
    moved = f", augmented ({augment!r})" if augment is not None else ""
    print(
        f"DeepConvNet (6 conv 3x3 - 3 pool 2x2 - affine 50 - dropout - affine 10 - dropout), "
        f"{args.dtype}, "
        f"Adam lr {args.lr:g}, batch {args.batch_size}, {args.epochs} epoch(s) of {per_epoch} "
        f"iterations, {len(x_train)} training images{moved}, {len(x_test)} test images, seed "
        f"{args.seed}, {threads.describe()}",
        flush=True,
    )
    if args.resume is not None:
        print(f"resuming from {args.resume}", flush=True)
    start = time.perf_counter()
    try:
        with limited(threads):  # the BLAS threads for this run only
            trainer.fit(x_train, t_train, epochs=args.epochs, resume=args.resume)
            predicted = np.argmax(net.predict(x_test), axis=1)  # 100 images at a time
    except (OSError, ValueError) as exc:  # a checkpoint that is missing or does not fit
        print(f"error: {exc}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - start
    done = trainer.iterations_done - trainer.start_iteration
    if done:
        print(f"{done} iterations and the evaluations in {wall:.1f} s, of which "
              f"{evaluation.seconds:.1f} s of per-epoch evaluation")  # fmt: skip
    if trainer.interrupted:
        where = f"; continue with --resume {args.checkpoint}" if args.checkpoint else ""
        print(f"stopped after {trainer.iterations_done} iterations{where}")
    print("=============== Final Test Accuracy ===============")
    print(f"test acc:{float(np.mean(predicted == t_test))}")  # net.accuracy's, computed once
    if args.save_model:
        print(f"Saved Network Parameters! ({save_model(net, args.save_model)})")
    if not args.no_plot:
        draw(trainer, x_test, t_test, predicted, args)
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
