"""Each layer's backward against the numerical gradient of its forward."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tinynn import Affine, Relu, Sigmoid, SoftmaxWithLoss, numerical_gradient
from tinynn.losses import as_targets


def _num_input_grad(
    layer_fwd: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray
) -> np.ndarray:
    """d(sum(forward(x) * dout))/dx, numerically."""
    return numerical_gradient(lambda a: float(np.sum(layer_fwd(a) * dout)), x)


@pytest.mark.parametrize("layer_type", [Sigmoid, Relu])
def test_activation_backward_matches_numerical(layer_type: type, rng: np.random.Generator) -> None:
    layer = layer_type()
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep ReLU away from its kink
    dout = rng.standard_normal((3, 4))
    layer.forward(x)
    analytic = layer.backward(dout)
    numeric = _num_input_grad(lambda a: layer_type().forward(a), x, dout)
    np.testing.assert_allclose(analytic, numeric, atol=1e-8)
    assert layer.params == {} and layer.grads == {}


def test_affine_backward_matches_numerical(rng: np.random.Generator) -> None:
    layer = Affine.random(4, 3, rng=rng, weight_init_std=1.0)
    layer.params["b"][:] = rng.standard_normal(3)
    x = rng.standard_normal((5, 4))
    dout = rng.standard_normal((5, 3))
    layer.forward(x)
    dx = layer.backward(dout)

    def total(_: np.ndarray) -> float:
        return float(np.sum(layer.forward(x) * dout))

    for key in ("W", "b"):
        np.testing.assert_allclose(
            layer.grads[key], numerical_gradient(total, layer.params[key]), atol=1e-8
        )
    np.testing.assert_allclose(
        dx, _num_input_grad(lambda a: a @ layer.W + layer.params["b"], x, dout), atol=1e-8
    )


def test_affine_flattens_images_and_restores_the_shape(rng: np.random.Generator) -> None:
    layer = Affine.random(2 * 3 * 3, 4, rng=rng)
    x = rng.standard_normal((5, 2, 3, 3))
    assert layer.forward(x).shape == (5, 4)
    assert layer.backward(np.ones((5, 4))).shape == (5, 2, 3, 3)


def test_affine_without_bias_has_only_w() -> None:
    layer = Affine(np.eye(2))
    assert list(layer.params) == ["W"]
    layer.forward(np.ones((1, 2)))
    layer.backward(np.ones((1, 2)))
    assert list(layer.grads) == ["W"]


def test_affine_shares_its_arrays() -> None:
    W = np.eye(2)
    layer = Affine(W, np.zeros(2))
    assert layer.params["W"] is W


@pytest.mark.parametrize(
    ("W", "b", "match"),
    [
        (np.ones(3), None, "W must be 2-D"),
        (np.ones((2, 3)), np.ones(2), r"b must have shape \(3,\)"),
        (np.array([[np.nan]]), None, "W contains 1 non-finite"),
        (np.array([["a"]]), None, "real numbers"),
    ],
)
def test_affine_rejects_bad_weights(W: np.ndarray, b: np.ndarray | None, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        Affine(W, b)


@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_with_loss_backward_matches_numerical(
    one_hot: bool, rng: np.random.Generator
) -> None:
    x = rng.standard_normal((4, 3))
    labels = np.array([0, 2, 1, 2])
    t = as_targets(np.eye(3)[labels] if one_hot else labels, 4, 3)
    layer = SoftmaxWithLoss(delta=0.0)
    layer.forward(x, t)
    analytic = layer.backward()
    numeric = numerical_gradient(lambda a: SoftmaxWithLoss(delta=0.0).forward(a, t), x)
    np.testing.assert_allclose(analytic, numeric, atol=1e-9)
    layer.forward(x, t)
    np.testing.assert_allclose(layer.backward(2.0), 2 * analytic)


def test_backward_before_forward_is_an_error() -> None:
    for layer in (Affine(np.eye(2)), Sigmoid(), Relu()):
        with pytest.raises(RuntimeError, match="before forward"):
            layer.backward(np.ones((1, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        SoftmaxWithLoss().backward()
