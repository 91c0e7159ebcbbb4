"""The structured rules of :class:`~tinynn.Sigmoid` and :class:`~tinynn.Relu`: element-wise.

Book section
------------
4.4.2 (the gradient of a network, by structured central differences), 5.5 (activation
function layers)
"""

from __future__ import annotations

import numpy as np

from ...functions import sigmoid_unchecked
from ...layers import Relu, Sigmoid
from ...typing import FloatArray
from .estimator import NumericalDiff
from .rules import ElementwiseRule

__all__ = ["ReluRule", "SigmoidRule"]


@NumericalDiff.rule_for(Sigmoid)
class SigmoidRule(ElementwiseRule[Sigmoid]):
    """``1 / (1 + exp(-x))`` of the changed values, as :meth:`tinynn.Sigmoid.forward` computes it.

    Book section
    ------------
    4.4.2 (structured central differences), 5.5.2 (Sigmoid layer)
    """

    def apply(self, values: FloatArray) -> FloatArray:
        """The sigmoid, in one buffer (the layer's operations: the same bits)."""
        return sigmoid_unchecked(values)


@NumericalDiff.rule_for(Relu)
class ReluRule(ElementwiseRule[Relu]):
    """``max(0, x)`` of the changed values, as :meth:`tinynn.Relu.forward` computes it.

    Book section
    ------------
    4.4.2 (structured central differences), 5.5.1 (ReLU layer)
    """

    def apply(self, values: FloatArray) -> FloatArray:
        """``values`` where positive, else 0 (the layer's ``np.maximum``: the same bits)."""
        out: FloatArray = np.maximum(values, 0.0)
        return out
