"""A run's whole state, gathered for a checkpoint and checked before it is restored.

What makes resume exact: the trainer's position (the batch generator's
``bit_generator.state``, a mini-batch drawn but not yet used after an interrupted
iteration), the optimizer's ``state_dict()``, the history, the state of every callback
that implements :class:`~tinynn.Stateful`, and the model's layers' state (Dropout's
generator, Batch Normalization's running statistics), and a data augmentation's state
(its generator, section 8.1.3). :func:`sections` gathers them
from the :class:`Parts` of a run; :mod:`tinynn.saving.checkpoint_file` writes them.
The metadata records the optimizer's learning rate (or schedule, and the rate of the
next update), so that a resumed run with another one is told.

Restoring reads and checks every section first (:class:`Restored`), and only then
applies them, by steps that cannot fail: a checkpoint that does not fit leaves the
model, the optimizer, the generator, the history and the callbacks as they were.
Nothing here sees the trainer: it is handed the parts and gives back the position.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..base import GradientEstimator, Model, Optimizer, Stateful
from ..callbacks import Callback, History
from ..saving.architecture import difference, dtype_difference
from ..saving.checkpoint_file import read_checkpoint, whole_count
from ..saving.model_file import check_params, describe_model

__all__ = ["Parts", "Position", "Restored", "callback_keys", "learning_rate_record", "sections"]


class Parts(NamedTuple):
    """The parts of a run whose state a checkpoint keeps."""

    model: Model
    optimizer: Optimizer
    estimator: GradientEstimator
    rng: np.random.Generator
    history: History
    callbacks: Mapping[str, Stateful]
    augment: object = None  # the data augmentation (section 8.1.3), if any


class Position(NamedTuple):
    """Where a run stands: updates done, a stop asked for, a mini-batch drawn but unused."""

    iterations_done: int
    stop_training: bool
    pending_batch: NDArray[np.intp] | None


def callback_keys(callbacks: Sequence[Callback], history: History) -> dict[str, Stateful]:
    """The stateful callbacks but ``history``, keyed by class name (``-2``... on repeats)."""
    keys: dict[str, Stateful] = {}
    for cb in callbacks:
        if cb is history or not isinstance(cb, Stateful):
            continue
        name, k = type(cb).__name__, 1
        while (key := name if k == 1 else f"{name}-{k}") in keys:
            k += 1
        keys[key] = cb
    return keys


def _describe_lr(lr: object) -> str | None:
    """A description of a learning rate that is the same in every process, or ``None``."""
    if isinstance(lr, (int, float)) and not isinstance(lr, bool):
        return repr(float(lr))
    if dataclasses.is_dataclass(lr):  # the schedules of tinynn.optimizers.schedules: by value
        return repr(lr)
    name = getattr(lr, "__qualname__", None)  # a function: by name (its value is checked too)
    return f"{getattr(lr, '__module__', '?')}.{name}" if name else None


def learning_rate_record(optimizer: object, step: object) -> dict[str, Any]:
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


def sections(parts: Parts, position: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The state sections of a checkpoint of ``parts`` at ``position``, and its metadata."""
    optimizer = parts.optimizer
    optimizer_state = optimizer.state_dict() if isinstance(optimizer, Stateful) else {}
    state = {
        "trainer": dict(position),
        "optimizer": optimizer_state,
        "history": parts.history.state_dict(),
        "callbacks": {key: cb.state_dict() for key, cb in parts.callbacks.items()},
        "estimator": _state_of(parts.estimator),
    }
    if parts.augment is not None:
        state["augment"] = _state_of(parts.augment)
    meta = {
        "optimizer": {
            "class": type(optimizer).__name__,
            **learning_rate_record(optimizer, _step(optimizer_state, position)),
        }
    }
    return state, meta


def _step(optimizer_state: Mapping[str, Any], position: Mapping[str, Any]) -> object:
    """The step of the optimizer's next update: its ``t`` (the built-in optimizers' count),
    else the updates the run has made (the same for an optimizer trained from the start)."""
    return optimizer_state.get("t", position.get("iterations_done"))


def _state_of(part: object) -> dict[str, Any]:
    return part.state_dict() if isinstance(part, Stateful) else {}


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
    """A checkpoint read and completely checked against the parts of a run, ready to apply.

    Nothing changes while it is built. Parameters are checked for names,
    shapes and finiteness; the generator's state on a new generator of the
    run's kind; the history on a new :class:`~tinynn.History`; the
    optimizer's and each callback's state by loading it and loading their own
    state back. Applying then cannot fail.

    Parameters
    ----------
    parts : Parts
        The run to restore into.
    path : path
        The checkpoint.
    batch_size, train_size, iters : int
        The run's: a checkpoint of another batch size or data size, or past ``iters``,
        is refused.
    """

    def __init__(
        self,
        parts: Parts,
        path: str | os.PathLike[str],
        *,
        batch_size: int,
        train_size: int,
        iters: int,
    ) -> None:
        self.parts = parts
        meta, state, params, model_state = read_checkpoint(path)
        where = self.where = str(path)
        position = state["trainer"]
        for name, now in (("batch_size", batch_size), ("train_size", train_size)):
            if position[name] != now:
                raise ValueError(
                    f"{where} was written with {name}={position[name]}, this run has "
                    f"{name}={now}: resume needs the same training data and batch size"
                )
        self.iterations_done = whole_count(position["iterations_done"], "iterations_done", where)
        if self.iterations_done > iters:
            raise ValueError(
                f"{where} has done {self.iterations_done} iterations already, more than the "
                f"{iters} asked: ask for at least {self.iterations_done}"
            )
        self.stop_training = bool(position.get("stop_training", False))
        self.pending = self._pending_batch(position.get("pending_batch"), batch_size, train_size)
        self.rng_state = self._generator_state(position["rng"])
        self.params = params
        check_params(parts.model.params, self.params, where)
        saved_model = meta.get("model")
        mine = describe_model(parts.model)
        why = None
        if saved_model:  # the architecture, then the dtype: a resume is bit for bit
            why = difference(saved_model, mine) or dtype_difference(saved_model, mine)
        if why is not None:
            raise ValueError(f"{where} does not fit the model: {why}")
        history = History()
        try:
            history.load_state_dict(state["history"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} holds a history that cannot be restored: {exc}") from exc
        self.history = history.history
        self.optimizer_state = self._optimizer_state(meta["optimizer"], state)
        saved = state["callbacks"]
        missing = sorted(set(parts.callbacks) - set(saved))
        if missing:
            raise ValueError(
                f"{where} holds no state for the callbacks {missing} (it has "
                f"{sorted(saved)}): resume with the callbacks of the run that wrote it"
            )
        self.callback_states = {key: saved[key] for key in parts.callbacks}
        for key, cb in parts.callbacks.items():
            _try_state(cb, saved[key], f"the callback {key}", where)
        self.model_state = self._model_state(model_state or {})
        self.estimator_state = self._estimator_state(state.get("estimator"))
        self.augment_state = self._augment_state(state.get("augment"))
        self._compare_learning_rates(meta["optimizer"])  # a warning, after every check

    def _model_state(self, saved: Any) -> Mapping[str, Any] | None:
        model = self.parts.model
        if not isinstance(model, Stateful):
            if saved:
                raise ValueError(f"{self.where} holds the state of layers the model has not")
            return None
        _try_state(model, saved, f"the model's layers ({type(model).__name__})", self.where)
        return dict(saved)

    def _estimator_state(self, saved: Any) -> Mapping[str, Any] | None:
        estimator = self.parts.estimator
        name = type(estimator).__name__
        if not isinstance(estimator, Stateful):
            if saved:
                raise ValueError(
                    f"{self.where} holds the state of an estimator, but {name} has no "
                    "load_state_dict: resume with the estimator of the run that wrote it"
                )
            return None
        if not saved:  # a checkpoint of a stateless estimator, or of an earlier tinynn
            warnings.warn(
                f"{self.where} holds no state for the estimator {name}: the resumed run "
                "will not match an uninterrupted one",
                UserWarning,
                stacklevel=5,
            )
            return None
        _try_state(estimator, saved, f"the estimator {name}", self.where)
        return dict(saved)

    def _augment_state(self, saved: Any) -> Mapping[str, Any] | None:
        """The augmentation's state: a run with augmentation resumes only one without, and
        the other way round, and a stateful augmentation takes its saved state."""
        augment = self.parts.augment
        if (saved is None) != (augment is None):
            was, now = ("with", "without") if augment is None else ("without", "with")
            raise ValueError(
                f"{self.where} was written by a run {was} data augmentation, this trainer is "
                f"{now} (augment=): resume with the augmentation of the run that wrote it"
            )
        if not isinstance(augment, Stateful):
            if saved:
                raise ValueError(f"{self.where} holds the state of an augmentation, but "
                                 f"{augment!r} has no load_state_dict")  # fmt: skip
            return None
        _try_state(augment, saved, f"the augmentation {type(augment).__name__}", self.where)
        return dict(saved)

    def _compare_learning_rates(self, saved: Mapping[str, Any]) -> None:
        """Warn when the resumed run's learning rate would differ from the saved run's.

        The schedule is restored first (the optimizer's step count is the saved one), so
        the rates compared are those of the next update: the same schedule, or another
        that gives the same rates, resumes without a word.
        """
        step = _step(self.optimizer_state or {}, {"iterations_done": self.iterations_done})
        now = learning_rate_record(self.parts.optimizer, step)
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
        self, pending: Any, batch_size: int, train_size: int
    ) -> NDArray[np.intp] | None:
        if pending is None:
            return None
        batch = np.asarray(pending)
        if (
            batch.shape != (batch_size,)
            or batch.dtype.kind not in "iu"
            or np.any(batch < 0)
            or np.any(batch >= train_size)
        ):
            raise ValueError(
                f"{self.where} holds a pending mini-batch of dtype {batch.dtype} and shape "
                f"{batch.shape}, expected {batch_size} indices below {train_size}"
            )
        return batch.astype(np.intp)

    def _generator_state(self, state: Any) -> dict[str, Any]:
        kind = type(self.parts.rng.bit_generator)
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
        self, saved: Mapping[str, Any], state: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        optimizer = self.parts.optimizer
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

    def apply_training_state(self) -> Position:
        """Restore params, optimizer state, layers' state and generator (before
        ``on_train_begin``); return the position to go on from."""
        parts = self.parts
        for name, value in self.params.items():
            np.copyto(parts.model.params[name], value)
        if self.optimizer_state is not None and isinstance(parts.optimizer, Stateful):
            parts.optimizer.load_state_dict(self.optimizer_state)
        if self.model_state is not None and isinstance(parts.model, Stateful):
            parts.model.load_state_dict(self.model_state)
        if self.estimator_state is not None and isinstance(parts.estimator, Stateful):
            parts.estimator.load_state_dict(self.estimator_state)
        if self.augment_state is not None and isinstance(parts.augment, Stateful):
            parts.augment.load_state_dict(self.augment_state)
        parts.rng.bit_generator.state = self.rng_state
        return Position(self.iterations_done, self.stop_training, self.pending)

    def apply_callback_state(self) -> None:
        """Restore the history and the callbacks' states (after ``on_train_begin`` reset them)."""
        self.parts.history.history = {key: list(v) for key, v in self.history.items()}
        for key, cb in self.parts.callbacks.items():
            cb.load_state_dict(self.callback_states[key])
