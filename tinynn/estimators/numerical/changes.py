"""How ``P`` perturbations change an activation: the values a structured rule passes on.

Perturbing ``W1[i, j]`` by ``h`` changes only column ``j`` of the first layer's output;
an element-wise layer keeps the change in that column; the next affine layer turns it
into a rank-1 change of its output. So three kinds of :data:`Change` of an ``(N, D)``
activation, each for ``P`` perturbations at once, carry every perturbation of a gradient:

* :class:`ColumnChange`: only one column differs from the unperturbed value;
* :class:`RankOneChange`: the unperturbed value plus ``d[p, n] * w[k]``;
* :class:`DenseChange`: anything, as a full ``(P, N, D)`` array.

Every change can be turned into a :class:`DenseChange`, so a rule that only knows how to
transform full arrays still works (more slowly).

An image-shaped activation ``(N, C, H, W)`` has channels where a flat one has columns: a
:class:`ColumnChange` of it changes one channel (its ``values`` hold that channel,
``(P, N, H, W)``), which is what moving one filter of a convolution does, and what
element-wise layers and pooling keep (a :class:`DenseChange` is then ``(P, N, C, H, W)``).

A column or rank-1 change can also be *sparse*: when most samples do not move at all (a
weight ``W1[i, j]`` moves only the samples whose ``x[n, i]`` is not 0), it holds one value
per moved ``(perturbation, sample)`` pair, listed by :class:`Samples`. Only rules that
declare ``sparse_changes = True`` see such changes; the engine spreads them out to full
``(P, N)`` arrays for the others.

Book section
------------
4.4.2 (the gradient of a network, by central differences: the same numbers, faster)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import numpy as np

from ...typing import FloatArray, IntArray

__all__ = ["Change", "ColumnChange", "DenseChange", "RankOneChange", "Samples"]


@dataclass(frozen=True)
class DenseChange:
    """``P`` perturbed versions of an ``(N, D)`` activation, in full.

    Attributes
    ----------
    values : ndarray
        Shape ``(P, N, D)``.

    Book section
    ------------
    4.4.2 (structured central differences)
    """

    values: FloatArray

    @property
    def count(self) -> int:
        """The number ``P`` of perturbations."""
        return int(self.values.shape[0])

    def spread(self) -> DenseChange:
        """Itself (a full array already)."""
        return self

    def dense(self) -> DenseChange:
        """Itself."""
        return self


@dataclass(frozen=True)
class Samples:
    """The ``(perturbation, sample)`` pairs that a sparse change touches.

    A perturbation often leaves most samples alone: moving ``W1[i, j]`` changes
    nothing for a sample whose input ``x[n, i]`` is 0 (most of an MNIST image).
    A sparse :class:`ColumnChange` or :class:`RankOneChange` then keeps one value
    per touched pair instead of a full ``(P, N)`` array; every other pair keeps
    the unperturbed value exactly, as it does in the book's loop.

    Attributes
    ----------
    offsets : ndarray of int
        Shape ``(P + 1,)``, non-decreasing, from 0. The pairs of perturbation ``p``
        are ``offsets[p]`` to ``offsets[p + 1]`` (pairs are ordered by perturbation).
    sample : ndarray of int
        Shape ``(E,)``, ``E = offsets[-1]``. The sample of each pair; no sample twice
        within one perturbation.

    Book section
    ------------
    4.4.2 (structured central differences)
    """

    offsets: IntArray
    sample: IntArray

    @property
    def count(self) -> int:
        """The number ``P`` of perturbations."""
        return int(self.offsets.shape[0]) - 1

    def perturbation(self) -> IntArray:
        """The perturbation of each pair, shape ``(E,)``."""
        return np.repeat(np.arange(self.count), np.diff(self.offsets))

    def totals(self, values: FloatArray) -> FloatArray:
        """The sum of ``values`` (one per pair) over each perturbation's pairs, ``(P,)``."""
        starts = self.offsets[:-1]
        padded = np.append(values, 0.0)  # so that every start is an index into it
        sums: FloatArray = np.add.reduceat(padded, starts)
        sums[starts == self.offsets[1:]] = 0.0  # reduceat gives one value for an empty run
        return sums


@dataclass(frozen=True)
class ColumnChange:
    """``P`` perturbed versions of an activation that differ from ``base`` in one column only.

    For an image-shaped activation, a column is a channel: ``base[:, j]`` is an
    ``(N, H, W)`` array, and ``values`` have its shape after their leading axis.

    Attributes
    ----------
    base : ndarray
        Shape ``(N, D)`` (or ``(N, C, H, W)``).
        The unperturbed activation.
    column : int
        The column ``j`` that changes (a channel of an image-shaped activation).
    values : ndarray
        Shape ``(P, N)``, or ``(E,)`` when ``samples`` is given (``(P, N, H, W)`` or
        ``(E, H, W)`` for a channel).
        Column ``j`` of each perturbed version.
    samples : Samples, optional
        For a sparse change: the pair of each value; every other pair is
        unchanged. Only rules with ``sparse_changes = True`` receive sparse
        changes; the others get :meth:`spread` ones.

    Book section
    ------------
    4.4.2 (structured central differences)
    """

    base: FloatArray
    column: int
    values: FloatArray
    samples: Samples | None = None

    @property
    def count(self) -> int:
        """The number ``P`` of perturbations."""
        return self.samples.count if self.samples is not None else int(self.values.shape[0])

    def unchanged(self) -> FloatArray:
        """The unperturbed value of each of ``values`` (same shape)."""
        column = self.base[:, self.column]
        return column if self.samples is None else column[self.samples.sample]

    def like(self, base: FloatArray, values: FloatArray) -> ColumnChange:
        """A change of the same column and pairs, of another activation."""
        return ColumnChange(base, self.column, values, self.samples)

    def spread(self) -> ColumnChange:
        """The same change with a full ``(P, N)`` array of values."""
        if self.samples is None:
            return self
        full = np.repeat(self.base[np.newaxis, :, self.column], self.samples.count, axis=0)
        full[self.samples.perturbation(), self.samples.sample] = self.values
        return ColumnChange(self.base, self.column, full)

    def rank_one(self) -> RankOneChange:
        """The same change as ``base + (values - base[:, j]) * e_j`` (``(N, D)`` only)."""
        unit = np.zeros(self.base.shape[1])
        unit[self.column] = 1.0
        return RankOneChange(self.base, self.values - self.unchanged(), unit, self.samples)

    def dense(self) -> DenseChange:
        """Every perturbed version in full, ``(P, N, D)``."""
        spread = self.spread()
        out = np.repeat(self.base[np.newaxis], spread.count, axis=0)
        out[:, :, self.column] = spread.values
        return DenseChange(out)


@dataclass(frozen=True)
class RankOneChange:
    """``P`` perturbed versions ``base + d[p, :, None] * w`` of an ``(N, D)`` activation.

    What an affine layer makes of a :class:`ColumnChange` of its input: a change
    ``d`` of input column ``j`` becomes ``d * W[j, :]`` in every output column.
    A further affine layer keeps it rank-1 (``w @ W``).

    Attributes
    ----------
    base : ndarray
        Shape ``(N, D)``.
        The unperturbed activation.
    d : ndarray
        Shape ``(P, N)``, or ``(E,)`` when ``samples`` is given.
        The size of the change, per perturbation and sample.
    w : ndarray
        Shape ``(D,)``.
        Its direction.
    samples : Samples, optional
        For a sparse change: the pair of each ``d``; ``d`` is 0 for every other pair.

    Book section
    ------------
    4.4.2 (structured central differences)
    """

    base: FloatArray
    d: FloatArray
    w: FloatArray
    samples: Samples | None = None

    @property
    def count(self) -> int:
        """The number ``P`` of perturbations."""
        return self.samples.count if self.samples is not None else int(self.d.shape[0])

    def spread(self) -> RankOneChange:
        """The same change with a full ``(P, N)`` array ``d``."""
        if self.samples is None:
            return self
        full = np.zeros((self.samples.count, self.base.shape[0]))
        full[self.samples.perturbation(), self.samples.sample] = self.d
        return RankOneChange(self.base, full, self.w)

    def dense(self) -> DenseChange:
        """Every perturbed version in full, ``(P, N, D)``."""
        out = self.spread().d[:, :, np.newaxis] * self.w
        out += self.base
        return DenseChange(out)


#: A change of an ``(N, D)`` activation under ``P`` perturbations.
Change: TypeAlias = ColumnChange | RankOneChange | DenseChange
