"""``check_update``: everything an update needs is checked before anything changes.

Book section
------------
4.5.2 (the update step)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..utils.finite import all_finite

__all__ = ["check_update"]


def _kind(value: object) -> str:
    """What ``value`` is, for an error message: dtype and shape of an array, else its type."""
    if isinstance(value, (np.ndarray, np.generic)):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"{type(value).__name__} {value!r}"[:80]


def check_update(params: Mapping[str, Any], grads: Any) -> None:
    """Raise unless ``params`` can be updated in place with ``grads``; change nothing.

    Every optimizer calls this first, so that an update is *all or nothing*: a
    bad gradient for the last parameter leaves the first one, and the
    optimizer's state, as they were.

    Parameters
    ----------
    params : mapping of str to ndarray
        The parameters; each must be a writeable floating-point ``ndarray``
        (an integer array cannot take a fractional step in place).
    grads : mapping of str to ndarray
        Their gradients: the same keys, each a real (integer or floating)
        NumPy array of the parameter's shape, with finite entries.

    Raises
    ------
    TypeError
        If ``params`` or ``grads`` is not a mapping, a parameter is not a
        floating-point ``ndarray``, or a gradient is not a NumPy array of real
        numbers (a list, strings, objects, booleans, complex numbers).
    ValueError
        If the keys differ, a shape differs, a gradient holds NaN or infinity,
        or a parameter is read-only.

    Book section
    ------------
    4.5.2 (the update step)

    Examples
    --------
    >>> params = {"W": np.zeros(2)}
    >>> check_update(params, {"W": np.ones(2)})
    >>> check_update(params, [np.ones(2)])
    Traceback (most recent call last):
    ...
    TypeError: grads must be a mapping (a dict) with the keys of params, ['W'], got list
    """
    if not isinstance(params, Mapping):
        raise TypeError(
            f"params must be a mapping (a dict) of names to float arrays, got "
            f"{type(params).__name__}"
        )
    if not isinstance(grads, Mapping):
        raise TypeError(
            f"grads must be a mapping (a dict) with the keys of params, {list(params)}, got "
            f"{type(grads).__name__}"
        )
    if set(params) != set(grads):
        missing = sorted(set(params) - set(grads), key=repr)
        extra = sorted(set(grads) - set(params), key=repr)
        raise ValueError(
            f"grads must have the keys of params; missing {missing}, unexpected {extra}"
        )
    for key, p in params.items():
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise TypeError(
                f"params[{key!r}] must be a floating-point ndarray to be updated in place, got "
                f"{_kind(p)}; convert it first, e.g. np.asarray(value, dtype=np.float64)"
            )
        if not p.flags.writeable:
            raise ValueError(f"params[{key!r}] is read-only (writeable=False); cannot update it")
        g = grads[key]
        if not isinstance(g, (np.ndarray, np.generic)) or g.dtype.kind not in "iuf":
            raise TypeError(
                f"grads[{key!r}] must be a NumPy array of real numbers (int or float), got "
                f"{_kind(g)}"
            )
        if g.shape != p.shape:
            raise ValueError(f"grads[{key!r}] has shape {g.shape}, params[{key!r}] {p.shape}")
        if not all_finite(np.asarray(g)):
            raise ValueError(
                f"grads[{key!r}] holds NaN or infinity; the update was not applied "
                "(is the learning rate too large?)"
            )
