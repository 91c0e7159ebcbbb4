"""The complex step's interpreter: a stack of layers at complex parameters, by their rules.

Book section
------------
4.4.2 (the gradient of a network, here by the complex step)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from ...base import Stateful
from ...typing import ArrayLike, ComplexArray
from ..model import as_stack
from ..rule_check import Subject
from .rule_check import check_new_rules, checked_loss, checked_output
from .rules import LAYER_RULES, LOSS_RULES, ComplexLossRule, ComplexRule

__all__ = ["bind_complex_loss"]

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
    (binding runs the real forward pass, through ``model.check_batch`` to check ``t``, and
    ``model.activations`` for the shape of each layer's output; a layer's state is left as
    it was). The first time a rule is used in a process it is checked against its layer
    (:mod:`~tinynn.estimators.complex_step.rule_check`), and every rule's result is
    checked for its shape at every call.

    Raises
    ------
    TypeError
        Before anything is computed, if ``model`` is not a stack of layers, or a layer or
        the loss layer has no rule (such as :class:`~tinynn.Relu`, whose kink at 0 is not
        complex-analytic).
    RuleError
        If a rule disagrees with its layer (at its first use), or returns a result of the
        wrong shape.

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
    # the real activations: each rule's first use is checked on its layer's input, and
    # every rule's output has its layer's shape (within a training step, the same pass)
    held = [(layer, layer.state_dict()) for layer in layers if isinstance(layer, Stateful)]
    try:
        acts = stack.activations(xb)
    finally:
        for layer, state in held:
            layer.load_state_dict(state)
    check_new_rules(layers, acts, loss_layer, targets)
    shapes = [a.shape for a in acts[1:]]
    subjects = [Subject(rule, layer, "ComplexStep", "rule_for", f"layers[{i}]")
                for i, (layer, rule) in enumerate(zip(layers, rules, strict=True))]  # fmt: skip
    loss_subject = Subject(loss_rule, loss_layer, "ComplexStep", "loss_rule_for", "the loss layer")

    lam = float(getattr(model, "weight_decay_lambda", 0.0))
    decayed = tuple(getattr(model, "decayed_params", ())) if lam else ()
    steps = list(zip(layers, rules, keys, subjects, shapes, strict=True))

    def loss(params: Mapping[str, ComplexArray]) -> complex:
        h = xc
        for layer, rule, names, subject, shape in steps:
            h = rule(layer, h, {key: params[name] for key, name in names.items()})
            if type(h) is not np.ndarray or h.shape != shape:
                h = checked_output(h, subject, shape)
        decay = sum(0.5 * lam * np.sum(params[name] ** 2) for name in decayed)  # analytic
        return complex(checked_loss(loss_rule(loss_layer, h, targets), loss_subject) + decay)

    return loss
