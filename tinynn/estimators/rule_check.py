"""What checking a rule against its layer needs, for every estimator with rules.

A rule (:mod:`tinynn.estimators.numerical`, :mod:`tinynn.estimators.complex_step`) mirrors
its layer's ``forward``; nothing but the layer itself can say whether it does. So a check
runs the layer's own ``forward`` on a few inputs (or with a few parameters moved) and
compares what the rule says with what the layer computes. It must not change anything
observable: the forward passes run on a shallow copy of the layer (its caches, which a
later ``backward`` may use, are the original's and stay so), with the layer's state
(``state_dict``: a Dropout's generator, BatchNormalization's running statistics) restored
before every pass, so that each pass sees the same mask, and restored at the end.

Book section
------------
4.4.2 (the gradient of a network: a rule must compute what its layer computes)
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..base import Stateful
from ..losses import as_targets
from ..models.mode import takes_train_flg
from ..typing import ArrayLike, FloatArray
from ..utils.validation import as_float_input, describe
from .registry import RuleError, RuleTable

__all__ = [
    "CHECK_SAMPLES",
    "RULE_TOLERANCE",
    "LayerProbe",
    "Subject",
    "as_check_input",
    "as_check_targets",
    "check_unchecked_rules",
    "compare",
    "few_samples",
    "find_rule",
    "finite",
    "not_finite",
    "step_size",
    "unperturbed",
]

#: The largest disagreement a rule may have with its layer, relative to the change the
#: layer's own forward makes (or, where that is tiny, to a small fraction of its output):
#: the built-in rules stay below about 1e-10, a rule 1% off is far above.
RULE_TOLERANCE = 1e-6
#: How many samples of a layer's input in a gradient the check at a rule's first use takes
#: (evenly spread over the batch): the loop on a small input, a few dozen forward passes
#: of one layer on a few samples, not on the whole batch.
CHECK_SAMPLES = 8


class LayerProbe:
    """A layer's ``forward`` run as often as a check needs, leaving the layer as it was.

    Use it as a context: ``with LayerProbe(layer) as probe: probe.forward(x)``. Every pass
    runs on ``probe.layer``, a shallow copy of the layer (the same parameter arrays, its
    own caches), in training mode, after restoring the state the layer had when the probe
    was made; leaving the context restores that state on the layer itself (the copy
    shares its generator).

    Book section
    ------------
    4.4.2 (a rule against its layer)
    """

    def __init__(self, layer: object) -> None:
        self.original = layer
        self.state = layer.state_dict() if isinstance(layer, Stateful) else None
        self.layer: Any = copy.copy(layer)
        self.train_flg: bool | None = None  # read at the first forward (a loss layer takes t)

    def forward(self, x: FloatArray) -> FloatArray:
        """The layer's output for ``x``, from the state the layer had (training mode)."""
        if self.state is not None:
            self.layer.load_state_dict(self.state)
        if self.train_flg is None:
            self.train_flg = takes_train_flg(self.original)
        out = self.layer.forward(x, train_flg=True) if self.train_flg else self.layer.forward(x)
        return np.asarray(out)

    def loss(self, x: FloatArray, t: NDArray[Any]) -> float:
        """The loss layer's ``forward(x, t)``, as a float, from the state it had."""
        if self.state is not None:
            self.layer.load_state_dict(self.state)
        return float(self.layer.forward(x, t))

    def __enter__(self) -> LayerProbe:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.state is not None:
            self.original.load_state_dict(self.state)  # type: ignore[attr-defined]


def step_size(a: NDArray[Any], relative: float) -> float:
    """A step of ``relative`` times the largest magnitude in ``a`` (times 1 if it is all 0)."""
    largest = float(np.max(np.abs(a), initial=0.0))
    return relative * (largest if largest > 0 else 1.0)


def compare(
    got: NDArray[Any] | float, want: NDArray[Any] | float, base: NDArray[Any] | float,
    floor: float,
) -> tuple[float, float, float]:
    """``(error, scale, ratio)``: how far ``got`` is from ``want``, against what changed.

    ``error`` is the largest ``|got - want|``; ``scale`` the largest change ``|want - base|``
    the layer made, or ``floor`` times its largest output where that is more (so that a
    change of nothing is not divided by); ``ratio`` is ``error / scale`` (NaN stays NaN).
    """
    error = float(np.max(np.abs(got - want), initial=0.0))
    changed = float(np.max(np.abs(want - base), initial=0.0))
    scale = max(changed, floor * float(np.max(np.abs(base), initial=0.0)))
    if error == 0.0 or np.isnan(error):
        return error, scale, error
    return error, scale, (error / scale if scale > 0 else float("inf"))


def few_samples(x: FloatArray, t: NDArray[Any] | None = None) -> tuple[FloatArray, Any]:
    """At most :data:`CHECK_SAMPLES` samples of ``x`` (and their targets ``t``), evenly spread
    over the batch: what a rule's first use is checked on."""
    n = int(x.shape[0])
    if n <= CHECK_SAMPLES:
        return x, t
    rows = np.linspace(0, n - 1, CHECK_SAMPLES).round().astype(np.intp)
    return x[rows], (None if t is None else t[rows])


def finite(*arrays: NDArray[Any] | float) -> bool:
    """Whether every value is finite (a check on a non-finite input would blame the rule)."""
    return all(bool(np.all(np.isfinite(a))) for a in arrays)


def as_check_input(x: ArrayLike) -> FloatArray:
    """``x`` as a batch a layer takes: a finite float64 array ``(N, ...)``, ``N >= 1``.

    Raises
    ------
    TypeError, ValueError
        Naming what ``x`` is and what a check needs.
    """
    xa = np.asarray(as_float_input(x, "x"), dtype=np.float64)
    if xa.ndim < 2 or xa.shape[0] < 1 or xa.size == 0:
        raise ValueError(
            f"x must be a batch as the layer takes it in a network, shape (N, ...) with at "
            f"least one sample and one value each, got {describe(xa)}"
        )
    return xa


def as_check_targets(t: ArrayLike, scores: FloatArray) -> NDArray[Any]:
    """``t`` checked against the scores, as a network checks it (class indices or rows)."""
    if scores.ndim == 2:
        return as_targets(t, int(scores.shape[0]), int(scores.shape[1]))
    return np.asarray(t)


@dataclass(frozen=True)
class Subject:
    """A rule and the layer it is checked against, as messages name them.

    Book section
    ------------
    4.4.2 (a rule against its layer)
    """

    rule: object
    layer: object
    estimator: str  # "NumericalDiff"
    register: str  # "rule_for" or "loss_rule_for"
    where: str | None = None  # "layer 1", within a network

    @property
    def rule_name(self) -> str:
        """The rule's class or function name."""
        return str(getattr(self.rule, "__name__", type(self.rule).__name__))

    @property
    def layer_name(self) -> str:
        """The layer's class name."""
        return type(self.layer).__name__

    def __str__(self) -> str:
        where = self.layer_name if self.where is None else f"{self.where} ({self.layer_name})"
        return f"{self.rule_name}, the {self.estimator} rule of {where}"

    def how_to_check(self) -> str:
        """How to check the rule by hand, and register a fixed one."""
        args = "layer, scores, t" if self.register == "loss_rule_for" else "layer, x"
        return (
            f"Check it by hand on a small input with {self.estimator}.check_rule({args}); fix "
            f"it, and register it again with @{self.estimator}.{self.register}"
            f"({self.layer_name}, replace=True)"
        )

    def disagrees(
        self, what: str, error: float, scale: float, ratio: float, against: str, hint: str = ""
    ) -> RuleError:
        """The error for a rule whose ``what`` is ``error`` away from the layer's own."""
        return RuleError(
            f"{self}, disagrees with {self.layer_name}.forward: {what} up to {error:.3g} away "
            f"from the layer's, {ratio:.3g} times {against} ({scale:.3g}); a rule must agree "
            f"to within {RULE_TOLERANCE:g} times that, or the gradients it gives are wrong."
            f"{hint} {self.how_to_check()}."
        )

    def failed(self, method: str, what: str, error: Exception) -> RuleError:
        """The error for a rule that raised when given ``what``."""
        return RuleError(
            f"{self}: its {method} raised {type(error).__name__} ({error}) for {what}. A rule "
            "takes every kind of change (ColumnChange, RankOneChange, DenseChange; sparse ones "
            "only with sparse_changes = True), whichever reaches its layer in a network; one "
            "it has no shortcut for, it can turn into change.dense()"
        )

    def returned(self, method: str | None, problem: str) -> RuleError:
        """The error for a rule's result (its ``method``'s, or a function rule's: ``None``)
        of the wrong kind or shape."""
        who = "it" if method is None else f"its {method}"
        return RuleError(f"{self}: {who} returned {problem}")

    def check(
        self, what: str, got: NDArray[Any] | float, want: NDArray[Any] | float,
        base: NDArray[Any] | float, floor: float, hint: str = "",
    ) -> float:  # fmt: skip
        """``compare(got, want, base, floor)``'s ratio; above :data:`RULE_TOLERANCE`, a
        :class:`~tinynn.RuleError` (``hint``, if any, follows what disagreed)."""
        error, scale, ratio = compare(got, want, base, floor)
        if not ratio <= RULE_TOLERANCE:  # NaN too
            changed = float(np.max(np.abs(np.subtract(want, base)), initial=0.0))
            against = (
                "the change the layer makes" if changed >= scale
                else f"{floor:g} of the layer's largest output"
            )  # fmt: skip
            raise self.disagrees(what, error, scale, ratio, against, hint)
        return ratio


def unperturbed(probe: LayerProbe, x: FloatArray, subject: Subject) -> FloatArray:
    """The layer's output for ``x``; a :class:`~tinynn.RuleError` if a second pass differs
    (a layer that draws random numbers without ``state_dict``)."""
    out = probe.forward(x)
    if not np.array_equal(out, probe.forward(x), equal_nan=True):
        raise RuleError(
            f"{subject.layer_name}.forward gives different outputs for the same input from the "
            f"same state, so no rule can mirror it ({subject.rule_name} cannot be checked, and "
            "no numerical gradient has a meaning for it): a layer that draws random numbers "
            "needs state_dict() and load_state_dict() for its generator, as Dropout has, so "
            "that every evaluation within one gradient sees the same draw"
        )
    return out


def find_rule(
    layer: object, t: object, layer_rules: Mapping[type, Any], loss_rules: Mapping[type, Any],
    estimator: str,
) -> Any:  # fmt: skip
    """The rule a public check of ``layer`` checks: its layer rule, or with targets ``t``
    its loss rule; a ``TypeError`` saying which it has, if not that one."""
    if inspect.isclass(layer):
        raise TypeError(
            f"{estimator}.check_rule takes a layer (such as Tanh()), got the class "
            f"{layer.__name__}"
        )
    name = type(layer).__name__
    if t is None:
        rule = layer_rules.get(type(layer))
        if rule is None and type(layer) in loss_rules:
            raise TypeError(
                f"{name} has a {estimator} loss rule: check it with its scores and targets, "
                f"{estimator}.check_rule(layer, scores, t)"
            )
        if rule is None:
            raise TypeError(
                f"{name} has no {estimator} rule to check; register one with "
                f"@{estimator}.rule_for({name}) (see 'Extending tinynn')"
            )
        return rule
    rule = loss_rules.get(type(layer))
    if rule is None and type(layer) in layer_rules:
        raise TypeError(
            f"{name} has a {estimator} layer rule, not a loss rule: check it without targets, "
            f"{estimator}.check_rule(layer, x)"
        )
    if rule is None:
        raise TypeError(
            f"{name} has no {estimator} loss rule to check; register one with "
            f"@{estimator}.loss_rule_for({name}) (see 'Extending tinynn')"
        )
    return rule


def not_finite(layer: object) -> ValueError:
    """The error of a public check whose input gives the layer a non-finite output."""
    return ValueError(
        f"{type(layer).__name__}'s output for this x is not finite: nothing to compare a rule "
        "with; check it on another input"
    )


def check_unchecked_rules(
    tables: tuple[RuleTable, RuleTable],
    checks: tuple[Callable[..., float | None], Callable[..., float | None]],
    layers: Sequence[object],
    acts: Sequence[FloatArray],
    loss_layer: object,
    t: NDArray[Any],
    where: Callable[[int], str],
) -> None:
    """Check every rule of ``layers`` and of ``loss_layer`` that ``tables`` (layer rules,
    loss rules) have not marked checked in this process, with ``checks`` (a layer rule's
    check, a loss rule's), on its layer's input in this gradient (``acts``: a few of its
    samples, :func:`few_samples`), and mark each that passes. ``where(i)`` names layer
    ``i`` in a message. An estimator's first use of a rule runs this."""
    layer_rules, loss_rules = tables
    check_layer, check_loss = checks
    for i, layer in enumerate(layers):
        if layer_rules.unchecked(layer):
            rule = layer_rules.get(layer)
            x, _ = few_samples(acts[i])
            worst = check_layer(layer, x, rule, rng=np.random.default_rng(0), where=where(i))
            if worst is not None:
                layer_rules.mark_checked(type(layer), rule)
    if loss_rules.unchecked(loss_layer):
        rule = loss_rules.get(loss_layer)
        scores, targets = few_samples(acts[-1], t)
        worst = check_loss(loss_layer, scores, targets, rule, rng=np.random.default_rng(0),
                           where="the loss layer")  # fmt: skip
        if worst is not None:
            loss_rules.mark_checked(type(loss_layer), rule)
