"""The structured rule of :class:`~tinynn.BatchNormalization` (training mode).

Book section
------------
4.4.2 (the gradient of a network, by structured central differences), 6.3 (Batch
Normalization)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ...layers import BatchNormalization
from ...layers.batch_normalization import EPS
from ...typing import FloatArray, IntArray
from .changes import Change, ColumnChange, DenseChange
from .estimator import NumericalDiff

__all__ = ["BatchNormalizationRule"]


def _normalised(v: FloatArray) -> FloatArray:
    """Each unit of ``v`` (samples on the second-to-last axis) normalised over the samples,
    with the layer's operations."""
    mu = v.mean(axis=-2, keepdims=True)
    vc = v - mu
    std = np.sqrt(np.mean(vc**2, axis=-2, keepdims=True) + EPS)
    out: FloatArray = vc / std
    return out


@NumericalDiff.rule_for(BatchNormalization)
class BatchNormalizationRule:
    """How changes travel through Batch Normalization in training mode, for ``(N, D)`` input.

    Each unit is normalised over the batch on its own, so a changed input column stays one
    column (normalised again, per perturbation, over all ``N`` samples: not sparse), and
    moving ``gamma[j]`` or ``beta[j]`` changes output column ``j`` only. Any other change
    is normalised in full.

    Raises
    ------
    TypeError
        For image-shaped input ``(N, C, H, W)``: its changes are not columns; use
        ``NumericalDiff(method='loop')``.

    Book section
    ------------
    4.4.2 (structured central differences), 6.3.1 (Batch Normalization's algorithm)
    """

    def __init__(self, layer: BatchNormalization, x: FloatArray, out: FloatArray) -> None:
        if x.ndim != 2:
            raise TypeError(
                f"BatchNormalization's structured rule takes (N, D) input, got shape {x.shape}: "
                "use NumericalDiff(method='loop') for a network that normalises images"
            )
        self.layer = layer
        self.out = out
        self.xn = _normalised(x)

    def groups(self, key: str, max_entries: int) -> Iterator[IntArray]:
        """One entry at a time: ``gamma[j]`` and ``beta[j]`` each move column ``j``."""
        for j in range(self.layer.params[key].size):
            yield np.array([j], dtype=np.intp)

    def perturb(self, key: str, entries: IntArray, steps: FloatArray) -> Change:
        """Column ``j`` as ``(gamma[j] + s) * xn[:, j] + beta[j]`` (or ``beta[j] + s``)."""
        j = int(entries[0])
        gamma, beta = self.layer.params["gamma"][j], self.layer.params["beta"][j]
        s = steps.reshape(-1, 1)
        column = self.xn[:, j]
        values = (gamma + s) * column + beta if key == "gamma" else gamma * column + (beta + s)
        return ColumnChange(self.out, j, values)

    def propagate(self, change: Change) -> Change:
        """Normalise what changed again, over the batch, per perturbation."""
        gamma, beta = self.layer.params["gamma"], self.layer.params["beta"]
        if isinstance(change, ColumnChange):
            j = change.column
            values = gamma[j] * _normalised(change.values[..., np.newaxis])[..., 0] + beta[j]
            return change.like(self.out, values)
        return DenseChange(gamma * _normalised(change.dense().values) + beta)
