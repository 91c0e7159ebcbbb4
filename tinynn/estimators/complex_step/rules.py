"""The complex step's rules and its interpreter: a stack of layers at complex parameters.

A rule is a function registered for a layer class with ``@ComplexStep.rule_for(Layer)``:
``rule(layer, x, params) -> out``, the layer's output for complex input ``x`` with the
complex parameters ``params`` (keyed as ``layer.params``), computed from ``+``, ``*``,
``@``, ``exp``, ``log``, ``tanh``, ... only, so that it is complex-analytic. A loss
layer's rule (``@ComplexStep.loss_rule_for(LossLayer)``) is ``rule(layer, x, t) ->
complex``. Rules read the layer's settings, never its caches, and cache nothing: the
layer's real parameters and what its ``backward`` needs are never touched.

Book section
------------
4.4.2 (the gradient of a network, here by the complex step)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ...typing import ArrayLike, ComplexArray
from ..model import as_stack
from ..registry import RuleTable, named

__all__ = ["LAYER_RULES", "LOSS_RULES", "ComplexLossRule", "ComplexRule", "bind_complex_loss"]


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

_ANALYTIC = (
    "The complex step runs every layer at complex weights, so it needs a rule for each; a "
    "layer with max, abs, comparisons or a kink such as Relu's can have none (it is not "
    "complex-analytic): use Backprop or NumericalDiff for this model"
)


def bind_complex_loss(
    model: object, x: ArrayLike, t: ArrayLike
) -> Callable[[Mapping[str, ComplexArray]], complex]:
    """Check ``x`` and ``t`` once; return ``params -> loss`` at complex parameters.

    The returned function takes complex arrays keyed and shaped as ``model.params`` and
    runs each layer's rule with its own (``rule(layer, x, {'W': ..., 'b': ...})``), then
    the loss layer's. It never touches the model's real parameters or the layers' caches
    (binding runs one real forward pass, through ``model.check_batch``, to check ``t``).

    Raises
    ------
    TypeError
        Before anything is computed, if ``model`` is not a stack of layers, or a layer or
        the loss layer has no rule (such as :class:`~tinynn.Relu`, whose kink at 0 is not
        complex-analytic).

    Book section
    ------------
    4.4.2 (the gradient of a network, here by the complex step)
    """
    stack = as_stack(model)
    if stack is None:
        raise TypeError(
            "ComplexStep evaluates a model's loss at complex parameters layer by layer, so it "
            f"needs a stack of layers (such as Sequential); {type(model).__name__} has none. "
            "Use Backprop or NumericalDiff instead."
        )
    rules: list[ComplexRule] = []
    for i, layer in enumerate(stack.layers):
        rule = LAYER_RULES.get(layer)
        if rule is None:
            name = type(layer).__name__
            raise TypeError(
                f"layers[{i}] ({name}) has no ComplexStep rule. {_ANALYTIC}; a complex-analytic "
                f"layer of your own takes one with @ComplexStep.rule_for({name}) (see "
                "'Extending tinynn')"
            )
        rules.append(rule)
    loss_layer = stack.loss_layer
    loss_rule: ComplexLossRule | None = LOSS_RULES.get(loss_layer)
    if loss_rule is None:
        name = type(loss_layer).__name__
        raise TypeError(
            f"the loss layer ({name}) has no ComplexStep loss rule (register one with "
            f"@ComplexStep.loss_rule_for({name}) if it is complex-analytic): use Backprop or "
            "NumericalDiff"
        )
    xb, targets = stack.check_batch(x, t, purpose="the complex-step gradient")
    xc = xb.astype(np.complex128)
    layers = list(stack.layers)
    keys = [
        {key: name for name, owner, key in stack.param_slots if owner is layer} for layer in layers
    ]

    lam = float(getattr(model, "weight_decay_lambda", 0.0))
    decayed = tuple(getattr(model, "decayed_params", ())) if lam else ()

    def loss(params: Mapping[str, ComplexArray]) -> complex:
        h = xc
        for layer, rule, names in zip(layers, rules, keys, strict=True):
            h = rule(layer, h, {key: params[name] for key, name in names.items()})
        decay = sum(0.5 * lam * np.sum(params[name] ** 2) for name in decayed)  # analytic
        return complex(loss_rule(loss_layer, h, targets) + decay)

    return loss
