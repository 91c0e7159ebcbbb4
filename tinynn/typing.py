"""Type aliases shared by every module.

The book works with ``float64`` NumPy arrays and keeps a network's weights in a
``dict`` keyed ``'W1' 'b1' 'W2' 'b2'``; these aliases name those two ideas so
that signatures read like the book.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ArrayLike",
    "ComplexArray",
    "FloatArray",
    "FloatDType",
    "IntArray",
    "Params",
    "ScalarFunction",
]

#: A float64 array (weights, activations, gradients).
FloatArray: TypeAlias = NDArray[np.float64]
#: An integer array (class labels, mini-batch indices).
IntArray: TypeAlias = NDArray[np.intp]
#: Parameters (or gradients) by name, as the book's ``params['W1']``.
Params: TypeAlias = dict[str, FloatArray]
#: A function of one array returning a scalar, as ``numerical_gradient`` expects.
ScalarFunction: TypeAlias = Callable[[FloatArray], float]
#: A complex128 array: parameters and activations carrying a complex step (``ComplexStep``).
ComplexArray: TypeAlias = NDArray[np.complex128]
#: What a ``dtype=`` argument takes: float32 or float64, as ``np.float32``, ``'float32'`` or
#: ``np.dtype('float32')`` (see ``tinynn.utils.validation.as_float_dtype``).
FloatDType: TypeAlias = type[np.float32] | type[np.float64] | str | np.dtype[Any]
