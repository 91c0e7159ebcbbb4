"""The structured loss rule of :class:`~tinynn.SoftmaxWithLoss`: many perturbed losses at once.

Book section
------------
4.4.2 (the gradient of a network, by structured central differences), 5.6.3
(Softmax-with-Loss layer)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...functions import softmax_unchecked
from ...layers import SoftmaxWithLoss
from ...losses import cross_entropy_unchecked, one_hot_indices
from ...typing import FloatArray
from .changes import Change, ColumnChange, DenseChange, RankOneChange
from .engine import CHUNK_BUDGET
from .estimator import NumericalDiff
from .series import loss_changes

__all__ = ["SoftmaxWithLossRule"]


@NumericalDiff.loss_rule_for(SoftmaxWithLoss)
class SoftmaxWithLossRule:
    """The loss of every perturbed version of the scores ``x``, for one gradient.

    The same softmax and cross-entropy as :meth:`tinynn.SoftmaxWithLoss.forward`, for ``P``
    perturbed score arrays at once (:meth:`losses` returns shape ``(P,)``). For class
    targets a rank-1 change is never expanded to ``(P, N, C)``: each perturbed
    sample's loss comes from a short series with a proven remainder, or from its scores
    directly (:mod:`~tinynn.estimators.numerical.series`); a sparse change costs only its
    changed samples.

    Parameters
    ----------
    layer : SoftmaxWithLoss
    x : ndarray
        The unperturbed scores, shape ``(N, C)``.
    t : ndarray
        The checked targets: class indices, or one-hot or soft rows.

    Book section
    ------------
    4.4.2 (structured central differences), 5.6.3 (Softmax-with-Loss layer)
    """

    #: Takes sparse changes (:class:`~tinynn.estimators.numerical.Samples`) in :meth:`losses`.
    sparse_changes = True

    def __init__(self, layer: SoftmaxWithLoss, x: FloatArray, t: NDArray[Any]) -> None:
        self.t = t
        self.delta = layer.delta
        self.labels = one_hot_indices(t) if t.ndim == 2 else t
        self.y = softmax_unchecked(x)
        #: The unperturbed loss, as ``layer.forward(x, t)`` computes it.
        self.loss = cross_entropy_unchecked(self.y, t, self.delta)
        n = x.shape[0]
        self.per_sample = (
            -np.log(self.y[np.arange(n), self.labels] + self.delta)
            if self.labels is not None
            else None
        )

    def losses(self, change: Change) -> FloatArray:
        """The ``P`` mean cross-entropies of the perturbed scores."""
        y, t, labels, delta = self.y, self.t, self.labels, self.delta
        n = y.shape[0]
        if isinstance(change, ColumnChange):
            change = change.rank_one()
        if isinstance(change, RankOneChange) and labels is not None:
            assert self.per_sample is not None
            total = loss_changes(
                y, labels, self.per_sample, change.d, change.w, delta, samples=change.samples
            )
            total /= n
            total += self.loss
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
        ])  # fmt: skip


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
