"""Numerical differentiation (book sections 4.3 and 4.4).

These are the chapter's first tools: a derivative computed from two function
values and the gradient of a function of many variables computed one entry at
a time. The gradient method that walks downhill along it is in
:mod:`tinynn.gradient_method`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from .typing import ArrayLike, FloatArray
from .utils.validation import (
    as_float_input,
    check_callable,
    check_finite,
    check_positive,
    describe,
    describe_value,
)

__all__ = [
    "PrecisionWarning",
    "complex_step_diff",
    "numerical_diff",
    "numerical_gradient",
    "tangent_line",
]

#: The book's step for numerical differentiation: small, yet far above rounding error.
DEFAULT_H = 1e-4


#: How far (relative) the step actually taken may differ from ``h`` before a warning.
STEP_TOLERANCE = 0.01


class PrecisionWarning(RuntimeWarning):
    """Rounding ruins a finite difference or a descent: the step taken is not ``h``.

    Raised (as a warning) when ``(x + h) - (x - h)``, computed in the array's
    dtype, differs from ``2h`` by more than 1% (in float32 near ``x = 100``
    the step is 8% off; where ``x + h == x`` it is lost entirely), and when
    :func:`gradient_descent` diverges.

    Book section
    ------------
    4.3.1 (why ``h = 1e-50`` fails: rounding error)
    """


def scalar_result(value: object, what: str) -> float:
    """``value`` as a finite float, or a clear error naming ``what`` produced it."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must return a scalar, got {type(value).__name__}") from exc
    if not math.isfinite(out):
        raise ValueError(f"{what} returned {out}; the numerical derivative needs finite values")
    return out


def _number(value: object, name: str) -> float:
    """``value`` (a real number, not a bool or string) as a finite float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        if isinstance(value, np.ndarray) and value.ndim == 0:
            return _number(value[()], name)
        raise TypeError(f"{name} must be a real number, got {describe_value(value)}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out}")
    return out


def numerical_diff(
    f: Callable[[float], float],
    x: float,
    h: float = DEFAULT_H,
    *,
    scheme: Literal["central", "forward", "backward"] = "central",
) -> float:
    """Derivative of a function of one variable, by finite differences.

    .. math:: f'(x) \\approx \\frac{f(x + h) - f(x - h)}{2h}

    Parameters
    ----------
    f : callable
        A function of one float returning a float.
    x : float
        Where to differentiate.
    h : float, default 1e-4
        The step, as in the book.
    scheme : {'central', 'forward', 'backward'}, default 'central'
        ``'forward'`` is the definition's ``(f(x+h) - f(x)) / h`` and
        ``'backward'`` is ``(f(x) - f(x-h)) / h``; both have an error of
        order ``h``, the central difference of order ``h**2``.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``f`` is not callable, ``x`` is not a real number, or ``f`` does
        not return a scalar.
    ValueError
        If ``h`` is not a finite positive number, ``x`` is not finite,
        ``f`` returns a non-finite value, or ``scheme`` is unknown.

    Warns
    -----
    PrecisionWarning
        If the step actually taken in float64, ``(x + h) - (x - h)``, is more
        than 1% off ``2h``: rounding has eaten the step (the book's
        ``h = 1e-50`` example, where ``x + h == x``).

    Notes
    -----
    Beware the book-notes bug ``(f(x+h) - f(x-h)) / 2*h``: it divides by 2
    and then *multiplies* by ``h``.

    Book section
    ------------
    4.3.1 (derivatives; rounding error and the central difference),
    4.3.2 (an example of numerical differentiation)

    Examples
    --------
    >>> def function_1(x):
    ...     return 0.01 * x**2 + 0.1 * x
    >>> numerical_diff(function_1, 5.0)
    0.1999999999990898
    >>> numerical_diff(function_1, 10.0)
    0.2999999999986347
    """
    check_callable(f)
    check_positive(h, "h")
    xf = _number(x, "x")
    if scheme not in ("central", "forward", "backward"):
        raise ValueError(f"scheme must be 'central', 'forward' or 'backward', got {scheme!r}")
    warn_if_step_rounded(np.array([xf]), h)
    what = "f"
    if scheme == "central":
        return (scalar_result(f(xf + h), what) - scalar_result(f(xf - h), what)) / (2 * h)
    if scheme == "forward":
        return (scalar_result(f(xf + h), what) - scalar_result(f(xf), what)) / h
    return (scalar_result(f(xf), what) - scalar_result(f(xf - h), what)) / h


def tangent_line(f: Callable[[float], float], x: float) -> Callable[[ArrayLike], FloatArray]:
    """The tangent to ``f`` at ``x``, with the slope from :func:`numerical_diff`.

    Parameters
    ----------
    f : callable
        A function of one float.
    x : float
        The point of tangency.

    Returns
    -------
    callable
        ``line(t) = f'(x) * t + (f(x) - f'(x) * x)``, taking scalars or arrays.

    Raises
    ------
    TypeError
        If ``f`` is not callable or ``x`` is not a real number.
    ValueError
        If ``x`` or a value of ``f`` is not finite.

    Book section
    ------------
    4.3.2 (figure 4-7, ``ch04/gradient_1d.py``)

    Examples
    --------
    >>> line = tangent_line(lambda x: 0.01 * x**2 + 0.1 * x, 5.0)
    >>> line([5.0, 10.0])
    array([0.75, 1.75])
    """
    check_callable(f)
    xf = _number(x, "x")
    d = numerical_diff(f, xf)
    y = scalar_result(f(xf), "f") - d * xf

    def line(t: ArrayLike) -> FloatArray:
        return d * np.asarray(as_float_input(t, "t"), dtype=np.float64) + y

    return line


def _check_perturbable(x: object) -> NDArray[np.floating[Any]]:
    if not isinstance(x, np.ndarray):
        raise TypeError(
            "numerical_gradient perturbs x in place, so x must be a NumPy float array, "
            f"got {type(x).__name__}; pass np.asarray(x, dtype=float)"
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"numerical_gradient needs a float array, got {describe(x)}: an integer array "
            "cannot hold x + h (the book's code silently returns zeros); use x.astype(float)"
        )
    if not x.flags.writeable:
        raise ValueError("numerical_gradient perturbs x in place, but x is read-only")
    check_finite(x, "x")
    return x


def step_rounding(x: NDArray[np.floating[Any]], h: float, name: str = "x") -> str | None:
    """``None`` if the step taken at every entry is within 1% of ``h``, else why not.

    The step actually taken at an entry is half of ``(x + h) - (x - h)``, each rounded to
    ``x``'s dtype, which is what the central difference divides by ``2h``.
    """
    if x.size == 0:
        return None
    xd = x.astype(np.float64)
    up = (xd + h).astype(x.dtype).astype(np.float64)
    down = (xd - h).astype(x.dtype).astype(np.float64)
    error = np.abs((up - down) / 2 - h) / h
    worst = int(np.argmax(error))
    if not error.flat[worst] > STEP_TOLERANCE:
        return None
    where = tuple(int(i) for i in np.unravel_index(worst, x.shape))
    count = int(np.count_nonzero(error > STEP_TOLERANCE))
    lost = ""
    if up.flat[worst] == xd.flat[worst]:
        lost = "x + h == x there, the step is lost to rounding; "
    fix = "use float64 (x.astype(np.float64)) or a larger h" if x.dtype != np.float64 else (
        "use a larger h"
    )
    return (
        f"rounding in {x.dtype} changes the step h={float(h)!r}: at {count} of {x.size} entries of "
        f"{name} the step actually taken differs from h by more than {STEP_TOLERANCE:.0%}, "
        f"worst {float(error.flat[worst]):.1%} at index {where} (value "
        f"{float(xd.flat[worst])!r}); {lost}the derivative there is off by about as much: {fix}"
    )


def warn_if_step_rounded(x: NDArray[np.floating[Any]], h: float, name: str = "x") -> None:
    """Warn with :class:`PrecisionWarning` where the step taken is more than 1% off ``h``."""
    problem = step_rounding(x, h, name)
    if problem is not None:
        warnings.warn(problem, PrecisionWarning, stacklevel=3)


def numerical_gradient(
    f: Callable[[NDArray[Any]], float],
    x: NDArray[Any],
    h: float = DEFAULT_H,
    *,
    scheme: Literal["central", "forward", "backward"] = "central",
) -> FloatArray:
    """Gradient of a scalar function of an array, by central differences per entry.

    .. math:: \\frac{\\partial f}{\\partial x_i} \\approx
              \\frac{f(x + h e_i) - f(x - h e_i)}{2h}

    Each entry of ``x`` is set to ``x_i + h`` and ``x_i - h`` *in place*, ``f``
    is evaluated, and the entry is restored, even if ``f`` raises. So ``f``
    may ignore its argument and read ``x`` through a closure, as the book's
    ``numerical_gradient(lambda w: net.loss(x, t), net.W)`` does.

    Parameters
    ----------
    f : callable
        Takes ``x`` and returns a scalar.
    x : ndarray of float
        Any shape. Modified during the call and restored before it returns.
    h : float, default 1e-4
    scheme : {'central', 'forward', 'backward'}, default 'central'
        As in :func:`numerical_diff`: ``(f(x+h) - f(x-h)) / 2h`` per entry, or the
        one-sided ``(f(x+h) - f(x)) / h`` and ``(f(x) - f(x-h)) / h``.

    Returns
    -------
    ndarray of float64
        Same shape as ``x``.

    Raises
    ------
    TypeError
        If ``f`` is not callable, ``x`` is not a float ndarray (integer
        arrays cannot hold ``x + h``; the book's version silently returns
        zeros for them), or ``f`` does not return a scalar.
    ValueError
        If ``h`` is not a finite positive number, ``x`` holds NaN or infinity,
        or ``f`` returns a non-finite value.

    Warns
    -----
    PrecisionWarning
        Where the step actually taken in ``x``'s dtype is more than 1% off
        ``h`` (``x + h == x`` is the extreme case); float32 entries near 100
        are 8% off with ``h = 1e-4``.

    Book section
    ------------
    4.4 (the gradient; ``common/gradient.py``), 4.4.2 (gradient of a network)

    Examples
    --------
    >>> def function_2(x):
    ...     return x[0] ** 2 + x[1] ** 2
    >>> numerical_gradient(function_2, np.array([3.0, 4.0]))
    array([6., 8.])
    >>> numerical_gradient(function_2, np.array([0.0, 2.0]))
    array([0., 4.])
    """
    check_callable(f)
    check_positive(h, "h")
    xa = _check_perturbable(x)
    if scheme not in ("central", "forward", "backward"):
        raise ValueError(f"scheme must be 'central', 'forward' or 'backward', got {scheme!r}")
    warn_if_step_rounded(xa, h)
    if scheme != "central":
        grad = np.zeros(xa.shape, dtype=np.float64)
        return _one_sided_gradient(f, xa, h, 1.0 if scheme == "forward" else -1.0, grad)
    return central_difference_loop(f, xa, h)


def central_difference_loop(
    f: Callable[[NDArray[Any]], float], xa: NDArray[np.floating[Any]], h: float
) -> FloatArray:
    """The book's loop over the entries of a checked ``xa``."""
    grad = np.zeros(xa.shape, dtype=np.float64)
    for idx in np.ndindex(xa.shape):
        tmp_val = xa[idx]
        try:
            xa[idx] = float(tmp_val) + h
            fxh1 = scalar_result(f(xa), "f")
            xa[idx] = float(tmp_val) - h
            fxh2 = scalar_result(f(xa), "f")
        finally:
            xa[idx] = tmp_val
        grad[idx] = (fxh1 - fxh2) / (2 * h)
    return grad


def _one_sided_gradient(
    f: Callable[[NDArray[Any]], float],
    xa: NDArray[np.floating[Any]],
    h: float,
    sign: float,
    grad: FloatArray,
) -> FloatArray:
    """``(f(x+h) - f(x)) / h`` (sign 1) or ``(f(x) - f(x-h)) / h`` (sign -1) per entry."""
    fx = scalar_result(f(xa), "f")
    for idx in np.ndindex(xa.shape):
        tmp_val = xa[idx]
        try:
            xa[idx] = float(tmp_val) + sign * h
            moved = scalar_result(f(xa), "f")
        finally:
            xa[idx] = tmp_val
        grad[idx] = sign * (moved - fx) / h
    return grad


def complex_step_diff(f: Callable[[complex], complex], x: float, h: float = 1e-20) -> float:
    """Derivative of a function of one variable by the complex step: no subtraction.

    .. math:: f'(x) \\approx \\frac{\\operatorname{Im} f(x + ih)}{h}

    Parameters
    ----------
    f : callable
        A function of one number that accepts a complex argument and is
        analytic there: built with NumPy or ``cmath`` functions (``np.sin``,
        ``np.exp``, ``**``), not ``math`` ones, and without ``abs``,
        ``max`` or comparisons.
    x : float
        Where to differentiate (real).
    h : float, default 1e-20
        The imaginary step.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``h`` is not a finite positive number, ``x`` is not finite, or
        ``f`` returns a non-finite value.
    TypeError
        If ``f`` is not callable, ``x`` is not a real number, ``f`` rejects a
        complex argument, or returns something that is not a number.

    Notes
    -----
    From the Taylor series :math:`f(x + ih) = f(x) + ih f'(x) - \\tfrac{h^2}{2}
    f''(x) + O(h^3)`, the imaginary part divided by :math:`h` is
    :math:`f'(x)` up to :math:`O(h^2)`. Unlike :func:`numerical_diff` it
    subtracts nothing, so it has no rounding error to balance against the
    truncation error (section 4.3.1): with ``h = 1e-20`` the truncation
    error is :math:`10^{-40}` and the result is exact to float64 precision.
    ``x + 1e-20j`` keeps its tiny imaginary part where ``x + 1e-20 == x``.

    Book section
    ------------
    4.3.1 (derivatives: rounding error, here avoided)

    Examples
    --------
    >>> def function_1(x):
    ...     return 0.01 * x**2 + 0.1 * x
    >>> complex_step_diff(function_1, 5.0)   # the central difference: 0.1999999999990898
    0.19999999999999998
    >>> complex_step_diff(np.sin, 1.0), float(np.cos(1.0))
    (0.5403023058681398, 0.5403023058681398)
    """
    check_callable(f)
    check_positive(h, "h")
    xf = _number(x, "x")
    try:
        value = f(complex(xf, h))
    except TypeError as exc:
        raise TypeError(
            f"complex_step_diff calls f with a complex number, and f raised TypeError ({exc}); "
            "write f with NumPy or cmath functions (np.sin, not math.sin)"
        ) from exc
    try:
        z = complex(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"f must return a number, got {type(value).__name__}") from exc
    if not (math.isfinite(z.real) and math.isfinite(z.imag)):
        raise ValueError(f"f returned {z}; the complex step needs finite values")
    return z.imag / h
