"""``Parameters``: a model's named weights, a ``dict`` whose entries cannot be detached.

Book section
------------
4.5.1 (the ``params`` dictionary of ``TwoLayerNet``)
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

import numpy as np

from ..typing import ArrayLike, FloatArray
from ..utils.validation import as_float_input, describe_value

__all__ = ["Parameters"]


class Parameters(dict[str, FloatArray]):
    """A model's parameters by name: a ``dict`` whose arrays the layers share.

    Optimizers change the arrays in place (``params['W1'] -= lr * grad``), and
    the layers see the change. Assigning a new array to an existing name
    copies it *into* the existing array, so the layers stay linked to it.

    Every ``dict`` method that writes goes through the same checks (a known
    name, real finite numbers, the same shape), and checks *every* item
    before writing any, so a failing ``update`` or ``|=`` changes nothing.
    Names cannot be added (no layer would use them) or removed (the layers
    still do): ``del``, ``pop``, ``popitem`` and ``clear`` raise ``TypeError``,
    ``setdefault`` of a new name raises ``KeyError``. ``copy()``,
    ``params | other`` and ``dict(params)`` return plain dicts of the same
    (shared) arrays; ``copy.deepcopy`` gives a ``Parameters`` of new arrays.

    Parameters
    ----------
    arrays : mapping of str to ndarray of float
        The layers' own arrays (kept, not copied).

    Raises
    ------
    TypeError
        If a name is not a string or an array is not a float ndarray.

    Book section
    ------------
    4.5.1 (the ``params`` dictionary of ``TwoLayerNet``)

    Examples
    --------
    >>> p = Parameters({"W": np.zeros(2)})
    >>> w = p["W"]
    >>> p["W"] = [1.0, 2.0]
    >>> w
    array([1., 2.])
    >>> p |= {"W": [3.0, np.nan]}
    Traceback (most recent call last):
    ...
    ValueError: params['W'] contains 1 non-finite value(s); the first is NaN at index (1,)
    >>> w
    array([1., 2.])
    """

    def __init__(self, arrays: Mapping[str, FloatArray] | None = None, /) -> None:
        items = dict(arrays or {})
        for key, value in items.items():
            if not isinstance(key, str):
                raise TypeError(f"parameter names must be str, got {describe_value(key)}")
            if not isinstance(value, np.ndarray) or not np.issubdtype(value.dtype, np.floating):
                raise TypeError(
                    f"params[{key!r}] must be a float ndarray (the layer's own array), got "
                    f"{describe_value(value)}"
                )
        super().__init__(items)

    def __missing__(self, key: object) -> NoReturn:
        raise KeyError(
            f"{key!r} is not a parameter of this model (names cannot be added); it has "
            f"{list(self)}"
        )

    def _checked(self, key: object, value: ArrayLike) -> FloatArray | None:
        """The new content for ``key`` (``None``: it is the array itself), checked."""
        if not isinstance(key, str) or key not in self:
            self.__missing__(key)
        target = dict.__getitem__(self, key)
        if value is target:
            return None
        given = as_float_input(value, f"params[{key!r}]")
        with np.errstate(over="ignore"):
            new = np.asarray(given, dtype=target.dtype)
        if new.dtype.itemsize < given.dtype.itemsize and not np.isfinite(new).all():
            raise ValueError(
                f"params[{key!r}] is {target.dtype}, and the values given go beyond its range "
                f"(largest |value| {float(np.max(np.abs(given))):.3g})"
            )
        if new.shape != target.shape:
            raise ValueError(
                f"params[{key!r}] has shape {target.shape}; cannot assign an array of shape "
                f"{new.shape}"
            )
        return new

    def __setitem__(self, key: str, value: ArrayLike) -> None:
        new = self._checked(key, value)
        if new is not None:
            dict.__getitem__(self, key)[...] = new

    def update(self, other: Any = (), /, **kwargs: ArrayLike) -> None:
        """Assign each item in place, all or nothing: every item is checked before any write."""
        if isinstance(other, Mapping) or hasattr(other, "keys"):
            pairs = [(k, other[k]) for k in other.keys()]
        else:
            try:
                pairs = [tuple(item) for item in other]
            except TypeError:
                raise TypeError(
                    f"update needs a mapping or (name, array) pairs, got {describe_value(other)}"
                ) from None
            for i, pair in enumerate(pairs):
                if len(pair) != 2:
                    raise ValueError(f"update's item {i} has {len(pair)} elements, expected 2")
        pairs += list(kwargs.items())
        checked = [(k, self._checked(k, v)) for k, v in pairs]
        for key, new in checked:
            if new is not None:
                dict.__getitem__(self, key)[...] = new

    def __ior__(self, other: Any) -> Parameters:  # type: ignore[override,misc]
        self.update(other)
        return self

    def setdefault(self, key: str, default: ArrayLike | None = None, /) -> FloatArray:
        """``params[key]``; a new name raises ``KeyError`` (names cannot be added)."""
        if key not in self:
            self.__missing__(key)
        return self[key]

    def _cannot_remove(self, what: str) -> NoReturn:
        raise TypeError(
            f"{what}: a model's parameters cannot be removed, the layers still use them; "
            "build a new model instead (or use dict(params) for a plain copy)"
        )

    def __delitem__(self, key: str) -> NoReturn:
        self._cannot_remove(f"del params[{key!r}]")

    def pop(self, key: str, *default: object) -> NoReturn:
        """Always raises ``TypeError``: parameters cannot be removed."""
        self._cannot_remove(f"params.pop({key!r})")

    def popitem(self) -> NoReturn:
        """Always raises ``TypeError``: parameters cannot be removed."""
        self._cannot_remove("params.popitem()")

    def clear(self) -> NoReturn:
        """Always raises ``TypeError``: parameters cannot be removed."""
        self._cannot_remove("params.clear()")

    @classmethod
    def fromkeys(cls, iterable: Iterable[Any], value: Any = None, /) -> NoReturn:
        """Always raises ``TypeError``: parameters come from a model's layers."""
        raise TypeError("Parameters come from a model's layers; use dict.fromkeys for a dict")

    def relink(self, arrays: Mapping[str, FloatArray]) -> None:
        """Hold ``arrays`` under the same names (the layers' own arrays of a converted copy,
        :meth:`tinynn.Sequential.astype`), instead of copying values into the current ones."""
        if set(arrays) != set(self) or any(a.shape != self[k].shape for k, a in arrays.items()):
            raise ValueError("relink takes arrays of the same names and shapes")
        for key, value in arrays.items():
            dict.__setitem__(self, key, value)

    def copy(self) -> dict[str, FloatArray]:
        """A plain ``dict`` of the same (shared) arrays."""
        return dict(self)

    def __copy__(self) -> Parameters:
        return Parameters(dict(self))

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameters:
        return Parameters({k: copy.deepcopy(v, memo) for k, v in self.items()})
