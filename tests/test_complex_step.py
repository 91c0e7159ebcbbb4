"""ComplexStep (the gradient of a model by the complex step) and its per-layer rules."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from tinynn import (
    Affine,
    Backprop,
    ComplexStep,
    NumericalDiff,
    Relu,
    Sequential,
    Sigmoid,
    SimpleNet,
    SoftmaxWithLoss,
    TwoLayerNet,
)
from tinynn.estimators.complex_step import (
    affine_complex,
    bind_complex_loss,
    sigmoid_complex,
    softmax_with_loss_complex,
)
from tinynn.typing import ComplexArray, FloatArray, Params

BOOK_DW = [[0.21924763, 0.14356247, -0.36281009], [0.32887144, 0.2153437, -0.54421514]]


def relative_error(a: Params, b: Params) -> float:
    """Largest |a - b| of any entry, relative to the largest |b| of that parameter."""
    return max(float(np.max(np.abs(a[k] - b[k])) / np.max(np.abs(b[k]))) for k in b)


def test_two_layer_net_agrees_with_backprop_to_machine_precision() -> None:
    rng = np.random.default_rng(0)
    net = TwoLayerNet(6, 5, 4, weight_init_std=0.5, rng=1)
    net.loss_layer = SoftmaxWithLoss(delta=0.0)  # the loss that backprop differentiates
    x, t = rng.standard_normal((7, 6)), rng.integers(0, 4, 7)
    complex_step = ComplexStep().gradient(net, x, t)
    exact = Backprop().gradient(net, x, t)
    assert relative_error(complex_step, exact) < 1e-14
    # the central difference is five orders of magnitude further off
    assert relative_error(NumericalDiff().gradient(net, x, t), exact) > 1e-11


@given(
    widths=st.lists(st.integers(1, 5), min_size=2, max_size=5),
    batch=st.integers(1, 4),
    std=st.sampled_from([0.1, 1.0, 3.0]),
    one_hot=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_affine_sigmoid_stacks_agree_with_backprop(
    widths: list[int], batch: int, std: float, one_hot: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    layers: list[Any] = []
    for n_in, n_out in itertools.pairwise(widths):
        layers += [Affine.random(n_in, n_out, rng=rng, weight_init_std=std), Sigmoid()]
    net = Sequential(layers[:-1], SoftmaxWithLoss(delta=0.0))
    x = rng.standard_normal((batch, widths[0]))
    labels = rng.integers(0, widths[-1], batch)
    t = np.eye(widths[-1])[labels] if one_hot else labels
    complex_step = ComplexStep().gradient(net, x, t)
    exact = Backprop().gradient(net, x, t)
    for name, g in exact.items():
        # 1e-13 relative, and 1e-14 absolute for the case of a tiny loss (a confident right
        # answer), where both computations lose digits to 1 - y (measured: about 5e-16)
        tolerance = 1e-13 * float(np.max(np.abs(g))) + 1e-14
        assert np.max(np.abs(complex_step[name] - g)) <= tolerance, name


def test_the_books_simplenet_gradient() -> None:
    net = SimpleNet([[0.47355232, 0.9977393, 0.84668094],
                     [0.85557411, 0.03563661, 0.69422093]], delta=0.0)  # fmt: skip
    grads = ComplexStep().gradient(net, np.array([0.6, 0.9]), np.array([0, 0, 1]))
    np.testing.assert_allclose(grads["W"], BOOK_DW, rtol=0, atol=1e-8)


def test_with_delta_it_differentiates_the_loss_as_computed() -> None:
    rng = np.random.default_rng(2)
    net = TwoLayerNet(4, 3, 3, weight_init_std=1.0, rng=3)  # default delta = 1e-7
    x, t = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
    complex_step = ComplexStep().gradient(net, x, t)
    assert relative_error(complex_step, NumericalDiff().gradient(net, x, t)) < 1e-8
    assert relative_error(complex_step, Backprop().gradient(net, x, t)) > 1e-9  # delta shows


def test_image_shaped_input_and_soft_targets() -> None:
    rng = np.random.default_rng(4)
    net = Sequential([Affine.random(4, 3, rng=rng, weight_init_std=1.0)], SoftmaxWithLoss(0.0))
    x = rng.standard_normal((2, 1, 2, 2))
    soft = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    assert relative_error(ComplexStep().gradient(net, x, soft), net.gradient(x, soft)) < 1e-14


def test_complex_loss_has_the_real_loss_as_its_real_part() -> None:
    rng = np.random.default_rng(5)
    net = TwoLayerNet(5, 4, 3, weight_init_std=2.0, rng=6)
    x = rng.standard_normal((6, 5))
    for t in (rng.integers(0, 3, 6), np.eye(3)[rng.integers(0, 3, 6)], np.full((6, 3), 1 / 3)):
        loss = bind_complex_loss(net, x, t)
        value = loss({k: v.astype(np.complex128) for k, v in net.params.items()})
        assert value.imag == 0.0
        assert value.real == pytest.approx(net.loss(x, t), rel=1e-14)


def test_sigmoid_complex_input_is_stable_and_exact() -> None:
    x = np.linspace(-40.0, 40.0, 161)
    h = 1e-20
    y = sigmoid_complex(Sigmoid(), x + 1j * h, {})
    s = Sigmoid().forward(x)
    np.testing.assert_allclose(y.real, s, rtol=1e-15, atol=0)
    e = np.exp(-np.abs(x))
    exact = e / (1 + e) ** 2  # sigma'(x), computed without cancellation
    np.testing.assert_allclose(y.imag / h, exact, rtol=1e-14, atol=0)
    # backprop's (1 - y) y loses it where y rounds to 1; the complex step does not
    assert (1 - s[-1]) * s[-1] == 0.0 and y.imag[-1] / h == pytest.approx(np.exp(-40.0))
    far = sigmoid_complex(Sigmoid(), np.array([-800.0 + 1e-20j, 800.0 + 1e-20j]), {})
    assert np.all(np.isfinite(far)) and far.real.tolist() == [0.0, 1.0]


def test_softmax_shift_keeps_huge_scores_finite() -> None:
    scores = np.array([[1000.0, 0.0, -1000.0]]) + 1j * 1e-20 * np.array([[1.0, 0.0, 0.0]])
    value = softmax_with_loss_complex(SoftmaxWithLoss(delta=0.0), scores, np.array([0]))
    # d/da0 of -log softmax_0 = softmax_0 - 1 = -e^-1000 (0 in float64)
    assert value == 0.0


# -- the clear error, before anything is computed ------------------------------------


class CountingAffine(Affine):
    """An Affine layer that counts its forward passes, real and complex."""

    calls = 0

    def forward(self, x: FloatArray) -> FloatArray:
        CountingAffine.calls += 1
        return super().forward(x)


@ComplexStep.rule_for(CountingAffine)
def counting_affine_complex(
    layer: CountingAffine, x: ComplexArray, params: Mapping[str, ComplexArray]
) -> ComplexArray:
    CountingAffine.calls += 1
    return affine_complex(layer, x, params)


class Tanh:
    """A user layer without a complex-step rule."""

    def __init__(self) -> None:
        self.params: Params = {}
        self.grads: Params = {}

    def forward(self, x: FloatArray) -> FloatArray:
        return np.tanh(x)

    def backward(self, dout: FloatArray) -> FloatArray:
        return dout


@pytest.mark.parametrize(("layer", "name"), [(Relu(), "Relu"), (Tanh(), "Tanh")])
def test_a_layer_without_a_rule_is_a_clear_error_before_any_work(layer: Any, name: str) -> None:
    CountingAffine.calls = 0
    net = Sequential([CountingAffine(np.ones((2, 2))), layer, Affine(np.ones((2, 2)))])
    assert type(layer) not in ComplexStep.rules and CountingAffine in ComplexStep.rules
    with pytest.raises(
        TypeError, match=rf"layers\[1\] \({name}\) has no ComplexStep rule.*Backprop.*"
        rf"@ComplexStep.rule_for\({name}\)"
    ):
        ComplexStep().gradient(net, np.ones((1, 2)), np.array([0]))
    assert CountingAffine.calls == 0


def test_a_subclass_does_not_inherit_its_parents_rule() -> None:
    class Scaled(Affine):  # forward computes something else: Affine's rule would be wrong
        def forward(self, x: FloatArray) -> FloatArray:
            return 2.0 * super().forward(x)

    net = Sequential([Scaled(np.ones((2, 2)))], SoftmaxWithLoss(delta=0.0))
    with pytest.raises(TypeError, match=r"layers\[0\] \(Scaled\) has no ComplexStep rule"):
        ComplexStep().gradient(net, np.ones((1, 2)), np.array([0]))


def test_a_loss_layer_without_a_rule_is_a_clear_error() -> None:
    class Plain(SoftmaxWithLoss):  # a subclass: no rule
        pass

    net = Sequential([Affine(np.ones((2, 2)))], Plain())
    assert Plain not in ComplexStep.loss_rules
    with pytest.raises(TypeError, match=r"loss layer \(Plain\) has no ComplexStep loss rule"):
        ComplexStep().gradient(net, np.ones((1, 2)), np.array([0]))


def test_a_model_that_is_not_a_stack_is_a_clear_error() -> None:
    class Plain:
        def __init__(self) -> None:
            self.params: Params = {"w": np.zeros(2)}

        def predict(self, x: Any) -> FloatArray:
            return np.zeros(2)

        def loss(self, x: Any, t: Any) -> float:
            return 0.0

        def accuracy(self, x: Any, t: Any) -> float:
            return 0.0

    with pytest.raises(TypeError, match=r"Plain has none.*Backprop or NumericalDiff"):
        ComplexStep().gradient(Plain(), np.ones(2), np.array([0]))


# -- nothing changes ------------------------------------------------------------------


def snapshot(net: Sequential) -> dict[str, NDArray[np.float64]]:
    return {k: v.copy() for k, v in net.params.items()}


def test_params_are_unchanged_bit_for_bit() -> None:
    rng = np.random.default_rng(7)
    net = TwoLayerNet(4, 3, 2, weight_init_std=1.0, rng=8)
    arrays = dict(net.params)
    before = snapshot(net)
    x, t = rng.standard_normal((3, 4)), rng.integers(0, 2, 3)
    backprop_before = Backprop().gradient(net, x, t)
    ComplexStep().gradient(net, x, t)
    for k, v in net.params.items():
        assert v is arrays[k] and v.dtype == np.float64
        np.testing.assert_array_equal(v, before[k], strict=True)
    for k, g in Backprop().gradient(net, x, t).items():
        np.testing.assert_array_equal(g, backprop_before[k])


def test_params_are_unchanged_when_the_loss_raises() -> None:
    class Failing(SoftmaxWithLoss):
        calls = 0

    @ComplexStep.loss_rule_for(Failing)
    def failing_complex(layer: Failing, x: ComplexArray, t: NDArray[Any]) -> complex:
        Failing.calls += 1
        if Failing.calls == 5:
            raise FloatingPointError("boom")
        return softmax_with_loss_complex(layer, x, t)

    rng = np.random.default_rng(9)
    net = Sequential([Affine.random(3, 4, rng=rng, weight_init_std=1.0), Sigmoid(),
                      Affine.random(4, 2, rng=rng, weight_init_std=1.0)], Failing())  # fmt: skip
    before = snapshot(net)
    with pytest.raises(FloatingPointError, match="boom"):
        ComplexStep().gradient(net, rng.standard_normal((2, 3)), np.array([0, 1]))
    for k, v in net.params.items():
        np.testing.assert_array_equal(v, before[k], strict=True)


@pytest.mark.parametrize("h", [0.0, -1e-20, float("nan"), float("inf")])
def test_bad_step_is_a_value_error(h: float) -> None:
    with pytest.raises(ValueError, match="h must be"):
        ComplexStep(h=h)


def test_step_of_the_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="h must be"):
        ComplexStep(h="1e-20")  # type: ignore[arg-type]


def test_bound_loss_checks_inputs_once() -> None:
    net = TwoLayerNet(3, 2, 2, rng=0)
    with pytest.raises(ValueError, match="features per sample"):
        bind_complex_loss(net, np.ones((2, 4)), np.array([0, 1]))
    loss: Callable[[Mapping[str, ComplexArray]], complex] = bind_complex_loss(
        net, np.ones((2, 3)), np.array([0, 1])
    )
    assert isinstance(loss({k: v.astype(complex) for k, v in net.params.items()}), complex)


def test_example_reports_agreement_with_backprop(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_examples import FLOAT, load

    assert load("complex_step_check").main(["--models", "5"]) == 0
    text = capsys.readouterr().out
    pattern = (
        rf"^(TwoLayerNet|5 random).*?(complex step|central difference): max abs diff ({FLOAT})"
    )
    found = {
        (m.group(1), m.group(2)): float(m.group(3))
        for m in re.finditer(pattern, text, re.MULTILINE)
    }
    assert len(found) == 4
    for model in ("TwoLayerNet", "5 random"):
        assert found[(model, "complex step")] < 1e-14
        assert found[(model, "central difference")] > 100 * found[(model, "complex step")]
