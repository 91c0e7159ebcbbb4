"""``SlotState``: the arrays an optimizer keeps per parameter, saved and restored exactly.

Book section
------------
6.1 (Momentum's ``self.v``, AdaGrad's ``self.h``, Adam's ``self.m``, ``self.v`` and ``self.iter``)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..typing import FloatArray, Params
from .check import check_update
from .schedules import Schedule

__all__ = ["SlotState"]


def _plain(value: Any, name: str, kind: type) -> Any:
    """``value`` as a Python ``kind`` (``str`` or ``int``), also from a 0-d array (``.npz``)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if kind is int and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if kind is str and isinstance(value, (str, np.str_)):
        return str(value)
    raise TypeError(f"state[{name!r}] must be {kind.__name__}, got {type(value).__name__}")


def _rate(lr: Schedule, step: int) -> float:
    """``lr(step)``, or an error naming the schedule and the step unless a finite number > 0."""
    value = lr(step)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"the learning-rate schedule {lr!r} gave {value!r} at step {step}: expected a number"
        )
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"the learning-rate schedule {lr!r} gave lr={value!r} at step {step}: "
            "expected a finite number > 0"
        )
    return float(value)


def _check_names(names: Iterable[Any], where: str) -> None:
    for name in names:
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"{where}: parameter names must be str without '/', got {name!r}")


class SlotState:
    """Named per-parameter arrays ("slots") and the step count, for an optimizer's state.

    The arrays are created lazily, as zeros shaped like each parameter, at the
    first update; after that the names and shapes are fixed, and an update
    with other parameters is refused before anything changes. ``state_dict``
    and ``load_state_dict`` copy, so that a saved state never changes later
    and a loaded one is not shared with the caller.

    ``t`` counts the updates made (Adam's ``iter``); it is also the step at which a
    learning-rate schedule is evaluated (:meth:`next_step`), so that a resumed
    run continues its schedule where it stopped.

    Parameters
    ----------
    owner : str
        The optimizer's name, stored in the state as ``"optimizer"`` and
        checked when a state is loaded (a Momentum state does not load into
        Nesterov, although both keep a ``"v"``).
    slots : tuple of str
        The slot names, e.g. ``("v",)`` for Momentum, ``("m", "v")`` for Adam.
    nonnegative : tuple of str, default ()
        Slots that hold sums of squares: a state with a negative entry there
        is refused on loading.

    Book section
    ------------
    6.1 (the state of Momentum, AdaGrad, RMSprop and Adam)

    Examples
    --------
    >>> state = SlotState("Demo", ("v",))
    >>> state.prepare({"W": np.zeros(2)}, {"W": np.ones(2)})["W"]
    array([1., 1.])
    >>> state.state_dict()
    {'optimizer': 'Demo', 't': 0, 'v': {'W': array([0., 0.])}}
    """

    def __init__(
        self,
        owner: str,
        slots: tuple[str, ...],
        *,
        nonnegative: tuple[str, ...] = (),
    ) -> None:
        self.owner = owner
        self.slots: dict[str, dict[str, FloatArray]] = {name: {} for name in slots}
        self.nonnegative = nonnegative
        self.t = 0

    def __getitem__(self, slot: str) -> dict[str, FloatArray]:
        """The arrays of one slot by parameter name (empty before the first update)."""
        return self.slots[slot]

    def _shapes(self) -> dict[str, tuple[int, ...]]:
        first = next(iter(self.slots.values()), {})
        return {name: a.shape for name, a in first.items()}

    def check(self, params: Mapping[str, Any]) -> None:
        """Raise ``ValueError`` unless the state fits ``params`` (or is still empty)."""
        have = self._shapes()
        want = {name: np.shape(p) for name, p in params.items()}
        if have and have != want:
            raise ValueError(
                f"{self.owner}'s state is for parameters {have}, but params has {want}; "
                "a state of another model was loaded, or this optimizer trained another model "
                f"(use a new {self.owner} for each model)"
            )

    def prepare(self, params: Params, grads: Params) -> Params:
        """Check everything (:func:`check_update`, :meth:`check`), then create missing slots.

        Returns the gradients as arrays of their parameter's dtype (integers converted,
        so that squaring them cannot overflow; float64 gradients of a float32 parameter
        rounded). The slots have their parameter's dtype too (a state loaded from
        another dtype is converted here), so that a float32 model trains in float32
        throughout. Call it first in ``update``: it raises before anything changes.
        """
        check_update(params, grads)
        self.check(params)
        for arrays in self.slots.values():
            for name, p in params.items():
                if name not in arrays:
                    arrays[name] = np.zeros_like(p)
                elif arrays[name].dtype != p.dtype:
                    arrays[name] = arrays[name].astype(p.dtype)
        return {
            k: g if g.dtype == params[k].dtype else g.astype(params[k].dtype)
            for k, g in grads.items()
        }

    def next_step(self, lr: float | Schedule) -> float:
        """Count one more update (``t``) and return its learning rate, checked.

        ``lr`` itself, or ``lr(t)`` for a schedule with ``t`` the updates made before
        this one. Call it after :meth:`prepare`: a bad schedule value raises before
        anything changes.

        Raises
        ------
        ValueError
            If a schedule gives anything but a finite number > 0 (naming it and the step).
            The state is then as before :meth:`prepare` (no slots before a first update).
        """
        if not callable(lr):
            self.t += 1
            return float(lr)  # a Python float: float32 parameters stay float32
        try:
            value = _rate(lr, self.t)
        except BaseException:
            if self.t == 0:  # the slots prepare() made for this refused first update go too
                self.slots = {name: {} for name in self.slots}
            raise
        self.t += 1
        return value

    def state_dict(self) -> dict[str, Any]:
        """``{"optimizer": owner, "t": steps, slot: {name: array copy}}``: plain data."""
        state: dict[str, Any] = {"optimizer": self.owner, "t": self.t}
        for slot, arrays in self.slots.items():
            _check_names(arrays, f"{self.owner}.state_dict()")
            state[slot] = {name: a.copy() for name, a in arrays.items()}
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Check ``state`` completely, then replace the current state with a copy of it.

        Raises
        ------
        TypeError
            If ``state`` or a slot is not a mapping, or an entry is not a
            floating-point array (``"t"``: an int; ``"optimizer"``: a str).
        ValueError
            If it is the state of another optimizer, lacks or adds a key, has
            non-finite entries (or negative ones in a sum of squares), slots of
            other names or shapes than each other, or names or shapes other than
            the state this optimizer already has.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a mapping (a dict), got {type(state).__name__}")
        owner = _plain(state.get("optimizer"), "optimizer", str) if "optimizer" in state else None
        if owner != self.owner:
            raise ValueError(
                f"this is a state of {owner or 'an unknown optimizer'}, not of {self.owner}"
            )
        want = {"optimizer", "t", *self.slots}
        if set(state) != want:
            got = sorted(map(str, state))
            raise ValueError(f"a {self.owner} state has the keys {sorted(want)}, got {got}")
        loaded: dict[str, dict[str, FloatArray]] = {}
        for slot in self.slots:
            arrays = state[slot]
            if not isinstance(arrays, Mapping):
                raise TypeError(f"state[{slot!r}] must be a mapping, got {type(arrays).__name__}")
            _check_names(arrays, f"state[{slot!r}]")
            loaded[slot] = {}
            for name, a in arrays.items():
                where = f"state[{slot!r}][{name!r}]"
                if not isinstance(a, np.ndarray) or not np.issubdtype(a.dtype, np.floating):
                    raise TypeError(f"{where} must be a floating-point ndarray, got {type(a)}")
                if not np.all(np.isfinite(a)):
                    raise ValueError(f"{where} holds NaN or infinity")
                if slot in self.nonnegative and np.any(a < 0):
                    raise ValueError(f"{where} is a sum of squares and must be >= 0")
                loaded[slot][name] = a.copy()
        shapes = [{n: a.shape for n, a in arrays.items()} for arrays in loaded.values()]
        if any(s != shapes[0] for s in shapes):
            raise ValueError(f"the slots of a {self.owner} state must have equal names and shapes")
        t = _plain(state["t"], "t", int)
        if t < 0 or (shapes and (t == 0) != (not shapes[0])):
            raise ValueError(f"state['t'] = {t} does not fit the slots (0 exactly when empty)")
        have = self._shapes()
        if have and shapes and shapes[0] and shapes[0] != have:
            raise ValueError(
                f"this state is for parameters {shapes[0]}, but {self.owner} has state for {have}"
            )
        self.slots, self.t = loaded, t
