"""The structured rule of :class:`~tinynn.Convolution`: a filter's weight moves one channel.

Book section
------------
4.4.2 (the gradient of a network, by structured central differences), 7.4.3 (implementing
a convolution layer)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ...im2col import windows
from ...layers import Convolution
from ...layers.convolution import convolve
from ...typing import FloatArray, IntArray
from .changes import Change, ColumnChange, DenseChange
from .engine import CHUNK_BUDGET
from .estimator import NumericalDiff

__all__ = ["ConvolutionRule"]


@NumericalDiff.rule_for(Convolution)
class ConvolutionRule:
    """How perturbations travel through a convolution, for one gradient.

    Moving ``W[f, c, p, q]`` by ``s`` adds ``s`` times the input pixels that weight
    meets, ``xpad[:, c, iS + p, jS + q]``, to output channel ``f`` only, and moving
    ``b[f]`` adds ``s`` to it: a channel change
    (:class:`~tinynn.estimators.numerical.ColumnChange` of an image-shaped activation),
    which ReLU and pooling keep to one channel. A change of the input reaches every
    output channel: a changed input channel ``c`` adds its convolution with the filters'
    channel ``c`` to the output (a
    :class:`~tinynn.estimators.numerical.DenseChange`), and any other change is
    convolved in full, as the layer does.

    Parameters
    ----------
    layer : Convolution
    x, out : ndarray
        The layer's unperturbed input ``(N, C, H, W)`` and output ``(N, FN, OH, OW)`` in
        this gradient.

    Notes
    -----
    A group holds entries of one filter only (they move the same output channel),
    at most as many as keep the moved channel of a chunk within the engine's
    budget (``CHUNK_BUDGET`` values, as the dense changes are kept).

    Book section
    ------------
    4.4.2 (structured central differences), 7.4.3 (implementing a convolution layer)
    """

    def __init__(self, layer: Convolution, x: FloatArray, out: FloatArray) -> None:
        self.W = layer.params["W"]
        self.b = layer.params["b"]
        self.stride, self.pad = layer.stride, layer.pad
        self.out = out
        self.x_shape = x.shape
        fh, fw = self.W.shape[2:]
        self.windows = windows(x, fh, fw, self.stride, self.pad)  # (N, C, OH, OW, FH, FW) view
        n, _, oh, ow = out.shape
        self.per_group = max(1, CHUNK_BUDGET // (2 * n * oh * ow))

    def groups(self, key: str, max_entries: int) -> Iterator[IntArray]:
        """Entries of ``params[key]`` (flat indices) that change one output channel together:
        a run of one filter's weights, or one bias."""
        fn = self.W.shape[0]
        if key == "b":
            for f in range(fn):
                yield np.array([f], dtype=np.intp)
            return
        k = self.W[0].size
        m = max(1, min(max_entries, self.per_group))
        for f in range(fn):
            for start in range(0, k, m):
                yield np.arange(f * k + start, f * k + min(start + m, k), dtype=np.intp)

    def perturb(self, key: str, entries: IntArray, steps: FloatArray) -> Change:
        """Output channel ``f`` when each of ``entries`` (one group) moves by each of
        ``steps`` (S, m), step-major: ``out[:, f] + s * xpad[:, c, iS + p, jS + q]``."""
        out = self.out
        if key == "b":
            f = int(entries[0])
            values = steps.reshape(-1, 1, 1, 1) + out[:, f]
            return ColumnChange(out, f, values)
        k = self.W[0].size
        f = int(entries[0]) // k
        c, p, q = np.unravel_index(entries - f * k, self.W.shape[1:])
        met = self.windows[:, c, :, :, p, q]  # (m, N, OH, OW): what each weight multiplies
        values = steps[:, :, np.newaxis, np.newaxis, np.newaxis] * met
        values += out[:, f]
        return ColumnChange(out, f, values.reshape(-1, *out.shape[:1], *out.shape[2:]))

    def propagate(self, change: Change) -> Change:
        """Carry a change of the input to the output (every channel changes)."""
        W, stride, pad = self.W, self.stride, self.pad
        out = self.out
        if isinstance(change, ColumnChange) and change.base.ndim == 4:
            change = change.spread()
            c = change.column
            d = change.values - change.unchanged()  # (P, N, H, W)
            count, n = d.shape[:2]
            moved = convolve(d.reshape(count * n, 1, *d.shape[2:]), W[:, c : c + 1],
                                np.zeros(W.shape[0], dtype=W.dtype), stride, pad)  # fmt: skip
            moved = moved.reshape(count, *out.shape)
            moved += out
            return DenseChange(moved)
        v = change.dense().values  # (P, N, C, H, W): each perturbed input, convolved in full
        count = v.shape[0]
        full = convolve(v.reshape(count * self.x_shape[0], *self.x_shape[1:]), W, self.b,
                           stride, pad)  # fmt: skip
        return DenseChange(full.reshape(count, *out.shape))
