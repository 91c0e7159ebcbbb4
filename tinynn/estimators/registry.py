"""A table of per-layer rules, keyed by the layer's exact class, with public registration.

Each estimator that needs to know how a layer behaves keeps that knowledge in its own
tables (:class:`~tinynn.NumericalDiff`: how a change travels through a layer;
:class:`~tinynn.ComplexStep`: the layer at complex parameters), the way JAX keeps its
``primitive_jvps`` in each transformation's module. The key is ``type(layer)``, never an
``isinstance`` test: a subclass that overrides ``forward`` must not inherit a rule that
mirrors its parent's ``forward``.

Book section
------------
4.4.2 (the gradient of a network: each estimator's knowledge of the layers)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from ..utils.validation import describe_value

__all__ = ["RuleError", "RuleTable", "named"]

R = TypeVar("R")


def named(obj: object) -> str:
    """A class or function by its name, anything else as what it is."""
    if inspect.isclass(obj):
        return obj.__name__
    if inspect.isroutine(obj):
        return f"the function {obj.__name__}"
    if obj is None or isinstance(obj, (str, bytes, int, float, complex)):
        return describe_value(obj)
    return f"an instance of {type(obj).__name__}"


class RuleError(ValueError):
    """A rule disagrees with its layer, or returned something of the wrong kind or shape.

    Raised by :meth:`~tinynn.NumericalDiff.check_rule` and
    :meth:`~tinynn.ComplexStep.check_rule`, and by the estimators themselves: the first
    time a rule is used in a process it is checked against its layer (on a few samples of
    the layer's input in that gradient), and every result it returns is checked for its
    shape. The
    message names the rule, the layer class, what disagreed and by how much, and how to
    check the rule by hand.

    Book section
    ------------
    4.4.2 (the gradient of a network: a rule must compute what its layer computes)
    """


class RuleTable:
    """Rules by exact layer class, for one estimator and one kind of layer.

    Parameters
    ----------
    register_as : str
        How users register, for messages: ``'NumericalDiff.rule_for'``.
    check : callable
        ``check(rule) -> str | None``: why ``rule`` does not fit this table, or ``None``.

    Book section
    ------------
    4.4.2 (per-layer rules of an estimator)
    """

    def __init__(self, register_as: str, check: Callable[[Any], str | None]) -> None:
        self.register_as = register_as
        self._check = check
        self._rules: dict[type, Any] = {}
        self._checked: dict[type, Any] = {}  # layer class: its rule, checked in this process
        #: A read-only live view of the table: ``{layer class: rule}``.
        self.view: Mapping[type, Any] = MappingProxyType(self._rules)

    def get(self, layer: object) -> Any:
        """The rule for ``type(layer)`` exactly, or ``None``."""
        return self._rules.get(type(layer))

    def unchecked(self, layer: object) -> bool:
        """Whether the rule of ``type(layer)`` has not been checked against its layer yet."""
        rule = self._rules.get(type(layer))
        return rule is not None and self._checked.get(type(layer)) is not rule

    def mark_checked(self, layer_type: type, rule: object) -> None:
        """Remember that ``rule``, the rule of ``layer_type``, passed its check."""
        if self._rules.get(layer_type) is rule:
            self._checked[layer_type] = rule

    def register(self, layer_type: type, *, replace: bool = False) -> Callable[[R], R]:
        """A decorator that registers its argument as the rule for ``layer_type``.

        Raises
        ------
        TypeError
            If ``layer_type`` is not a class, or (when decorating) the rule does not fit.
        ValueError
            If ``layer_type`` has a rule already and ``replace`` is false.
        """
        call = f"{self.register_as}({named(layer_type)})"
        if not inspect.isclass(layer_type):
            raise TypeError(
                f"{self.register_as} takes a layer class (such as Tanh, not Tanh()), "
                f"got {named(layer_type)}"
            )
        old = self._rules.get(layer_type)
        if old is not None and not replace:
            raise ValueError(
                f"{layer_type.__name__} has a rule already ({named(old)}); to replace it, "
                f"use {self.register_as}({layer_type.__name__}, replace=True)"
            )

        def decorate(rule: R) -> R:
            problem = self._check(rule)
            if problem is not None:
                raise TypeError(f"{call}: {problem}")
            self._rules[layer_type] = rule
            self._checked.pop(layer_type, None)  # registered again: checked again
            return rule

        return decorate
