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

from ..typing import ArrayLike, FloatDType

#: The dtypes a model, a layer or the command line takes: ``dtype=`` names one of them.
FLOAT_DTYPES = ("float32", "float64")


def describe(a: NDArray[Any]) -> str:
    """Short description of an array for error messages: shape and dtype."""
    return f"shape {a.shape} and dtype {a.dtype}"


def describe_value(value: object) -> str:
    """What the user passed, for error messages: ``int 3``, ``str 'abc'``, ``list``, ..."""
    if isinstance(value, np.ndarray):
        return f"an array of {describe(value)}"
    kind = type(value).__name__
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
        text = repr(value)
        return kind if value is None else f"{kind} {text[:40]}{'...' if len(text) > 40 else ''}"
    return kind


def _ragged(value: object) -> str:
    """Describe where a nested sequence is ragged: the first level whose lengths differ."""
    level: list[object] = [value]
    for depth in range(32):
        lengths: list[int | None] = []
        for item in level:
            if isinstance(item, (list, tuple)):
                lengths.append(len(item))
            elif isinstance(item, np.ndarray):
                lengths.append(len(item) if item.ndim else None)
            else:
                lengths.append(None)
        if len(set(lengths)) > 1:
            shown = ["scalar" if n is None else str(n) for n in lengths[:8]]
            more = ", ..." if len(lengths) > 8 else ""
            where = "its rows" if depth == 1 else f"the sequences at depth {depth}"
            return f"{where} have lengths {', '.join(shown)}{more}"
        if lengths and lengths[0] is None:
            break
        level = [sub for item in level for sub in item]  # type: ignore[attr-defined]
    return "its rows have different lengths"


def as_real_array(value: ArrayLike, name: str) -> NDArray[Any]:
    """Return ``value`` as an array of real numbers (bool, int or float), no copy if possible.

    Raises ``TypeError`` for strings, ``None``, objects, complex numbers and the like, and
    ``ValueError`` for a ragged nested sequence, each naming what was passed.
    """
    if isinstance(value, np.ndarray):
        a = value
    else:
        if value is None or isinstance(value, (str, bytes, dict, set)) or callable(value):
            raise TypeError(
                f"{name} must be an array of real numbers, got {describe_value(value)}"
            )
        try:
            a = np.asarray(value)
        except ValueError as exc:
            if "inhomogeneous" not in str(exc) and "sequence" not in str(exc):
                raise TypeError(
                    f"{name} must be an array of real numbers, got {describe_value(value)} "
                    f"that NumPy cannot convert ({exc})"
                ) from None
            raise ValueError(
                f"{name} is a ragged nested sequence: {_ragged(value)}; every row must have "
                "the same length"
            ) from None
        except TypeError as exc:
            raise TypeError(
                f"{name} must be an array of real numbers, got {describe_value(value)} ({exc})"
            ) from None
    if a.dtype.kind not in "fiub":  # float, int, unsigned, bool: anything else is refused
        got = describe_value(value)
        if not isinstance(value, np.ndarray) and not isinstance(value, np.generic):
            got += f" (as an array: {describe(a)})"
        raise TypeError(f"{name} must be an array of real numbers, got {got}")
    return a


def check_callable(f: object, name: str = "f") -> None:
    """Raise ``TypeError`` unless ``f`` is callable, naming what it was instead."""
    if not callable(f):
        raise TypeError(f"{name} must be callable (a function), got {describe_value(f)}")


def dot_finite(a: NDArray[Any]) -> bool:
    """``True`` if every entry of the float array ``a`` is certainly finite (one BLAS pass).

    ``a . a`` is NaN or infinite when an entry is (one fast pass, no temporary);
    it can also overflow for finite entries above ~1e154, so ``False`` only
    means "look closer". For a caller inside ``np.errstate(over="ignore")``
    (NumPy's own loop, used for short arrays, warns on overflow).
    """
    return a.dtype.kind == "f" and a.dtype.itemsize in (4, 8) and math.isfinite(np.vdot(a, a))


def fast_finite(a: NDArray[Any]) -> bool:
    """:func:`dot_finite` without floating-point warnings."""
    with np.errstate(over="ignore", invalid="ignore"):
        return dot_finite(a)


def first_nonfinite(a: NDArray[Any]) -> str | None:
    """``None`` if every entry of ``a`` is finite, else a phrase naming the first bad entry."""
    if fast_finite(a):
        return None
    finite = np.isfinite(a)
    if finite.all():
        return None
    bad = np.argwhere(~finite)[0]
    where = tuple(int(i) for i in bad)
    kind = "NaN" if np.isnan(a[where]) else f"infinite ({float(a[where])})"
    count = int(a.size - np.count_nonzero(finite))
    return f"{count} non-finite value(s); the first is {kind} at index {where}"


def as_float_input(
    value: ArrayLike, name: str, *, finite: bool = True
) -> NDArray[np.floating[Any]]:
    """Return ``value`` as a finite floating array (float32 kept, other reals to float64).

    ``finite=False`` leaves the NaN check to the caller (who checks it later).
    """
    a = as_real_array(value, name)
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    if finite:
        check_finite(a, name)
    return a


def check_finite(a: NDArray[Any], name: str) -> None:
    """Raise ``ValueError`` naming the first NaN or infinite entry of ``a``."""
    if a.size and (problem := first_nonfinite(a)) is not None:
        raise ValueError(f"{name} contains {problem}")


def is_number(value: object) -> bool:
    """Whether ``value`` is a real number: a Python or NumPy int or float, not a bool."""
    return not isinstance(value, (bool, np.bool_)) and isinstance(
        value, (int, float, np.integer, np.floating)
    )


def is_whole_number(value: object) -> bool:
    """Whether ``value`` is a Python or NumPy int, not a bool."""
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, np.integer))


def check_positive(value: float, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number > 0."""
    if not is_number(value):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def check_fraction(value: float, name: str) -> None:
    """Raise unless ``value`` is a number in ``[0, 1)`` (a decay rate, a momentum)."""
    if not is_number(value):
        raise TypeError(f"{name} must be a number in [0, 1), got {value!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")


def check_positive_int(value: int, name: str) -> None:
    """Raise unless ``value`` is an ``int`` >= 1."""
    if not is_whole_number(value):
        raise TypeError(f"{name} must be an int >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")


def check_nonnegative_int(value: int, name: str) -> None:
    """Raise unless ``value`` is an ``int`` >= 0."""
    if not is_whole_number(value):
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


def check_nonnegative(value: float, name: str) -> None:
    """Raise unless ``value`` is a finite number >= 0 (a weight decay, a ratio)."""
    if not is_number(value):
        raise TypeError(f"{name} must be a number >= 0, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def as_float_dtype(value: FloatDType, name: str = "dtype") -> np.dtype[np.floating[Any]]:
    """``value`` as ``np.dtype('float32')`` or ``np.dtype('float64')``, or a clear error.

    Takes ``np.float32``/``np.float64``, ``'float32'``/``'float64'`` or their ``np.dtype``;
    anything else (``float``, ``'f4'``, ``np.float16``, ``3``) is refused, naming ``name``
    and the values allowed.

    Examples
    --------
    >>> as_float_dtype("float32")
    dtype('float32')
    >>> as_float_dtype(np.float16)
    Traceback (most recent call last):
    ...
    ValueError: dtype must be float32 or float64 (np.float32, np.float64, 'float32', \
'float64' or their np.dtype), got type float16
    """
    allowed = (
        f"{name} must be float32 or float64 (np.float32, np.float64, 'float32', 'float64' "
        "or their np.dtype)"
    )
    if isinstance(value, str):
        ok, got = value in FLOAT_DTYPES, describe_value(value)
    elif isinstance(value, np.dtype):
        ok, got = value.name in FLOAT_DTYPES, f"np.dtype('{value.name}')"
    elif isinstance(value, type):
        ok, got = value in (np.float32, np.float64), f"type {value.__name__}"
    else:
        raise TypeError(f"{allowed}, got {describe_value(value)}")
    if not ok:
        raise ValueError(f"{allowed}, got {got}")
    return np.dtype(value)
