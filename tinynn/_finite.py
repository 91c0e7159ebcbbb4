"""Diagnosing a non-finite model output or loss: which parameter, or which layer, made it.

A model checks only its final output or loss (one reduction, or one ``isfinite`` of a float),
so a finite result costs nothing extra. Only when the result is NaN or infinite does
:func:`explain_nonfinite` look further: first for a parameter holding NaN or infinity (put
there in place, or by a diverging update), else for the first layer whose output overflowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from ._validation import _dot_finite, _fast_finite, first_nonfinite
from .base import Layer, LossLayer

__all__ = ["all_finite", "check_params_finite", "explain_nonfinite", "finite_here"]


def all_finite(a: NDArray[Any]) -> bool:
    """Whether every entry of ``a`` is finite; one cheap reduction when it is."""
    return _fast_finite(a) or bool(np.isfinite(a).all())


def finite_here(a: NDArray[Any]) -> bool:
    """:func:`all_finite` for a caller already inside ``np.errstate(over="ignore")``."""
    return _dot_finite(a) or bool(np.isfinite(a).all())


def _largest(a: NDArray[Any]) -> float:
    return float(np.max(np.abs(a), initial=0.0))


def _params_message(what: str, name: str, problem: str) -> str:
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
            raise ValueError(_params_message(what, name, problem))


def explain_nonfinite(
    what: str,
    params: Mapping[str, NDArray[Any]],
    layers: Sequence[Layer],
    loss_layer: LossLayer,
    x: NDArray[Any],
) -> NoReturn:
    """Raise ``ValueError`` saying why ``what`` (a model's output or loss on ``x``) is not finite.

    Book section
    ------------
    4.5.1 (``TwoLayerNet.predict`` and ``loss``; NaN gets there only through the parameters
    or an overflow)
    """
    for name, p in params.items():
        problem = first_nonfinite(p)
        if problem is not None:
            raise ValueError(_params_message(what, name, problem))
    out = x
    largest_param = max((_largest(p) for p in params.values()), default=0.0)
    with np.errstate(all="ignore"):
        for i, layer in enumerate(layers):
            inp, out = out, layer.forward(out)
            if not np.isfinite(out).all():
                raise ValueError(
                    f"{what} is not finite: layers[{i}] ({layer!r}) overflowed float64 although "
                    f"its input (largest |value| {_largest(inp):.3g}) and every parameter "
                    f"(largest |value| {largest_param:.3g}) are finite; scale the input down, "
                    "or lower the learning rate if training made the weights this large"
                )
    raise ValueError(
        f"{what} is not finite although the scores are (largest |score| {_largest(out):.3g}): "
        f"{loss_layer!r} gave a probability of 0 to a target class; a delta > 0 (the book's "
        "1e-7) keeps log(0) out"
    )
