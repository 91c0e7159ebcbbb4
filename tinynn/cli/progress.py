"""Progress within an epoch: iterations done, rate and time left.

On a terminal one status line is rewritten in place (``\\r``) a few times a
second; when the output goes to a file or a pipe, a plain line is printed
every ``interval`` seconds instead, so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import ClassVar, TextIO

from ..callbacks import Callback, Logs


def duration(seconds: float) -> str:
    """``"42s"``, ``"3m 05s"`` or ``"1h 02m"``."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


class EpochProgress(Callback):
    """Show progress between epoch boundaries; print the book's line at each boundary.

    ``clock`` (``time.monotonic`` by default) is injectable so that tests can
    drive time by hand.
    """

    order: ClassVar[int] = 60  # after EpochAccuracy has written the accuracies

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        interval: float | None = None,
        terminal: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.stream = sys.stdout if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.terminal = bool(isatty and isatty()) if terminal is None else terminal
        self.interval = (0.2 if self.terminal else 10.0) if interval is None else interval
        self.clock = clock
        self._start = self._last = 0.0
        self._pending = False  # a status line is on screen, not ended by a newline

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _clear(self) -> None:
        if self._pending:
            self._write("\r\x1b[K")
            self._pending = False

    def status(self, iteration: int, loss: float, now: float) -> str:
        """The status line after ``iteration`` (0-based) at time ``now``."""
        trainer = self.trainer
        done, total, per_epoch = iteration + 1, trainer.total_iters, trainer.iters_per_epoch
        elapsed = max(now - self._start, 1e-9)
        rate = done / elapsed
        epoch, within = divmod(max(iteration - 1, 0), per_epoch)  # epoch 0 is iteration 0
        return (
            f"iter {done:>{len(str(total))}}/{total} (epoch {epoch + 1}: {within + 1}/{per_epoch}) "
            f"| loss {loss:.4f} | {rate:.3g} it/s | {duration(elapsed)} elapsed, "
            f"~{duration((total - done) / rate)} left"
        )

    def on_train_begin(self, logs: Logs) -> None:
        self._start = self._last = self.clock()

    def on_iteration_end(self, iteration: int, logs: Logs) -> None:
        now = self.clock()
        if now - self._last < self.interval or iteration + 1 >= self.trainer.total_iters:
            return
        self._last = now
        line = self.status(iteration, logs["loss"], now)
        if self.terminal:
            self._write(f"\r\x1b[K{line}")
            self._pending = True
        else:
            self._write(line + "\n")

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        self._clear()
        if "train_acc" in logs and "test_acc" in logs:
            self._write(f"train acc, test acc | {logs['train_acc']}, {logs['test_acc']}\n")

    def on_train_end(self, logs: Logs) -> None:
        self._clear()
