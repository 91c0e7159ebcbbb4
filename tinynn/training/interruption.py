"""Ctrl-C during training: stop at an iteration boundary, never half way through an update.

A first Ctrl-C (SIGINT) only asks the trainer to stop: the deferred handler of
:class:`StopRequest` sets a flag that the loop reads at the end of the
iteration. A second one raises ``KeyboardInterrupt`` at once. A
``KeyboardInterrupt`` that reaches the loop by another way (raised by an
estimator, an optimizer or a callback, or by Python's own handler when ``fit``
runs where the deferred one cannot be installed) counts as a first Ctrl-C when
it is the first. :class:`~tinynn.training.step.Step` makes the step all or
nothing, so that an interrupted step leaves the parameters and the state of the
model's layers, the optimizer and the estimator as they were before it.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol

from ..base import Optimizer, Stateful

__all__ = ["StopRequest", "stopped_message"]


class StopRequest:
    """Whether Ctrl-C asked training to stop; the deferred SIGINT handler that sets it."""

    def __init__(self) -> None:
        self.requested = False

    def catch(self, exc: BaseException) -> bool:
        """Whether ``exc`` is a first ``KeyboardInterrupt``: then it is a request to stop."""
        if not isinstance(exc, KeyboardInterrupt) or self.requested:
            return False
        self.requested = True
        return True

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print(
            "\ntinynn: Ctrl-C: stopping after this iteration (Ctrl-C again aborts at once)",
            file=sys.stderr,
        )

    @contextmanager
    def deferred_ctrl_c(self) -> Iterator[None]:
        """While inside, a first Ctrl-C sets :attr:`requested`; a second raises at once.

        Signal handlers can only be installed in the main thread; elsewhere
        Python's own handling stays (and a ``KeyboardInterrupt`` reaching the
        loop is caught by :meth:`catch`).
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGINT, self._handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


class _Stopped(Protocol):
    iterations_done: int
    total_iters: int
    optimizer: Optimizer


def stopped_message(trainer: _Stopped, in_update: bool) -> str:
    """What the trainer prints when Ctrl-C stopped it: where, and what state is consistent.

    ``in_update``: the interrupt came from inside the optimizer's update, whose
    state :class:`~tinynn.training.step.Step` restores only for a Stateful optimizer.
    """
    done = f"training stopped after iteration {trainer.iterations_done} of {trainer.total_iters}"
    if in_update and not isinstance(trainer.optimizer, Stateful):
        return (
            f"tinynn: interrupted (Ctrl-C) inside the optimizer's update; {done}, with "
            "parameters and history consistent (the update was undone), but "
            f"{type(trainer.optimizer).__name__} has no state_dict(), so any state it keeps "
            "may include the interrupted update"
        )
    return (
        f"tinynn: interrupted (Ctrl-C); {done}, with parameters, optimizer state and "
        "history consistent"
    )
