"""The gradient method: walking downhill along the numerical gradient (book section 4.4.1).

:func:`gradient_descent` returns where the walk ends, :func:`gradient_descent_path` every
point on the way. A walk that ends higher than it started has diverged (the learning rate is
too large) and says so with a :class:`~tinynn.PrecisionWarning`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .calculus import (
    DEFAULT_H,
    PrecisionWarning,
    central_difference_loop,
    scalar_result,
    step_rounding,
)
from .typing import ArrayLike, FloatArray
from .utils.validation import (
    as_float_input,
    check_callable,
    check_finite,
    check_nonnegative_int,
    check_positive,
)

__all__ = ["gradient_descent", "gradient_descent_path"]


def _descend(
    f: Callable[[NDArray[Any]], float], init_x: ArrayLike, lr: float, step_num: int, h: float
) -> Iterator[FloatArray]:
    """Yield the starting point and then the point after each step (a fresh copy each)."""
    check_callable(f)
    check_positive(lr, "lr")
    check_nonnegative_int(step_num, "step_num")
    check_positive(h, "h")
    x = np.array(as_float_input(init_x, "init_x"), dtype=np.float64, copy=True)
    f_start = scalar_result(f(x.copy()), "f") if step_num else 0.0
    rounding: str | None = None  # the first step whose h was rounded, reported once
    yield x.copy()
    for i in range(step_num):
        if rounding is None and (problem := step_rounding(x, h)) is not None:
            rounding = f"at step {i}, {problem}"
        grad = central_difference_loop(f, x, h)
        with np.errstate(over="ignore", invalid="ignore"):  # reported just below
            x -= lr * grad
        check_finite(x, f"x (gradient descent diverged at lr={lr!r}: lower lr)")
        yield x.copy()
    if step_num and not _warn_if_diverged(f, f_start, init_x, x, lr, step_num) and rounding:
        warnings.warn(rounding, PrecisionWarning, stacklevel=3)


def _warn_if_diverged(
    f: Callable[[NDArray[Any]], float],
    f_start: float,
    init_x: ArrayLike,
    x: FloatArray,
    lr: float,
    step_num: int,
) -> bool:
    """Warn if the walk ended higher than it started (the learning rate is too large).

    Gradient descent exists to lower ``f``; ending above the start (beyond rounding) means
    the steps overshoot, typically growing ``|x|`` by orders of magnitude (the book's
    ``lr=10.0``). Return whether it warned.
    """
    try:
        f_end = float(f(x.copy()))
    except (TypeError, ValueError, ArithmeticError):
        f_end = math.inf
    if math.isfinite(f_end) and f_end <= f_start + 1e-12 * max(1.0, abs(f_start)):
        return False
    size0 = float(np.max(np.abs(np.asarray(init_x, dtype=np.float64)), initial=0.0))
    size1 = float(np.max(np.abs(x), initial=0.0))
    warnings.warn(
        f"gradient descent diverged: f rose from {f_start:.4g} to {f_end:.4g} and max |x| "
        f"from {size0:.4g} to {size1:.4g} in {step_num} steps at lr={lr!r}; the steps "
        f"overshoot the minimum. Use a smaller learning rate (e.g. lr={lr / 10:g})",
        PrecisionWarning,
        stacklevel=4,
    )
    return True


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
    TypeError
        If ``f`` is not callable or does not return a scalar, ``init_x`` is
        not an array of real numbers, or ``step_num`` is not an int.
    ValueError
        If ``lr`` or ``h`` is not a finite positive number, ``step_num`` is
        negative, ``init_x`` holds NaN or infinity, or the walk overflows.

    Warns
    -----
    PrecisionWarning
        If the walk diverged: ``f`` ended higher than it started (the book's
        ``lr=10.0`` example, which ends near ``[-2.6e13, -1.3e12]``). The
        result is still returned, as the book prints it.

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
