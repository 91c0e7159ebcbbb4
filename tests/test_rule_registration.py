"""A user's layer and the estimators' rule tables: registration, exact types, the warning.

Each test defines its own layer classes, so that what one registers (tables and the
once-per-class warning are per process) never meets another test's.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tinynn import (
    Affine,
    ComplexStep,
    NumericalDiff,
    PerformanceWarning,
    RuleError,
    Sequential,
    SoftmaxWithLoss,
    TwoLayerNet,
)
from tinynn.estimators.numerical import Change, ElementwiseRule
from tinynn.typing import FloatArray, IntArray, Params

LOOP = NumericalDiff(method="loop")


def make_tanh() -> type:
    """A new class each call: a user's tanh layer with forward and backward only."""

    class Tanh:
        def __init__(self) -> None:
            self.params: Params = {}
            self.grads: Params = {}

        def forward(self, x: FloatArray) -> FloatArray:
            self.out: FloatArray = np.tanh(x)
            return self.out

        def backward(self, dout: FloatArray) -> FloatArray:
            return dout * (1.0 - self.out**2)

    return Tanh


def around(layer: Any, seed: int = 0) -> tuple[Sequential, FloatArray, IntArray]:
    """Affine(3, 4) -> layer -> Affine(4, 2): 26 parameter entries."""
    rng = np.random.default_rng(seed)
    net = Sequential([Affine.random(3, 4, rng=rng, weight_init_std=1.0), layer,
                      Affine.random(4, 2, rng=rng, weight_init_std=1.0)])  # fmt: skip
    return net, rng.standard_normal((5, 3)), rng.integers(0, 2, 5)


def max_diff(a: Params, b: Params) -> float:
    assert sorted(a) == sorted(b)
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


# -- a layer without a rule: the loop, with one warning --------------------------------------
def test_a_layer_without_a_rule_warns_once_naming_it_and_how_to_register() -> None:
    Tanh = make_tanh()
    net, x, t = around(Tanh())
    with pytest.warns(PerformanceWarning) as caught:
        auto = NumericalDiff().gradient(net, x, t)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "layer 1 (Tanh) has no rule" in message
    assert "52 times per gradient" in message  # 2 x 26 entries: grounded in this model
    assert "hundreds of times faster" in message and "784-50-10" in message
    assert "@NumericalDiff.rule_for(Tanh)" in message and "ElementwiseRule" in message
    assert "docs/extending.rst" in message and "method='loop'" in message
    assert caught[0].filename == __file__  # it points at the caller's line
    assert max_diff(auto, LOOP.gradient(net, x, t)) == 0.0  # it is the loop
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per layer class: not again, not for a new model
        NumericalDiff().gradient(net, x, t)
        other, x2, t2 = around(Tanh(), seed=1)
        NumericalDiff(h=1e-3).gradient(other, x2, t2)
        NumericalDiff(method="loop").gradient(net, x, t)


def test_the_loop_asked_for_does_not_warn() -> None:
    net, x, t = around(make_tanh()())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NumericalDiff(method="loop").gradient(net, x, t)
    reason = NumericalDiff(method="loop").fallback_reason(net)
    assert reason == "method='loop' asks for the book's loop"


def test_the_warning_counts_the_passes_of_a_one_sided_scheme() -> None:
    net, x, t = around(make_tanh()())
    with pytest.warns(PerformanceWarning, match=r"forward 27 times per gradient"):  # 26 + 1
        NumericalDiff(scheme="forward").gradient(net, x, t)


def test_structured_names_the_layer_in_a_type_error() -> None:
    Tanh = make_tanh()
    net, x, t = around(Tanh())
    with pytest.raises(TypeError, match=r"layer 1 \(Tanh\) has no rule\. Register a rule"):
        NumericalDiff(method="structured").gradient(net, x, t)


def test_a_subclass_that_overrides_forward_gets_no_rule() -> None:
    class Doubled(Affine):
        def forward(self, x: FloatArray) -> FloatArray:
            return 2.0 * super().forward(x)

        def backward(self, dout: FloatArray, *, input_grad: bool = True) -> FloatArray:
            return super().backward(2.0 * dout, input_grad=input_grad)

    rng = np.random.default_rng(2)
    net = Sequential([Affine.random(3, 4, rng=rng), Doubled(rng.standard_normal((4, 2)))])
    x, t = rng.standard_normal((5, 3)), rng.integers(0, 2, 5)
    assert Affine in NumericalDiff.rules and Doubled not in NumericalDiff.rules
    assert NumericalDiff().fallback_reason(net) == "layer 1 (Doubled) has no rule"
    with pytest.warns(PerformanceWarning, match=r"layer 1 \(Doubled\) has no rule"):
        auto = NumericalDiff().gradient(net, x, t)
    loop = LOOP.gradient(net, x, t)
    assert max_diff(auto, loop) == 0.0
    # and the loop's numbers are those of the subclass (Affine's rule would differ by 2x)
    assert max_diff(loop, net.gradient(x, t)) < 1e-6


def test_a_loss_layer_without_a_rule_is_named_with_its_decorator() -> None:
    class Halved(SoftmaxWithLoss):
        pass

    rng = np.random.default_rng(3)
    net = Sequential([Affine.random(3, 2, rng=rng)], Halved())
    x, t = rng.standard_normal((4, 3)), rng.integers(0, 2, 4)
    assert NumericalDiff().fallback_reason(net) == "its loss layer (Halved) has no loss rule"
    with pytest.warns(PerformanceWarning, match=re.escape("@NumericalDiff.loss_rule_for(Halved)")):
        NumericalDiff().gradient(net, x, t)


# -- a layer with a rule: the structured path ------------------------------------------------
def test_a_users_tanh_with_an_elementwise_rule_takes_the_structured_path() -> None:
    Tanh = make_tanh()

    @NumericalDiff.rule_for(Tanh)
    class TanhRule(ElementwiseRule[Any]):
        def apply(self, values: FloatArray) -> FloatArray:
            return np.tanh(values)

    assert NumericalDiff.rules[Tanh] is TanhRule
    for seed in range(3):
        net, x, t = around(Tanh(), seed)
        x[x < 0] = 0.0  # half the inputs 0: sparse changes reach the rule too
        assert NumericalDiff().fallback_reason(net) is None
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fast = NumericalDiff(method="structured").gradient(net, x, t)
            auto = NumericalDiff().gradient(net, x, t)
        loop = LOOP.gradient(net, x, t)
        assert max_diff(fast, loop) <= 1e-9 and max_diff(auto, fast) == 0.0


def test_a_wrong_rule_is_refused_at_its_first_use() -> None:
    """A rule 0.1% off its layer is not trusted: its first gradient checks it and refuses it
    (tests/test_rule_checks.py has the rest)."""
    Tanh = make_tanh()

    @NumericalDiff.rule_for(Tanh)
    class Wrong(ElementwiseRule[Any]):
        def apply(self, values: FloatArray) -> FloatArray:
            return np.tanh(1.001 * values)

    net, x, t = around(Tanh())
    with pytest.raises(RuleError, match=r"^Wrong, the NumericalDiff rule of layer 1 \(Tanh\), "
                                        r"disagrees with Tanh.forward"):  # fmt: skip
        NumericalDiff().gradient(net, x, t)
    assert max_diff(LOOP.gradient(net, x, t), net.gradient(x, t)) < 1e-6  # the loop is right


def test_a_layer_with_parameters_needs_a_rule_that_perturbs_them() -> None:
    class Scale:
        def __init__(self) -> None:
            self.params: Params = {"s": np.ones(4)}
            self.grads: Params = {}

        def forward(self, x: FloatArray) -> FloatArray:
            self.x = x
            out: FloatArray = x * self.params["s"]
            return out

        def backward(self, dout: FloatArray) -> FloatArray:
            self.grads["s"] = np.sum(dout * self.x, axis=0)
            out: FloatArray = dout * self.params["s"]
            return out

    @NumericalDiff.rule_for(Scale)
    class PropagateOnly:
        def __init__(self, layer: Scale, x: FloatArray, out: FloatArray) -> None:
            self.s = layer.params["s"]

        def propagate(self, change: Change) -> Change:
            raise NotImplementedError

    net, x, t = around(Scale())
    reason = NumericalDiff().fallback_reason(net)
    assert reason is not None and "PropagateOnly, has no groups() and perturb()" in reason

    from tinynn.estimators.numerical import ColumnChange, DenseChange

    @NumericalDiff.rule_for(Scale, replace=True)
    class ScaleRule:
        def __init__(self, layer: Scale, x: FloatArray, out: FloatArray) -> None:
            self.s, self.x, self.out = layer.params["s"], x, out

        def propagate(self, change: Change) -> Change:
            return DenseChange(change.dense().values * self.s)

        def groups(self, key: str, max_entries: int) -> Iterator[IntArray]:
            for j in range(self.s.size):  # s[j] moves column j only
                yield np.array([j], dtype=np.intp)

        def perturb(self, key: str, entries: IntArray, steps: FloatArray) -> Change:
            j = int(entries[0])
            return ColumnChange(self.out, j, (self.s[j] + steps) * self.x[:, j])

    assert NumericalDiff().fallback_reason(net) is None
    fast = NumericalDiff(method="structured").gradient(net, x, t)
    assert max_diff(fast, LOOP.gradient(net, x, t)) <= 1e-9


def test_the_complex_step_takes_a_users_rule() -> None:
    Tanh = make_tanh()

    @ComplexStep.rule_for(Tanh)
    def tanh_complex(layer: Any, x: Any, params: Any) -> Any:
        return np.tanh(x)

    net, x, t = around(Tanh())
    net.loss_layer = SoftmaxWithLoss(delta=0.0)
    exact = net.gradient(x, t)
    for name, g in ComplexStep().gradient(net, x, t).items():
        assert float(np.max(np.abs(g - exact[name]))) <= 1e-13 * float(np.max(np.abs(g))) + 1e-15


# -- registration errors -----------------------------------------------------------------
def test_registering_a_non_class_is_a_clear_type_error() -> None:
    Tanh = make_tanh()
    with pytest.raises(TypeError, match=r"takes a layer class \(such as Tanh, not Tanh\(\)\), "
                                        r"got an instance of Tanh"):  # fmt: skip
        NumericalDiff.rule_for(Tanh())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"ComplexStep.rule_for takes a layer class.*got str"):
        ComplexStep.rule_for("Tanh")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"rule_for\(Tanh\): the rule must be a class, made once "
                                        r"per gradient, got the function <lambda>"):  # fmt: skip
        NumericalDiff.rule_for(Tanh)(lambda layer, x, out: None)
    with pytest.raises(TypeError, match=r"ComplexStep.rule_for\(Tanh\): the rule must be a "
                                        r"function, rule\(layer, x, params\), got ElementwiseRule"):
        ComplexStep.rule_for(Tanh)(ElementwiseRule)


def test_a_rule_without_its_methods_is_a_clear_type_error() -> None:
    Tanh = make_tanh()

    class NoPropagate:
        def __init__(self, layer: Any, x: FloatArray, out: FloatArray) -> None:
            pass

    with pytest.raises(TypeError, match=r"rule_for\(Tanh\): .*NoPropagate has no propagate\(\)"):
        NumericalDiff.rule_for(Tanh)(NoPropagate)

    class NoApply(ElementwiseRule[Any]):
        pass

    with pytest.raises(TypeError, match=r"NoApply does not define apply\(\)"):
        NumericalDiff.rule_for(Tanh)(NoApply)
    with pytest.raises(TypeError, match=r"loss_rule_for\(Tanh\): .*NoPropagate has no losses\(\)"):
        NumericalDiff.loss_rule_for(Tanh)(NoPropagate)
    assert Tanh not in NumericalDiff.rules and Tanh not in NumericalDiff.loss_rules


def test_registering_twice_is_an_error_unless_replacing() -> None:
    Tanh = make_tanh()

    @NumericalDiff.rule_for(Tanh)
    class First(ElementwiseRule[Any]):
        def apply(self, values: FloatArray) -> FloatArray:
            return np.tanh(values)

    already = r"Tanh has a rule already \(First\); to replace it, use "
    with pytest.raises(ValueError, match=already + r"NumericalDiff.rule_for\(Tanh, replace=True\)"):
        NumericalDiff.rule_for(Tanh)
    assert NumericalDiff.rules[Tanh] is First

    @NumericalDiff.rule_for(Tanh, replace=True)
    class Second(First):
        pass

    assert NumericalDiff.rules[Tanh] is Second
    with pytest.raises(ValueError, match="SoftmaxWithLoss has a rule already"):
        ComplexStep.loss_rule_for(SoftmaxWithLoss)


def test_the_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        NumericalDiff.rules[TwoLayerNet] = object  # type: ignore[index]
    with pytest.raises(TypeError):
        del ComplexStep.rules[Affine]  # type: ignore[attr-defined]
