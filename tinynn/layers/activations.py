"""Activation layers: Sigmoid and ReLU.

Book section
------------
5.5 (activation function layers), used by 4.5.1
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..functions import sigmoid_unchecked
from ..typing import FloatArray, Params

__all__ = ["Relu", "Sigmoid"]


class _Activation:
    """Shared plumbing of parameter-free layers."""

    _empty: Params

    def __init__(self) -> None:
        self._empty = {}

    @property
    def params(self) -> Params:
        """Always empty, since an activation layer has no parameters."""
        return self._empty

    @property
    def grads(self) -> Params:
        """Always empty, since an activation layer has no parameters."""
        return self._empty

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(_Activation):
    """Sigmoid layer, the book's hidden-layer activation.

    Notes
    -----
    .. math:: y = \\frac{1}{1 + e^{-x}}, \\quad
              \\frac{\\partial L}{\\partial x} = (1 - y)\\, y\\,
              \\frac{\\partial L}{\\partial y}

    ``backward`` multiplies in the order of the book's
    ``sigmoid_grad(a1) * da1`` (chapter 4), so gradients match it bit for bit.

    Book section
    ------------
    4.5.1 (``z1 = sigmoid(a1)``), 5.5.2 (Sigmoid layer)

    Examples
    --------
    >>> layer = Sigmoid()
    >>> layer.forward(np.array([0.0]))
    array([0.5])
    >>> layer.backward(np.array([1.0]))
    array([0.25])
    """

    def __init__(self) -> None:
        super().__init__()
        self._out: FloatArray | None = None

    def forward(self, x: FloatArray) -> FloatArray:
        """``1 / (1 + exp(-x))``."""
        out = sigmoid_unchecked(x)  # in one buffer: the operations of 1 / (1 + np.exp(-x))
        self._out = out
        return out

    def backward(self, dout: FloatArray) -> FloatArray:
        """``(1 - y) * y * dout``."""
        if self._out is None:
            raise RuntimeError("Sigmoid.backward called before forward")
        grad: FloatArray = 1.0 - self._out  # ((1 - y) * y) * dout, in one buffer: same bits
        grad *= self._out
        grad *= dout
        return grad


class Relu(_Activation):
    """ReLU layer: passes positive inputs, zeroes the rest, and their gradients.

    Notes
    -----
    The book keeps ``mask = (x <= 0)`` from ``forward`` for ``backward``; where the input
    was positive is where the output is, so this layer keeps its output and finds the
    mask when ``backward`` needs it (``mask`` gives it too): a forward pass that is not
    followed by a backward one (evaluating, the loss) makes no mask.

    Book section
    ------------
    5.5.1 (ReLU layer), previewed by the pluggable layers of 4.5.1

    Examples
    --------
    >>> layer = Relu()
    >>> layer.forward(np.array([-1.0, 2.0]))
    array([0., 2.])
    >>> layer.backward(np.array([5.0, 5.0]))
    array([0., 5.])
    """

    def __init__(self) -> None:
        super().__init__()
        self._out: FloatArray | None = None

    @property
    def mask(self) -> NDArray[np.bool_] | None:
        """Where the last input was positive (``x > 0``, found as ``out > 0``)."""
        return None if self._out is None else self._out > 0

    def forward(self, x: FloatArray) -> FloatArray:
        """``max(0, x)`` (the book zeroes ``x[x <= 0]``: the same values, NaN kept)."""
        out: FloatArray = np.maximum(x, 0.0)
        self._out = out
        return out

    def backward(self, dout: FloatArray) -> FloatArray:
        """``dout`` where the input was positive, else 0 (``dout * mask``)."""
        mask = self.mask
        if mask is None:
            raise RuntimeError("Relu.backward called before forward")
        dx: FloatArray = dout * mask
        return dx
