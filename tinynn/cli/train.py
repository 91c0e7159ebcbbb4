"""``tinynn train``: the book's run (section 4.5), or another network's, in a run folder of its own.

With no options it is the book's ``ch04/train_neuralnet.py``; the options choose
Chapter 6's multi-layer network (with weight decay, Dropout, Batch
Normalization) or Chapter 7's convnet, any of the six optimizers of section 6.1
and a learning-rate schedule (see :mod:`tinynn.cli.flags`).

A run lives in one folder, ``runs/<date>-<time>/``, made when it starts and
never reused by another run. When training ends, or is stopped with Ctrl-C,
the folder holds ``checkpoint.npz`` (the whole training state with the run's
options), ``model.npz`` (the network, see :func:`tinynn.save_model`),
``history.csv`` (the loss at every iteration, the accuracies at every epoch),
``training.png`` (figures 4-11 and 4-12), ``options.json`` (the options, and the
command that makes the same run from scratch) and, written last,
``results.json``: ``"status": "complete"`` or ``"interrupted"``, the iterations
asked and done, the accuracies, the network and the optimizer (with its
schedule), and one entry per training session.

``tinynn train --resume <folder>`` continues a run where it stopped, with its
own options, in its own folder (options given again must agree; only
``--iters`` may change). A folder without ``results.json`` is a run still
training, or one that was killed: with ``--checkpoint-every`` it can go on from
its last checkpoint; without one it is removed when training fails.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .. import __version__
from ..callbacks import History
from ..saving.model_file import save_model
from ..utils.atomic import write_bytes_atomic
from .book_run import BookRun, SavedRun, read_run
from .common import (
    CHECKPOINT,
    HISTORY,
    MODEL,
    OPTIONS,
    RESULTS,
    TRAINING_FIGURE,
    CliError,
    add_data_options,
    display,
    load_data,
    save_figure,
    write_json,
)
from .flags import add_run_options, given_options
from .options import RunOptions, warmup_note
from .values import whole_number

HELP = "train a network on MNIST, in a run folder of its own"
DESCRIPTION = """\
Train a network on MNIST, in a run folder of its own. With no options, the book's run
(section 4.5): a 784-50-10 TwoLayerNet trained by SGD. --model multi-layer is Chapter 6's
network (--hidden, --activation, --weight-init, --weight-decay, --dropout, --batchnorm),
--model convnet Chapter 7's SimpleConvNet (trained by Adam at 0.001 unless --optimizer or
--lr says otherwise, as the book's run), --model deep-convnet Chapter 8's DeepConvNet (Adam
too; --augment shifts and turns the training images, section 8.1.3); --optimizer, --lr,
--schedule and --warmup choose the update rule and its learning rate. How long it takes:
see the docs' Performance page (docs/performance.rst)."""
EPILOG = """\
examples:
  tinynn train                                 the book's run (Chapter 4)
  tinynn train --epochs 5 --model multi-layer --hidden 100,100,100 --batchnorm --dropout 0.2 \\
      --weight-decay 0.0001 --optimizer adam   Chapter 6's techniques together
  tinynn train --model convnet --epochs 1      Chapter 7's SimpleConvNet (Adam, lr 0.001)
  tinynn train --model deep-convnet --epochs 20 --augment
                                               Chapter 8's DeepConvNet, its images moved
  tinynn train --optimizer momentum --schedule step:2000:0.5 --warmup 100
                                               momentum, the rate halved every 2000 updates
  tinynn train --resume runs/20261128-210000   continue a run stopped with Ctrl-C"""
#: Options that are not the run's but how this command runs it: remembered by the
#: checkpoint too, and given again they simply apply.
SETTINGS = ("checkpoint_every", "no_plot", "data_dir", "no_download")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help=HELP,
        description=DESCRIPTION,
        usage="%(prog)s [options]  (tinynn train --help lists them)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_options(p)
    p.add_argument("--runs-dir", metavar="DIR", default=None,
                   help="where the run folder is made (./runs)")  # fmt: skip
    p.add_argument("--no-plot", action="store_true", default=None, help="do not draw training.png")
    p.add_argument("--checkpoint-every", type=whole_number(1), metavar="EPOCHS",
                   help="also save the training state every EPOCHS epochs, so that a run that "
                   "is killed can go on (it is always saved when training ends or is stopped "
                   "with Ctrl-C)")  # fmt: skip
    p.add_argument("--resume", metavar="RUN",
                   help="continue the run in this run folder (or checkpoint file) where it "
                   "stopped, with its options (given again they must agree; --iters may "
                   "change)")  # fmt: skip
    add_data_options(p)
    p.set_defaults(func=run, no_download=None, usage_error=p.error)


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


def _resume_target(text: str) -> tuple[Path, Path | None]:
    """The checkpoint to resume, and its run folder (``None`` for a checkpoint outside one)."""
    path = Path(text)
    if path.is_dir():
        if not (path / OPTIONS).is_file():
            raise CliError(f"cannot resume: {text} is not a run folder of tinynn train")
        if not (path / CHECKPOINT).is_file():
            raise CliError(
                f"cannot resume: {text} has no {CHECKPOINT}: its training was killed before "
                "saving one (--checkpoint-every saves one during training)"
            )
        return path / CHECKPOINT, path
    if not path.is_file():
        raise CliError(f"cannot resume: no run folder or checkpoint {text!r}")
    folder = path.parent if path.name == CHECKPOINT and (path.parent / OPTIONS).is_file() else None
    return path, folder


class _Plan(NamedTuple):
    options: RunOptions
    settings: dict[str, Any]
    resume: Path | None = None  # the checkpoint to continue
    folder: Path | None = None  # its run folder
    saved: SavedRun | None = None  # what the checkpoint says


def _plan(args: argparse.Namespace) -> _Plan:
    """What to run, and where; checked completely, nothing made or changed yet."""
    settings = {k: getattr(args, k) for k in SETTINGS if getattr(args, k) is not None}
    if "data_dir" in settings:
        settings["data_dir"] = os.path.abspath(settings["data_dir"])
    if args.resume is None:
        try:
            options = RunOptions.make(**given_options(args))
        except ValueError as exc:  # options that do not fit together: a usage error
            args.usage_error(str(exc))  # prints the usage and the message, exits with 2
            raise
        return _Plan(options, settings)
    checkpoint, folder = _resume_target(args.resume)
    if folder is not None and args.runs_dir is not None:
        raise CliError(f"--runs-dir does not apply: the run goes on in its folder {args.resume}")
    try:
        saved = read_run(checkpoint)
        options = saved.continued(given_options(args, saved.options), args.resume)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot resume: {exc}") from exc
    before = saved.info.get("settings") if saved.info.get("program") == "tinynn train" else None
    return _Plan(options, {**(before or {}), **settings}, checkpoint, folder, saved)


def _continuing(plan: _Plan, folder: Path) -> str:
    """``continuing runs/X from iteration k of N`` (and a changed ``--iters``, named)."""
    assert plan.saved is not None and plan.resume is not None
    done, iters, before = plan.saved.iterations_done, plan.options.iters, plan.saved.options.iters
    where = display(folder)
    if plan.folder is None:
        where = f"the run saved in {display(plan.resume)} in the new run folder {where}"
    changed = f" (--iters {iters}: it was begun for {before})" if iters != before else ""
    return f"continuing {where} from iteration {done} of {iters}{changed}"


def run(args: argparse.Namespace) -> int:
    plan = _plan(args)
    options, settings, resume, folder = plan.options, plan.settings, plan.resume, plan.folder
    args.data_dir, args.no_download = settings.get("data_dir"), settings.get("no_download", False)
    train, test = load_data(args)
    fresh = folder is None
    if folder is None:
        folder = _new_run_folder(Path(args.runs_dir or "runs"))
    try:
        book = BookRun(options, train, test, checkpoint=folder / CHECKPOINT,
                       checkpoint_every=settings.get("checkpoint_every") or 0,
                       info={"program": "tinynn train", "settings": settings})  # fmt: skip
        if fresh:
            _write_options(folder, options, settings, resume)
        print(book.header(), flush=True)
        if resume is None:
            print(f"run folder: {display(folder)} (results.json when training ends)", flush=True)
        else:
            print(_continuing(plan, folder), flush=True)
        for note in (warmup_note(options), book.numerical_note()):
            if note:
                print(note, file=sys.stderr, flush=True)
        try:
            book.fit(resume)
        except (OSError, ValueError) as exc:
            if resume is None or book.trainer.total_iters:
                raise
            raise CliError(f"cannot resume: {exc}") from exc  # checked before any change
        final = book.final_accuracies()
        print(book.summary(final), flush=True)
        _write_run(folder, book, final, settings, resume)
    except BaseException:
        if fresh and not (folder / CHECKPOINT).exists():  # nothing to go on from
            shutil.rmtree(folder, ignore_errors=True)
        elif fresh:
            print(f"the run folder {display(folder)} keeps its last checkpoint: continue with "
                  f"{_continue_with(folder)}", file=sys.stderr)  # fmt: skip
        raise
    if book.trainer.interrupted:
        print(book.stopped(_continue_with(folder)), flush=True)
        return 130
    files = sorted(p.name for p in folder.iterdir())
    print(f"wrote {', '.join(files)} to the run folder:")
    print(display(folder))
    return 0


def _continue_with(folder: Path) -> str:
    return f"tinynn train --resume {shlex.quote(display(folder))}"


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


def _write_options(
    folder: Path, options: RunOptions, settings: dict[str, Any], resume: Path | None
) -> None:
    """``options.json``: the options, and the command that makes the same run from scratch."""
    flags = [f"--{k.replace('_', '-')}" + ("" if v is True else f"={v}")
             for k, v in settings.items() if v is not None and v is not False]  # fmt: skip
    data: dict[str, Any] = {
        "command": shlex.join(["tinynn", "train", *options.flags(), *flags]),
        "options": {**options.as_dict(), **settings},
        "tinynn": __version__,
        "numpy": np.__version__,
    }
    if resume is not None:  # a checkpoint from outside a run folder, continued here
        data["continued_from"] = str(resume)
    else:  # resumed again in its own folder: the link to where it came from stays
        try:
            before = json.loads((folder / OPTIONS).read_text(encoding="utf-8"))
            data["continued_from"] = str(before["continued_from"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    write_json(folder / OPTIONS, data)


def _sessions(folder: Path, book: BookRun) -> list[dict[str, Any]]:
    """The training sessions of this run folder so far, this one last."""
    try:
        before = json.loads((folder / RESULTS).read_text(encoding="utf-8"))["sessions"]
        sessions = [s for s in before if isinstance(s, dict)]
    except (OSError, ValueError, KeyError, TypeError):
        sessions = []
    trainer = book.trainer
    return [*sessions, {
        "from_iteration": trainer.start_iteration,
        "to_iteration": trainer.iterations_done,
        "ended": "interrupted" if trainer.interrupted else "complete",
        "training_seconds": round(book.seconds, 2),
    }]  # fmt: skip


def _write_run(
    folder: Path,
    book: BookRun,
    final: dict[str, float],
    settings: dict[str, Any],
    resume: Path | None,
) -> None:
    """Write the run's files, ``results.json`` last: its presence means the rest is there."""
    trainer, history = book.trainer, book.trainer.history
    save_model(book.net, folder / MODEL)
    write_bytes_atomic(folder / HISTORY, _history_csv(history))
    outside = resume if resume is not None and resume.parent != folder else None
    _write_options(folder, book.options, settings, outside)
    if not settings.get("no_plot"):
        _draw_training(folder, history, final, trainer.iters_per_epoch, run_title(book))
    sessions = _sessions(folder, book)
    results: dict[str, Any] = {
        "status": "interrupted" if trainer.interrupted else "complete",
        "iterations_asked": trainer.total_iters,
        "iterations_done": trainer.iterations_done,
    }
    if trainer.interrupted:
        results["continue_with"] = _continue_with(folder)
    write_json(folder / RESULTS, {
        **results,
        **book.description(),
        "final_train_acc": final["train"],
        "final_test_acc": final["test"],
        "train_acc_list": history.train_acc_list,
        "test_acc_list": history.test_acc_list,
        "training_seconds": round(sum(s.get("training_seconds", 0.0) for s in sessions), 2),
        "sessions": sessions,
    })  # fmt: skip


def run_title(book: BookRun) -> str:
    """What ``training.png`` says was trained: the network, its optimizer and schedule.

    The Chapter 4 network's curves are the book's figures 4-11 and 4-12, and say so; another
    model's (Chapters 6 and 7) are its own.
    """
    o, trainer = book.options, book.trainer
    details = [f"hidden {'-'.join(str(h) for h in o.hidden)}"] if o.hidden else []
    if o.model == "multi-layer":
        details += [o.activation, f"{o.weight_init} init"]
        details += [f"dropout {o.dropout:g}"] if o.dropout is not None else []
        details += ["batch norm"] if o.batchnorm else []
        details += [f"weight decay {o.weight_decay:g}"] if o.weight_decay else []
    elif o.model == "convnet":
        details.insert(0, f"{o.filters} filters {o.filter_size}x{o.filter_size}")
    size = sum(int(p.size) for p in book.net.params.values())
    name = type(book.net).__name__ + (f" ({', '.join(details)})" if details else "")
    schedule = (f"{type(trainer.optimizer).__name__} lr {o.lr:g}, batch {trainer.batch_size}: "
                f"{trainer.iterations_done:,} iterations on {len(book.x_train):,} images")
    book_figures = " (figures 4-11 and 4-12)" if o.model == "two-layer" else ""
    return f"{name}, {size:,} parameters{book_figures}\n{schedule}"


def _draw_training(
    folder: Path, history: History, final: dict[str, float], iters_per_epoch: int, title: str
) -> None:
    """``training.png``: the loss and accuracies (figures 4-11 and 4-12 for the Chapter 4
    network), titled by what was trained, the trained network's accuracies marked."""
    from ..plot import training_figure  # matplotlib is imported when a figure is drawn

    try:
        fig = training_figure(history, iters_per_epoch=iters_per_epoch, final=final, title=title)
    except ImportError:
        print('figures skipped: they need matplotlib: pip install "tinynn[plot]"', flush=True)
        return
    save_figure(fig, folder / TRAINING_FIGURE)
