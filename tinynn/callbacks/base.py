"""The base class of callbacks, and what their hooks receive.

Book section
------------
4.5.3 (what happens once per epoch)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol

from numpy.typing import NDArray

from ..base import GradientEstimator, Model, Optimizer
from ..utils.validation import check_nonnegative

__all__ = ["Callback", "Logs", "Monitor", "TrainingRun"]

#: What hooks receive, by name. Per iteration ``{'loss': ...}``; per epoch the
#: ``'iteration'`` it was recorded at plus what writers add (``'train_acc'``, ...).
Logs = dict[str, float]


class TrainingRun(Protocol):
    """What a callback sees of the :class:`~tinynn.Trainer` that runs it.

    Everything is read-only but ``stop_training``, which a callback sets to end training
    after the current iteration.

    Book section
    ------------
    4.5.2 (the training loop: ``iters_num``, ``batch_size``, ``iter_per_epoch``)
    """

    stop_training: bool

    @property
    def model(self) -> Model:
        """The model being trained."""
        ...

    @property
    def optimizer(self) -> Optimizer:
        """The optimizer updating it."""
        ...

    @property
    def estimator(self) -> GradientEstimator:
        """How its gradients are computed."""
        ...

    @property
    def iteration(self) -> int:
        """The index of the current (or last) iteration."""
        ...

    @property
    def iterations_done(self) -> int:
        """Updates applied so far in the whole run."""
        ...

    @property
    def start_iteration(self) -> int:
        """The first iteration of this ``fit`` (> 0 when resumed)."""
        ...

    @property
    def total_iters(self) -> int:
        """Iterations of the whole run."""
        ...

    @property
    def iters_per_epoch(self) -> int:
        """Mini-batches per pass over the training data."""
        ...

    @property
    def interrupted(self) -> bool:
        """Whether Ctrl-C stopped the run."""
        ...

    @property
    def batch(self) -> tuple[NDArray[Any], NDArray[Any]] | None:
        """The current mini-batch ``(x, t)``."""
        ...

    @property
    def train_data(self) -> tuple[object, NDArray[Any]] | None:
        """The training inputs as given to ``fit``, and as converted once."""
        ...

    def save_checkpoint(
        self, path: str | os.PathLike[str], *, info: Mapping[str, Any] | None = None
    ) -> Path:
        """Write the run's whole state to ``path``."""
        ...


class Callback:
    """Base class with a no-op for every hook; override the ones you need.

    Attributes
    ----------
    order : int
        Writers of logs use a negative order, readers a positive one (see
        :mod:`tinynn.callbacks` for the order of the built-in callbacks).
    trainer : TrainingRun
        The trainer, set by it before ``on_train_begin``. Set
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
        self._trainer: TrainingRun | None = None

    @property
    def trainer(self) -> TrainingRun:
        """The trainer running this callback."""
        if self._trainer is None:
            raise RuntimeError(f"{type(self).__name__} is not attached to a Trainer yet")
        return self._trainer

    def set_trainer(self, trainer: TrainingRun) -> None:
        """Called by the trainer before training starts."""
        self._trainer = trainer

    def on_train_begin(self, logs: Logs) -> None:
        """Before the first iteration (also when resuming, before states are restored)."""

    def on_iteration_end(self, iteration: int, logs: Logs) -> None:
        """After each parameter update; ``logs['loss']`` is the mini-batch loss."""

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """At each epoch boundary (iteration 0, ``iters_per_epoch``, ...), as the book records."""

    def on_train_end(self, logs: Logs) -> None:
        """After the last iteration."""


class Monitor:
    """Tracks the best value of one epoch log: what early stopping and best checkpoints watch.

    Parameters
    ----------
    monitor : str
        The epoch-log key, e.g. ``'test_acc'``.
    mode : {'max', 'min'}
        Whether larger or smaller values are better.
    min_delta : float, default 0
        How much better than the best a value must be to count as an improvement.

    Book section
    ------------
    4.5.3 (watching the test accuracy to spot overfitting)

    Examples
    --------
    >>> m = Monitor("test_acc", "max", min_delta=0.01)
    >>> [m.update({"test_acc": v}) for v in (0.5, 0.505, 0.52)]
    [True, False, True]
    >>> m.best
    0.52
    """

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(
                f"monitor must be an epoch-log name such as 'test_acc', got {monitor!r}"
            )
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
        check_nonnegative(min_delta, "min_delta")  # a NumPy scalar is a number too
        self.monitor = monitor
        self.mode = mode
        self.min_delta = float(min_delta)
        self.best = -math.inf if mode == "max" else math.inf

    def reset(self) -> None:
        """Forget the best value."""
        self.best = -math.inf if self.mode == "max" else math.inf

    def value(self, logs: Logs) -> float:
        """The monitored value in ``logs``; ``ValueError`` naming the keys if it is absent."""
        if self.monitor not in logs:
            raise ValueError(
                f"monitor {self.monitor!r} is not in the epoch logs, which hold {sorted(logs)}; "
                "add the callback that writes it (e.g. EpochAccuracy(test=(x, t)) for 'test_acc')"
            )
        return logs[self.monitor]

    def update(self, logs: Logs) -> bool:
        """Whether ``logs``' value beats the best by more than ``min_delta``; then it is the best.

        NaN never improves.
        """
        value = self.value(logs)
        if self.mode == "max":
            better = value > self.best + self.min_delta
        else:
            better = value < self.best - self.min_delta
        if better:
            self.best = value
        return better
