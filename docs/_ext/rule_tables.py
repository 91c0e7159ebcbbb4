"""The ``rule-table`` directive: which estimator has a rule for which layer, from the tables.

``.. rule-table::`` renders one row per layer class of :mod:`tinynn.layers` (and any other
class of tinynn that a table has a rule for) and one column per estimator that keeps
per-layer rules: the rule registered for the layer's exact class, or what the estimator
does without one. It reads ``NumericalDiff.rules``, ``NumericalDiff.loss_rules``,
``ComplexStep.rules`` and ``ComplexStep.loss_rules`` when the page is built, so the table
is never kept by hand: registering a built-in rule adds its cell.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList


def _ref(obj: Any) -> str:
    """A cross-reference to a documented class or function of tinynn, else its name."""
    role = "class" if isinstance(obj, type) else "func"
    module = obj.__module__
    public = {  # where the API reference documents them
        "tinynn.layers": "tinynn",
        "tinynn.estimators.numerical": "tinynn.estimators.numerical",
        "tinynn.estimators.complex_step": "tinynn.estimators.complex_step",
    }
    for prefix, documented in public.items():
        if module.startswith(prefix):
            return f":{role}:`~{documented}.{obj.__name__}`"
    return f"``{obj.__name__}``"


def rows() -> list[tuple[type, str, Any, Any]]:
    """``(layer class, kind, NumericalDiff rule or None, ComplexStep rule or None)``."""
    import tinynn.layers
    from tinynn import ComplexStep, NumericalDiff

    found: list[tuple[type, str, Any, Any]] = []
    classes = [getattr(tinynn.layers, name) for name in tinynn.layers.__all__]
    tables = (NumericalDiff.rules, NumericalDiff.loss_rules, ComplexStep.rules,
              ComplexStep.loss_rules)  # fmt: skip
    for table in tables:
        classes += [c for c in table if c not in classes and c.__module__.startswith("tinynn.")]
    for cls in classes:
        loss = cls in NumericalDiff.loss_rules or cls in ComplexStep.loss_rules or hasattr(
            cls, "activation"
        )
        numerical = (NumericalDiff.loss_rules if loss else NumericalDiff.rules).get(cls)
        complex_step = (ComplexStep.loss_rules if loss else ComplexStep.rules).get(cls)
        found.append((cls, "loss layer" if loss else "layer", numerical, complex_step))
    return found


class RuleTableDirective(Directive):
    """``.. rule-table::``: the layer x estimator table, generated."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        lines = [
            ".. list-table:: Which estimator has a rule for which layer (generated from the "
            "tables when this page was built)",
            "   :header-rows: 1",
            "   :class: rule-table",
            "",
            "   * - layer",
            "     - :class:`~tinynn.NumericalDiff` (structured path)",
            "     - :class:`~tinynn.ComplexStep`",
        ]
        for cls, kind, numerical, complex_step in rows():
            lines += [
                f"   * - {_ref(cls)} ({kind})",
                f"     - {_ref(numerical) if numerical else 'no rule: the loop, with a warning'}",
                f"     - {_ref(complex_step) if complex_step else 'no rule: refused'}",
            ]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="rule-table"), self.content_offset,
                                container)  # fmt: skip
        return list(container.children)


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("rule-table", RuleTableDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
