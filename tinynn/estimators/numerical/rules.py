"""The structured path's rules: what a layer must say for NumericalDiff to skip the loop.

A rule is a class, registered for a layer class with
``@NumericalDiff.rule_for(Layer)`` (``@NumericalDiff.loss_rule_for(LossLayer)`` for the
loss layer), and instantiated once per gradient with the layer and its unperturbed
input and output: ``Rule(layer, x, out)``. What it computes once from them (the
transposed input, where the input is not 0) lives in the instance and dies with the
gradient. Its methods then say how the layer's output changes:

* every layer rule: ``propagate(change) -> Change``, the change of the output for a
  change of the input (:class:`LayerRule`);
* a rule for a layer with parameters, also: ``groups(key, max_entries)``, which entries
  of ``layer.params[key]`` move one output :data:`~tinynn.estimators.numerical.Change` together, and
  ``perturb(key, entries, steps) -> Change``, the output when they move
  (:class:`ParameterRule`);
* a loss rule, ``LossRule(layer, scores, t)``: ``loss``, the unperturbed loss, and
  ``losses(change)``, the loss of every perturbed version of the scores (:class:`LossRule`).

A rule may declare ``sparse_changes = True`` to receive sparse changes (see
:class:`~tinynn.estimators.numerical.Samples`); every other rule gets them spread out.
For an element-wise layer, :class:`ElementwiseRule` needs one method, ``apply(values)``.

Book section
------------
4.4.2 (the gradient of a network, by structured central differences)
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

from ...typing import FloatArray, IntArray
from ..model import as_stack
from ..registry import RuleTable, named
from .changes import Change, ColumnChange, DenseChange

__all__ = [
    "LAYER_RULES",
    "LOSS_RULES",
    "ElementwiseRule",
    "LayerRule",
    "LossRule",
    "ParameterRule",
    "missing_rule",
]

L = TypeVar("L")


@runtime_checkable
class LayerRule(Protocol):
    """How a change of a layer's input travels to its output, in one gradient.

    Made as ``Rule(layer, x, out)`` with the layer's unperturbed input and output.
    Optional class attribute: ``sparse_changes = True`` to receive sparse changes.

    Book section
    ------------
    4.4.2 (structured central differences)
    """

    def propagate(self, change: Change) -> Change:
        """The change of the output, given the change of the input."""
        ...


@runtime_checkable
class ParameterRule(LayerRule, Protocol):
    """A :class:`LayerRule` that also says how moving the layer's parameters changes its output.

    Book section
    ------------
    4.4.2 (structured central differences)
    """

    def groups(self, key: str, max_entries: int) -> Iterator[IntArray]:
        """Groups of flat indices of ``layer.params[key]``, at most ``max_entries`` each,
        whose moves :meth:`perturb` expresses as one change."""
        ...

    def perturb(self, key: str, entries: IntArray, steps: FloatArray) -> Change:
        """The output when each entry of a group moves by each of ``steps``, shape ``(S, m)``:
        ``S * m`` perturbations, step-major (all entries at ``steps[0]`` first)."""
        ...


@runtime_checkable
class LossRule(Protocol):
    """The losses of many perturbed versions of the scores, in one gradient.

    Made as ``Rule(layer, x, t)`` with the unperturbed scores and the checked targets.
    Optional class attribute: ``sparse_changes = True`` to receive sparse changes.

    Book section
    ------------
    4.4.2 (structured central differences)
    """

    @property
    def loss(self) -> float:
        """The unperturbed loss, as ``layer.forward(x, t)`` computes it."""
        ...

    def losses(self, change: Change) -> FloatArray:
        """The ``P`` losses of the perturbed scores, shape ``(P,)``."""
        ...


class ElementwiseRule(ABC, Generic[L]):
    """The rule of an element-wise layer: a changed column stays one column.

    Subclass it and define :meth:`apply`, the layer's function of an array (without
    caching anything in the layer). :meth:`propagate` applies it to the changed values
    only: a column of ``N`` values (or the moved samples of a sparse change) instead of
    the whole ``(N, D)`` activation.

    Parameters
    ----------
    layer : Layer
        The layer (``self.layer``), for a function with settings such as a slope.
    x, out : ndarray
        Its unperturbed input and output in this gradient.

    Book section
    ------------
    4.4.2 (structured central differences), 5.5 (activation function layers)

    Examples
    --------
    >>> import numpy as np
    >>> from tinynn.estimators.numerical import ColumnChange
    >>> class Square(ElementwiseRule):
    ...     def apply(self, values):
    ...         return values * values
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> change = ColumnChange(x, 1, np.array([[2.5, 4.5]]))   # column 1 moved
    >>> Square(None, x, x * x).propagate(change).values
    array([[ 6.25, 20.25]])
    """

    #: Sparse changes are safe: :meth:`apply` works on any array of values.
    sparse_changes: ClassVar[bool] = True

    def __init__(self, layer: L, x: FloatArray, out: FloatArray) -> None:
        self.layer = layer
        self.x = x
        self.out = out

    @abstractmethod
    def apply(self, values: FloatArray) -> FloatArray:
        """The layer's function of ``values`` (any shape), as a new array."""

    def propagate(self, change: Change) -> Change:
        """Apply the function to what changed: a changed column stays one column."""
        if isinstance(change, ColumnChange):
            return change.like(self.out, self.apply(change.values))
        return DenseChange(self.apply(change.dense().values))


def _rule_class(*methods: str) -> Any:
    def check(rule: object) -> str | None:
        if not inspect.isclass(rule):
            return f"the rule must be a class, made once per gradient, got {named(rule)}"
        lacking = [m for m in methods if not callable(getattr(rule, m, None))]
        if lacking:
            return f"{rule.__name__} has no {' or '.join(f'{m}()' for m in lacking)}"
        if inspect.isabstract(rule):
            names = ", ".join(f"{m}()" for m in sorted(getattr(rule, "__abstractmethods__", ())))
            return f"{rule.__name__} does not define {names}"
        return None

    return check


#: Layer rules by exact layer class (``NumericalDiff.rule_for``).
LAYER_RULES = RuleTable("NumericalDiff.rule_for", _rule_class("propagate"))
#: Loss rules by exact loss-layer class (``NumericalDiff.loss_rule_for``).
LOSS_RULES = RuleTable("NumericalDiff.loss_rule_for", _rule_class("losses"))


def missing_rule(model: object) -> tuple[str, list[type]] | None:
    """Why ``model`` cannot take the structured path, and the classes without a rule.

    ``None`` if every layer and the loss layer have a rule (and the rules of layers with
    parameters can perturb them).
    """
    stack = as_stack(model)
    if stack is None:
        return f"{type(model).__name__} is not a stack of layers (such as Sequential)", []
    problems: list[str] = []
    classes: list[type] = []
    for i, layer in enumerate(stack.layers):
        rule = LAYER_RULES.get(layer)
        if rule is None:
            problems.append(f"layer {i} ({type(layer).__name__}) has no rule")
            classes.append(type(layer))
        elif layer.params and not (callable(getattr(rule, "groups", None))
                                   and callable(getattr(rule, "perturb", None))):  # fmt: skip
            problems.append(
                f"the rule of layer {i} ({type(layer).__name__}), {named(rule)}, has no "
                "groups() and perturb(), which a layer with parameters needs"
            )
            classes.append(type(layer))
    if LOSS_RULES.get(stack.loss_layer) is None:
        problems.append(f"its loss layer ({type(stack.loss_layer).__name__}) has no loss rule")
        classes.append(type(stack.loss_layer))
    return ("; ".join(problems), classes) if problems else None
