"""Shared by the optimizer tests: one instance of each optimizer, and state comparison."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinynn import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop

#: A fresh optimizer of each kind, by name (lr 0.1: steps big enough to see).
FACTORIES: dict[str, Callable[[], Any]] = {
    "SGD": lambda: SGD(lr=0.1),
    "Momentum": lambda: Momentum(lr=0.1),
    "Nesterov": lambda: Nesterov(lr=0.1),
    "AdaGrad": lambda: AdaGrad(lr=0.1),
    "RMSprop": lambda: RMSprop(lr=0.1),
    "Adam": lambda: Adam(lr=0.1),
}


def same_state(a: Any, b: Any) -> bool:
    """Whether two states are equal: dicts key by key, arrays entry by entry and dtype."""
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
        )
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    return bool(a == b) and type(a) is type(b)
