"""The output layer: softmax and the cross-entropy loss in one.

Book section
------------
4.5.1 (softmax output and cross-entropy loss), 5.6.3 (Softmax-with-Loss layer)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..functions import _softmax
from ..losses import CROSS_ENTROPY_DELTA, _cross_entropy, _one_hot_indices, check_delta
from ..perturbation import CHUNK_BUDGET, Change, ColumnChange, DenseChange, RankOneChange
from ..perturbed_cross_entropy import loss_changes
from ..typing import ComplexArray, FloatArray

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

    #: Takes sparse changes (:class:`~tinynn.perturbation.Samples`) in ``perturbed_losses``.
    sparse_changes = True

    def __init__(self, delta: float = CROSS_ENTROPY_DELTA) -> None:
        check_delta(delta)
        self.delta = delta
        self._y: FloatArray | None = None
        self._t: NDArray[Any] | None = None

    def activation(self, x: FloatArray) -> FloatArray:
        """Softmax of each row: what ``predict`` returns."""
        return _softmax(x)

    def forward(self, x: FloatArray, t: NDArray[Any]) -> float:
        """Softmax, then the mean cross-entropy against ``t``."""
        self._t = t
        self._y = _softmax(x)
        return _cross_entropy(self._y, t, self.delta)

    def forward_for_gradient(self, x: FloatArray, t: NDArray[Any]) -> None:
        """What :meth:`backward` needs (the softmax), without the loss value.

        :meth:`tinynn.Sequential.gradient` calls this instead of :meth:`forward`
        when the scores are finite: the gradient does not use the loss, and the
        book's ``gradient`` does not compute it either.
        """
        self._t = t
        self._y = _softmax(x)

    def backward(self, dout: float = 1.0) -> FloatArray:
        """``(y - t) / N``, times ``dout``."""
        if self._y is None or self._t is None:
            raise RuntimeError("SoftmaxWithLoss.backward called before forward")
        y, t = self._y, self._t
        n = y.shape[0]
        if t.ndim == 2:
            dx: FloatArray = y - t
            dx /= n
        else:
            dx = y.copy()
            dx[np.arange(n), t] -= 1
            dx /= n
        if dout != 1.0:
            dx *= dout
        return dx

    def perturbed_losses(self, x: FloatArray, t: NDArray[Any]) -> Callable[[Change], FloatArray]:
        """A function giving the loss of every perturbed version of the scores ``x``.

        The same softmax and cross-entropy as :meth:`forward`, for ``P`` perturbed
        score arrays at once (the function returns shape ``(P,)``). For class
        targets a rank-1 change is never expanded to ``(P, N, C)``: each perturbed
        sample's loss comes from a short series with a proven remainder, or from
        its scores directly (:mod:`tinynn.perturbed_cross_entropy`); a sparse change
        costs only its changed samples.
        """
        labels = _one_hot_indices(t) if t.ndim == 2 else t
        n = x.shape[0]
        rows = np.arange(n)
        y = _softmax(x)
        base = _cross_entropy(y, t, self.delta)  # as forward computes it
        delta = self.delta
        per_sample = -np.log(y[rows, labels] + delta) if labels is not None else None

        def losses(change: Change) -> FloatArray:
            if isinstance(change, ColumnChange):
                change = change.rank_one()
            if isinstance(change, RankOneChange) and labels is not None:
                assert per_sample is not None
                s = change.samples
                total = loss_changes(
                    y, labels, per_sample, change.d, change.w, delta,
                    samples=s,
                )
                total /= n
                total += base
                return total
            if isinstance(change, DenseChange):
                return _dense_losses(change.values, t, labels, delta)
            spread = change.spread()  # soft targets: full scores, a block at a time
            block = max(1, CHUNK_BUDGET // (n * spread.w.size))
            return np.concatenate([
                _dense_losses(
                    RankOneChange(spread.base, spread.d[i : i + block], spread.w).dense().values,
                    t, labels, delta,
                )
                for i in range(0, spread.count, block)
            ])

        return losses

    def loss_complex(self, x: ComplexArray, t: NDArray[Any]) -> complex:
        """Softmax and cross-entropy of complex scores, for :class:`~tinynn.ComplexStep`.

        The shift by the row's maximum (against overflow) uses the *real*
        parts: ``max`` of complex numbers is not analytic, but softmax does
        not change when every score of a row moves by the same real number.
        ``exp``, the division and ``log(y + delta)`` are analytic. Caches
        nothing.
        """
        e = np.exp(x - np.max(x.real, axis=1, keepdims=True))
        y = e / np.sum(e, axis=1, keepdims=True)
        n = y.shape[0]
        labels = _one_hot_indices(t) if t.ndim == 2 else t
        if labels is None:  # soft targets: the full sum
            return complex(-np.sum(t * np.log(y + self.delta)) / n)
        return complex(-np.sum(np.log(y[np.arange(n), labels] + self.delta)) / n)

    def __repr__(self) -> str:
        return f"SoftmaxWithLoss(delta={self.delta!r})"


def _dense_losses(
    values: FloatArray, t: NDArray[Any], labels: NDArray[Any] | None, delta: float
) -> FloatArray:
    """Mean cross-entropy of the softmax of each of ``P`` score arrays ``(P, N, C)``."""
    n = values.shape[1]
    ev = np.exp(values - np.max(values, axis=2, keepdims=True))
    y = ev / np.sum(ev, axis=2, keepdims=True)
    if labels is not None:
        loss: FloatArray = -np.sum(np.log(y[:, np.arange(n), labels] + delta), axis=1) / n
        return loss
    soft: FloatArray = -np.sum(t * np.log(y + delta), axis=(1, 2)) / n
    return soft
