"""The book's training run (section 4.5), set up once for the command line and the example.

``tinynn train`` and ``examples/train_neuralnet.py`` both run the book's
``ch04/train_neuralnet.py``: a :class:`~tinynn.TwoLayerNet` 784-50-10 trained
by SGD on MNIST mini-batches, with the train and test accuracy at every
epoch. Both build it here, from the same options (:class:`RunOptions`, the
same command-line flags by :func:`add_run_options`), with the same
callbacks, messages and resume rules (:class:`BookRun`). A checkpoint of the
run remembers its options, so that it is continued as it was begun
(:func:`read_run`, :meth:`RunOptions.continued`).

The data comes from the caller (``load_mnist(normalize=True,
one_hot_label=True)``), so that this module does not read data sets itself.

Book section
------------
4.5.2 (``train_neuralnet.py``: mini-batch learning), 4.5.3 (evaluating at every epoch)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from ._trainer_state import read_saved
from .base import GradientEstimator
from .callbacks import Callback, Checkpoint, EpochAccuracy, History, ProgressPrinter
from .callbacks.progress import duration
from .estimators import Backprop, NumericalDiff
from .models import TwoLayerNet
from .optimizers import SGD
from .trainer import Trainer

__all__ = ["BookRun", "RunOptions", "SavedRun", "add_run_options", "read_run"]

ESTIMATORS = ("backprop", "numerical")
NUMERICAL_METHODS = ("auto", "structured", "loop")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class RunOptions:
    """The options that make one run of the book's training: what a checkpoint remembers.

    Parameters
    ----------
    iters : int, default 10000
        Iterations of the whole run (the book's ``iters_num``).
    batch_size : int, default 100
    lr : float, default 0.1
        SGD's learning rate.
    hidden : int, default 50
        Hidden units of the 784-``hidden``-10 network.
    seed : int, default 0
        Seeds the initial weights and the mini-batches (two generators
        spawned from ``SeedSequence(seed)``).
    estimator : {'backprop', 'numerical'}
    numerical_method : {'auto', 'structured', 'loop'}
        :class:`~tinynn.NumericalDiff`'s method, with ``estimator='numerical'``.
    train_size : int, optional
        Train on the first ``train_size`` training images only.

    Raises
    ------
    TypeError, ValueError
        Naming the option (as its command-line flag) and what it must be.

    Book section
    ------------
    4.5.2 (``iters_num``, ``batch_size``, ``learning_rate`` of ``train_neuralnet.py``)

    Examples
    --------
    >>> RunOptions(iters=3000).continued({"iters": 5000}, "run.npz").iters
    5000
    >>> RunOptions().continued({"lr": 0.5, "seed": 0}, "run.npz")
    Traceback (most recent call last):
    ...
    ValueError: run.npz was trained with --lr 0.1, not --lr 0.5: leave the option out to
    continue the run as it was (only --iters may change)
    """

    iters: int = 10000
    batch_size: int = 100
    lr: float = 0.1
    hidden: int = 50
    seed: int = 0
    estimator: str = "backprop"
    numerical_method: str = "auto"
    train_size: int | None = None

    def __post_init__(self) -> None:
        for name in ("iters", "batch_size", "hidden", "seed", "train_size"):
            value, least = getattr(self, name), 0 if name == "seed" else 1
            if value is None and name == "train_size":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{_flag(name)} must be a whole number >= {least}, got {value!r}")
        lr = self.lr
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < float("inf"):
            raise ValueError(f"--lr must be a finite number > 0, got {lr!r}")
        for name, choices in (("estimator", ESTIMATORS), ("numerical_method", NUMERICAL_METHODS)):
            value = getattr(self, name)
            if value not in choices:
                raise ValueError(f"{_flag(name)} must be one of {choices}, got {value!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> RunOptions:
        """Options saved by :meth:`as_dict`; ``ValueError`` naming ``where`` if they do not fit."""
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(data, Mapping) or set(data) - names:
            raise ValueError(f"{where} holds run options this tinynn does not know: {data!r}")
        try:
            return cls(**dict(data))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} holds run options that do not fit: {exc}") from exc

    def as_dict(self) -> dict[str, Any]:
        """The options by name (plain JSON data)."""
        return dataclasses.asdict(self)

    def flags(self) -> list[str]:
        """The command-line flags that give these options (``--iters=10000``, ...)."""
        flags = [f"{_flag(k)}={v}" for k, v in self.as_dict().items() if v is not None]
        return [f for f in flags if f != "--numerical-method=auto"]

    def continued(self, given: Mapping[str, Any], where: str) -> RunOptions:
        """These options of a saved run, with ``iters`` if ``given`` has it.

        Every other option in ``given`` (those given again on the command line)
        must agree with the saved one; ``ValueError`` names each that does not.
        """
        differ = [k for k, v in given.items() if k != "iters" and getattr(self, k) != v]
        if differ:
            was = " ".join(f"{_flag(k)} {getattr(self, k)}" for k in differ)
            now = " ".join(f"{_flag(k)} {given[k]}" for k in differ)
            them = "the option" if len(differ) == 1 else "these options"
            raise ValueError(
                f"{where} was trained with {was}, not {now}: leave {them} out to continue the "
                "run as it was (only --iters may change)"
            )
        return dataclasses.replace(self, iters=given.get("iters", self.iters))


def whole_number(least: int) -> Any:
    """An argparse type: a whole number >= ``least``, or a message naming what was given."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number >= {least}, got {text!r}"
            ) from None
        if value < least:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {least}, got {text}")
        return value

    return parse


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Add the flags of :class:`RunOptions` (``--iters`` ... ``--train-size``) to ``p``.

    Each defaults to ``None``, so that :func:`given_options` tells the options
    given from those left out (which a resumed run takes from its checkpoint).
    """
    d = RunOptions()
    p.add_argument("--iters", type=whole_number(1), help=f"iterations of the run ({d.iters})")
    p.add_argument("--batch-size", type=whole_number(1), help=f"mini-batch size ({d.batch_size})")
    p.add_argument("--lr", type=positive_float, help=f"SGD learning rate ({d.lr})")
    p.add_argument("--hidden", type=whole_number(1), help=f"hidden units ({d.hidden})")
    p.add_argument("--seed", type=whole_number(0), help=f"seed of weights, batches ({d.seed})")
    p.add_argument("--estimator", choices=ESTIMATORS,
                   help="how gradients are computed (backprop; numerical: the chapter's central "
                   "differences, by NumericalDiff's structured path)")  # fmt: skip
    p.add_argument("--numerical-method", choices=NUMERICAL_METHODS,
                   help="with --estimator numerical: auto (the structured path) or the book's "
                   "loop (hundreds of times slower)")  # fmt: skip
    p.add_argument("--train-size", type=whole_number(1), metavar="N",
                   help="use only the first N training images")  # fmt: skip


def given_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`RunOptions` given on the command line (those not left out)."""
    names = [f.name for f in dataclasses.fields(RunOptions)]
    return {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}


@dataclass(frozen=True)
class SavedRun:
    """What a checkpoint of the book's run says about it: options, position, other info.

    Book section
    ------------
    4.5.2 (a run of ``train_neuralnet.py`` stopped part way)
    """

    options: RunOptions
    iterations_done: int
    info: dict[str, Any]

    def continued(self, given: Mapping[str, Any], where: str) -> RunOptions:
        """The options to go on with (see :meth:`RunOptions.continued`), checked to leave work."""
        options = self.options.continued(given, where)
        done = self.iterations_done
        if done >= options.iters:
            more = "" if "iters" in given else f", of the {options.iters} asked"
            raise ValueError(
                f"{where} has done {done} iterations already{more}: to train it further, give "
                f"a larger --iters (e.g. --iters {2 * done})"
            )
        return options


def read_run(path: str | os.PathLike[str]) -> SavedRun:
    """The run saved in the checkpoint ``path``; ``ValueError`` if it is not the book's run."""
    saved = read_saved(path)
    options = saved.info.get("run")
    if options is None:
        raise ValueError(
            f"{path} holds no options of the book's run (it was not written by tinynn train "
            "or examples/train_neuralnet.py): resume it with Trainer.fit(..., resume=path)"
        )
    info = {k: v for k, v in saved.info.items() if k != "run"}
    return SavedRun(RunOptions.from_dict(options, str(path)), saved.iterations_done, info)


class BookRun:
    """The book's run built from its options: the network, the trainer and its callbacks.

    Parameters
    ----------
    options : RunOptions
    train, test : (x, t) pairs
        MNIST as ``load_mnist(normalize=True, one_hot_label=True)`` gives it;
        the first ``options.train_size`` training images are used.
    checkpoint : path, optional
        Where the whole training state is saved, with ``options`` and ``info``:
        when training ends or is stopped (Ctrl-C), and every
        ``checkpoint_every`` epochs (0: only then).
    checkpoint_every : int, default 0
    info : mapping, optional
        More plain JSON data for the checkpoint (e.g. the program's settings).
    stream : file, optional
        Where the book's lines and the progress go (``sys.stdout``).

    Attributes
    ----------
    net : TwoLayerNet
        784-``hidden``-10, initialised from the first of two generators spawned
        from ``SeedSequence(seed)``; the mini-batches come from the second.
    trainer : Trainer
        With ``SGD(lr)``, :class:`~tinynn.Backprop` or
        :class:`~tinynn.NumericalDiff` (showing its progress within a
        gradient), and the callbacks :class:`~tinynn.EpochAccuracy` (train and
        test), :class:`~tinynn.ProgressPrinter` and :class:`~tinynn.Checkpoint`.
    seconds : float
        The wall time of the last :meth:`fit`.

    Book section
    ------------
    4.5.2 (``ch04/train_neuralnet.py``), 4.5.3 (``train acc, test acc | ...`` every epoch)
    """

    def __init__(
        self,
        options: RunOptions,
        train: tuple[Any, Any],
        test: tuple[Any, Any],
        *,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 0,
        info: Mapping[str, Any] | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.options = options
        x_train, t_train = train
        if options.train_size is not None:
            x_train, t_train = x_train[: options.train_size], t_train[: options.train_size]
        self.x_train, self.t_train = x_train, t_train
        self.x_test, self.t_test = test
        net_seed, batch_seed = np.random.SeedSequence(options.seed).spawn(2)
        self.net = TwoLayerNet(784, options.hidden, 10, rng=np.random.default_rng(net_seed))
        self.progress = ProgressPrinter(stream)
        self.accuracy = EpochAccuracy(train=(x_train, t_train), test=(self.x_test, self.t_test))
        estimator: GradientEstimator = Backprop()
        if options.estimator == "numerical":
            method, progress = options.numerical_method, self.progress.gradient_progress
            estimator = NumericalDiff(method=method, progress=progress)  # type: ignore[arg-type]
        callbacks: list[Callback] = [self.accuracy, self.progress]
        if checkpoint is not None:
            saved = {"run": options.as_dict(), **(info or {})}
            callbacks.append(Checkpoint(checkpoint, every_epochs=checkpoint_every, info=saved))
        self.trainer = Trainer(
            self.net,
            SGD(lr=options.lr),
            estimator,
            batch_size=options.batch_size,
            callbacks=callbacks,
            rng=np.random.default_rng(batch_seed),
        )
        self.seconds = 0.0

    def header(self) -> str:
        """One line: the network, the optimizer, the schedule, the data, the estimator, the seed."""
        o = self.options
        per_epoch = max(len(self.x_train) // o.batch_size, 1)
        how = o.estimator
        if o.numerical_method != "auto":
            how += f" ({o.numerical_method})"
        return (
            f"TwoLayerNet 784-{o.hidden}-10 (sigmoid), SGD lr {o.lr:g}, batch {o.batch_size}, "
            f"{o.iters} iterations ({per_epoch} per epoch), {len(self.x_train)} training images, "
            f"estimator {how}, seed {o.seed}"
        )

    def numerical_note(self) -> str | None:
        """How long the numerical gradient takes here, measured (``None`` with backprop)."""
        estimator = self.trainer.estimator
        if not isinstance(estimator, NumericalDiff):
            return None
        net, batch = self.net, min(self.options.batch_size, len(self.x_train))
        x, t = self.x_train[:batch], self.t_train[:batch]
        entries = sum(p.size for p in net.params.values())
        if estimator.method != "loop" and estimator.fallback_reason(net) is None:
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
        return (
            f"note: --estimator numerical evaluates the loss twice per weight, 2 x {entries:,} "
            f"times per iteration ({how}): about {duration(per_iter)} per iteration here, so "
            f"about {duration(per_iter * self.options.iters)} in all (backprop: milliseconds)"
        )

    def fit(self, resume: str | os.PathLike[str] | None = None) -> History:
        """Train up to ``options.iters`` iterations, from the checkpoint ``resume`` if given."""
        start = time.perf_counter()
        try:
            x, t, iters = self.x_train, self.t_train, self.options.iters
            return self.trainer.fit(x, t, iters=iters, resume=resume)
        finally:
            self.seconds = time.perf_counter() - start

    def final_accuracies(self) -> dict[str, float]:
        """Train and test accuracy of the network as it is now (the book's last record is
        at the start of the last epoch, not at the end)."""
        return {
            "train": self.accuracy.accuracy(self.x_train, self.t_train),
            "test": self.accuracy.accuracy(self.x_test, self.t_test),
        }

    def summary(self, final: Mapping[str, float]) -> str:
        """``after N iterations: train acc ..., test acc ... (...); training took ... s``."""
        history = self.trainer.history
        records = len(history.test_acc_list)
        return (
            f"after {len(history.train_loss_list)} iterations: train acc {final['train']:.4f}, "
            f"test acc {final['test']:.4f} (and {records} epoch record{'s' * (records != 1)} "
            f"above); training took {self.seconds:.1f} s"
        )

    def stopped(self, continue_with: str | None) -> str:
        """Where Ctrl-C stopped the run, and the whole command that continues it."""
        t = self.trainer
        where = (
            f"; continue this run with:\n  {continue_with}"
            if continue_with
            else " (nothing was saved to continue from: give a checkpoint to be able to)"
        )
        return f"stopped after {t.iterations_done} of {t.total_iters} iterations{where}"

