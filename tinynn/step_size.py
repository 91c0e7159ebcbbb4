"""How the error of a numerical derivative depends on the step ``h``: truncation against rounding.

Book section
------------
4.3.1 (derivatives: why ``h = 1e-4``, rounding error and the central difference)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .calculus import PrecisionWarning, complex_step_diff, numerical_diff
from .typing import ArrayLike, FloatArray
from .utils.validation import as_real_array, check_finite

__all__ = ["SCHEMES", "StepSizeStudy", "step_size_study"]

#: The schemes compared, in the order they are drawn.
SCHEMES = ("forward", "central", "complex")


def _f(x: Any) -> Any:
    """The classic test function of the complex-step papers: exp(x) / sqrt(sin^3 x + cos^3 x)."""
    return np.exp(x) / np.sqrt(np.sin(x) ** 3 + np.cos(x) ** 3)


def _df(x: float) -> float:
    """Its derivative: f(x) (1 - 3 (sin^2 x cos x - cos^2 x sin x) / (2 (sin^3 x + cos^3 x)))."""
    s, c = np.sin(x), np.cos(x)
    return float(_f(x) * (1 - 1.5 * (s * s * c - c * c * s) / (s**3 + c**3)))


class StepSizeStudy(NamedTuple):
    """The relative error of each scheme at each step ``h``.

    Book section
    ------------
    4.3.1 (rounding error against truncation error)
    """

    hs: FloatArray
    """The steps, ascending."""
    errors: dict[str, FloatArray]
    """``|estimate - exact| / |exact|`` per scheme (``'forward'``, ``'central'``, ``'complex'``)."""

    def best_h(self, scheme: str) -> float:
        """The largest ``h`` at which ``scheme``'s error is smallest (ties go to the larger h)."""
        err = self.errors[scheme]
        return float(self.hs[np.flatnonzero(err == err.min())[-1]])


def step_size_study(
    f: Callable[[Any], Any] | None = None,
    df: Callable[[float], float] | None = None,
    x: float = 1.5,
    hs: ArrayLike | None = None,
) -> StepSizeStudy:
    """The error of the forward, central and complex-step derivatives against ``h``.

    Parameters
    ----------
    f : callable, optional
        A function of one number, which must also accept complex input
        (NumPy functions). Default: :math:`e^x / \\sqrt{\\sin^3 x + \\cos^3 x}`,
        the test function of Squire and Trapp (1998).
    df : callable, optional
        Its exact derivative (required with ``f``).
    x : float, default 1.5
        Where to differentiate.
    hs : array_like, optional
        Positive steps; default 96 steps from 1e-20 to 1e-1 (5 per decade).

    Returns
    -------
    StepSizeStudy

    Raises
    ------
    ValueError
        If only one of ``f`` and ``df`` is given, a step is not positive and
        finite, or the exact derivative is 0 (no relative error).

    Notes
    -----
    The forward difference's truncation error is about
    :math:`\\tfrac{h}{2} |f''|`, the central difference's about
    :math:`\\tfrac{h^2}{6} |f'''|`, and both divide a rounding error of about
    :math:`\\varepsilon |f| \\approx 10^{-16}` by :math:`h`. Their sum is
    smallest near :math:`h \\approx \\sqrt{\\varepsilon} \\approx 10^{-8}`
    (forward) and :math:`h \\approx \\varepsilon^{1/3} \\approx 10^{-5}`
    (central): the reason for the book's ``h = 1e-4``. Below ``x * 1e-16``
    the step is lost entirely (``x + h == x``) and the estimates are 0.
    The complex step subtracts nothing, so only its truncation error
    :math:`\\tfrac{h^2}{6} |f'''/f'|` remains and falls to float64 precision
    for every :math:`h \\lesssim 10^{-8}`.

    Book section
    ------------
    4.3.1 (rounding error against truncation error; the central difference)

    Examples
    --------
    >>> study = step_size_study()
    >>> study.best_h("forward") < study.best_h("central") < 1e-3
    True
    >>> bool(study.errors["complex"][study.hs <= 1e-8].max() < 1e-15)
    True
    """
    if (f is None) != (df is None):
        raise ValueError("give both f and its exact derivative df, or neither")
    func: Callable[[Any], Any] = _f if f is None else f
    deriv: Callable[[float], float] = _df if df is None else df
    steps = np.logspace(-20, -1, 96) if hs is None else np.asarray(as_real_array(hs, "hs"), float)
    check_finite(steps, "hs")
    if steps.ndim != 1 or steps.size == 0 or np.any(steps <= 0):
        raise ValueError(f"hs must be a non-empty 1-D array of steps > 0, got {steps!r}")
    steps = np.sort(steps)
    exact = float(deriv(x))
    if exact == 0:
        raise ValueError(f"the derivative at x={x} is 0: choose x where it is not")
    errors: dict[str, list[float]] = {scheme: [] for scheme in SCHEMES}
    with warnings.catch_warnings():  # x + h == x for the smallest steps: part of the study
        warnings.simplefilter("ignore", PrecisionWarning)
        for h in steps:
            h = float(h)
            errors["forward"].append(numerical_diff(func, x, h, scheme="forward"))
            errors["central"].append(numerical_diff(func, x, h, scheme="central"))
            errors["complex"].append(complex_step_diff(func, x, h))
    return StepSizeStudy(
        steps, {k: np.abs(np.asarray(v) - exact) / abs(exact) for k, v in errors.items()}
    )
