"""The callbacks of a run, called in turn by the training loop: the hooks it runs.

Book section
------------
4.5.3 (what happens once per epoch), after Keras's ``CallbackList``
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .base import Callback, Logs, TrainingRun

__all__ = ["HOOKS", "attach", "call", "check_hooks", "end_of_iteration", "in_order"]

#: Every hook and the arguments the trainer gives it (after ``self``).
HOOKS = {
    "on_train_begin": ("logs",),
    "on_iteration_end": ("iteration", "logs"),
    "on_epoch_end": ("epoch", "logs"),
    "on_train_end": ("logs",),
}


def check_hooks(callbacks: Sequence[Callback]) -> None:
    """A ``TypeError`` naming the callback and the hook whose signature cannot take the
    trainer's arguments (``on_train_begin(self)`` without ``logs``, say), before training.

    Book section
    ------------
    4.5.3 (what happens once per epoch)
    """
    for i, cb in enumerate(callbacks):
        for hook, args in HOOKS.items():
            method = getattr(cb, hook, None)
            try:
                signature = inspect.signature(method)  # type: ignore[arg-type]
            except (TypeError, ValueError):  # not introspectable: called as it is
                continue
            try:
                signature.bind(*args)
            except TypeError as exc:
                expected = ", ".join(("self", *args))
                raise TypeError(
                    f"callbacks[{i}] ({type(cb).__name__}).{hook}{signature} cannot take what "
                    f"the trainer gives it ({exc}): define {hook}({expected}); the hooks are "
                    + ", ".join(f"{h}({', '.join(('self', *a))})" for h, a in HOOKS.items())
                ) from None


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
