"""Structured perturbations: every central difference of a layer stack, without re-running it.

:class:`~tinynn.NumericalDiff` computes the same numbers as the book's loop,
which perturbs one weight, runs the whole network forward, and restores the
weight: two forward passes per weight. Most of that work repeats itself.
Perturbing ``W1[i, j]`` by ``h`` changes only column ``j`` of the first
layer's output, by ``h * x[:, i]``; an element-wise layer keeps the change in
that column; the next affine layer turns it into a rank-1 change of its
output. So the loss of every perturbed network can be evaluated from the
unperturbed activations and a few small arrays, many perturbations at a time.

The machinery is generic. Each layer declares how a perturbation travels
through it (the optional protocols :class:`~tinynn.base.PropagatesChange`
and :class:`~tinynn.base.PerturbsParameters`), in terms of three kinds of
:data:`Change` of an ``(N, D)`` activation, for ``P`` perturbations at once:

* :class:`ColumnChange`: only one column differs from the unperturbed value;
* :class:`RankOneChange`: the unperturbed value plus ``d[p, n] * w[k]``;
* :class:`DenseChange`: anything, as a full ``(P, N, D)`` array.

Every change can be turned into a :class:`DenseChange`, so a layer that only
knows how to transform full arrays still works (more slowly); a layer that
declares nothing makes :class:`~tinynn.NumericalDiff` use the book's loop.

A column or rank-1 change can also be *sparse*: when most samples do not move
at all (a weight ``W1[i, j]`` moves only the samples whose ``x[n, i]`` is not
0), it holds one value per moved ``(perturbation, sample)`` pair, listed by
:class:`Samples`. Only layers that declare ``sparse_changes = True`` see such
changes; the engine spreads them out to full ``(P, N)`` arrays for the others.

Book section
------------
4.4.2 (the gradient of a network, by central differences: the same numbers, faster)
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias

import numpy as np
from numpy.typing import NDArray

from .typing import FloatArray, IntArray, Params

__all__ = [
    "Change",
    "ColumnChange",
    "DenseChange",
    "RankOneChange",
    "Samples",
    "structured_gradient",
]

Scheme: TypeAlias = Literal["central", "forward", "backward"]

#: Largest number of float64 values (2 MB) in a perturbed activation of one chunk. A chunk's
#: few temporaries stay under ~10 MB, so a gradient stays under 64 MB with 4 threads (and
#: ``workers`` is capped accordingly). Chunks never depend on ``workers``: results do not.
CHUNK_BUDGET = 1 << 18
#: Extra memory allowed for one gradient, whatever the number of threads.
MEMORY_LIMIT = 64 << 20


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

    Attributes
    ----------
    base : ndarray
        Shape ``(N, D)``.
        The unperturbed activation.
    column : int
        The column ``j`` that changes.
    values : ndarray
        Shape ``(P, N)``, or ``(E,)`` when ``samples`` is given.
        Column ``j`` of each perturbed version.
    samples : Samples, optional
        For a sparse change: the pair of each value; every other pair is
        unchanged. Only layers with ``sparse_changes = True`` receive sparse
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
        """The same change as ``base + (values - base[:, j]) * e_j``."""
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


class _Stack(Protocol):
    """What the engine needs of a model (:class:`~tinynn.Sequential` has it)."""

    @property
    def layers(self) -> Sequence[Any]: ...

    @property
    def loss_layer(self) -> Any: ...

    @property
    def param_slots(self) -> Sequence[tuple[str, Any, str]]: ...


def unsupported_layer(model: object) -> str | None:
    """Why ``model`` cannot take the structured path, or ``None`` if it can."""
    layers = getattr(model, "layers", None)
    if layers is None or not hasattr(model, "param_slots") or not hasattr(model, "check_batch"):
        return f"{type(model).__name__} is not a stack of layers (such as Sequential)"
    for i, layer in enumerate(layers):
        if not callable(getattr(layer, "propagate", None)):
            return f"layer {i} ({type(layer).__name__}) does not declare propagate()"
        if layer.params and not (
            callable(getattr(layer, "perturb", None))
            and callable(getattr(layer, "perturbation_groups", None))
        ):
            return f"layer {i} ({type(layer).__name__}) does not declare perturb()"
    loss = getattr(model, "loss_layer", None)
    if not callable(getattr(loss, "perturbed_losses", None)):
        return f"its loss layer ({type(loss).__name__}) does not declare perturbed_losses()"
    return None


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _signs(scheme: Scheme) -> tuple[float, ...]:
    return {"central": (1.0, -1.0), "forward": (1.0,), "backward": (-1.0,)}[scheme]


def _for(layer: object, change: Change) -> Change:
    """``change`` as ``layer`` takes it: spread out unless it declares ``sparse_changes``."""
    return change if getattr(layer, "sparse_changes", False) else change.spread()


def _dense_width(change: Change, widest: int) -> int:
    return (
        max(widest, int(np.prod(change.values.shape[2:])))
        if isinstance(change, DenseChange)
        else widest
    )


def structured_gradient(
    model: _Stack,
    x: FloatArray,
    t: NDArray[Any],
    h: float,
    *,
    scheme: Scheme = "central",
    workers: int = 1,
    budget: int = CHUNK_BUDGET,
    on_progress: Callable[[int, int], None] | None = None,
) -> Params:
    """The finite-difference gradient of ``model``'s loss, from its layers' declarations.

    Parameters
    ----------
    model : Sequential
        Every layer must declare how a perturbation propagates (see
        ``unsupported_layer``).
    x, t : ndarray
        A checked mini-batch (``model.check_batch(x, t)``).
    h : float
        The step.
    scheme : {'central', 'forward', 'backward'}
    workers : int
        Threads to spread the chunks over (capped so that memory stays under
        ``MEMORY_LIMIT``). Each chunk is computed the same way whatever the
        number, so the result does not depend on it.
    budget : int
        Largest perturbed activation of one chunk, in float64 values.
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` with the number of entries done, after
        each chunk (for a progress display).

    Returns
    -------
    dict of str to ndarray
        Keyed and shaped as ``model.params``.

    Notes
    -----
    For a group of ``m`` entries of one parameter, the engine takes the steps
    actually made in float64, ``(w + h) - w`` and ``(w - h) - w`` (what the book's
    loop adds in place), asks the layer for the change of its output, carries it
    through the later layers' ``propagate`` and gets the ``S * m`` losses from the
    loss layer; then ``(L(w+h) - L(w-h)) / 2h`` as the loop computes it.

    Book section
    ------------
    4.4.2 (numerical gradient of a network)
    """
    layers = list(model.layers)
    acts = [x]
    for layer in layers:
        acts.append(layer.forward(acts[-1]))
    loss_layer = model.loss_layer
    base_loss = float(loss_layer.forward(acts[-1], t))
    losses_of = loss_layer.perturbed_losses(acts[-1], t)
    signs = _signs(scheme)
    n = int(x.shape[0])

    def carry(k: int, change: Change, widest: int = 0) -> tuple[Change, int]:
        for j in range(k + 1, len(layers)):
            change = layers[j].propagate(_for(layers[j], change), acts[j], acts[j + 1])
            widest = _dense_width(change, widest)
        return change, widest

    plans: list[tuple[FloatArray, int, str, int]] = []
    grads: Params = {}
    for name, layer, key in model.param_slots:
        k = next(i for i, candidate in enumerate(layers) if candidate is layer)
        # probe one entry to see how wide the arrays along this path get
        first = next(iter(layer.perturbation_groups(key, 1)))
        probe = layer.perturb(key, first, np.full((len(signs), 1), h), acts[k], acts[k + 1])
        _, width = carry(k, probe, _dense_width(probe, 1))
        max_entries = max(1, budget // (len(signs) * n * width))
        grads[name] = np.zeros(layer.params[key].shape)
        plans.append((grads[name], k, key, max_entries))
    total = sum(plan[0].size for plan in plans)

    def jobs() -> Iterator[tuple[FloatArray, int, str, IntArray]]:
        for grad, k, key, max_entries in plans:
            for entries in layers[k].perturbation_groups(key, max_entries):
                yield grad, k, key, entries

    def run(job: tuple[FloatArray, int, str, IntArray]) -> int:
        grad, k, key, entries = job
        layer = layers[k]
        p = layer.params[key].reshape(-1)[entries]
        steps = np.stack([(p + s * h) - p for s in signs])
        change, _ = carry(k, layer.perturb(key, entries, steps, acts[k], acts[k + 1]))
        losses = losses_of(_for(loss_layer, change))
        m = len(entries)
        if scheme == "central":
            values = (losses[:m] - losses[m:]) / (2 * h)
        elif scheme == "forward":
            values = (losses - base_loss) / h
        else:
            values = (base_loss - losses) / h
        grad.reshape(-1)[entries] = values
        return m

    done = 0
    threads = min(workers, max(1, MEMORY_LIMIT // (40 * budget)))
    if threads <= 1:
        for job in jobs():
            done += run(job)
            if on_progress is not None:
                on_progress(done, total)
        return grads
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: deque[Future[int]] = deque()
        try:
            for job in jobs():  # at most 2 * threads chunks in flight: memory stays bounded
                pending.append(pool.submit(run, job))
                while len(pending) >= 2 * threads or (pending and pending[0].done()):
                    done += pending.popleft().result()
                    if on_progress is not None:
                        on_progress(done, total)
            while pending:
                done += pending.popleft().result()
                if on_progress is not None:
                    on_progress(done, total)
        except BaseException:  # an error, or Ctrl-C: drop the chunks not yet started
            for future in pending:
                future.cancel()
            raise
    return grads
