"""A trainer's whole state in one checkpoint file, and back: what makes resume exact.

The file is a tinynn archive (see :mod:`tinynn.saving.archive`) of kind ``'checkpoint'``:
the model's parameters under ``params/`` (so :func:`~tinynn.load_model` reads
it too), and under ``state/`` one named section per part of the run:
``trainer`` (the position, the batch generator's ``bit_generator.state``, a
mini-batch drawn but not yet used after an interrupted iteration),
``optimizer`` (its ``state_dict()``), ``history``, ``callbacks`` (the state
of every callback that implements :class:`~tinynn.Stateful`) and ``model`` (the
state of its layers that have one: Dropout's generator, Batch Normalization's
running statistics, ``model.state_dict()``). The metadata records the optimizer's
learning rate (or schedule, and the rate of the next update), so that a resumed
run with another one is told. It may
also hold ``info``: plain JSON given by whoever runs the trainer (the command
line keeps the run's options there).

Restoring reads and checks every section first (:class:`Restored`), and only
then applies them, by steps that cannot fail: a checkpoint that does not fit
leaves the model, the optimizer, the trainer and its callbacks as they were.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..base import Stateful
from ..callbacks.history import History
from ..saving.archive import flatten_state, read_archive, unflatten_state, write_archive
from ..saving.model_file import PARAMS, check_params, describe_model

if TYPE_CHECKING:
    from .trainer import Trainer

__all__ = ["Restored", "Saved", "callback_keys", "check_info", "read_saved", "write_checkpoint"]


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


def check_info(info: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``info`` as a plain dict, or ``TypeError`` unless it is JSON data with ``str`` keys."""
    if info is None:
        return None
    if not isinstance(info, Mapping):
        raise TypeError(f"info must be a mapping of plain JSON data, got {type(info).__name__}")
    try:
        return dict(json.loads(json.dumps(dict(info), allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"info must hold plain JSON data (str keys, finite numbers): {exc}") from (
            exc
        )


def _describe_lr(lr: object) -> str | None:
    """A description of a learning rate that is the same in every process, or ``None``."""
    if isinstance(lr, (int, float)) and not isinstance(lr, bool):
        return repr(float(lr))
    if dataclasses.is_dataclass(lr):  # the schedules of tinynn.optimizers.schedules: by value
        return repr(lr)
    name = getattr(lr, "__qualname__", None)  # a function: by name (its value is checked too)
    return f"{getattr(lr, '__module__', '?')}.{name}" if name else None


def _learning_rate(optimizer: object, step: object) -> dict[str, Any]:
    """The optimizer's ``lr`` (described), and the rate it gives the update after ``step``."""
    lr = getattr(optimizer, "lr", None)
    record: dict[str, Any] = {"lr": _describe_lr(lr), "next": None}
    try:
        if not callable(lr):
            value = lr
        elif isinstance(step, (int, np.integer)) and not isinstance(step, bool):
            value = lr(int(step))
        else:
            value = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            record["next"] = float(value)
    except Exception:  # a schedule that fails now fails at the next update, with its message
        record["next"] = None
    return record


def write_checkpoint(
    trainer: Trainer, path: str | os.PathLike[str], info: Mapping[str, Any] | None = None
) -> Path:
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
    optimizer, model = trainer.optimizer, trainer.model
    optimizer_state = optimizer.state_dict() if isinstance(optimizer, Stateful) else {}
    state = {
        "trainer": position,
        "optimizer": optimizer_state,
        "history": trainer.history.state_dict(),
        "callbacks": {key: cb.state_dict() for key, cb in callback_keys(trainer).items()},
        "model": model.state_dict() if isinstance(model, Stateful) else {},
    }
    arrays: dict[str, Any] = {PARAMS + k: np.asarray(v) for k, v in trainer.model.params.items()}
    meta: dict[str, Any] = {
        "kind": "checkpoint",
        "model": describe_model(trainer.model),
        "optimizer": {
            "class": type(optimizer).__name__,
            **_learning_rate(optimizer, optimizer_state.get("t")),
        },
        "state": flatten_state(state, "state", arrays),
    }
    checked = check_info(info)
    if checked is not None:
        meta["info"] = checked
    return write_archive(path, meta, arrays)


class Saved(NamedTuple):
    """What a checkpoint says about its run, read without a trainer."""

    info: dict[str, Any]
    iterations_done: int
    total_iters: int


def _read(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """The metadata, the state sections and the arrays of a checkpoint."""
    meta, arrays = read_archive(path, ("checkpoint",))
    try:
        state = unflatten_state(meta["state"], arrays)
        if not isinstance(state, dict):
            raise TypeError("the state is not a mapping")
        for name in ("trainer", "optimizer", "history", "callbacks"):
            if not isinstance(state.get(name), Mapping):
                raise KeyError(name)
        for name in ("iterations_done", "rng", "batch_size", "train_size"):
            if name not in state["trainer"]:
                raise KeyError(f"trainer/{name}")
        if not isinstance(meta.get("optimizer"), Mapping):
            raise KeyError("optimizer")
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path} is not a complete tinynn checkpoint: missing {exc}") from exc
    return meta, state, arrays


def read_saved(path: str | os.PathLike[str]) -> Saved:
    """The ``info`` and the position saved in ``path``."""
    meta, state, _ = _read(path)
    position = state["trainer"]
    info = meta.get("info")
    return Saved(
        dict(info) if isinstance(info, Mapping) else {},
        _count(position["iterations_done"], "iterations_done", path),
        _count(position.get("total_iters", 0), "total_iters", path),
    )


def _count(value: Any, name: str, where: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{where}: {name} is {value!r}, expected a whole number >= 0")
    return int(value)


def _try_state(obj: Stateful, state: Any, what: str, where: str) -> None:
    """Check ``state`` by loading it into ``obj``; then put ``obj``'s own state back."""
    if not isinstance(state, Mapping):
        raise ValueError(f"{where}: the state of {what} is not a mapping")
    own = copy.deepcopy(obj.state_dict())
    try:
        obj.load_state_dict(state)
    except Exception as exc:
        obj.load_state_dict(own)  # undo a load that failed half way
        raise ValueError(f"{where} holds a state that {what} refuses: {exc}") from exc
    obj.load_state_dict(own)


class Restored:
    """A checkpoint read and completely checked against a trainer, ready to be applied.

    Nothing changes while it is built. Parameters are checked for names,
    shapes and finiteness; the generator's state on a new generator of the
    trainer's kind; the history on a new :class:`~tinynn.History`; the
    optimizer's and each callback's state by loading it and loading their own
    state back. Applying then cannot fail.
    """

    def __init__(
        self, trainer: Trainer, path: str | os.PathLike[str], train_size: int, iters: int
    ) -> None:
        meta, state, arrays = _read(path)
        where = self.where = str(path)
        position = state["trainer"]
        for name, now in (("batch_size", trainer.batch_size), ("train_size", train_size)):
            if position[name] != now:
                raise ValueError(
                    f"{where} was written with {name}={position[name]}, this run has "
                    f"{name}={now}: resume needs the same training data and batch size"
                )
        self.iterations_done = _count(position["iterations_done"], "iterations_done", where)
        if self.iterations_done > iters:
            raise ValueError(
                f"{where} has done {self.iterations_done} iterations already, more than the "
                f"{iters} asked: ask for at least {self.iterations_done}"
            )
        self.stop_training = bool(position.get("stop_training", False))
        self.pending = self._pending_batch(position.get("pending_batch"), trainer, train_size)
        self.rng_state = self._generator_state(position["rng"], trainer)
        self.params = {k[len(PARAMS) :]: a for k, a in arrays.items() if k.startswith(PARAMS)}
        check_params(trainer.model.params, self.params, where)
        history = History()
        try:
            history.load_state_dict(state["history"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} holds a history that cannot be restored: {exc}") from exc
        self.history = history.history
        self.optimizer_state = self._optimizer_state(meta["optimizer"], state, trainer)
        saved = state["callbacks"]
        self.callbacks = callback_keys(trainer)
        missing = sorted(set(self.callbacks) - set(saved))
        if missing:
            raise ValueError(
                f"{where} holds no state for the callbacks {missing} (it has "
                f"{sorted(saved)}): resume with the callbacks of the run that wrote it"
            )
        self.callback_states = {key: saved[key] for key in self.callbacks}
        for key, cb in self.callbacks.items():
            _try_state(cb, saved[key], f"the callback {key}", where)
        self.model_state = self._model_state(state.get("model", {}), trainer)
        self._compare_learning_rates(meta["optimizer"], trainer)  # a warning, after every check

    def _model_state(self, saved: Any, trainer: Trainer) -> Mapping[str, Any] | None:
        model = trainer.model
        if not isinstance(model, Stateful):
            if saved:
                raise ValueError(f"{self.where} holds the state of layers the model has not")
            return None
        _try_state(model, saved, f"the model's layers ({type(model).__name__})", self.where)
        return dict(saved)

    def _compare_learning_rates(self, saved: Mapping[str, Any], trainer: Trainer) -> None:
        """Warn when the resumed run's learning rate would differ from the saved run's.

        The schedule is restored first (the optimizer's step count is the saved one), so
        the rates compared are those of the next update: the same schedule, or another
        that gives the same rates, resumes without a word.
        """
        step = self.optimizer_state.get("t") if self.optimizer_state else None
        now = _learning_rate(trainer.optimizer, step)
        if saved.get("lr") == now["lr"] and saved.get("next") == now["next"]:
            return
        def said(record: Mapping[str, Any]) -> str:
            fixed = record.get("lr") == repr(record.get("next"))
            return str(record.get("lr")) + ("" if fixed else f", next rate {record.get('next')!r}")

        warnings.warn(
            f"resuming {self.where} (written with lr={said(saved)}) with lr={said(now)}: the "
            "run will not match an uninterrupted one",
            UserWarning,
            stacklevel=5,
        )

    def _pending_batch(
        self, pending: Any, trainer: Trainer, train_size: int
    ) -> NDArray[np.intp] | None:
        if pending is None:
            return None
        batch = np.asarray(pending)
        if (
            batch.shape != (trainer.batch_size,)
            or batch.dtype.kind not in "iu"
            or np.any(batch < 0)
            or np.any(batch >= train_size)
        ):
            raise ValueError(
                f"{self.where} holds a pending mini-batch of dtype {batch.dtype} and shape "
                f"{batch.shape}, expected {trainer.batch_size} indices below {train_size}"
            )
        return batch.astype(np.intp)

    def _generator_state(self, state: Any, trainer: Trainer) -> dict[str, Any]:
        kind = type(trainer.rng.bit_generator)
        saved = state.get("bit_generator") if isinstance(state, Mapping) else None
        if saved != kind.__name__:
            raise ValueError(
                f"{self.where} holds the state of a {saved} generator; this trainer draws its "
                f"mini-batches with {kind.__name__}: resume with rng=np.random.Generator("
                f"np.random.{saved}()) (any seed: the state is restored)"
            )
        try:
            kind().state = dict(state)  # check on a new generator of the same kind
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(f"{self.where}: cannot restore the random generator: {exc}") from exc
        return dict(state)

    def _optimizer_state(
        self, saved: Mapping[str, Any], state: Mapping[str, Any], trainer: Trainer
    ) -> Mapping[str, Any] | None:
        optimizer = trainer.optimizer
        if saved.get("class") != type(optimizer).__name__:
            raise ValueError(
                f"{self.where} was written by a run with optimizer {saved.get('class')}; "
                f"this trainer has {type(optimizer).__name__}"
            )
        optimizer_state: Mapping[str, Any] = state["optimizer"]
        if not isinstance(optimizer, Stateful):
            if optimizer_state:
                raise ValueError(
                    f"{self.where} holds optimizer state, but {optimizer!r} has no load_state_dict"
                )
            return None
        what = f"the optimizer {type(optimizer).__name__}"
        _try_state(optimizer, optimizer_state, what, self.where)
        return optimizer_state

    def apply_training_state(self, trainer: Trainer) -> None:
        """Restore params, optimizer state, generator and position (before ``on_train_begin``)."""
        for name, value in self.params.items():
            np.copyto(trainer.model.params[name], value)
        if self.optimizer_state is not None and isinstance(trainer.optimizer, Stateful):
            trainer.optimizer.load_state_dict(self.optimizer_state)
        if self.model_state is not None and isinstance(trainer.model, Stateful):
            trainer.model.load_state_dict(self.model_state)
        trainer.rng.bit_generator.state = self.rng_state
        trainer.iterations_done = self.iterations_done
        trainer.stop_training = self.stop_training
        trainer.pending_batch = self.pending

    def apply_callback_state(self, trainer: Trainer) -> None:
        """Restore the history and the callbacks' states (after ``on_train_begin`` reset them)."""
        trainer.history.history = {key: list(values) for key, values in self.history.items()}
        for key, cb in self.callbacks.items():
            cb.load_state_dict(self.callback_states[key])
