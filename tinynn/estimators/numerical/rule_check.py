"""The structured path's rules, checked against their layers: the loop on a small input.

A rule says how a change travels through its layer; the layer's own ``forward`` says what
it really does. :func:`check_layer_rule` compares the two on the layer's input: a few
perturbed inputs (a changed column, a rank-1 change, sparse ones if the rule takes them,
a dense one) through ``propagate`` against ``forward`` of the same inputs, and for a
layer with parameters a few entries moved by ``perturb`` against ``forward`` with those
entries moved in place (restored in a ``finally``). :func:`check_loss_rule` compares a
loss rule's ``loss`` and ``losses`` with the loss layer's ``forward(x, t)``. Each is a
few dozen forward passes of one layer.

:class:`~tinynn.NumericalDiff` runs them the first time a rule is used in a process
(:func:`check_new_rules`), on a few samples of the layer's input in that gradient, and
checks the kind and shape of everything a rule returns, at every call
(:func:`checked_change`, :func:`checked_losses`); :meth:`~tinynn.NumericalDiff.check_rule`
runs them by hand.

Book section
------------
4.4.2 (the gradient of a network, by central differences: a rule must mirror its layer)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, cast, get_args

import numpy as np
from numpy.typing import NDArray

from ...typing import ArrayLike, FloatArray, IntArray
from ...utils.validation import as_generator, describe_value
from ..registry import named
from ..rule_check import (
    LayerProbe,
    Subject,
    as_check_input,
    as_check_targets,
    check_unchecked_rules,
    find_rule,
    finite,
    not_finite,
    step_size,
    unperturbed,
)
from .changes import Change, ColumnChange, DenseChange, RankOneChange, Samples
from .rules import LAYER_RULES, LOSS_RULES, ElementwiseRule

__all__ = [
    "check_layer_rule",
    "check_loss_rule",
    "check_new_rules",
    "check_rule",
    "checked_change",
    "checked_losses",
]

#: The kinds of change a rule may return (every member of ``Change``).
_KINDS: tuple[type, ...] = get_args(Change)
#: The size of a perturbation, relative to the largest input (or parameter) value: about
#: what the engine's step ``h = 1e-4`` makes of an activation, so that a rule is checked on
#: changes of the size it is used on (and rounding stays far below the tolerance).
STEP = 1e-4
#: The smallest change measured against, relative to the largest output value.
FLOOR = 1e-5
#: Perturbations per kind of change.
COUNT = 2


def _change_problem(change: object, count: int, shape: tuple[int, ...]) -> str | None:
    """What is wrong with ``change`` as ``count`` perturbed versions of a ``shape`` output."""
    expected = f"{count} perturbed versions of the layer's output, shape {shape}"
    if isinstance(change, DenseChange):
        got, want = np.shape(change.values), (count, *shape)
        return None if got == want else f"a DenseChange of shape {got}; expected {want}: {expected}"
    if isinstance(change, (ColumnChange, RankOneChange)):
        kind = type(change).__name__
        image = isinstance(change, ColumnChange) and len(shape) == 4  # a column is a channel
        if not (len(shape) == 2 or image) or np.shape(change.base) != shape:
            return (f"a {kind} of an activation of shape {np.shape(change.base)}; the layer's "
                    f"output has shape {shape}")  # fmt: skip
        values = change.values if isinstance(change, ColumnChange) else change.d
        samples = change.samples
        if samples is not None and samples.count != count:
            return f"a sparse {kind} of {samples.count} perturbations; expected {expected}"
        rest = shape[2:]  # a channel's (H, W), or nothing
        want = (count, shape[0], *rest) if samples is None else (int(samples.offsets[-1]), *rest)
        if np.shape(values) != want:
            field = "values" if isinstance(change, ColumnChange) else "d"
            got = np.shape(values)
            return f"a {kind} whose {field} have shape {got}; expected {want}: {expected}"
        if isinstance(change, RankOneChange) and np.shape(change.w) != shape[1:]:
            return f"a RankOneChange whose w has shape {np.shape(change.w)}; expected {shape[1:]}"
        if isinstance(change, ColumnChange) and not 0 <= change.column < shape[1]:
            return f"a ColumnChange of column {change.column}, outside the {shape[1]} columns"
        return None
    if isinstance(change, _KINDS):  # a kind added to Change: its count at least
        n = int(cast(Any, change).count)
        kind = type(change).__name__
        return None if n == count else f"a {kind} of {n} perturbations; expected {expected}"
    return (f"{describe_value(change)}; a rule returns a Change (ColumnChange, RankOneChange or "
            f"DenseChange) holding {expected}")  # fmt: skip


def checked_change(
    change: object, subject: Subject, method: str, count: int, shape: tuple[int, ...]
) -> Change:
    """``change`` if it holds ``count`` perturbed versions of a ``shape`` output, else a
    :class:`~tinynn.RuleError` naming the rule, the layer and what was wrong."""
    problem = _change_problem(change, count, shape)
    if problem is None:
        return change  # type: ignore[return-value]
    rule = subject.rule
    if isinstance(rule, type) and issubclass(rule, ElementwiseRule):
        problem += (" (an ElementwiseRule's apply(values) must return an array of the shape "
                    "of values)")  # fmt: skip
    raise subject.returned(method, problem)


def checked_losses(losses: object, subject: Subject, count: int) -> FloatArray:
    """``losses`` if it is a float array of shape ``(count,)``, else a
    :class:`~tinynn.RuleError` naming the rule."""
    if isinstance(losses, np.ndarray) and losses.shape == (count,) and losses.dtype.kind == "f":
        return losses
    raise subject.returned(
        "losses", f"{describe_value(losses)}; expected a float array of shape ({count},): the "
        "loss of each perturbed version of the scores"
    )  # fmt: skip


def _samples(rng: np.random.Generator, n: int) -> Samples:
    """A random non-empty subset of the ``n`` samples for each of ``COUNT`` perturbations."""
    picks = []
    for _ in range(COUNT):
        chosen = np.flatnonzero(rng.random(n) < 0.5)
        picks.append(chosen if chosen.size else np.array([int(rng.integers(n))]))
    offsets = np.concatenate([[0], np.cumsum([p.size for p in picks])]).astype(np.intp)
    return Samples(offsets, np.concatenate(picks).astype(np.intp))


def input_changes(
    x: FloatArray, rng: np.random.Generator, sparse: bool, noun: str = "input"
) -> Iterator[tuple[str, Change]]:
    """``(description, change)`` of ``x``: every kind a rule may receive, ``COUNT`` each
    (column and rank-1 changes, and sparse ones for a rule that takes them, only of an
    ``(N, D)`` activation; a dense change of any shape)."""
    delta = step_size(x, STEP)
    if x.ndim == 2:
        n, d = x.shape
        j = int(rng.integers(d))
        moved = x[:, j] + delta * rng.uniform(-1, 1, (COUNT, n))
        yield f"a change of {noun} column {j}", ColumnChange(x, j, moved)
        w = rng.uniform(-1, 1, (d,))
        sizes = delta * rng.uniform(-1, 1, (COUNT, n))
        yield f"a rank-1 change of the {noun}", RankOneChange(x, sizes, w)
        if sparse:
            pairs = _samples(rng, n)
            moved = x[pairs.sample, j] + delta * rng.uniform(-1, 1, pairs.sample.size)
            yield f"a sparse change of {noun} column {j}", ColumnChange(x, j, moved, pairs)
            pairs = _samples(rng, n)
            sizes = delta * rng.uniform(-1, 1, pairs.sample.size)
            yield f"a sparse rank-1 change of the {noun}", RankOneChange(x, sizes, w, pairs)
    dense = x + delta * rng.uniform(-1, 1, (COUNT, *x.shape))
    yield f"a change of every {noun} value", DenseChange(dense)


def _groups(rule: Any, subject: Subject, key: str, size: int) -> list[IntArray]:
    """The first two groups of ``params[key]`` the rule gives, each checked."""
    groups = []
    for group in islice(rule.groups(key, 2), 2):
        entries = np.asarray(group)
        if entries.ndim != 1 or entries.size == 0 or entries.dtype.kind not in "iu" or not (
            0 <= int(entries.min()) and int(entries.max()) < size
        ):
            raise subject.returned(
                f"groups({key!r}, 2)", f"a group {describe_value(entries)}; a group is a "
                f"non-empty 1-D array of flat indices of {key}, in [0, {size})"
            )  # fmt: skip
        groups.append(entries.astype(np.intp))
    if not groups:
        raise subject.returned(f"groups({key!r}, 2)", f"no group; every entry of {key} needs one")
    return groups


def check_layer_rule(
    layer: object, x: FloatArray, rule: Any, *, rng: np.random.Generator, where: str | None = None
) -> float | None:
    """Check ``rule``, a layer rule, against ``layer``'s forward on input ``x``.

    Returns
    -------
    float or None
        The largest disagreement found, relative to the change the layer made (at most
        :data:`~tinynn.estimators.rule_check.RULE_TOLERANCE`); ``None`` if the layer's
        output for ``x`` is not finite (nothing to compare).

    Raises
    ------
    RuleError
        Naming the rule, the layer, what disagreed and by how much; or what the rule
        returned of the wrong kind or shape.
    """
    subject = Subject(rule, layer, "NumericalDiff", "rule_for", where)
    worst = 0.0
    with LayerProbe(layer) as probe, np.errstate(over="ignore", invalid="ignore"):
        out = unperturbed(probe, x, subject)
        if not finite(x, out):
            return None  # a non-finite activation is the network's, not the rule's
        instance = rule(probe.layer, x, out)
        sparse = bool(getattr(instance, "sparse_changes", False))
        for what, change in input_changes(x, rng, sparse):
            try:
                propagated = instance.propagate(change)
            except Exception as error:  # a kind of change the rule forgot
                raise subject.failed("propagate", what, error) from error
            result = checked_change(propagated, subject, "propagate", change.count, out.shape)
            want = np.stack([probe.forward(v) for v in change.dense().values])
            worst = max(worst, subject.check(f"for {what}, its propagate gives outputs",
                                             result.dense().values,
                                             want, out, FLOOR))  # fmt: skip
        for key, p in probe.layer.params.items():
            for entries in _groups(instance, subject, key, p.size):
                worst = max(worst, _check_perturb(probe, instance, subject, x, out, key, entries))
    return worst


def _check_perturb(
    probe: LayerProbe, instance: Any, subject: Subject, x: FloatArray, out: FloatArray,
    key: str, entries: IntArray,
) -> float:  # fmt: skip
    """``perturb(key, entries, steps)`` against the forward with those entries moved."""
    p = probe.layer.params[key]
    values = p.reshape(-1)[entries]
    delta = step_size(p, STEP)
    steps = np.stack([(values + delta) - values, (values - 0.5 * delta) - values])
    result = checked_change(instance.perturb(key, entries, steps), subject,
                            f"perturb({key!r}, ...)", steps.size, out.shape)  # fmt: skip
    want = []
    for row in steps:
        for entry, s in zip(entries, row, strict=True):
            index = np.unravel_index(int(entry), p.shape)
            old = p[index]
            p[index] = old + s
            try:
                want.append(probe.forward(x))
            finally:
                p[index] = old
    what = (f"for entries {entries.tolist()} of {key} moved by about {delta:.2g}, its perturb "
            "gives outputs")  # fmt: skip
    return subject.check(what, result.dense().values, np.stack(want), out, FLOOR)


def check_loss_rule(
    layer: object, x: FloatArray, t: NDArray[Any], rule: Any, *, rng: np.random.Generator,
    where: str | None = None,
) -> float | None:  # fmt: skip
    """Check ``rule``, a loss rule, against ``layer.forward(x, t)`` for scores ``x``.

    Returns and raises as :func:`check_layer_rule`.
    """
    subject = Subject(rule, layer, "NumericalDiff", "loss_rule_for", where)
    with LayerProbe(layer) as probe, np.errstate(over="ignore", invalid="ignore"):
        loss = probe.loss(x, t)
        if not finite(x, loss):
            return None
        instance = rule(probe.layer, x, t)
        base = np.asarray(instance.loss)
        if base.shape != () or base.dtype.kind not in "fiu":
            raise subject.returned("loss", f"{describe_value(instance.loss)}; expected a float")
        worst = subject.check("for the unperturbed scores, its loss is", base, np.asarray(loss),
                              loss, FLOOR)  # fmt: skip
        sparse = bool(getattr(instance, "sparse_changes", False))
        for what, change in input_changes(x, rng, sparse, "scores"):
            try:
                losses = instance.losses(change)
            except Exception as error:  # a kind of change the rule forgot
                raise subject.failed("losses", what, error) from error
            got = checked_losses(losses, subject, change.count)
            want = np.array([probe.loss(v, t) for v in change.dense().values])
            what = f"for {what}, its losses are"
            worst = max(worst, subject.check(what, got, want, loss, FLOOR))
    return worst


def check_new_rules(
    layers: Sequence[object], acts: Sequence[FloatArray], loss_layer: object, t: NDArray[Any]
) -> None:
    """Check every rule of ``layers`` and of ``loss_layer`` not yet checked in this process,
    on its layer's input in this gradient (``acts``, as ``model.activations`` gives them; a
    few of its samples, :func:`~tinynn.estimators.rule_check.few_samples`)."""
    tables, checks = (LAYER_RULES, LOSS_RULES), (check_layer_rule, check_loss_rule)
    check_unchecked_rules(tables, checks, layers, acts, loss_layer, t, lambda i: f"layer {i}")


def check_rule(
    layer: object, x: ArrayLike, t: ArrayLike | None = None, *,
    rng: np.random.Generator | int | None = 0,
) -> float:  # fmt: skip
    """:meth:`tinynn.NumericalDiff.check_rule`: the rule of ``type(layer)`` against the layer."""
    rule = find_rule(layer, t, LAYER_RULES.view, LOSS_RULES.view, "NumericalDiff")
    xa, generator = as_check_input(x), as_generator(rng)
    if t is not None:
        worst = check_loss_rule(layer, xa, as_check_targets(t, xa), rule, rng=generator)
    else:
        params = getattr(layer, "params", {})
        if params and not (callable(getattr(rule, "groups", None))
                           and callable(getattr(rule, "perturb", None))):  # fmt: skip
            raise TypeError(
                f"{named(rule)}, the rule of {type(layer).__name__}, has no groups() and "
                "perturb(), which a layer with parameters needs (NumericalDiff takes the loop "
                "for a network holding it)"
            )
        worst = check_layer_rule(layer, xa, rule, rng=generator)
    if worst is None:
        raise not_finite(layer)
    return worst
