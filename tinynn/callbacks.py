"""Callbacks: code the :class:`~tinynn.Trainer` runs at fixed points of training.

The trainer calls every callback's hooks in order of their ``order``
attribute: callbacks that *write* to the logs (``EpochAccuracy``, order -10)
run before those that *read* them (``ProgressPrinter`` 50, ``History`` 100).
Callbacks with equal ``order`` run in list order.

Book section
------------
4.5.3 (evaluating train and test accuracy once per epoch)
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, ClassVar, TextIO

import numpy as np

from ._validation import check_positive_int
from .typing import ArrayLike

if TYPE_CHECKING:
    from .trainer import Trainer

__all__ = ["Callback", "EpochAccuracy", "History", "Logs", "ProgressPrinter"]

#: What hooks receive, by name. Per iteration ``{'loss': ...}``; per epoch the
#: ``'iteration'`` it was recorded at plus what writers add (``'train_acc'``, ...).
Logs = dict[str, float]


class Callback:
    """Base class with a no-op for every hook; override the ones you need.

    Attributes
    ----------
    order : int
        Writers of logs use a negative order, readers a positive one.
    trainer : Trainer
        Set by the trainer before ``on_train_begin``. Set
        ``self.trainer.stop_training = True`` to end training after the
        current iteration.

    Book section
    ------------
    4.5.3 (what happens each epoch), after Keras's ``Callback``

    Examples
    --------
    >>> class StopBelow(Callback):
    ...     def __init__(self, loss):
    ...         super().__init__()
    ...         self.threshold = loss
    ...     def on_iteration_end(self, iteration, logs):
    ...         if logs["loss"] < self.threshold:
    ...             self.trainer.stop_training = True
    """

    order: ClassVar[int] = 0

    def __init__(self) -> None:
        self._trainer: Trainer | None = None

    @property
    def trainer(self) -> Trainer:
        """The trainer running this callback."""
        if self._trainer is None:
            raise RuntimeError(f"{type(self).__name__} is not attached to a Trainer yet")
        return self._trainer

    def set_trainer(self, trainer: Trainer) -> None:
        """Called by the trainer before training starts."""
        self._trainer = trainer

    def on_train_begin(self, logs: Logs) -> None:
        """Before the first iteration."""

    def on_iteration_end(self, iteration: int, logs: Logs) -> None:
        """After each parameter update; ``logs['loss']`` is the mini-batch loss."""

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """At each epoch boundary (iteration 0, ``iters_per_epoch``, ...), as the book records."""

    def on_train_end(self, logs: Logs) -> None:
        """After the last iteration."""


class EpochAccuracy(Callback):
    """Record the accuracy on named data sets at every epoch boundary.

    Parameters
    ----------
    batch_size : int, default 10000
        Samples evaluated at a time (the result is the same; memory is lower).
    **datasets : (x, t) pairs
        Each name ``n`` adds ``logs[f"{n}_acc"]``; the book uses
        ``train=(x_train, t_train), test=(x_test, t_test)``.

    Book section
    ------------
    4.5.3 (``train_acc_list`` and ``test_acc_list``)

    Examples
    --------
    >>> acc = EpochAccuracy(train=(np.zeros((4, 2)), [0, 1, 0, 1]))
    >>> list(acc.datasets)
    ['train']
    """

    order: ClassVar[int] = -10

    def __init__(self, *, batch_size: int = 10000, **datasets: tuple[ArrayLike, ArrayLike]) -> None:
        super().__init__()
        check_positive_int(batch_size, "batch_size")
        if not datasets:
            raise ValueError("EpochAccuracy needs a data set, e.g. test=(x_test, t_test)")
        self.batch_size = batch_size
        self.datasets: dict[str, tuple[ArrayLike, ArrayLike]] = {}
        for name, pair in datasets.items():
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise TypeError(f"{name} must be an (x, t) pair, got {type(pair).__name__}")
            x, t = np.asarray(pair[0]), np.asarray(pair[1])
            if x.ndim == 0 or t.ndim == 0 or len(x) != len(t) or len(x) == 0:
                raise ValueError(
                    f"{name}: x and t must hold the same number (>= 1) of samples, got x "
                    f"{x.shape} and t {t.shape}"
                )
            self.datasets[name] = (x, t)

    def on_train_begin(self, logs: Logs) -> None:
        """Check every data set against the model before training starts."""
        for x, t in self.datasets.values():
            self.trainer.model.accuracy(np.asarray(x)[:1], np.asarray(t)[:1])

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        """The model's accuracy on ``(x, t)``, evaluated ``batch_size`` samples at a time."""
        xa, ta = np.asarray(x), np.asarray(t)
        n = len(xa)
        correct = 0
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            acc = self.trainer.model.accuracy(xa[start:stop], ta[start:stop])
            correct += round(acc * (stop - start))
        return correct / float(n)

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Add ``<name>_acc`` for every data set."""
        for name, (x, t) in self.datasets.items():
            logs[f"{name}_acc"] = self.accuracy(x, t)


class History(Callback):
    """Everything recorded during training: the loss per iteration, the logs per epoch.

    Every :class:`~tinynn.Trainer` has one (``trainer.history``), which
    ``fit`` returns.

    Attributes
    ----------
    history : dict of str to list of float
        ``'loss'`` per iteration; every epoch-log key (``'iteration'``,
        ``'train_acc'``, ``'test_acc'``, ...) per epoch boundary.

    Book section
    ------------
    4.5.2 (``train_loss_list``), 4.5.3 (``train_acc_list``, ``test_acc_list``)
    """

    order: ClassVar[int] = 100

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}

    def on_train_begin(self, logs: Logs) -> None:
        """Start a fresh record."""
        self.history = {"loss": []}

    def on_iteration_end(self, iteration: int, logs: Logs) -> None:
        """Append the mini-batch loss."""
        self.history["loss"].append(logs["loss"])

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Append every epoch-log value."""
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    @property
    def train_loss_list(self) -> list[float]:
        """The mini-batch loss after every iteration (the book's name)."""
        return self.history.get("loss", [])

    @property
    def train_acc_list(self) -> list[float]:
        """Train accuracy at every epoch boundary (the book's name)."""
        return self.history.get("train_acc", [])

    @property
    def test_acc_list(self) -> list[float]:
        """Test accuracy at every epoch boundary (the book's name)."""
        return self.history.get("test_acc", [])


class ProgressPrinter(Callback):
    """Print a line at every epoch boundary, and optionally every ``every`` iterations.

    Parameters
    ----------
    every : int, optional
        Also print every this many iterations (useful with the slow
        :class:`~tinynn.NumericalDiff`).
    stream : file, optional
        Where to write; ``sys.stdout`` by default.

    Book section
    ------------
    4.5.3 (``print("train acc, test acc | ...")``)
    """

    order: ClassVar[int] = 50

    def __init__(self, every: int | None = None, *, stream: TextIO | None = None) -> None:
        super().__init__()
        if every is not None:
            check_positive_int(every, "every")
        self.every = every
        self.stream = stream
        self._start = 0.0
        self._loss = float("nan")

    def _print(self, text: str) -> None:
        print(text, file=self.stream if self.stream is not None else sys.stdout, flush=True)

    def _clock(self, iteration: int) -> str:
        elapsed = time.perf_counter() - self._start
        done, total = iteration + 1, self.trainer.total_iters
        if done < min(10, total):  # too early for an estimate worth printing
            return f"{elapsed:7.1f}s elapsed"
        left = elapsed / done * (total - done)
        return f"{elapsed:7.1f}s elapsed, ~{left:.0f}s left"

    def on_train_begin(self, logs: Logs) -> None:
        """Start the clock."""
        self._start = time.perf_counter()

    def on_iteration_end(self, iteration: int, logs: Logs) -> None:
        """Print every ``every`` iterations."""
        self._loss = logs["loss"]
        if self.every is not None and (iteration + 1) % self.every == 0:
            total = self.trainer.total_iters
            self._print(
                f"iter {iteration + 1:>{len(str(total))}}/{total} | loss {logs['loss']:.4f} | "
                f"{self._clock(iteration)}"
            )

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Print the epoch's logs."""
        iteration = int(logs.get("iteration", 0))
        accs = ", ".join(f"{k} {v:.4f}" for k, v in logs.items() if k.endswith("_acc"))
        self._print(
            f"epoch {epoch:>3} | iter {iteration + 1:>6} | loss {self._loss:.4f}"
            f"{' | ' + accs if accs else ''} | {self._clock(iteration)}"
        )
