"""Numerical differentiation and gradient descent (book sections 4.3 and 4.4).

These are the chapter's first tools: a derivative computed from two function
values, the gradient of a function of many variables computed one entry at a
time, and the gradient method that walks downhill along it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ._validation import (
    as_float_input,
    check_finite,
    check_nonnegative_int,
    check_positive,
    describe,
)
from .typing import ArrayLike, FloatArray

__all__ = [
    "PrecisionWarning",
    "complex_step_diff",
    "gradient_descent",
    "gradient_descent_path",
    "numerical_diff",
    "numerical_gradient",
    "tangent_line",
]

#: The book's step for numerical differentiation: small, yet far above rounding error.
DEFAULT_H = 1e-4


class PrecisionWarning(RuntimeWarning):
    """The step ``h`` is lost to rounding: ``x + h == x`` in the array's dtype.

    Book section
    ------------
    4.3.1 (why ``h = 1e-50`` fails: rounding error)
    """


def _scalar(value: object, what: str) -> float:
    """``value`` as a finite float, or a clear error naming ``what`` produced it."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must return a scalar, got {type(value).__name__}") from exc
    if not math.isfinite(out):
        raise ValueError(f"{what} returned {out}; the numerical derivative needs finite values")
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
    ValueError
        If ``h`` is not a finite positive number, ``x`` is not finite,
        ``f`` returns a non-finite value, or ``scheme`` is unknown.

    Warns
    -----
    PrecisionWarning
        If ``x + h == x`` in float64: the step has been rounded away and the
        result is meaningless (the book's ``h = 1e-50`` example).

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
    check_positive(h, "h")
    xf = _scalar(x, "x")
    if scheme not in ("central", "forward", "backward"):
        raise ValueError(f"scheme must be 'central', 'forward' or 'backward', got {scheme!r}")
    if xf + h == xf or xf - h == xf:
        warnings.warn(
            f"x + h == x in float64 for x={xf!r}, h={h!r}: the step is lost to rounding and the "
            "derivative is meaningless; use a step such as h=1e-4",
            PrecisionWarning,
            stacklevel=2,
        )
    what = "f"
    if scheme == "central":
        return (_scalar(f(xf + h), what) - _scalar(f(xf - h), what)) / (2 * h)
    if scheme == "forward":
        return (_scalar(f(xf + h), what) - _scalar(f(xf), what)) / h
    return (_scalar(f(xf), what) - _scalar(f(xf - h), what)) / h


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

    Book section
    ------------
    4.3.2 (figure 4-7, ``ch04/gradient_1d.py``)

    Examples
    --------
    >>> line = tangent_line(lambda x: 0.01 * x**2 + 0.1 * x, 5.0)
    >>> line([5.0, 10.0])
    array([0.75, 1.75])
    """
    d = numerical_diff(f, x)
    y = _scalar(f(float(x)), "f") - d * float(x)

    def line(t: ArrayLike) -> FloatArray:
        return d * np.asarray(t, dtype=np.float64) + y

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


def warn_if_step_lost(x: NDArray[np.floating[Any]], h: float, name: str = "x") -> None:
    """Warn with :class:`PrecisionWarning` where ``x + h == x`` in ``x``'s dtype."""
    step = x.dtype.type(h)
    lost = (x + step == x) | (x - step == x)
    if np.any(lost):
        where = tuple(int(i) for i in np.argwhere(lost)[0])
        warnings.warn(
            f"{name} + h == {name} in {x.dtype} at {int(np.count_nonzero(lost))} of {x.size} "
            f"entries (first at index {where}, value {x[where]!r}, h={h!r}): the step is lost to "
            "rounding there and that derivative is meaningless",
            PrecisionWarning,
            stacklevel=3,
        )


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
        If ``x`` is not a float ndarray (integer arrays cannot hold ``x + h``;
        the book's version silently returns zeros for them), or ``f`` does
        not return a scalar.
    ValueError
        If ``h`` is not a finite positive number, ``x`` holds NaN or infinity,
        or ``f`` returns a non-finite value.

    Warns
    -----
    PrecisionWarning
        Where ``x + h == x`` in ``x``'s dtype.

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
    check_positive(h, "h")
    xa = _check_perturbable(x)
    if scheme not in ("central", "forward", "backward"):
        raise ValueError(f"scheme must be 'central', 'forward' or 'backward', got {scheme!r}")
    warn_if_step_lost(xa, h)
    grad = np.zeros(xa.shape, dtype=np.float64)
    if scheme != "central":
        return _one_sided_gradient(f, xa, h, 1.0 if scheme == "forward" else -1.0, grad)
    for idx in np.ndindex(xa.shape):
        tmp_val = xa[idx]
        try:
            xa[idx] = float(tmp_val) + h
            fxh1 = _scalar(f(xa), "f")
            xa[idx] = float(tmp_val) - h
            fxh2 = _scalar(f(xa), "f")
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
    fx = _scalar(f(xa), "f")
    for idx in np.ndindex(xa.shape):
        tmp_val = xa[idx]
        try:
            xa[idx] = float(tmp_val) + sign * h
            moved = _scalar(f(xa), "f")
        finally:
            xa[idx] = tmp_val
        grad[idx] = sign * (moved - fx) / h
    return grad


def _descend(
    f: Callable[[NDArray[Any]], float], init_x: ArrayLike, lr: float, step_num: int, h: float
) -> Iterator[FloatArray]:
    """Yield the starting point and then the point after each step (a fresh copy each)."""
    check_positive(lr, "lr")
    check_nonnegative_int(step_num, "step_num")
    check_positive(h, "h")
    x = np.array(as_float_input(init_x, "init_x"), dtype=np.float64, copy=True)
    yield x.copy()
    for _ in range(step_num):
        grad = numerical_gradient(f, x, h)
        with np.errstate(over="ignore", invalid="ignore"):  # reported just below
            x -= lr * grad
        check_finite(x, "x (gradient descent diverged: lower lr)")
        yield x.copy()


def gradient_descent(
    f: Callable[[NDArray[Any]], float],
    init_x: ArrayLike,
    lr: float = 0.01,
    step_num: int = 100,
    *,
    h: float = DEFAULT_H,
) -> FloatArray:
    """Minimise ``f`` by the gradient method, starting from ``init_x``.

    .. math:: x \\leftarrow x - \\eta \\nabla f(x)

    Parameters
    ----------
    f : callable
        A scalar function of an array.
    init_x : array_like
        The starting point. Not modified.
    lr : float, default 0.01
        The learning rate :math:`\\eta`.
    step_num : int, default 100
        How many steps to take.
    h : float, default 1e-4
        The step of the numerical gradient.

    Returns
    -------
    ndarray of float64
        The point after ``step_num`` steps.

    Raises
    ------
    ValueError
        If ``lr`` or ``h`` is not a finite positive number, ``step_num`` is
        negative, ``init_x`` holds NaN or infinity, or the walk overflows.

    See Also
    --------
    gradient_descent_path : the same walk, returning every point visited.

    Book section
    ------------
    4.4.1 (the gradient method; the effect of the learning rate)

    Examples
    --------
    >>> def function_2(x):
    ...     return x[0] ** 2 + x[1] ** 2
    >>> gradient_descent(function_2, [-3.0, 4.0], lr=0.1, step_num=100)
    array([-6.11110793e-10,  8.14814391e-10])
    """
    x = np.empty(0)
    for x in _descend(f, init_x, lr, step_num, h):  # noqa: B007 (the last point is the result)
        pass
    return x


def gradient_descent_path(
    f: Callable[[NDArray[Any]], float],
    init_x: ArrayLike,
    lr: float = 0.01,
    step_num: int = 100,
    *,
    h: float = DEFAULT_H,
) -> FloatArray:
    """Every point the gradient method visits, for drawing its path.

    Parameters are those of :func:`gradient_descent`.

    Returns
    -------
    ndarray of float64
        Shape ``(step_num + 1, *np.shape(init_x))``: row 0 is ``init_x``,
        the last row is what :func:`gradient_descent` returns.

    Book section
    ------------
    4.4.1 (figure 4-10, ``ch04/gradient_method.py``)

    Examples
    --------
    >>> path = gradient_descent_path(lambda x: x[0] ** 2 + x[1] ** 2, [-3.0, 4.0], lr=0.1,
    ...                              step_num=2)
    >>> path
    array([[-3.  ,  4.  ],
           [-2.4 ,  3.2 ],
           [-1.92,  2.56]])
    """
    return np.stack(list(_descend(f, init_x, lr, step_num, h)))


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
        If ``f`` rejects a complex argument or returns something that is not
        a number.

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
    check_positive(h, "h")
    xf = _scalar(x, "x")
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
