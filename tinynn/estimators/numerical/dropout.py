"""The structured rule of :class:`~tinynn.Dropout`: element-wise, once its mask is held.

Book section
------------
4.4.2 (the gradient of a network, by structured central differences), 6.4.3 (Dropout)
"""

from __future__ import annotations

import numpy as np

from ...layers import Dropout
from ...typing import FloatArray
from .changes import Change, ColumnChange, DenseChange
from .estimator import NumericalDiff

__all__ = ["DropoutRule"]


@NumericalDiff.rule_for(Dropout)
class DropoutRule:
    """How a change travels through ``out = x * mask``, with the mask of this gradient.

    Within one gradient estimate the network trains with its masks held (see
    :mod:`tinynn.models.mode`), so every perturbed loss of the book's loop sees the
    mask of the unperturbed forward pass: the layer's ``mask``, which this rule reads.
    Multiplying by a fixed mask is element-wise: a changed column stays one column, and a
    sparse change stays sparse.

    Raises
    ------
    RuntimeError
        If the layer's mask is not the one of the forward pass that gave ``out`` (the
        engine ran it in evaluation mode).

    Book section
    ------------
    4.4.2 (structured central differences), 6.4.3 (Dropout)
    """

    #: A fixed mask keeps unmoved samples unmoved.
    sparse_changes = True

    def __init__(self, layer: Dropout, x: FloatArray, out: FloatArray) -> None:
        mask = layer.mask
        if mask is None or mask.shape != x.shape or not np.array_equal(out, x * mask):
            raise RuntimeError(
                "Dropout's structured rule needs the mask of a training forward pass of this "
                "input: differentiate within model.training() (NumericalDiff does)"
            )
        self.mask = mask
        self.out = out

    def propagate(self, change: Change) -> Change:
        """Multiply what changed by the mask: a column by its column of the mask."""
        if isinstance(change, ColumnChange):
            keep = self.mask[:, change.column]
            if change.samples is not None:
                keep = keep[change.samples.sample]
            return change.like(self.out, change.values * keep)
        return DenseChange(change.dense().values * self.mask)
