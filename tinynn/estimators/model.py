"""What the estimators ask of a model: its loss as a float, and (for the fast paths) its layers.

Book section
------------
4.4.2 (the gradient of a network)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from ..base import Layer, LossLayer, Model
from ..typing import ArrayLike, FloatArray, Params
from ..utils.validation import describe_value

__all__ = ["Stack", "as_stack", "in_float64", "loss_value", "training"]


class Stack(Protocol):
    """A model made of layers that an estimator may look inside (:class:`~tinynn.Sequential`).

    Book section
    ------------
    4.5.1 (a network as a composition of layers)
    """

    @property
    def layers(self) -> Sequence[Layer]: ...

    @property
    def loss_layer(self) -> LossLayer: ...

    @property
    def param_slots(self) -> Sequence[tuple[str, Layer, str]]: ...

    def activations(self, x: FloatArray) -> list[FloatArray]: ...

    def check_batch(
        self, x: ArrayLike, t: ArrayLike, *, purpose: str = ...
    ) -> tuple[FloatArray, NDArray[Any]]: ...


_STACK = ("layers", "loss_layer", "param_slots", "activations", "check_batch")


def as_stack(model: object) -> Stack | None:
    """``model`` if it is a stack of layers (has everything of :class:`Stack`), else ``None``."""
    return model if all(hasattr(model, name) for name in _STACK) else None  # type: ignore[return-value]


def loss_value(model: Model, value: object) -> float:
    """``value``, returned by ``model.loss(x, t)``, as a float; a clear error if it is none.

    Raises
    ------
    TypeError
        Naming the model's loss, if ``value`` is not a real number (a ``loss`` that
        forgot its ``return`` gives ``None``).
    """
    if isinstance(value, float):  # the usual case, first
        return value
    real = isinstance(value, (int, np.integer, np.floating)) or (
        isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "fiu"
    )
    if isinstance(value, (bool, np.bool_)) or not real:
        raise TypeError(
            f"{type(model).__name__}.loss(x, t) returned "
            f"{'None' if value is None else describe_value(value)}; it must "
            "return a float (the loss of the batch)"
        )
    return float(cast(Any, value))


def training(model: object) -> AbstractContextManager[object]:
    """``model.training()``, in which one gradient estimate sees the training network with
    its randomness held (see :mod:`tinynn.models.mode`); for a model without modes, a
    context that does nothing.

    Book section
    ------------
    6.4.3 (``loss_W = lambda W: self.loss(X, T, train_flg=True)``)
    """
    enter = getattr(model, "training", None)
    context: AbstractContextManager[object] = enter() if callable(enter) else nullcontext()
    return context


def in_float64(model: Model, estimate: Callable[[Model], Params]) -> Params:
    """``estimate(model)``; for a float32 network, ``estimate`` of its float64 copy, the
    gradients rounded to float32.

    A numerical gradient of float32 losses is poor: the loss is rounded to about 6e-8 of
    itself, and a central difference divides that by ``2h`` (with the book's ``h = 1e-4``,
    errors of several percent; the best step, about 3e-2, still leaves some 3e-4 of the
    largest entry). The float64 copy has the very same parameters (a float32 number is a
    float64 one), so the estimate is the float64 one of the float32 network, as accurate
    as float64's, rounded once at the end; the price is a copy of the network per gradient
    and float64's speed. Its layers' state (Dropout's generators, Batch Normalization's
    running statistics) comes back to ``model`` as if it had run (see
    :meth:`tinynn.Sequential.follow`). Call it within ``training(model)``. A model without
    ``dtype``, ``astype`` and ``follow``, or a float64 one, is estimated as it is.

    Book section
    ------------
    4.4.2 (the gradient of a network, by central differences)
    """
    dtype = getattr(model, "dtype", None)
    astype, follow = getattr(model, "astype", None), getattr(model, "follow", None)
    if dtype is None or np.dtype(dtype) == np.float64 or not callable(astype) or not callable(
        follow
    ):
        return estimate(model)
    twin = astype(np.float64)
    grads = estimate(twin)
    follow(twin)
    return {name: np.asarray(g, dtype=dtype) for name, g in grads.items()}
