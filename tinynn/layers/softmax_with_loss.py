"""The output layer: softmax and the cross-entropy loss in one.

Book section
------------
4.5.1 (softmax output and cross-entropy loss), 5.6.3 (Softmax-with-Loss layer)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..functions import softmax_unchecked
from ..losses import CROSS_ENTROPY_DELTA, check_delta, cross_entropy_unchecked
from ..typing import FloatArray

__all__ = ["SoftmaxWithLoss"]


class SoftmaxWithLoss:
    """Softmax output and cross-entropy loss in one layer.

    Parameters
    ----------
    delta : float, default 1e-7
        Added inside the logarithm (see :func:`~tinynn.cross_entropy_error`).

    Notes
    -----
    Together the two have the simple gradient

    .. math:: \\frac{\\partial L}{\\partial a} = \\frac{y - t}{N}

    where :math:`N` is the batch size. This is the gradient of the loss
    *without* ``delta``, so a numerical gradient of the loss with the default
    ``delta`` differs from it by about ``delta / y`` (relative): ~1e-7.
    Targets come from
    :meth:`tinynn.Sequential.loss`, already checked: class indices of shape
    ``(N,)`` or one-hot rows of shape ``(N, C)``.

    Book section
    ------------
    4.5.1 (softmax output and cross-entropy loss), 5.6.3 (Softmax-with-Loss layer)

    Examples
    --------
    >>> layer = SoftmaxWithLoss()
    >>> round(layer.forward(np.array([[0.0, 0.0]]), np.array([1])), 6)
    0.693147
    >>> layer.backward()
    array([[ 0.5, -0.5]])
    """

    def __init__(self, delta: float = CROSS_ENTROPY_DELTA) -> None:
        check_delta(delta)
        self.delta = delta
        self._y: FloatArray | None = None
        self._t: NDArray[Any] | None = None

    def activation(self, x: FloatArray) -> FloatArray:
        """Softmax of each row: what ``predict`` returns."""
        return softmax_unchecked(x)

    def forward(self, x: FloatArray, t: NDArray[Any]) -> float:
        """Softmax, then the mean cross-entropy against ``t``."""
        self._t = t
        self._y = softmax_unchecked(x)
        return cross_entropy_unchecked(self._y, t, self.delta)

    def forward_for_gradient(self, x: FloatArray, t: NDArray[Any]) -> None:
        """What :meth:`backward` needs (the softmax), without the loss value.

        :meth:`tinynn.Sequential.gradient` calls this instead of :meth:`forward`
        when the scores are finite: the gradient does not use the loss, and the
        book's ``gradient`` does not compute it either.
        """
        self._t = t
        self._y = softmax_unchecked(x)

    def backward(self, dout: float = 1.0) -> FloatArray:
        """``(y - t) / N``, times ``dout``."""
        if self._y is None or self._t is None:
            raise RuntimeError("SoftmaxWithLoss.backward called before forward")
        y, t = self._y, self._t
        n = y.shape[0]
        if t.ndim == 2:  # in y's dtype: float64 one-hot labels leave float32 scores float32
            dx: FloatArray = np.subtract(y, t, dtype=y.dtype)
            dx /= n
        else:
            dx = y.copy()
            dx[np.arange(n), t] -= 1
            dx /= n
        if dout != 1.0:
            dx *= dout
        return dx

    def __repr__(self) -> str:
        return f"SoftmaxWithLoss(delta={self.delta!r})"
