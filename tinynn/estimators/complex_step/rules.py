"""The complex step's rules: what one is, and the tables that hold them.

A rule is a function registered for a layer class with ``@ComplexStep.rule_for(Layer)``:
``rule(layer, x, params) -> out``, the layer's output for complex input ``x`` with the
complex parameters ``params`` (keyed as ``layer.params``), computed from ``+``, ``*``,
``@``, ``exp``, ``log``, ``tanh``, ... only, so that it is complex-analytic. A loss
layer's rule (``@ComplexStep.loss_rule_for(LossLayer)``) is ``rule(layer, x, t) ->
complex``. Rules read the layer's settings, never its caches, and cache nothing: the
layer's real parameters and what its ``backward`` needs are never touched.
:func:`~tinynn.estimators.complex_step.bind_complex_loss` (``interpreter``) runs them.

Book section
------------
4.4.2 (the gradient of a network, here by the complex step)
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, Protocol

from numpy.typing import NDArray

from ...typing import ComplexArray
from ..registry import RuleTable, named

__all__ = ["LAYER_RULES", "LOSS_RULES", "ComplexLossRule", "ComplexRule"]


class ComplexRule(Protocol):
    """A layer at complex input and parameters: ``rule(layer, x, params) -> out``.

    Book section
    ------------
    4.4.2 (the gradient of a network, here by the complex step)
    """

    def __call__(
        self, layer: Any, x: ComplexArray, params: Mapping[str, ComplexArray], /
    ) -> ComplexArray:
        """The layer's output for complex ``x`` with complex ``params``; caches nothing."""
        ...


class ComplexLossRule(Protocol):
    """A loss layer at complex scores: ``rule(layer, x, t) -> complex``.

    Book section
    ------------
    4.4.2 (the gradient of a network, here by the complex step)
    """

    def __call__(self, layer: Any, x: ComplexArray, t: NDArray[Any], /) -> complex:
        """The loss of complex scores ``x`` against checked targets ``t``; caches nothing."""
        ...


def _function(rule: object) -> str | None:
    if inspect.isclass(rule) or not callable(rule):
        return f"the rule must be a function, rule(layer, x, params), got {named(rule)}"
    return None


#: Layer rules by exact layer class (``ComplexStep.rule_for``).
LAYER_RULES = RuleTable("ComplexStep.rule_for", _function)
#: Loss rules by exact loss-layer class (``ComplexStep.loss_rule_for``).
LOSS_RULES = RuleTable("ComplexStep.loss_rule_for", _function)
