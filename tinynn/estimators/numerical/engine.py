"""The structured engine: every central difference of a layer stack, without re-running it.

:class:`~tinynn.NumericalDiff` computes the same numbers as the book's loop,
which perturbs one weight, runs the whole network forward, and restores the
weight: two forward passes per weight. Most of that work repeats itself.
Perturbing ``W1[i, j]`` by ``h`` changes only column ``j`` of the first
layer's output, by ``h * x[:, i]``; an element-wise layer keeps the change in
that column; the next affine layer turns it into a rank-1 change of its
output. So the loss of every perturbed network can be evaluated from the
unperturbed activations and a few small arrays, many perturbations at a time.

The engine is generic: it runs the model forward once (``model.activations``), makes
each layer's rule (:mod:`~tinynn.estimators.numerical.rules`) from the layer and its
unperturbed input and output, and for each group of parameter entries asks the owning
layer's rule for the change of its output, carries it through the later rules'
``propagate``, and gets the losses from the loss rule.

Book section
------------
4.4.2 (the gradient of a network, by central differences: the same numbers, faster)
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal, TypeAlias, cast

import numpy as np
from numpy.typing import NDArray

from ...typing import FloatArray, IntArray, Params
from ..model import Stack
from ..rule_check import Subject
from .changes import Change, DenseChange
from .rule_check import check_new_rules, checked_change, checked_losses
from .rules import LAYER_RULES, LOSS_RULES, LayerRule, LossRule, ParameterRule

__all__ = ["CHUNK_BUDGET", "MEMORY_LIMIT", "default_workers", "structured_gradient"]

Scheme: TypeAlias = Literal["central", "forward", "backward"]

#: Largest number of float64 values (2 MB) in a perturbed activation of one chunk. A chunk's
#: few temporaries stay under ~10 MB, so a gradient stays under 64 MB with 4 threads (and
#: ``workers`` is capped accordingly). Chunks never depend on ``workers``: results do not.
CHUNK_BUDGET = 1 << 18
#: Extra memory allowed for one gradient, whatever the number of threads.
MEMORY_LIMIT = 64 << 20


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _signs(scheme: Scheme) -> tuple[float, ...]:
    return {"central": (1.0, -1.0), "forward": (1.0,), "backward": (-1.0,)}[scheme]


def _dense_width(change: Change, widest: int) -> int:
    return (
        max(widest, int(np.prod(change.values.shape[2:])))
        if isinstance(change, DenseChange)
        else widest
    )


def structured_gradient(
    model: Stack,
    x: FloatArray,
    t: NDArray[Any],
    h: float,
    *,
    scheme: Scheme = "central",
    workers: int = 1,
    budget: int = CHUNK_BUDGET,
    on_progress: Callable[[int, int], None] | None = None,
) -> Params:
    """The finite-difference gradient of ``model``'s loss, from its layers' rules.

    Parameters
    ----------
    model : Sequential
        Every layer and the loss layer must have a rule
        (``missing_rule(model) is None``).
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
    loop adds in place), asks the layer's rule for the change of its output, carries
    it through the later rules' ``propagate`` and gets the ``S * m`` losses from the
    loss rule; then ``(L(w+h) - L(w-h)) / 2h`` as the loop computes it.

    Book section
    ------------
    4.4.2 (numerical gradient of a network)
    """
    layers = list(model.layers)
    acts = model.activations(x)  # the one forward pass, through the model
    check_new_rules(layers, acts, model.loss_layer, t)  # a rule's first use: against its layer
    rules: list[LayerRule] = [
        LAYER_RULES.get(layer)(layer, acts[i], acts[i + 1]) for i, layer in enumerate(layers)
    ]
    # what every call of a rule returns is checked (kind and shape), naming the rule
    subjects = [Subject(LAYER_RULES.get(layer), layer, "NumericalDiff", "rule_for", f"layer {i}")
                for i, layer in enumerate(layers)]  # fmt: skip
    shapes = [a.shape for a in acts]
    sparse = [bool(getattr(rule, "sparse_changes", False)) for rule in rules]
    loss_rule: LossRule = LOSS_RULES.get(model.loss_layer)(model.loss_layer, acts[-1], t)
    loss_subject = Subject(LOSS_RULES.get(model.loss_layer), model.loss_layer, "NumericalDiff",
                           "loss_rule_for", "the loss layer")  # fmt: skip
    loss_sparse = bool(getattr(loss_rule, "sparse_changes", False))
    base_loss = float(loss_rule.loss)
    signs = _signs(scheme)
    n = int(x.shape[0])

    def carry(k: int, change: Change, widest: int = 0) -> tuple[Change, int]:
        for j in range(k + 1, len(rules)):
            count = change.count
            change = checked_change(rules[j].propagate(change if sparse[j] else change.spread()),
                                    subjects[j], "propagate", count, shapes[j + 1])  # fmt: skip
            widest = _dense_width(change, widest)
        return change, widest

    # the book's weight decay, 0.5 * lambda * sum(W ** 2): a perturbed entry changes it alone
    lam = float(getattr(model, "weight_decay_lambda", 0.0))
    decayed = set(getattr(model, "decayed_params", ())) if lam else set()
    plans: list[tuple[FloatArray, int, str, int, bool]] = []
    grads: Params = {}
    for name, layer, key in model.param_slots:
        k = next(i for i, candidate in enumerate(layers) if candidate is layer)
        rule = cast(ParameterRule, rules[k])
        # probe one entry to see how wide the arrays along this path get
        first = next(iter(rule.groups(key, 1)))
        probe = rule.perturb(key, first, np.full((len(signs), 1), h))
        probe = checked_change(probe, subjects[k], f"perturb({key!r}, ...)", len(signs),
                               shapes[k + 1])  # fmt: skip
        _, width = carry(k, probe, _dense_width(probe, 1))
        max_entries = max(1, budget // (len(signs) * n * width))
        grads[name] = np.zeros(layer.params[key].shape)
        plans.append((grads[name], k, key, max_entries, name in decayed))
    total = sum(plan[0].size for plan in plans)

    def jobs() -> Iterator[tuple[FloatArray, int, str, IntArray, bool]]:
        for grad, k, key, max_entries, decays in plans:
            covered = 0
            for entries in cast(ParameterRule, rules[k]).groups(key, max_entries):
                covered += len(entries)
                yield grad, k, key, entries, decays
            if covered != grad.size:  # an entry left out would keep a gradient of 0
                raise subjects[k].returned(
                    f"groups({key!r}, {max_entries})", f"groups of {covered} entries in all; "
                    f"{key} has {grad.size}, each of which must be in exactly one group"
                )  # fmt: skip

    def run(job: tuple[FloatArray, int, str, IntArray, bool]) -> int:
        grad, k, key, entries, decays = job
        p = layers[k].params[key].reshape(-1)[entries]
        steps = np.stack([(p + s * h) - p for s in signs])
        perturbed = cast(ParameterRule, rules[k]).perturb(key, entries, steps)
        perturbed = checked_change(perturbed, subjects[k], f"perturb({key!r}, ...)", steps.size,
                                   shapes[k + 1])  # fmt: skip
        change, _ = carry(k, perturbed)
        losses = checked_losses(loss_rule.losses(change if loss_sparse else change.spread()),
                                loss_subject, change.count)  # fmt: skip
        if decays:  # the decay term of each perturbed entry, step-major as the losses
            losses = losses + (0.5 * lam * ((p + steps) ** 2 - p**2)).reshape(-1)
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
