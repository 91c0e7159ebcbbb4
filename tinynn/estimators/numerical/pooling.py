"""The structured rule of :class:`~tinynn.Pooling`: each channel pooled on its own.

Book section
------------
4.4.2 (the gradient of a network, by structured central differences), 7.4.4 (implementing
a pooling layer)
"""

from __future__ import annotations

from ...layers import Pooling
from ...layers.pooling import max_pool
from ...typing import FloatArray
from .changes import Change, ColumnChange, DenseChange
from .estimator import NumericalDiff

__all__ = ["PoolingRule"]


@NumericalDiff.rule_for(Pooling)
class PoolingRule:
    """How a change travels through max pooling: a changed channel stays one channel.

    Pooling takes the maximum of each window of each channel on its own, so a change
    of one input channel (a :class:`~tinynn.estimators.numerical.ColumnChange` of the
    image-shaped input) changes only that channel of the output, which is the perturbed
    channel pooled, with the layer's own function (``tinynn.layers.pooling.max_pool``:
    the same numbers as ``forward``). Any other change is pooled in full.

    Book section
    ------------
    4.4.2 (structured central differences), 7.4.4 (implementing a pooling layer)
    """

    def __init__(self, layer: Pooling, x: FloatArray, out: FloatArray) -> None:
        self.layer = layer
        self.x_shape = x.shape
        self.out = out

    def _pool(self, images: FloatArray) -> FloatArray:
        layer = self.layer
        out, _, _ = max_pool(images, layer.pool_h, layer.pool_w, layer.stride, layer.pad)
        return out

    def propagate(self, change: Change) -> Change:
        """Pool what changed: a channel as one channel, anything else in full."""
        n, c, h, w = self.x_shape
        if isinstance(change, ColumnChange) and change.base.ndim == 4:
            change = change.spread()
            count = change.values.shape[0]
            pooled = self._pool(change.values.reshape(count * n, 1, h, w))
            return change.like(self.out, pooled.reshape(count, *self.out.shape[:1],
                                                        *self.out.shape[2:]))  # fmt: skip
        v = change.dense().values  # (P, N, C, H, W)
        count = v.shape[0]
        pooled = self._pool(v.reshape(count * n, c, h, w))
        return DenseChange(pooled.reshape(count, *self.out.shape))
