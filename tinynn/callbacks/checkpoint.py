"""Saving the whole training state during a run, so that it can be resumed exactly.

Book section
------------
4.5.2 (a run of 10,000 iterations that may be stopped and resumed)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from ..saving.checkpoint_file import check_info
from ..utils.validation import check_nonnegative_int, check_positive_int
from .base import Callback, Logs, Monitor

__all__ = ["Checkpoint"]


class Checkpoint(Callback):
    """Save the model, optimizer, position, generator, history and callbacks' states.

    Parameters
    ----------
    path : str or path-like
        The latest checkpoint, overwritten at each save (atomically: a crash
        leaves the previous one).
    every_epochs : int, optional
        Save at every this many epoch boundaries (the default is 1 if
        ``every_iters`` is not given either); 0: only when training ends.
    every_iters : int, optional
        Save after every this many iterations.
    best_path : str or path-like, optional
        Also save to this file whenever ``monitor`` improves (at epoch ends).
    monitor, mode, min_delta
        What "best" means (see :class:`~tinynn.EarlyStopping`);
        ``'test_acc'``, ``'max'``, ``0.0`` by default.
    info : mapping, optional
        Plain JSON data saved with each checkpoint, e.g. the options of the
        program that runs the trainer (see :meth:`Trainer.save_checkpoint
        <tinynn.Trainer.save_checkpoint>`).

    Notes
    -----
    A checkpoint is also written at the end of training, including when it
    is stopped by Ctrl-C or by :class:`~tinynn.EarlyStopping`. Order 200: it
    runs after every other callback of the iteration, so the saved history
    holds this iteration's records, and a save due at an epoch boundary
    waits for ``on_epoch_end``. Resume with
    ``Trainer.fit(x, t, iters=N, resume=path)``. The file is a ``.npz``
    without pickle; :func:`~tinynn.load_model` reads the model from it.

    Book section
    ------------
    4.5.2 (a run of 10,000 iterations that may be stopped and resumed)

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from tinynn import SGD, Trainer, TwoLayerNet
    >>> x = np.random.default_rng(0).random((40, 4))
    >>> t = (x[:, 0] > 0.5).astype(int)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     ckpt = Checkpoint(Path(d, "run.npz"), every_iters=5)
    ...     net = TwoLayerNet(4, 8, 2, rng=1)
    ...     _ = Trainer(net, SGD(lr=0.5), batch_size=10, callbacks=[ckpt], rng=2).fit(
    ...         x, t, iters=12)
    ...     again = Trainer(TwoLayerNet(4, 8, 2, rng=9), SGD(lr=0.5), batch_size=10, rng=2)
    ...     history = again.fit(x, t, iters=20, resume=Path(d, "run.npz"))
    >>> len(history.train_loss_list), ckpt.saves
    (20, 3)
    """

    order: ClassVar[int] = 200

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        every_epochs: int | None = None,
        every_iters: int | None = None,
        best_path: str | os.PathLike[str] | None = None,
        monitor: str = "test_acc",
        mode: str = "max",
        min_delta: float = 0.0,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or path, got {type(path).__name__}")
        if every_epochs is not None:
            check_nonnegative_int(every_epochs, "every_epochs")
        if every_iters is not None:
            check_positive_int(every_iters, "every_iters")
        self.path = Path(path)
        self.best_path = None if best_path is None else Path(best_path)
        self.every_iters = every_iters
        self.every_epochs = 1 if every_epochs is None and every_iters is None else every_epochs
        self.info = check_info(info)
        self.tracker = Monitor(monitor, mode, min_delta)
        self.saves = 0
        self._saved_at = -1

    def _due_every_iters(self, iteration: int) -> bool:
        return self.every_iters is not None and (iteration + 1) % self.every_iters == 0

    def _save(self, path: Path) -> None:
        self.trainer.save_checkpoint(path, info=self.info)
        self.saves += 1

    def _save_latest(self) -> None:
        self._save(self.path)
        self._saved_at = self.trainer.iterations_done

    def on_train_begin(self, logs: Logs) -> None:
        """Forget the best value of an earlier run."""
        self.tracker.reset()
        self._saved_at = -1

    def on_iteration_end(self, iteration: int, logs: Logs) -> None:
        """Save if due, unless an epoch boundary follows (then ``on_epoch_end`` saves)."""
        if self._due_every_iters(iteration) and iteration % self.trainer.iters_per_epoch != 0:
            self._save_latest()

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Save the best if ``monitor`` improved, and the latest if due."""
        improved = self.best_path is not None and self.tracker.update(logs)
        due = self._due_every_iters(self.trainer.iteration) or (
            bool(self.every_epochs) and epoch % (self.every_epochs or 1) == 0
        )
        if due:
            self._save_latest()
        if improved and self.best_path is not None:
            self._save(self.best_path)

    def on_train_end(self, logs: Logs) -> None:
        """Save the final state (unless it was just saved)."""
        if self._saved_at != self.trainer.iterations_done:
            self._save_latest()

    def state_dict(self) -> dict[str, Any]:
        """The best monitored value so far."""
        return {"best": self.tracker.best}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore the best value."""
        best = state.get("best")
        if isinstance(best, bool) or not isinstance(best, (int, float)) or math.isnan(best):
            raise ValueError(f"a Checkpoint state needs a number 'best', got {best!r}")
        self.tracker.best = float(best)
