"""``tinynn train``: the book's run (section 4.5), written to a new run folder.

The run folder ``runs/<date>-<time>/`` holds ``model.npz`` (the trained
network, see :func:`tinynn.save_model`), ``history.csv`` (the loss at every
iteration, the accuracies at every epoch), ``training.png`` (figures 4-11 and
4-12), ``options.json`` (the options used) and ``results.json``. It is built
in a hidden folder and renamed into place at the end, so a run folder is
always complete, and an earlier run is never overwritten.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from .._atomic import write_bytes_atomic
from ..base import GradientEstimator
from ..callbacks import Callback, Checkpoint, EpochAccuracy, History
from ..estimators import Backprop, NumericalDiff
from ..models import TwoLayerNet
from ..optimizers import SGD
from ..serialization import save_model
from ..trainer import Trainer
from ._common import (
    HISTORY,
    MODEL,
    OPTIONS,
    TRAINING_FIGURE,
    CliError,
    add_data_options,
    display,
    load_data,
    new_figure,
    nonnegative_int,
    positive_float,
    positive_int,
    save_figure,
    write_json,
)
from .progress import EpochProgress, duration

HELP = "train the book's 784-50-10 TwoLayerNet on MNIST into a new run folder"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("train", help=HELP, description=HELP + " (section 4.5).")
    p.add_argument("--iters", type=positive_int, default=10000, help="iterations (10000)")
    p.add_argument("--batch-size", type=positive_int, default=100, help="mini-batch size (100)")
    p.add_argument("--lr", type=positive_float, default=0.1, help="SGD learning rate (0.1)")
    p.add_argument("--hidden", type=positive_int, default=50, help="hidden units (50)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of weights, batches (0)")
    p.add_argument(
        "--estimator",
        choices=("backprop", "numerical"),
        default="backprop",
        help="how gradients are computed (backprop; numerical: the chapter's central "
        "differences, by NumericalDiff's structured path)",
    )
    p.add_argument("--train-size", type=positive_int, default=None, metavar="N",
                   help="use only the first N training images")  # fmt: skip
    p.add_argument("--runs-dir", metavar="DIR", default="runs",
                   help="where run folders are made (./runs)")  # fmt: skip
    p.add_argument("--no-plot", action="store_true", help="do not draw training.png")
    p.add_argument("--checkpoint", metavar="PATH.npz", default=None,
                   help="save the whole training state here at every epoch and when training "
                   "ends or is stopped (Ctrl-C)")  # fmt: skip
    p.add_argument("--resume", metavar="PATH.npz", default=None,
                   help="continue the run saved in this checkpoint (give the same other "
                   "options; --iters may be larger)")  # fmt: skip
    add_data_options(p)
    p.set_defaults(func=run)


def _new_run_folder(runs: Path) -> Path:
    """Reserve ``runs/<YYYYmmdd-HHMMSS>`` (``-2``, ``-3``, ... if taken) as an empty folder."""
    try:
        runs.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create the runs folder {runs}: {exc.strerror}") from exc
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        folder = runs / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise CliError(f"could not find a free run folder name in {runs}")


def _history_csv(history: History) -> bytes:
    """One row per iteration (the book's ``i``): the loss, and the accuracies at epochs."""
    epochs = {int(i): k for k, i in enumerate(history.history.get("iteration", []))}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["iteration", "loss", "train_acc", "test_acc"])
    for i, loss in enumerate(history.train_loss_list):
        k = epochs.get(i)
        accs = ["", ""] if k is None else [history.train_acc_list[k], history.test_acc_list[k]]
        writer.writerow([i, repr(loss), *accs])
    return out.getvalue().encode("utf-8")


def _estimate_numerical(
    net: TwoLayerNet, estimator: NumericalDiff, x: Any, t: Any, iters: int
) -> None:
    entries = sum(p.size for p in net.params.values())
    if estimator.fallback_reason(net) is None:
        estimator.gradient(net, x, t)  # warm-up
        start = time.perf_counter()
        estimator.gradient(net, x, t)
        per_iter, how = time.perf_counter() - start, "structured path"
    else:
        loss = net.bind_loss(x, t)
        loss()
        start = time.perf_counter()
        for _ in range(10):
            loss()
        per_iter, how = 2 * entries * (time.perf_counter() - start) / 10, "book's loop"
    print(
        f"note: --estimator numerical evaluates the loss twice per weight, 2 x {entries:,} "
        f"times per iteration ({how}): about {duration(per_iter)} per iteration here, so "
        f"about {duration(per_iter * iters)} in all (backprop: milliseconds)",
        file=sys.stderr,
        flush=True,
    )


def run(args: argparse.Namespace) -> int:
    (x_train, t_train), (x_test, t_test) = load_data(args)
    if args.train_size is not None:
        x_train, t_train = x_train[: args.train_size], t_train[: args.train_size]
    net_seed, batch_seed = np.random.SeedSequence(args.seed).spawn(2)
    net = TwoLayerNet(784, args.hidden, 10, rng=np.random.default_rng(net_seed))
    estimator: GradientEstimator = Backprop()
    if args.estimator == "numerical":
        numerical = NumericalDiff()
        estimator = numerical
        batch = min(args.batch_size, len(x_train))
        _estimate_numerical(net, numerical, x_train[:batch], t_train[:batch], args.iters)
    accuracy = EpochAccuracy(train=(x_train, t_train), test=(x_test, t_test))
    callbacks: list[Callback] = [accuracy, EpochProgress()]
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
    folder = _new_run_folder(Path(args.runs_dir))
    partial = Path(
        tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent)
    )
    try:
        per_epoch = max(len(x_train) // args.batch_size, 1)
        print(
            f"TwoLayerNet 784-{args.hidden}-10 (sigmoid), SGD lr {args.lr:g}, batch "
            f"{args.batch_size}, {args.iters} iterations ({per_epoch} per epoch), "
            f"{len(x_train)} training images, estimator {args.estimator}, seed {args.seed}\n"
            f"run folder: {display(folder)} (complete when training ends)",
            flush=True,
        )
        if args.resume is not None:
            print(f"resuming from {args.resume}", flush=True)
        start = time.perf_counter()
        try:
            history = trainer.fit(x_train, t_train, iters=args.iters, resume=args.resume)
        except (OSError, ValueError) as exc:
            if args.resume is None or trainer.iterations_done:
                raise
            # the checkpoint is missing, unreadable, or from a different run
            raise CliError(f"cannot resume: {exc}") from exc
        wall = time.perf_counter() - start
        if trainer.interrupted and args.checkpoint is not None:
            print(f"stopped after {trainer.iterations_done} of {args.iters} iterations; "
                  f"continue with --resume {args.checkpoint}", flush=True)  # fmt: skip
        # the book records at iterations 0, 600, ...: measure the final network too
        final = {"train": accuracy.accuracy(x_train, t_train),
                 "test": accuracy.accuracy(x_test, t_test)}  # fmt: skip
        records = len(history.test_acc_list)
        print(
            f"after {len(history.train_loss_list)} iterations: train acc {final['train']:.4f}, "
            f"test acc {final['test']:.4f} (and {records} epoch record{'s' * (records != 1)} "
            f"above); training took {wall:.1f} s",
            flush=True,
        )
        args.iters_per_epoch = trainer.iters_per_epoch
        _write_run(partial, args, net, history, final, wall)
        try:  # onto the empty reserved folder (POSIX): the run appears whole, at once
            os.replace(partial, folder)
        except OSError:  # where a folder cannot replace an empty one (Windows)
            folder.rmdir()
            os.rename(partial, folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
        raise
    files = sorted(p.name for p in folder.iterdir())
    print(f"wrote {', '.join(files)} to the run folder:")
    print(display(folder))
    return 0


def _write_run(
    folder: Path,
    args: argparse.Namespace,
    net: TwoLayerNet,
    history: History,
    final: dict[str, float],
    wall: float,
) -> None:
    save_model(net, folder / MODEL)
    write_bytes_atomic(folder / HISTORY, _history_csv(history))
    options = {
        k: v for k, v in vars(args).items() if k not in ("func", "command", "iters_per_epoch")
    }
    argv = ["tinynn", "train"] + [
        f"--{k.replace('_', '-')}" if v is True else f"--{k.replace('_', '-')}={v}"
        for k, v in options.items()
        if v is not None and v is not False
    ]
    write_json(folder / OPTIONS, {"command": shlex.join(argv), "options": options,
                                  "tinynn": __version__, "numpy": np.__version__})  # fmt: skip
    write_json(folder / "results.json", {
        "iterations": len(history.train_loss_list),
        "final_train_acc": final["train"],
        "final_test_acc": final["test"],
        "train_acc_list": history.train_acc_list,
        "test_acc_list": history.test_acc_list,
        "training_seconds": round(wall, 2),
    })  # fmt: skip
    if not args.no_plot:
        fig = new_figure((11, 4.2))
        if fig is not None:
            from ..plot import accuracy_figure, loss_curve_figure

            left, right = fig.subplots(1, 2)
            loss_curve_figure(history, ax=left)
            left.set_title("mini-batch loss (figure 4-11)")
            accuracy_figure(history, ax=right)
            right.set_title("accuracy per epoch (figure 4-12)")
            # the book records at the start of each epoch; mark the trained network too
            iters = len(history.train_loss_list)
            per_epoch = max(int(args.iters_per_epoch), 1)
            end = iters / per_epoch
            for key, marker, colour in (("train", "o", "C0"), ("test", "s", "C1")):
                right.plot([end], [final[key]], marker=marker, color=colour, fillstyle="none",
                           linestyle="none", label=f"{key} acc, trained")  # fmt: skip
            right.legend(loc="lower right")
            save_figure(fig, folder / TRAINING_FIGURE)
