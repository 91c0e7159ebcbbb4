"""Input checks for the public API.

Every public function validates its inputs here and raises a ``ValueError`` or
``TypeError`` that says what it got and what it expected. Internals trust
their callers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .typing import ArrayLike


def describe(a: NDArray[Any]) -> str:
    """Short description of an array for error messages: shape and dtype."""
    return f"shape {a.shape} and dtype {a.dtype}"


def as_real_array(value: ArrayLike, name: str) -> NDArray[Any]:
    """Return ``value`` as an array of real numbers (bool, int or float), no copy if possible."""
    a = np.asarray(value)
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_) or np.iscomplexobj(a):
        raise TypeError(f"{name} must be an array of real numbers, got {describe(a)}")
    return a


def as_float_input(value: ArrayLike, name: str) -> NDArray[np.floating[Any]]:
    """Return ``value`` as a finite floating array (float32 kept, other reals to float64)."""
    a = as_real_array(value, name)
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64)
    check_finite(a, name)
    return a


def check_finite(a: NDArray[Any], name: str) -> None:
    """Raise ``ValueError`` naming the first NaN or infinite entry of ``a``."""
    if a.size and not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[0]
        where = tuple(int(i) for i in bad)
        kind = "NaN" if np.isnan(a[where]) else "infinite"
        count = int(np.count_nonzero(~np.isfinite(a)))
        raise ValueError(
            f"{name} contains {count} non-finite value(s); the first is {kind} at index {where}"
        )


def check_positive(value: float, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def check_fraction(value: float, name: str) -> None:
    """Raise unless ``value`` is a number in ``[0, 1)`` (a decay rate, a momentum)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number in [0, 1), got {value!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")


def check_positive_int(value: int, name: str) -> None:
    """Raise unless ``value`` is an ``int`` >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")


def check_nonnegative_int(value: int, name: str) -> None:
    """Raise unless ``value`` is an ``int`` >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """``rng`` itself, or a new ``Generator`` seeded with it (``None``: fresh OS entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(
        f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}"
    )
