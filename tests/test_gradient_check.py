"""gradient_check: what it compares, and a clear error for what it cannot."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinynn import (
    Backprop,
    GradientCheck,
    GradientDifference,
    NumericalDiff,
    TwoLayerNet,
    gradient_check,
)
from tinynn.typing import FloatArray, Params


class ListOfGradients:
    """A user's estimator that returns its gradients as a list (a dict is expected)."""

    def gradient(self, model: Any, x: Any, t: Any) -> Any:
        return list(Backprop().gradient(model, x, t).values())


class ListParams:
    """A user's model whose params is a list of arrays."""

    def __init__(self) -> None:
        self.params = [np.zeros(2)]

    def predict(self, x: Any) -> FloatArray:
        return np.zeros(2)

    def loss(self, x: Any, t: Any) -> float:
        return 0.0

    def accuracy(self, x: Any, t: Any) -> float:
        return 0.0

    def gradient(self, x: Any, t: Any) -> Params:
        return {}


@pytest.mark.parametrize("role", ["estimate", "reference"])
def test_an_estimator_returning_a_list_is_a_clear_type_error(role: str) -> None:
    net = TwoLayerNet(4, 3, 2, rng=0)
    with pytest.raises(
        TypeError,
        match=rf"^the {role} ListOfGradients\(\)\.gradient\(model, x, t\) returned list; a "
        r"gradient estimator must return a dict of arrays keyed as model\.params "
        r"\('W1', 'b1', 'W2', 'b2'\)",
    ):
        gradient_check(net, np.ones((2, 4)), [0, 1], **{role: ListOfGradients()})


def test_a_model_with_a_list_of_params_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match=r"^model\.params must be a dict of parameter arrays by "
                                        r"name .* got list$"):  # fmt: skip
        gradient_check(ListParams(), np.ones((2, 4)), [0, 1])  # type: ignore[arg-type]


def test_the_differences_are_those_of_the_two_estimates() -> None:
    rng = np.random.default_rng(0)
    net = TwoLayerNet(4, 3, 2, weight_init_std=0.5, rng=1)
    x, t = rng.random((3, 4)), np.array([0, 1, 1])
    diffs = gradient_check(net, x, t)
    a, b = Backprop().gradient(net, x, t), NumericalDiff().gradient(net, x, t)
    for name, d in diffs.items():
        gap = np.abs(a[name] - b[name])
        assert d.max_abs == float(gap.max()) and d.mean_abs == float(gap.mean())


def test_the_result_is_the_dict_by_name_printed_as_a_table() -> None:
    rng = np.random.default_rng(0)
    net = TwoLayerNet(4, 3, 2, weight_init_std=0.5, rng=1)
    check = gradient_check(net, rng.random((3, 4)), np.array([0, 1, 1]))
    assert isinstance(check, GradientCheck) and isinstance(check, dict)  # as it always was
    assert list(check) == list(net.params) and check == dict(check.items())
    assert len(check) == 4 and check["W2"] is dict(check)["W2"]
    worst = max(check, key=lambda k: check[k].max_rel)
    lines = repr(check).splitlines()
    assert lines[0] == (f"GradientCheck: 4 parameters, largest relative difference "
                        f"{check[worst].max_rel:.3g} ({worst})")  # fmt: skip
    assert lines[1].split() == ["parameter", "max_abs", "max_rel", "mean_abs"]
    assert [line.split()[0] for line in lines[2:]] == ["W1", "b1", "W2", "b2"]
    assert lines[3].split()[1:] == [f"{v:.3g}" for v in check["b1"]]
    page = check._repr_html_()
    assert page.count("<tr>") == 1 + 4 and f"<td><code>{worst}</code></td>" in page


def test_a_result_holds_gradient_differences_by_name_only() -> None:
    with pytest.raises(TypeError, match="GradientDifference"):
        GradientCheck({"W1": (1.0, 2.0, 3.0)})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="dict of GradientDifference"):
        GradientCheck([("W1", GradientDifference(1.0, 2.0, 3.0))])  # type: ignore[arg-type]
    assert repr(GradientCheck({})).startswith("GradientCheck: 0 parameters\n")
