"""Printing progress: one line per epoch, and optionally every few iterations.

Book section
------------
4.5.3 (``print("train acc, test acc | ...")``)
"""

from __future__ import annotations

import sys
import time
from typing import ClassVar, TextIO

from .._validation import check_positive_int
from .base import Callback, Logs

__all__ = ["ProgressPrinter"]


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
        start, total = self.trainer.start_iteration, self.trainer.total_iters
        done = iteration + 1 - start  # in this call of fit (a resumed run starts later)
        if done < min(10, total - start):  # too early for an estimate worth printing
            return f"{elapsed:7.1f}s elapsed"
        left = elapsed / done * (total - iteration - 1)
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
