"""Stopping when a monitored epoch log stops improving, optionally keeping the best weights.

Book section
------------
4.5.3 (watching the test accuracy for signs of overfitting)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ..typing import Params
from ..utils.validation import check_nonnegative_int
from .base import Callback, Logs, Monitor

__all__ = ["EarlyStopping"]


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epoch boundaries.

    Parameters
    ----------
    monitor : str, default 'test_acc'
        An epoch-log key, written by a callback that runs earlier (e.g.
        :class:`~tinynn.EpochAccuracy` for ``'test_acc'``).
    mode : {'max', 'min'}, default 'max'
        Whether larger or smaller values are better.
    patience : int, default 5
        Stop at the ``patience``-th epoch boundary in a row without
        improvement (as Keras; 0 and 1 both stop at the first).
    min_delta : float, default 0
        An improvement must exceed this.
    restore_best : bool, default False
        At the end of training (not after Ctrl-C, so that a checkpoint of the
        interrupted run stays resumable), copy the parameters of the best
        epoch back into the model.

    Raises
    ------
    ValueError
        At the first epoch end, if ``monitor`` is not in the logs.

    Notes
    -----
    Its state (best value, epochs waited, best parameters) is saved by
    :class:`~tinynn.Checkpoint`, so a resumed run stops where the
    uninterrupted one would. Order 10: after the writers of the logs.

    Book section
    ------------
    4.5.3 (watching the test accuracy for signs of overfitting)

    Examples
    --------
    >>> stop = EarlyStopping(patience=1)
    >>> stop.monitor, stop.mode, stop.patience
    ('test_acc', 'max', 1)
    """

    order: ClassVar[int] = 10

    def __init__(
        self,
        monitor: str = "test_acc",
        mode: str = "max",
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best: bool = False,
    ) -> None:
        super().__init__()
        check_nonnegative_int(patience, "patience")
        self.tracker = Monitor(monitor, mode, min_delta)
        self.monitor, self.mode, self.min_delta = monitor, mode, min_delta
        self.patience = patience
        self.restore_best = bool(restore_best)
        self.wait = 0
        self.best_epoch = -1
        self.stopped_epoch = -1
        self.best_params: Params = {}

    def on_train_begin(self, logs: Logs) -> None:
        """Start afresh (a resumed run then restores the saved state)."""
        self.tracker.reset()
        self.wait, self.best_epoch, self.stopped_epoch = 0, -1, -1
        self.best_params = {}

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Note an improvement, or count one more epoch without and stop when patience runs out."""
        if self.tracker.update(logs):
            self.wait, self.best_epoch = 0, epoch
            if self.restore_best:
                self.best_params = {k: p.copy() for k, p in self.trainer.model.params.items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self, logs: Logs) -> None:
        """Restore the best parameters if asked to (not after an interruption)."""
        if self.restore_best and self.best_params and not self.trainer.interrupted:
            for name, p in self.trainer.model.params.items():
                np.copyto(p, self.best_params[name])

    def state_dict(self) -> dict[str, Any]:
        """Best value, epochs waited, best/stopped epoch and (with ``restore_best``) best params."""
        return {
            "best": self.tracker.best,
            "wait": self.wait,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
            "best_params": dict(self.best_params),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state returned by :meth:`state_dict`."""
        try:
            best = float(state["best"])
            ints = [int(state[k]) for k in ("wait", "best_epoch", "stopped_epoch")]
            params = {k: _floats(v) for k, v in state["best_params"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not an EarlyStopping state: {exc!r}") from exc
        if math.isnan(best):
            raise ValueError("an EarlyStopping state needs a number 'best', got NaN")
        self.tracker.best = best
        self.wait, self.best_epoch, self.stopped_epoch = ints
        self.best_params = params


def _floats(value: Any) -> Any:
    """A copy of ``value`` as a float array: float32 kept (a float32 model's), else float64."""
    a = np.array(value)
    return a if a.dtype in (np.float32, np.float64) else a.astype(np.float64)
