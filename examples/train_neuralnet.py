"""Training the two-layer network on MNIST (4.5)
=============================================

Train the book's two-layer network on MNIST by mini-batch SGD, evaluating every epoch.

Mirrors section 4.5 of the book and ``ch04/train_neuralnet.py`` (figures 4-11
and 4-12): a ``TwoLayerNet`` 784-50-10 with sigmoid, SGD with learning rate
0.1, mini-batches of 100 and 10,000 iterations. At every epoch (600
iterations) it prints the train and test accuracy as the book does
(``train acc, test acc | ...``): in the book's run 17 records, ending near 0.95.
It then writes the loss curve and the accuracy curves to ``train_neuralnet.png``.

This page ran the documentation's short schedule, ``python examples/train_neuralnet.py
--iters 2000 --train-size 10000 --seed 0``: 2,000 iterations on the first 10,000
training images, so an epoch is 100 iterations and the output has 20 records (the last
after 1,901 iterations), ending near 0.90, train and test. The figures 4-11 and 4-12 of
the other pages are this same run's.

``--estimator numerical`` uses the numerical gradient (central differences,
two loss evaluations per weight: about 80,000 per iteration for this network)
instead of backpropagation. The book's loop would take about two days for the
full run; ``NumericalDiff``'s structured path computes the same differences
hundreds of times faster, so the full configuration runs in about ten minutes
(``--numerical-method loop`` forces the book's loop).

``--checkpoint run.npz`` saves the whole training state, with the run's options,
at every epoch and when the run ends or is stopped with Ctrl-C;
``--resume run.npz`` alone continues that run, bit for bit as if it had not
stopped (options given again must agree; ``--iters`` may change).
``--save-model net.npz`` writes the trained network, which
``tinynn.load_model("net.npz")`` rebuilds. The command line's ``tinynn train``
builds the same run from the same module, ``tinynn/cli/book_run.py``, and takes the
same options: ``--model multi-layer`` or ``--model convnet``, ``--optimizer``,
``--schedule`` and the others of ``--help`` train Chapter 6's and 7's networks here
too.

MNIST is found by :func:`tinynn.datasets.load_mnist` (``--data-dir``,
``$TINYNN_DATA``, the user cache) or downloaded unless ``--no-download``.

Run ``python examples/train_neuralnet.py --help`` for all options.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

import numpy as np

from tinynn import save_model
from tinynn.cli.book_run import BookRun, read_run
from tinynn.cli.flags import add_run_options, given_options
from tinynn.cli.options import RunOptions
from tinynn.utils.notebook import command_line

#: The options that say where the outputs go: given again when a stopped run goes on.
OUTPUTS = ("out", "no_plot", "save_history", "save_model", "data_dir", "no_download")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    add_run_options(p)
    p.add_argument("--data-dir", default=None,
                   help="folder holding the MNIST files (default: the loader looks)")  # fmt: skip
    p.add_argument("--no-download", action="store_true", help="never download MNIST")
    p.add_argument("--out", default="train_neuralnet.png", help="where to write the figure")
    p.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    p.add_argument("--save-history", metavar="PATH.npz", default=None,
                   help="save the loss and accuracy lists with np.savez")  # fmt: skip
    p.add_argument("--save-model", metavar="PATH.npz", default=None,
                   help="save the trained network")  # fmt: skip
    p.add_argument("--checkpoint", metavar="PATH.npz", default=None,
                   help="save the training state with the run's options every epoch, at the "
                   "end and on Ctrl-C")  # fmt: skip
    p.add_argument("--resume", metavar="PATH.npz", default=None,
                   help="continue the run saved in this checkpoint (and go on saving there), "
                   "with its options (given again they must agree, but --iters)")  # fmt: skip
    return p


def continue_command(args: argparse.Namespace, checkpoint: str) -> str:
    """The whole command that continues this run: ``--resume`` and the outputs asked."""
    words = ["python", os.path.relpath(__file__), "--resume", checkpoint]
    for name in OUTPUTS:
        value, flag = getattr(args, name), "--" + name.replace("_", "-")
        if value is True:
            words.append(flag)
        elif value and value != parser().get_default(name):
            words += [flag, str(value)]
    return shlex.join(words)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.resume is None:
        try:
            options = RunOptions.make(**given_options(args))
        except ValueError as exc:  # options that do not fit together
            parser().error(str(exc))  # exits with status 2
    else:
        try:  # the run's own options; the ones given again must agree
            saved = read_run(args.resume)
            options = saved.continued(given_options(args, saved.options), args.resume)
        except (OSError, ValueError) as exc:
            print(f"error: cannot resume: {exc}", file=sys.stderr)
            return 1
    from tinynn.datasets import load_mnist

    try:
        train, test = load_mnist(normalize=True, flatten=True, one_hot_label=True,
                                 root=args.data_dir, download=not args.no_download)  # fmt: skip
    except (OSError, ValueError) as exc:  # DatasetNotFoundError, DownloadError, ChecksumError
        print(f"error: could not load MNIST: {exc}", file=sys.stderr)
        return 1
    checkpoint = args.checkpoint or args.resume  # a resumed run goes on saving where it was
    book = BookRun(options, train, test, checkpoint=checkpoint, checkpoint_every=1)
    print(book.header(), flush=True)
    if args.resume is not None:
        print(f"resuming from {args.resume}", flush=True)
    note = book.numerical_note()
    if note:
        print(note, file=sys.stderr, flush=True)
    try:
        history = book.fit(args.resume)
    except (OSError, ValueError) as exc:  # a checkpoint that does not fit: nothing changed
        if args.resume is None or book.trainer.total_iters:
            raise
        print(f"error: cannot resume: {exc}", file=sys.stderr)
        return 1
    print(book.summary(book.final_accuracies()), flush=True)
    if args.save_model is not None:
        print(f"model saved to {save_model(book.net, args.save_model)}")
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
            from tinynn.plot import accuracy_figure, loss_curve_figure
            from tinynn.plot.common import figure_class

            Figure = figure_class()  # matplotlib's, shown in a notebook when saved
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
    if book.trainer.interrupted:
        print(book.stopped(continue_command(args, checkpoint) if checkpoint else None))
        return 130
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
