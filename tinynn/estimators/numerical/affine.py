"""The structured rule of :class:`~tinynn.Affine`: a weight moves one output column.

Book section
------------
4.4.2 (the gradient of a network, by structured central differences), 5.6.2 (Affine layer)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from ...layers import Affine
from ...typing import FloatArray, IntArray
from .changes import Change, ColumnChange, DenseChange, RankOneChange, Samples
from .estimator import NumericalDiff

__all__ = ["SPARSE_FRACTION", "AffineRule"]

#: An input with at most this fraction of non-zero values is perturbed sparsely: a weight
#: ``W[i, j]`` moves only the samples whose ``x[n, i]`` is not 0 (see ``AffineRule.perturb``).
#: The threshold is where sparse and dense took about the same time on the book's network
#: (``python benchmarks/bench_speed.py --only sparsity`` measures it; docs/performance.rst).
SPARSE_FRACTION = 0.4


class _Nonzero(NamedTuple):
    """The non-zero values of an input, by input row (compressed sparse rows of ``x.T``)."""

    indptr: IntArray  # row i's values are [indptr[i], indptr[i + 1])
    rows: IntArray
    samples: IntArray
    values: FloatArray


def _nonzero(xt: FloatArray) -> _Nonzero | None:
    """Where ``xt`` (the input, transposed) is not 0, by row; ``None`` when that is most of it."""
    rows, samples = np.nonzero(xt)  # row-major: sorted by input row, then sample
    if rows.size > SPARSE_FRACTION * xt.size:
        return None
    indptr = np.zeros(xt.shape[0] + 1, dtype=np.intp)
    np.cumsum(np.bincount(rows, minlength=xt.shape[0]), out=indptr[1:])
    return _Nonzero(indptr, rows, samples, xt[rows, samples])


@NumericalDiff.rule_for(Affine)
class AffineRule:
    """How perturbations travel through ``out = x @ W + b``, for one gradient.

    Moving ``W[i, j]`` by ``s`` adds ``s * x[:, i]`` to output column ``j`` only, and
    moving ``b[j]`` adds ``s`` to it: a
    :class:`~tinynn.estimators.numerical.ColumnChange`. A change ``d`` of input column
    ``j`` becomes ``d * W[j, :]`` in every output column: a
    :class:`~tinynn.estimators.numerical.RankOneChange`, which a further affine layer
    keeps rank-1. A changed channel of an image-shaped input (after a convolution) is a
    run of the flattened input's columns, and becomes a dense change of the output.

    Parameters
    ----------
    layer : Affine
    x, out : ndarray
        The layer's unperturbed input and output in this gradient. The input's
        transpose and, when at most ``SPARSE_FRACTION`` of it is non-zero, where it is
        not 0, are computed here, once per gradient.

    Book section
    ------------
    4.4.2 (structured central differences), 5.6.2 (Affine layer)
    """

    #: Takes sparse changes (:class:`~tinynn.estimators.numerical.Samples`) in :meth:`propagate`.
    sparse_changes = True

    def __init__(self, layer: Affine, x: FloatArray, out: FloatArray) -> None:
        self.W = layer.params["W"]
        self.b = layer.params.get("b")
        self.out = out
        self.xt = np.ascontiguousarray(x.reshape(x.shape[0], -1).T)  # row i: what W[i] meets
        self.nonzero = _nonzero(self.xt)

    def groups(self, key: str, max_entries: int) -> Iterator[IntArray]:
        """Entries of ``params[key]`` (flat indices) that change one output column together.

        ``W[i, j]`` and ``b[j]`` change only column ``j`` of the output, so a group is (up
        to ``max_entries`` of) one column of ``W``, or one entry of ``b``.
        """
        if key == "b":
            assert self.b is not None
            for j in range(self.b.size):
                yield np.array([j], dtype=np.intp)
            return
        n_in, n_out = self.W.shape
        for j in range(n_out):
            for start in range(0, n_in, max_entries):
                yield np.arange(start, min(start + max_entries, n_in), dtype=np.intp) * n_out + j

    def perturb(self, key: str, entries: IntArray, steps: FloatArray) -> Change:
        """The output when each of ``entries`` (one group) moves by each of ``steps`` (S, m).

        Rows are step-major: all entries at ``steps[0]``, then all at ``steps[1]``. When
        the input is mostly 0 the change is sparse: only the samples with ``x[n, i] != 0``
        move, and the others keep their unperturbed output exactly, as in the book's loop.
        """
        out = self.out
        n_out = out.shape[1]
        j = int(entries[0]) % n_out
        if key == "b":
            return ColumnChange(out, j, steps.reshape(-1, 1) + out[:, j])
        rows = entries // n_out
        xt = self.xt  # (n_in, N): row i is what W[i, j] multiplies
        run = bool(rows[-1] - rows[0] + 1 == len(rows))  # a run of rows, as grouped
        nonzero = self.nonzero if run else None
        if nonzero is not None:  # only samples with x[n, i] != 0 see W[i, j] at all
            start, stop = int(rows[0]), int(rows[-1]) + 1
            lo, hi = int(nonzero.indptr[start]), int(nonzero.indptr[stop])
            local = nonzero.rows[lo:hi] - start
            samples = nonzero.samples[lo:hi]
            moved = np.take(steps, local, axis=1)  # (S, E): the step of each pair's entry
            moved *= nonzero.values[lo:hi]
            moved += np.take(out[:, j], samples)
            runs = nonzero.indptr[start:stop] - lo  # where each entry's pairs start
            signs, size = steps.shape[0], hi - lo
            offsets = np.append((np.arange(signs) * size)[:, np.newaxis] + runs, signs * size)
            pairs = Samples(offsets, np.tile(samples, signs))
            return ColumnChange(out, j, moved.reshape(-1), pairs)
        xi = xt[rows[0] : rows[-1] + 1] if run else xt[rows]
        values = (steps[:, :, np.newaxis] * xi).reshape(-1, xt.shape[1])
        values += out[:, j]
        return ColumnChange(out, j, values)

    def propagate(self, change: Change) -> Change:
        """Carry a change of the input to the output: a column becomes a rank-1 change, a
        channel of an image-shaped input (which the layer flattens) a dense one."""
        W = self.W
        if isinstance(change, ColumnChange) and change.base.ndim > 2:
            # channel j of (N, C, H, W) input is the run of H*W flattened columns from j*H*W
            change = change.spread()
            d = change.values - change.unchanged()  # (P, N, H, W)
            size = d[0, 0].size
            rows = W[change.column * size : (change.column + 1) * size]
            moved = (d.reshape(-1, size) @ rows).reshape(d.shape[0], d.shape[1], -1)
            moved += self.out
            return DenseChange(moved)
        if isinstance(change, ColumnChange):
            return RankOneChange(self.out, change.values - change.unchanged(), W[change.column],
                                 change.samples)  # fmt: skip
        if isinstance(change, RankOneChange):
            return RankOneChange(self.out, change.d, change.w @ W, change.samples)
        v = change.values
        dense = (v.reshape(-1, W.shape[0]) @ W).reshape(v.shape[0], v.shape[1], -1)
        if self.b is not None:
            dense += self.b
        return DenseChange(dense)
