"""Fast finite checks, and the message naming a parameter that holds NaN or infinity.

A model checks only its final output or loss (one reduction, or one ``isfinite`` of a float),
so a finite result costs nothing extra. Only when the result is NaN or infinite does it look
further (:func:`tinynn.models.checks.explain_nonfinite`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .validation import dot_finite, fast_finite, first_nonfinite

__all__ = ["all_finite", "check_params_finite", "finite_here", "params_message"]


def all_finite(a: NDArray[Any]) -> bool:
    """Whether every entry of ``a`` is finite; one cheap reduction when it is."""
    return fast_finite(a) or bool(np.isfinite(a).all())


def finite_here(a: NDArray[Any]) -> bool:
    """:func:`all_finite` for a caller already inside ``np.errstate(over="ignore")``."""
    return dot_finite(a) or bool(np.isfinite(a).all())


def params_message(what: str, name: str, problem: str) -> str:
    """Why ``what`` is not finite: ``params[name]`` holds ``problem``; how, and the fix."""
    return (
        f"{what} is not finite because params[{name!r}] contains {problem}. It was "
        f"set in place (e.g. params[{name!r}][...] = nan) or by an update with too "
        f"large a learning rate; assign finite values (params[{name!r}] = ...) or "
        "build a new model"
    )


def check_params_finite(what: str, params: Mapping[str, NDArray[Any]]) -> None:
    """Raise ``ValueError`` naming the first parameter holding NaN or infinity.

    For a computation that would spread it silently (a numerical gradient: an infinite
    weight can leave the loss finite but not its differences); one pass over the weights.

    Book section
    ------------
    4.4.2 (gradient of a network)
    """
    for name, p in params.items():
        if not all_finite(p):
            problem = first_nonfinite(p)
            assert problem is not None
            raise ValueError(params_message(what, name, problem))
