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

__all__ = ["RuleTable", "named"]

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
        #: A read-only live view of the table: ``{layer class: rule}``.
        self.view: Mapping[type, Any] = MappingProxyType(self._rules)

    def get(self, layer: object) -> Any:
        """The rule for ``type(layer)`` exactly, or ``None``."""
        return self._rules.get(type(layer))

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
            return rule

        return decorate
