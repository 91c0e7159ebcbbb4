"""A rule is checked against its layer: by hand (``check_rule``), and at its first use.

Every test makes its own layer classes (rule tables and the record of checked rules are
per process), except where it re-registers a built-in rule with ``replace=True``, which
makes its next use check it again.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any, cast

import numpy as np
import pytest

from tinynn import (
    Affine,
    Backprop,
    BatchNormalization,
    ComplexStep,
    Dropout,
    NumericalDiff,
    RuleError,
    Sequential,
    Sigmoid,
    SoftmaxWithLoss,
    gradient_check,
)
from tinynn.estimators.complex_step import softmax_with_loss_complex
from tinynn.estimators.numerical import (
    BatchNormalizationRule,
    Change,
    ColumnChange,
    DenseChange,
    DropoutRule,
    ElementwiseRule,
    SoftmaxWithLossRule,
)
from tinynn.estimators.rule_check import RULE_TOLERANCE
from tinynn.typing import FloatArray, IntArray, Params

T = np.array([0, 1, 2, 0, 1])


def make_tanh() -> Any:
    """A new class each call: the extending page's Tanh, counting its forward passes."""

    class Tanh:
        passes = 0

        def __init__(self) -> None:
            self.params: Params = {}
            self.grads: Params = {}

        def forward(self, x: FloatArray) -> FloatArray:
            type(self).passes += 1
            self.out: FloatArray = np.tanh(x)
            return self.out

        def backward(self, dout: FloatArray) -> FloatArray:
            return dout * (1.0 - self.out**2)

    return Tanh


def make_mix() -> Any:
    """A new class each call: ``x @ M`` for a fixed 6 x 6 matrix (it mixes the columns)."""
    M = np.random.default_rng(5).standard_normal((6, 6))

    class Mix:
        def __init__(self) -> None:
            self.params: Params = {}
            self.grads: Params = {}
            self.M = M

        def forward(self, x: FloatArray) -> FloatArray:
            out: FloatArray = x @ self.M
            return out

        def backward(self, dout: FloatArray) -> FloatArray:
            out: FloatArray = dout @ self.M.T
            return out

    return Mix


def around(layer: Any, seed: int = 3) -> Sequential:
    """Affine(4, 6) -> layer -> Affine(6, 3), with the loss that backprop differentiates."""
    r = np.random.default_rng(seed)
    return Sequential([Affine.random(4, 6, rng=r, weight_init_std=0.5), layer,
                       Affine.random(6, 3, rng=r, weight_init_std=0.5)],
                      SoftmaxWithLoss(delta=0.0))  # fmt: skip


def batch(seed: int = 0) -> FloatArray:
    return np.random.default_rng(seed).standard_normal((5, 4))


def layer_input(net: Sequential, x: FloatArray, i: int = 1) -> FloatArray:
    with net.training():
        return net.activations(x)[i]


# -- the four wrong rules ----------------------------------------------------------
def one_percent_off() -> tuple[Any, Any, str]:
    Tanh = make_tanh()

    @NumericalDiff.rule_for(Tanh)
    class OffByOnePercent(ElementwiseRule[Any]):
        def apply(self, values: FloatArray) -> FloatArray:
            return np.tanh(1.01 * values)

    return Tanh, NumericalDiff, "OffByOnePercent"


def one_column() -> tuple[Any, Any, str]:
    Mix = make_mix()

    @NumericalDiff.rule_for(Mix)
    class OneColumn:  # as if Mix were element-wise: a changed column stays one column
        def __init__(self, layer: Any, x: FloatArray, out: FloatArray) -> None:
            self.M, self.out = layer.M, out

        def propagate(self, change: Change) -> Change:
            if isinstance(change, ColumnChange):
                j = change.column
                return change.like(self.out, self.out[:, j] + (change.values - change.unchanged())
                                   * self.M[j, j])  # fmt: skip
            return DenseChange(change.dense().values @ self.M)

    return Mix, NumericalDiff, "OneColumn"


def imaginary_part_dropped() -> tuple[Any, Any, str]:
    Tanh = make_tanh()

    @ComplexStep.rule_for(Tanh)
    def tanh_of_real_part(layer: Any, x: Any, params: Any) -> Any:
        return np.tanh(x.real)

    return Tanh, ComplexStep, "tanh_of_real_part"


def a_scalar() -> tuple[Any, Any, str]:
    Tanh = make_tanh()

    @NumericalDiff.rule_for(Tanh)
    class Summed(ElementwiseRule[Any]):
        def apply(self, values: FloatArray) -> FloatArray:
            return float(np.tanh(values).sum())  # type: ignore[return-value]

    return Tanh, NumericalDiff, "Summed"


WRONG: dict[str, Callable[[], tuple[Any, Any, str]]] = {
    "1% off": one_percent_off,
    "one column": one_column,
    "imaginary part dropped": imaginary_part_dropped,
    "a scalar": a_scalar,
}


def refusal(estimator: Any, rule: str, layer: str, where: str = "layer 1") -> str:
    """The start of the message that refuses ``rule``."""
    if estimator is ComplexStep:
        where = where.replace("layer ", "layers[") + "]"
    return rf"^{rule}, the {estimator.__name__} rule of ({re.escape(where)} )?\(?{layer}\)?(,|:) "


@pytest.mark.parametrize("case", WRONG)
def test_the_public_check_refuses_a_wrong_rule_naming_it_and_the_layer(case: str) -> None:
    cls, estimator, rule = WRONG[case]()
    x = layer_input(around(cls()), batch())
    with pytest.raises(RuleError, match=refusal(estimator, rule, cls.__name__)) as caught:
        estimator.check_rule(cls(), x)
    message = str(caught.value)
    if case == "a scalar":
        assert "returned a ColumnChange whose values have shape ()" in message
        assert "apply(values) must return an array of the shape of values" in message
    else:
        assert f"disagrees with {cls.__name__}.forward" in message
        assert f"{estimator.__name__}.check_rule(layer, x)" in message
        assert f"@{estimator.__name__}.rule_for({cls.__name__}, replace=True)" in message
    if case == "imaginary part dropped":
        assert "Its imaginary part is 0: does it drop it, with .real" in message


@pytest.mark.parametrize("how", ["gradient", "gradient_check"])
@pytest.mark.parametrize("case", WRONG)
def test_a_wrong_rule_is_refused_at_its_first_use(case: str, how: str) -> None:
    cls, estimator, rule = WRONG[case]()
    net, x = around(cls()), batch()
    before = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(RuleError, match=refusal(estimator, rule, cls.__name__)):
        if how == "gradient":
            estimator().gradient(net, x, T)
        elif estimator is NumericalDiff:
            gradient_check(net, x, T)  # Backprop against NumericalDiff: not blamed on backward
        else:
            gradient_check(net, x, T, estimate=ComplexStep())
    for k, v in net.params.items():
        np.testing.assert_array_equal(v, before[k], strict=True)
    with pytest.raises(RuleError):  # refused again: a failed check does not count as one
        estimator().gradient(net, x, T)


def test_a_loss_rule_off_is_refused_by_the_check_and_at_first_use() -> None:
    class Loss(SoftmaxWithLoss):
        pass

    @NumericalDiff.loss_rule_for(Loss)
    class Scaled(SoftmaxWithLossRule):
        def losses(self, change: Change) -> FloatArray:
            return 1.01 * super().losses(change)

    @ComplexStep.loss_rule_for(Loss)
    def scaled_complex(layer: Any, x: Any, t: Any) -> complex:
        return 1.01 * softmax_with_loss_complex(layer, x, t)

    scores = np.random.default_rng(1).standard_normal((5, 3))
    with pytest.raises(RuleError, match=r"^Scaled, the NumericalDiff rule of Loss, disagrees.*"
                                        r"for a change of scores column \d, its losses are"):
        NumericalDiff.check_rule(Loss(), scores, T)
    with pytest.raises(RuleError, match=r"^scaled_complex, the ComplexStep rule of Loss, "
                                        r"disagrees.*at real scores, its loss is"):
        ComplexStep.check_rule(Loss(), scores, T)
    r = np.random.default_rng(2)
    net = Sequential([Affine.random(4, 3, rng=r)], Loss())
    for estimator in (NumericalDiff, ComplexStep):
        with pytest.raises(RuleError, match=r"rule of the loss layer \(Loss\), disagrees"):
            estimator().gradient(net, batch(), T)


# -- a correct rule: passes, once per process ---------------------------------------------
def test_a_correct_rule_passes_and_is_checked_once_per_class_until_replaced() -> None:
    Tanh = make_tanh()

    @NumericalDiff.rule_for(Tanh)
    class TanhRule(ElementwiseRule[Any]):
        def apply(self, values: FloatArray) -> FloatArray:
            return np.tanh(values)

    @ComplexStep.rule_for(Tanh)
    def tanh_complex(layer: Any, x: Any, params: Any) -> Any:
        return np.tanh(x)

    x = batch()

    def passes(estimator: Any, net: Sequential) -> int:
        before = Tanh.passes
        estimator().gradient(net, x, T)
        return int(Tanh.passes - before)

    estimators: list[Any] = [NumericalDiff, ComplexStep]
    for estimator in estimators:
        first = passes(estimator, around(Tanh()))
        later = [passes(estimator, around(Tanh(), seed)) for seed in (3, 4, 5)]
        assert later[0] == later[1] == later[2] < first  # checked at its first use only
        estimator.rule_for(Tanh, replace=True)(estimator.rules[Tanh])  # the same rule again
        assert passes(estimator, around(Tanh())) == first  # checked again
        assert passes(estimator, around(Tanh())) == later[0]
        # and by hand, whenever asked
        assert 0.0 <= estimator.check_rule(Tanh(), layer_input(around(Tanh()), x)) <= 1e-9
    # the gradients are the rule's: the structured path agrees with the loop
    net = around(Tanh())
    fast = NumericalDiff(method="structured").gradient(net, x, T)
    loop = NumericalDiff(method="loop").gradient(net, x, T)
    assert max(float(np.max(np.abs(fast[k] - loop[k]))) for k in fast) <= 1e-9


# -- the check changes nothing observable --------------------------------------------------
@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Count the forward passes of Dropout and BatchNormalization (the check's among them)."""
    counts = {"Dropout": 0, "BatchNormalization": 0}
    for cls in (Dropout, BatchNormalization):
        original = cls.forward

        @functools.wraps(original)
        def forward(self: Any, x: FloatArray, train_flg: bool = True, *, _f: Any = original,
                    _name: str = cls.__name__) -> FloatArray:  # fmt: skip
            counts[_name] += 1
            out: FloatArray = _f(self, x, train_flg)
            return out

        monkeypatch.setattr(cls, "forward", forward)
    yield counts


def stateful_net() -> Sequential:
    r = np.random.default_rng(8)
    return Sequential([Affine.random(4, 6, rng=r, weight_init_std=1.0),
                       BatchNormalization(r.random(6) + 0.5, r.standard_normal(6)),
                       Sigmoid(), Dropout(0.4, rng=9),
                       Affine.random(6, 3, rng=r, weight_init_std=1.0)],
                      SoftmaxWithLoss(delta=0.0))  # fmt: skip


def one_step(estimator: Any) -> dict[str, Any]:
    """Backprop, then ``estimator``, then a backward by hand, all in one training step, as
    gradient_check does: everything the step leaves behind."""
    net, x = stateful_net(), batch(6)
    with net.training():
        first = Backprop().gradient(net, x, T)
        estimate = estimator().gradient(net, x, T)
        dout = net.loss_layer.backward(1.0)  # the caches the step's passes left
        for layer in reversed(net.layers):
            dout = layer.backward(dout)
        again = {name: layer.grads[key].copy() for name, layer, key in net.param_slots}
    bn, dropout = cast(BatchNormalization, net.layers[1]), cast(Dropout, net.layers[3])
    return {
        "first": first, "estimate": estimate, "again": again, "dx": dout,
        "state": net.state_dict(), "mask": dropout.mask, "caches": (bn.xc, bn.xn, bn.std),
        "next": net.loss(x, T), "draw": dropout.rng.random(3),
    }  # fmt: skip


def assert_same(a: Any, b: Any) -> None:
    if isinstance(a, dict):
        assert sorted(a) == sorted(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, tuple):
        for u, v in zip(a, b, strict=True):
            assert_same(u, v)
    else:
        np.testing.assert_array_equal(a, b, strict=True)


@pytest.mark.parametrize("estimator", [NumericalDiff, ComplexStep])
def test_the_check_leaves_dropout_and_batch_normalization_as_they_were(
    estimator: Any, counted: dict[str, int]
) -> None:
    rules = (
        [(Dropout, DropoutRule), (BatchNormalization, BatchNormalizationRule)]
        if estimator is NumericalDiff
        else [(cls, ComplexStep.rules[cls]) for cls in (Dropout, BatchNormalization)]
    )
    for cls, rule in rules:  # registered again: checked again at their next use
        estimator.rule_for(cls, replace=True)(rule)
    checked = one_step(estimator)
    passes = dict(counted)
    unchecked = one_step(estimator)  # the same step, the rules checked already
    extra = {name: passes[name] - (counted[name] - passes[name]) for name in passes}
    assert extra["Dropout"] > 0 and extra["BatchNormalization"] > 0  # the check ran forward
    assert_same(checked, unchecked)  # and left nothing behind, bit for bit


# -- the shape of what a rule returns, at every call -------------------------------------
def test_a_wrong_number_of_perturbations_is_refused_at_any_call() -> None:
    Tanh = make_tanh()

    @NumericalDiff.rule_for(Tanh)
    class FirstTwo:  # right for the check's two perturbations, wrong for more
        def __init__(self, layer: Any, x: FloatArray, out: FloatArray) -> None:
            pass

        def propagate(self, change: Change) -> Change:
            return DenseChange(np.tanh(change.dense().values[:2]))

    net, x = around(Tanh()), batch()
    assert NumericalDiff.check_rule(Tanh(), layer_input(net, x)) <= 1e-12
    with pytest.raises(RuleError, match=r"^FirstTwo, the NumericalDiff rule of layer 1 \(Tanh\): "
                                        r"its propagate returned a DenseChange of shape "
                                        r"\(2, 5, 6\); expected \(\d+, 5, 6\)"):  # fmt: skip
        NumericalDiff().gradient(net, x, T)


def test_a_wrong_activation_shape_and_wrong_losses_are_refused_naming_the_rule() -> None:
    Tanh = make_tanh()

    @NumericalDiff.rule_for(Tanh)
    class Narrow:
        def __init__(self, layer: Any, x: FloatArray, out: FloatArray) -> None:
            pass

        def propagate(self, change: Change) -> Change:
            return DenseChange(np.tanh(change.dense().values)[..., :-1])

    net, x = around(Tanh()), batch()
    with pytest.raises(RuleError, match=r"Narrow, the NumericalDiff rule of layer 1 \(Tanh\): its "
                                        r"propagate returned a DenseChange of shape \(2, 5, 5\); "
                                        r"expected \(2, 5, 6\)"):  # fmt: skip
        NumericalDiff().gradient(net, x, T)

    class Loss(SoftmaxWithLoss):
        pass

    @NumericalDiff.loss_rule_for(Loss)
    class Total(SoftmaxWithLossRule):
        def losses(self, change: Change) -> FloatArray:
            return float(np.sum(super().losses(change)))  # type: ignore[return-value]

    with pytest.raises(RuleError, match=r"Total, the NumericalDiff rule of Loss: its losses "
                                        r"returned float .*; expected a float array of shape"):
        NumericalDiff.check_rule(Loss(), np.ones((5, 3)), T)


def test_a_complex_rule_of_the_wrong_shape_is_refused_at_any_call() -> None:
    Tanh = make_tanh()
    calls = 0

    @ComplexStep.rule_for(Tanh)
    def later_a_scalar(layer: Any, x: Any, params: Any) -> Any:
        nonlocal calls
        calls += 1
        return np.tanh(x) if calls <= 2 else complex(np.tanh(x).sum())  # the check: 2 calls

    with pytest.raises(RuleError, match=r"^later_a_scalar, the ComplexStep rule of layers\[1\] "
                                        r"\(Tanh\): it returned complex .*; expected an array "
                                        r"of shape \(5, 6\)"):  # fmt: skip
        ComplexStep().gradient(around(Tanh()), batch(), T)
    assert calls > 2  # the first-use check passed; a later call was refused


def test_groups_that_leave_an_entry_out_are_refused() -> None:
    class Scale:
        def __init__(self) -> None:
            self.params: Params = {"s": np.linspace(0.5, 1.5, 6)}
            self.grads: Params = {}

        def forward(self, x: FloatArray) -> FloatArray:
            out: FloatArray = x * self.params["s"]
            return out

        def backward(self, dout: FloatArray) -> FloatArray:
            raise NotImplementedError

    @NumericalDiff.rule_for(Scale)
    class SkipsLast:
        def __init__(self, layer: Scale, x: FloatArray, out: FloatArray) -> None:
            self.s, self.x, self.out = layer.params["s"], x, out

        def propagate(self, change: Change) -> Change:
            return DenseChange(change.dense().values * self.s)

        def groups(self, key: str, max_entries: int) -> Iterator[IntArray]:
            for j in range(self.s.size - 1):  # s[5] is forgotten: its gradient would be 0
                yield np.array([j], dtype=np.intp)

        def perturb(self, key: str, entries: IntArray, steps: FloatArray) -> Change:
            j = int(entries[0])
            return ColumnChange(self.out, j, (self.s[j] + steps) * self.x[:, j])

    net, x = around(Scale()), batch()
    assert NumericalDiff.check_rule(Scale(), layer_input(net, x)) <= 1e-12  # what it says is right
    with pytest.raises(RuleError, match=r"SkipsLast, the NumericalDiff rule of layer 1 \(Scale\): "
                                        r"its groups\('s', \d+\) returned groups of 5 entries in "
                                        r"all; s has 6"):  # fmt: skip
        NumericalDiff().gradient(net, x, T)


# -- what the check says of a layer it cannot check, and of a rule that raises -------------
def test_a_layer_that_draws_without_state_is_named() -> None:
    class Noisy:
        def __init__(self) -> None:
            self.params: Params = {}
            self.grads: Params = {}
            self.rng = np.random.default_rng(0)

        def forward(self, x: FloatArray) -> FloatArray:
            out: FloatArray = x * (self.rng.random(x.shape) > 0.5)
            return out

        def backward(self, dout: FloatArray) -> FloatArray:
            raise NotImplementedError

    @NumericalDiff.rule_for(Noisy)
    class NoisyRule(ElementwiseRule[Any]):
        def apply(self, values: FloatArray) -> FloatArray:
            return values

    with pytest.raises(RuleError, match=r"Noisy.forward gives different outputs for the same "
                                        r"input.*needs state_dict\(\) and load_state_dict\(\)"):
        NumericalDiff().gradient(around(Noisy()), batch(), T)


def test_a_rule_that_forgets_a_kind_of_change_is_told_which() -> None:
    Tanh = make_tanh()

    @NumericalDiff.rule_for(Tanh)
    class ColumnsOnly:
        def __init__(self, layer: Any, x: FloatArray, out: FloatArray) -> None:
            self.out = out

        def propagate(self, change: Change) -> Change:
            if not isinstance(change, ColumnChange):
                raise TypeError("only columns")
            return change.like(self.out, np.tanh(change.values))

    with pytest.raises(RuleError, match=r"ColumnsOnly, .*: its propagate raised TypeError "
                                        r"\(only columns\) for a rank-1 change of the input.*"
                                        r"change.dense\(\)"):  # fmt: skip
        NumericalDiff.check_rule(Tanh(), batch())


def test_the_public_check_says_what_it_needs() -> None:
    Tanh = make_tanh()
    with pytest.raises(TypeError, match=r"Tanh has no NumericalDiff rule to check; register one "
                                        r"with @NumericalDiff.rule_for\(Tanh\)"):  # fmt: skip
        NumericalDiff.check_rule(Tanh(), batch())
    with pytest.raises(TypeError, match=r"Tanh has no ComplexStep rule to check"):
        ComplexStep.check_rule(Tanh(), batch())
    with pytest.raises(TypeError, match=r"SoftmaxWithLoss has a NumericalDiff loss rule: check it "
                                        r"with its scores and targets"):  # fmt: skip
        NumericalDiff.check_rule(SoftmaxWithLoss(), np.ones((5, 3)))
    with pytest.raises(TypeError, match=r"Sigmoid has a ComplexStep layer rule, not a loss rule: "
                                        r"check it without targets"):  # fmt: skip
        ComplexStep.check_rule(Sigmoid(), np.ones((5, 3)), T)
    with pytest.raises(TypeError, match=r"Tanh has no NumericalDiff loss rule to check; register "
                                        r"one with @NumericalDiff.loss_rule_for\(Tanh\)"):
        NumericalDiff.check_rule(Tanh(), np.ones((5, 3)), T)
    with pytest.raises(TypeError, match=r"takes a layer \(such as Tanh\(\)\), got the class "
                                        r"Sigmoid"):  # fmt: skip
        NumericalDiff.check_rule(Sigmoid, batch())
    with pytest.raises(ValueError, match=r"x must be a batch .* shape \(N, \.\.\.\)"):
        NumericalDiff.check_rule(Sigmoid(), np.ones(4))
    with pytest.raises(ValueError, match=r"x contains 1 non-finite value\(s\); the first is NaN"):
        ComplexStep.check_rule(Sigmoid(), np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match=r"t holds label 7"):
        NumericalDiff.check_rule(SoftmaxWithLoss(), np.ones((5, 3)), [0, 1, 2, 0, 7])
    affine = Affine(np.eye(3), np.ones(3))
    assert NumericalDiff.check_rule(affine, np.ones((2, 3))) <= RULE_TOLERANCE
