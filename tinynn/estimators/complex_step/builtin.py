"""The complex step's rules for the built-in layers: Affine, Sigmoid, Dropout,
BatchNormalization and SoftmaxWithLoss.

Each is the layer's ``forward`` written for complex input and parameters; :class:`~tinynn.Relu`
has none (its kink at 0 is not complex-analytic).

Book section
------------
4.4.2 (the gradient of a network, here by the complex step)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...layers import Affine, BatchNormalization, Dropout, Sigmoid, SoftmaxWithLoss
from ...layers.batch_normalization import EPS
from ...losses import one_hot_indices
from ...typing import ComplexArray
from .estimator import ComplexStep

__all__ = [
    "affine_complex",
    "batch_normalization_complex",
    "dropout_complex",
    "sigmoid_complex",
    "softmax_with_loss_complex",
]


@ComplexStep.rule_for(Affine)
def affine_complex(
    layer: Affine, x: ComplexArray, params: Mapping[str, ComplexArray]
) -> ComplexArray:
    """``x @ W + b`` with complex ``params``: a product and a sum, complex-analytic.

    Book section
    ------------
    4.4.2 (the complex step), 5.6.2 (Affine layer)
    """
    x2 = x.reshape(x.shape[0], -1) if x.ndim > 2 else x
    out: ComplexArray = x2 @ params["W"]
    return out + params["b"] if "b" in params else out


@ComplexStep.rule_for(Sigmoid)
def sigmoid_complex(
    layer: Sigmoid, x: ComplexArray, params: Mapping[str, ComplexArray]
) -> ComplexArray:
    """The sigmoid of complex ``x``.

    ``1 / (1 + exp(-x))`` is analytic. Written as ``exp(x) / (1 + exp(x))`` where the real
    part of ``x`` is negative, so that ``exp`` never overflows (a complex infinity would
    turn into NaN); the choice between the two equal forms looks at the real part only.

    Book section
    ------------
    4.4.2 (the complex step), 5.5.2 (Sigmoid layer)
    """
    negative = x.real < 0
    e = np.exp(np.where(negative, x, -x))
    out: ComplexArray = np.where(negative, e / (1 + e), 1 / (1 + e))
    return out


@ComplexStep.rule_for(Dropout)
def dropout_complex(
    layer: Dropout, x: ComplexArray, params: Mapping[str, ComplexArray]
) -> ComplexArray:
    """``x * mask`` with the mask of this gradient (the real forward pass's, held).

    Book section
    ------------
    4.4.2 (the complex step), 6.4.3 (Dropout)
    """
    if layer.mask is None or layer.mask.shape != x.shape:
        raise RuntimeError("Dropout's complex rule needs the mask of a training forward pass")
    out: ComplexArray = x * layer.mask
    return out


@ComplexStep.rule_for(BatchNormalization)
def batch_normalization_complex(
    layer: BatchNormalization, x: ComplexArray, params: Mapping[str, ComplexArray]
) -> ComplexArray:
    """Batch Normalization in training mode at complex input: means, a square root and a
    division, all complex-analytic (the square root near the positive reals).

    Book section
    ------------
    4.4.2 (the complex step), 6.3.1 (Batch Normalization's algorithm)
    """
    x2 = x.reshape(x.shape[0], -1)
    xc = x2 - x2.mean(axis=0)
    xn = xc / np.sqrt(np.mean(xc**2, axis=0) + EPS)
    out: ComplexArray = (params["gamma"] * xn + params["beta"]).reshape(x.shape)
    return out


@ComplexStep.loss_rule_for(SoftmaxWithLoss)
def softmax_with_loss_complex(layer: SoftmaxWithLoss, x: ComplexArray, t: NDArray[Any]) -> complex:
    """Softmax and cross-entropy of complex scores.

    The shift by the row's maximum (against overflow) uses the *real* parts: ``max`` of
    complex numbers is not analytic, but softmax does not change when every score of a row
    moves by the same real number. ``exp``, the division and ``log(y + delta)`` are
    analytic.

    Book section
    ------------
    4.4.2 (the complex step), 5.6.3 (Softmax-with-Loss layer)
    """
    e = np.exp(x - np.max(x.real, axis=1, keepdims=True))
    y = e / np.sum(e, axis=1, keepdims=True)
    n = y.shape[0]
    labels = one_hot_indices(t) if t.ndim == 2 else t
    if labels is None:  # soft targets: the full sum
        return complex(-np.sum(t * np.log(y + layer.delta)) / n)
    return complex(-np.sum(np.log(y[np.arange(n), labels] + layer.delta)) / n)
