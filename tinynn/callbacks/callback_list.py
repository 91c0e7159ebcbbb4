"""The callbacks of a run, called in turn by the training loop: the hooks it runs.

Book section
------------
4.5.3 (what happens once per epoch), after Keras's ``CallbackList``
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .base import Callback, Logs, TrainingRun

__all__ = ["attach", "call", "end_of_iteration", "in_order"]


def in_order(callbacks: Iterable[Callback]) -> list[Callback]:
    """``callbacks`` sorted by their ``order`` (writers of logs before readers); stable."""
    return sorted(callbacks, key=lambda cb: cb.order)


def attach(callbacks: Sequence[Callback], run: TrainingRun) -> None:
    """Tell every callback which run it belongs to (before ``on_train_begin``)."""
    for cb in callbacks:
        cb.set_trainer(run)


def call(callbacks: Sequence[Callback], hook: str, logs: Logs) -> None:
    """``on_train_begin`` or ``on_train_end`` of every callback, in turn."""
    for cb in callbacks:
        getattr(cb, hook)(logs)


def end_of_iteration(
    callbacks: Sequence[Callback],
    i: int,
    loss: float,
    iters_per_epoch: int,
    stop: Callable[[BaseException], bool],
) -> None:
    """``on_iteration_end`` of iteration ``i``, and ``on_epoch_end`` at an epoch boundary.

    A ``KeyboardInterrupt`` from a callback that ``stop`` takes as a request to stop
    lets the others run; any other exception goes on at once.

    Book section
    ------------
    4.5.3 (``if i % iter_per_epoch == 0``: the accuracies of the epoch)
    """
    hooks: list[tuple[str, tuple[Any, ...]]] = [("on_iteration_end", (i, {"loss": loss}))]
    if i % iters_per_epoch == 0:
        hooks.append(("on_epoch_end", (i // iters_per_epoch, {"iteration": float(i)})))
    for hook, args in hooks:
        for cb in callbacks:
            try:
                getattr(cb, hook)(*args)
            except KeyboardInterrupt as exc:
                if not stop(exc):
                    raise
