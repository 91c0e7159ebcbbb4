"""Activation layers: Sigmoid and ReLU.

Book section
------------
5.5 (activation function layers), used by 4.5.1
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from ..perturbation import Change, ColumnChange, DenseChange
from ..typing import ComplexArray, FloatArray, Params

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

    #: Takes sparse changes (:class:`~tinynn.perturbation.Samples`) in ``propagate``.
    sparse_changes = True

    def __init__(self) -> None:
        super().__init__()
        self._out: FloatArray | None = None

    def forward(self, x: FloatArray) -> FloatArray:
        """``1 / (1 + exp(-x))``."""
        out = self._f(x)
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

    def forward_complex(self, x: ComplexArray, params: Mapping[str, ComplexArray]) -> ComplexArray:
        """The sigmoid of complex ``x``, for :class:`~tinynn.ComplexStep`.

        ``1 / (1 + exp(-x))`` is analytic. Written as ``exp(x) / (1 + exp(x))``
        where the real part of ``x`` is negative, so that ``exp`` never
        overflows (a complex infinity would turn into NaN); the choice between
        the two equal forms looks at the real part only. Caches nothing.
        """
        negative = x.real < 0
        e = np.exp(np.where(negative, x, -x))
        out: ComplexArray = np.where(negative, e / (1 + e), 1 / (1 + e))
        return out

    @staticmethod
    def _f(x: FloatArray) -> FloatArray:
        """``1 / (1 + exp(-x))`` in one buffer (the same operations, the same bits)."""
        out: FloatArray = np.negative(x)
        with np.errstate(over="ignore"):
            np.exp(out, out=out)
        out += 1
        np.divide(1, out, out=out)
        return out

    def propagate(self, change: Change, x: FloatArray, out: FloatArray) -> Change:
        """Apply the sigmoid to what changed: a changed column stays one column."""
        if isinstance(change, ColumnChange):
            return change.like(out, self._f(change.values))
        return DenseChange(self._f(change.dense().values))


class Relu(_Activation):
    """ReLU layer: passes positive inputs, zeroes the rest, and their gradients.

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

    #: Takes sparse changes (:class:`~tinynn.perturbation.Samples`) in ``propagate``.
    sparse_changes = True

    def __init__(self) -> None:
        super().__init__()
        self._mask: NDArray[np.bool_] | None = None

    def forward(self, x: FloatArray) -> FloatArray:
        """``max(0, x)``."""
        self._mask = x <= 0
        return np.where(self._mask, 0.0, x)

    def backward(self, dout: FloatArray) -> FloatArray:
        """``dout`` where the input was positive, else 0."""
        if self._mask is None:
            raise RuntimeError("Relu.backward called before forward")
        return np.where(self._mask, 0.0, dout)

    def propagate(self, change: Change, x: FloatArray, out: FloatArray) -> Change:
        """Apply ``max(0, x)`` to what changed: a changed column stays one column."""
        if isinstance(change, ColumnChange):
            v = change.values
            return change.like(out, np.where(v <= 0, 0.0, v))
        v = change.dense().values
        return DenseChange(np.where(v <= 0, 0.0, v))
