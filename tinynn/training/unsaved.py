"""State a checkpoint cannot save: a part's generator or arrays that change, named in a warning.

A checkpoint keeps the state of every part that is :class:`~tinynn.Stateful`. A learner's
layer, optimizer, estimator or callback without ``state_dict`` may still hold something
that decides later results: a generator it draws from, a velocity it updates, a counter.
A run resumed from such a checkpoint silently differs from the uninterrupted one. So the
trainer watches the parts without ``state_dict`` (tinynn's own classes keep all their
state in ``state_dict`` or have none, and are not watched): when a checkpoint is written,
an attribute that changed since training began is named in an
:class:`UnsavedStateWarning`, once per run.

What counts as changed: a generator that was drawn from; a number; an array or a
container (dict, list, tuple) of arrays and numbers whose values differ. For a layer,
arrays count only when changed in place (``self.running_mean *= ...``): a layer's
forward pass reassigns its caches (``self.out = ...``) at every call, and they decide
nothing later. A layer that reassigns a running statistic is not seen: give it a
``state_dict``.

Book section
------------
4.5.2 (a run of 10,000 iterations that may be stopped and resumed)
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ..base import Stateful

__all__ = ["UnsavedStateWarning", "Watch", "watch"]

_GENERATORS = (np.random.Generator, np.random.RandomState, np.random.BitGenerator)


class UnsavedStateWarning(UserWarning):
    """A part of a training run holds state that a checkpoint cannot save.

    A run resumed from that checkpoint will not match the uninterrupted run. The
    warning names the part and its attributes; the fix is to give the part
    ``state_dict()`` and ``load_state_dict()`` (:class:`~tinynn.Stateful`), or a
    ``state_dict()`` returning ``{}`` if the attributes decide nothing later.

    Book section
    ------------
    4.5.2 (a run of 10,000 iterations that may be stopped and resumed)
    """


def _print(value: object, exclude: set[int]) -> Any:
    """A comparable summary of a state-like value (its content), or ``None`` if it is not one
    (or holds a parameter or a gradient: ``exclude``, their ids, which the optimizer moves).
    """
    if id(value) in exclude:
        return None
    if isinstance(value, _GENERATORS):
        bits = value.bit_generator if isinstance(value, np.random.Generator) else value
        return ("generator", repr(bits.state if not isinstance(bits, np.random.RandomState)
                                  else bits.get_state(legacy=False)))  # fmt: skip
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            return None
        data = np.ascontiguousarray(value).tobytes()
        return ("array", value.shape, value.dtype.str, hashlib.blake2b(data).hexdigest())
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return ("number", float(value))
    if isinstance(value, Mapping):
        items = [(str(k), _print(v, exclude)) for k, v in value.items()]
        return ("dict", tuple(items)) if all(p is not None for _, p in items) else None
    if isinstance(value, (list, tuple)):
        prints = [_print(v, exclude) for v in value]
        return ("list", tuple(prints)) if all(p is not None for p in prints) else None
    return None


def _attributes(obj: object) -> dict[str, object]:
    found = dict(getattr(obj, "__dict__", {}))
    for name in getattr(type(obj), "__slots__", ()):
        if hasattr(obj, name):
            found[name] = getattr(obj, name)
    return {k: v for k, v in found.items() if not k.startswith("__") and k != "_trainer"}


def _watched(obj: object) -> bool:
    module = getattr(type(obj), "__module__", "") or ""
    return not isinstance(obj, Stateful) and module.split(".")[0] != "tinynn"


def _what(value: object) -> str:
    if isinstance(value, _GENERATORS):
        return "a random generator that was drawn from"
    if isinstance(value, np.ndarray):
        return f"an array {value.shape}"
    if isinstance(value, (Mapping, list, tuple)):
        return f"a {type(value).__name__} of arrays or numbers"
    return "a number"


class Watch:
    """The state-like attributes of a run's parts without ``state_dict``, as training began.

    Parameters
    ----------
    parts : mapping of str to object
        The parts by how a message names them (``'the optimizer (Momentum)'``).
    layers : set of str
        The names of the parts that are layers (their arrays count only when changed in
        place).
    exclude : iterable of ndarray
        Arrays that are not state (the parameters, the gradients), by identity.

    Book section
    ------------
    4.5.2 (a run that may be stopped and resumed)
    """

    def __init__(
        self, parts: Mapping[str, object], layers: set[str], exclude: Iterable[object] = ()
    ) -> None:
        self.parts = {name: obj for name, obj in parts.items() if _watched(obj)}
        self.layers = layers
        self.exclude = {id(a) for a in exclude}
        self.start = {name: self._prints(obj) for name, obj in self.parts.items()}
        self.told: set[tuple[str, str]] = set()

    def _prints(self, obj: object) -> dict[str, tuple[int, Any]]:
        prints = {}
        for attr, value in _attributes(obj).items():
            summary = _print(value, self.exclude)
            if summary is not None:
                prints[attr] = (id(value), summary)
        return prints

    def _changed(self, name: str, obj: object) -> Iterator[tuple[str, object]]:
        before = self.start[name]
        for attr, value in _attributes(obj).items():
            summary = _print(value, self.exclude)
            if summary is None:
                continue
            old = before.get(attr)
            if old is not None and old[1] == summary:
                continue
            layer_array = name in self.layers and not isinstance(value, _GENERATORS)
            if layer_array and not isinstance(value, (int, float, np.number)):
                if old is None or old[0] != id(value):  # reassigned: a forward pass's cache
                    continue
            if old is None and isinstance(value, _GENERATORS):
                continue  # a generator made during training: nothing to compare with
            yield attr, value

    def unsaved(self) -> list[str]:
        """One message per part whose state changed and was not told of yet in this run."""
        messages = []
        for name, obj in self.parts.items():
            new = [(a, v) for a, v in self._changed(name, obj) if (name, a) not in self.told]
            if not new:
                continue
            self.told.update((name, a) for a, _ in new)
            what = "; ".join(f".{attr} ({_what(value)})" for attr, value in new)
            cls = type(obj).__name__
            messages.append(
                f"{name} holds state that a checkpoint cannot save: {what}. A run resumed "
                "from this checkpoint will not match an uninterrupted one. Give "
                f"{cls} state_dict() and load_state_dict() (see 'Extending tinynn' in the "
                "documentation), or a state_dict() returning {} if this decides nothing later."
            )
        return messages

    def warn(self) -> None:
        """:meth:`unsaved`, each as an :class:`UnsavedStateWarning`."""
        for message in self.unsaved():
            warnings.warn(message, UnsavedStateWarning, stacklevel=4)


def watch(
    model: object,
    optimizer: object,
    estimator: object,
    callbacks: Iterable[object],
    augment: object = None,
) -> Watch:
    """A :class:`Watch` of a run's parts: the model's layers (or the model), the optimizer,
    the estimator and the callbacks, each named as a message names it."""
    parts: dict[str, object] = {}
    exclude: list[object] = list(getattr(model, "params", {}).values())
    layers = getattr(model, "layers", None)
    if isinstance(layers, list):
        for i, layer in enumerate(layers):
            parts[f"layer {i} ({type(layer).__name__})"] = layer
            for key in ("params", "grads"):
                exclude += list(getattr(layer, key, {}).values())
        loss = getattr(model, "loss_layer", None)
        if loss is not None:
            parts[f"the loss layer ({type(loss).__name__})"] = loss
    else:
        parts[f"the model ({type(model).__name__})"] = model
    parts[f"the optimizer ({type(optimizer).__name__})"] = optimizer
    parts[f"the estimator ({type(estimator).__name__})"] = estimator
    for cb in callbacks:
        parts[f"the callback {type(cb).__name__}"] = cb
    if augment is not None:
        parts[f"the augmentation {type(augment).__name__}"] = augment
    return Watch(parts, {name for name in parts if name.startswith(("layer ", "the loss"))},
                 exclude)  # fmt: skip
