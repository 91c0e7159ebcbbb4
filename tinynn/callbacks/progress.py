"""Printing progress: the book's line at every epoch, and how far along in between.

Book section
------------
4.5.3 (``print("train acc, test acc | " + str(train_acc) + ", " + str(test_acc))``)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, ClassVar, TextIO

from ..utils.notebook import ipython_display
from .base import Callback, Logs

__all__ = ["ProgressPrinter", "duration"]


def duration(seconds: float) -> str:
    """``"42s"``, ``"3m 05s"`` or ``"1h 02m"``.

    Examples
    --------
    >>> duration(42), duration(185), duration(3720)
    ('42s', '3m 05s', '1h 02m')
    """
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


class ProgressPrinter(Callback):
    """Print the book's line at every epoch boundary, and the progress in between.

    Parameters
    ----------
    stream : file, optional
        Where to write; ``sys.stdout`` (as it is when training starts) by default.
    interval : float, optional
        Seconds between two progress lines: 0.2 on a terminal and in a notebook, 10
        elsewhere.
    terminal : bool, optional
        Whether ``stream`` is a terminal; ``stream.isatty()`` by default. Given, it also
        turns the notebook's display off.
    clock : callable, default time.monotonic
        The time in seconds (a test drives it by hand).

    Notes
    -----
    At every epoch boundary it prints the book's line,
    ``train acc, test acc | 0.7874, 0.7929``: the names of the epoch logs
    (``train_acc`` as ``train acc``; every log but ``iteration``, so also a
    ``grad_disagreement``) and their values as ``str`` gives them, as the book
    prints them. In between, at most every ``interval`` seconds, a progress line::

        iter 1234/10000 (epoch 3: 34/600) | loss 0.2301 | 812 it/s | 2s elapsed, ~11s left

    On a terminal the progress line is rewritten in place (``\\r``) and cleared
    before the next epoch's line; in a file or a pipe each is a line of its
    own, so that logs stay readable. In a Jupyter notebook (a kernel, writing to
    its ``sys.stdout``) the progress line is one output that is updated in place
    (IPython's ``display(..., display_id=True)`` and its ``update``), below which
    the epochs' lines are printed; it ends showing the last iteration.

    The line is hand-written rather than ``tqdm.auto``'s bar: tqdm would be a new
    dependency, and its bar would be a second format beside the book's line and
    the command line's log; the rate and time left here leave the epochs'
    evaluations out, and the same line shows the progress within one numerical
    gradient. The rate counts the iterations of this
    ``fit`` only (a resumed run starts later), and their time only: the time
    spent at epoch ends (the epoch's accuracies, which callbacks before this one
    compute; for a convolutional network on all of MNIST, longer than many
    iterations) is left out. The time left is the iterations left at that rate
    plus the epoch ends left, each as long as the mean one so far.

    Its method ``gradient_progress(done, total)`` shows the progress *within*
    one slow gradient in the same way: give it to
    ``NumericalDiff(progress=printer.gradient_progress)``.

    Book section
    ------------
    4.5.3 (``print("train acc, test acc | " + str(train_acc) + ", " + str(test_acc))``)

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from tinynn import SGD, EpochAccuracy, Trainer, TwoLayerNet
    >>> x = np.random.default_rng(0).random((40, 4))
    >>> t = (x[:, 0] > 0.5).astype(int)
    >>> out = io.StringIO()
    >>> seconds = iter(range(100))   # a clock that ticks 1 s each time it is read
    >>> printer = ProgressPrinter(out, interval=2, clock=lambda: next(seconds))
    >>> _ = Trainer(TwoLayerNet(4, 8, 2, rng=1), SGD(lr=0.5), batch_size=10,
    ...             callbacks=[EpochAccuracy(train=(x, t)), printer], rng=2).fit(x, t, iters=6)
    >>> print(out.getvalue(), end="")  # 1 s per iteration, and 1 s per epoch's evaluation
    train acc | 0.425
    iter 2/6 (epoch 1: 1/4) | loss 0.6742 | 1 it/s | 3s elapsed, ~5s left
    iter 4/6 (epoch 1: 3/4) | loss 0.6121 | 1 it/s | 5s elapsed, ~3s left
    train acc | 0.425
    """

    order: ClassVar[int] = 50  # after the writers of the epoch logs (EpochAccuracy)

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        interval: float | None = None,
        terminal: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        if interval is not None and not interval >= 0:
            raise ValueError(f"interval must be a number of seconds >= 0, got {interval!r}")
        self.stream = stream
        self.interval = interval
        self.terminal = terminal
        self.clock = clock
        self._out: TextIO = sys.stdout
        self._tty = False
        self._every = 0.0
        self._start = self._last = self._gradient_start = self._iteration_end = 0.0
        self._paused, self._pauses = 0.0, 0  # time at epoch ends, and their count
        self._training = False
        self._pending = False  # a progress line is on screen, not ended by a newline
        self._display: Callable[..., Any] | None = None  # IPython's, in a notebook
        self._handle: Any = None  # the notebook's progress output, once shown

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()

    def _clear(self) -> None:
        if self._pending:
            self._write("\r\x1b[K")
            self._pending = False

    def _show(self, line: str, now: float) -> None:
        self._last = now
        if self._display is not None:
            if self._handle is None:
                self._handle = self._display({"text/plain": line}, raw=True, display_id=True)
            else:
                self._handle.update({"text/plain": line}, raw=True)
        elif self._tty:
            self._write(f"\r\x1b[K{line}")
            self._pending = True
        else:
            self._write(line + "\n")

    def status(self, iteration: int, loss: float, now: float) -> str:
        """The progress line after ``iteration`` (0-based) at time ``now``."""
        trainer = self.trainer
        done, total, per_epoch = iteration + 1, trainer.total_iters, trainer.iters_per_epoch
        elapsed = max(now - self._start, 1e-9)
        training = max(elapsed - self._paused, 1e-9)  # the epochs' evaluations left out
        rate = max(done - trainer.start_iteration, 1) / training
        epoch, within = divmod(max(iteration - 1, 0), per_epoch)  # epoch 0 is iteration 0
        evaluations = (total - 1) // per_epoch - iteration // per_epoch  # epoch ends to come
        pause = self._paused / self._pauses if self._pauses else 0.0
        return (
            f"iter {done:>{len(str(total))}}/{total} (epoch {epoch + 1}: {within + 1}/{per_epoch}) "
            f"| loss {loss:.4f} | {rate:.3g} it/s | {duration(elapsed)} elapsed, "
            f"~{duration((total - done) / rate + evaluations * pause)} left"
        )

    def gradient_progress(self, done: int, total: int) -> None:
        """Show that ``done`` of ``total`` weights of the current gradient are computed.

        For ``NumericalDiff(progress=...)``; ignored outside training.
        """
        now = self.clock()
        if not self._training or done >= total or now - self._last < self._every:
            return
        rate = done / max(now - self._gradient_start, 1e-9)
        trainer = self.trainer
        self._show(
            f"iter {trainer.iteration + 1}/{trainer.total_iters}: numerical gradient, "
            f"{done:,}/{total:,} weights, {rate:,.0f}/s, ~{duration((total - done) / rate)} "
            "left in this iteration",
            now,
        )

    def on_train_begin(self, logs: Logs) -> None:
        """Start the clock; find out where the lines go."""
        self._out = sys.stdout if self.stream is None else self.stream
        isatty = getattr(self._out, "isatty", None)
        self._tty = bool(isatty and isatty()) if self.terminal is None else self.terminal
        in_kernel = self.terminal is None and self._out is sys.stdout
        self._display, self._handle = (ipython_display() if in_kernel else None), None
        in_place = self._tty or self._display is not None
        self._every = (0.2 if in_place else 10.0) if self.interval is None else self.interval
        self._start = self._last = self._gradient_start = self._iteration_end = self.clock()
        self._paused, self._pauses = 0.0, 0
        self._training, self._pending = True, False

    def on_iteration_end(self, iteration: int, logs: Logs) -> None:
        """Show the progress if ``interval`` has passed (not after the last iteration, but
        in a notebook that has shown the progress)."""
        now = self._gradient_start = self._iteration_end = self.clock()
        last = iteration + 1 >= self.trainer.total_iters
        if (now - self._last >= self._every and not last) or (last and self._handle is not None):
            self._show(self.status(iteration, logs["loss"], now), now)

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Print the book's line; count the time since the iteration ended (the epoch's
        evaluation, by the callbacks before this one) as a pause, not as training."""
        now = self._gradient_start = self.clock()
        self._paused += max(now - self._iteration_end, 0.0)
        self._pauses += 1
        self._clear()
        shown = {k: v for k, v in logs.items() if k != "iteration"}
        if shown:
            names = ", ".join(k.replace("_", " ") for k in shown)
            self._write(f"{names} | {', '.join(str(v) for v in shown.values())}\n")

    def on_train_end(self, logs: Logs) -> None:
        """Clear a progress line left on the terminal (a notebook's stays, at its end)."""
        self._clear()
        self._training = False
        self._display = self._handle = None
