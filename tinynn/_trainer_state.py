"""A trainer's whole state in one checkpoint file, and back: what makes resume exact.

The file is a tinynn archive (see :mod:`tinynn._npz`) of kind ``'checkpoint'``:
the model's parameters under ``params/`` (so :func:`~tinynn.load_model` reads
it too), and under ``state/`` the trainer's position, the batch generator's
``bit_generator.state``, a mini-batch drawn but not yet used (after an
interrupted iteration), the optimizer's ``state_dict()``, the history and
the state of every callback that implements :class:`~tinynn.Stateful`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._npz import flatten_state, read_archive, unflatten_state, write_archive
from .base import Stateful
from .serialization import PARAMS, assign_params, check_params, describe_model

if TYPE_CHECKING:
    from .trainer import Trainer

__all__ = ["Restored", "callback_keys", "read_checkpoint", "write_checkpoint"]


def callback_keys(trainer: Trainer) -> dict[str, Stateful]:
    """The trainer's stateful callbacks but History, keyed by class name (``-2``... on repeats)."""
    keys: dict[str, Stateful] = {}
    for cb in trainer.callbacks:
        if cb is trainer.history or not isinstance(cb, Stateful):
            continue
        name, k = type(cb).__name__, 1
        while (key := name if k == 1 else f"{name}-{k}") in keys:
            k += 1
        keys[key] = cb
    return keys


def write_checkpoint(trainer: Trainer, path: str | os.PathLike[str]) -> Path:
    """Write everything needed to resume ``trainer`` exactly, atomically."""
    position: dict[str, Any] = {
        "iterations_done": trainer.iterations_done,
        "iters_per_epoch": trainer.iters_per_epoch,
        "total_iters": trainer.total_iters,
        "batch_size": trainer.batch_size,
        "train_size": trainer.train_size,
        "rng": trainer.rng.bit_generator.state,
        "stop_training": trainer.stop_training,
    }
    if trainer.pending_batch is not None:
        position["pending_batch"] = trainer.pending_batch
    optimizer = trainer.optimizer
    lr = getattr(optimizer, "lr", None)
    lr = float(lr) if isinstance(lr, (int, float)) and not isinstance(lr, bool) else None
    state = {
        "trainer": position,
        "optimizer": optimizer.state_dict() if isinstance(optimizer, Stateful) else {},
        "history": trainer.history.state_dict(),
        "callbacks": {key: cb.state_dict() for key, cb in callback_keys(trainer).items()},
    }
    arrays: dict[str, Any] = {PARAMS + k: np.asarray(v) for k, v in trainer.model.params.items()}
    meta = {
        "kind": "checkpoint",
        "model": describe_model(trainer.model),
        "optimizer": {"class": type(optimizer).__name__, "lr": lr},
        "state": flatten_state(state, "state", arrays),
    }
    return write_archive(path, meta, arrays)


class Restored:
    """A checkpoint read and checked against a trainer, ready to be applied."""

    def __init__(self, trainer: Trainer, path: str | os.PathLike[str], train_size: int) -> None:
        meta, arrays = read_archive(path, ("checkpoint",))
        where = str(path)
        try:
            state = unflatten_state(meta["state"], arrays)
            position = state["trainer"]
            self.iterations_done = int(position["iterations_done"])
            self.rng_state: dict[str, Any] = position["rng"]
            self.stop_training = bool(position.get("stop_training", False))
            self.pending: Any = position.get("pending_batch")
            self.optimizer_state: Mapping[str, Any] = state["optimizer"]
            self.history: Mapping[str, Any] = state["history"]
            self.callbacks: Mapping[str, Any] = state["callbacks"]
            saved_optimizer = meta["optimizer"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where} is not a complete tinynn checkpoint: missing {exc}") from exc
        for name, now in (("batch_size", trainer.batch_size), ("train_size", train_size)):
            if position.get(name) != now:
                raise ValueError(
                    f"{where} was written with {name}={position.get(name)}, this run has "
                    f"{name}={now}: resume needs the same training data and batch size"
                )
        optimizer = trainer.optimizer
        if saved_optimizer.get("class") != type(optimizer).__name__:
            raise ValueError(
                f"{where} was written by a run with optimizer {saved_optimizer.get('class')}; "
                f"this trainer has {type(optimizer).__name__}"
            )
        lr = getattr(optimizer, "lr", None)
        if saved_optimizer.get("lr") != (lr if isinstance(lr, (int, float)) else None):
            warnings.warn(
                f"resuming {where} (written with lr={saved_optimizer.get('lr')!r}) with "
                f"lr={lr!r}: the run will not match an uninterrupted one",
                UserWarning,
                stacklevel=4,
            )
        if self.optimizer_state and not isinstance(optimizer, Stateful):
            raise ValueError(
                f"{where} holds optimizer state, but {optimizer!r} has no load_state_dict"
            )
        missing = sorted(set(callback_keys(trainer)) - set(self.callbacks))
        if missing:
            raise ValueError(
                f"{where} holds no state for the callbacks {missing} (it has "
                f"{sorted(self.callbacks)}): resume with the callbacks of the run that wrote it"
            )
        self.params = {k[len(PARAMS) :]: a for k, a in arrays.items() if k.startswith(PARAMS)}
        check_params(trainer.model.params, self.params, where)  # before anything changes
        self.where = where

    def apply_training_state(self, trainer: Trainer) -> None:
        """Restore params, optimizer state, generator and position (before ``on_train_begin``)."""
        if isinstance(trainer.optimizer, Stateful):
            trainer.optimizer.load_state_dict(self.optimizer_state)
        assign_params(trainer.model.params, self.params, self.where)
        try:
            trainer.rng.bit_generator.state = self.rng_state
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{self.where}: cannot restore the random generator: {exc}") from exc
        trainer.iterations_done = self.iterations_done
        trainer.stop_training = self.stop_training
        trainer.pending_batch = None if self.pending is None else np.asarray(self.pending)

    def apply_callback_state(self, trainer: Trainer) -> None:
        """Restore the history and the callbacks' states (after ``on_train_begin`` reset them)."""
        trainer.history.load_state_dict(self.history)
        for key, cb in callback_keys(trainer).items():
            cb.load_state_dict(self.callbacks[key])


def read_checkpoint(trainer: Trainer, path: str | os.PathLike[str], train_size: int) -> Restored:
    """Read ``path``, check that it fits ``trainer`` and the data; change nothing yet."""
    return Restored(trainer, path, train_size)
