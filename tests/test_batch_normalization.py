"""Batch Normalization (6.3): the book's forward and backward, against hand-derived values."""

from __future__ import annotations

import numpy as np
import pytest

from tinynn.calculus import numerical_gradient
from tinynn.layers.batch_normalization import EPS, BatchNormalization


def closed_form_dx(x: np.ndarray, gamma: np.ndarray, dout: np.ndarray) -> np.ndarray:
    """The gradient of batch normalisation derived by hand (not the book's graph):
    dx = gamma / (N sigma) * (N dout - sum(dout) - xhat * sum(dout * xhat))."""
    n = x.shape[0]
    sigma = np.sqrt(x.var(axis=0) + EPS)
    xhat = (x - x.mean(axis=0)) / sigma
    return gamma / (n * sigma) * (n * dout - dout.sum(axis=0) - xhat * (dout * xhat).sum(axis=0))


def test_training_forward_by_hand() -> None:
    layer = BatchNormalization([2.0, 0.5], [1.0, -1.0], momentum=0.5)
    x = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    mu, var = np.array([3.0, 20.0]), np.array([8.0 / 3.0, 200.0 / 3.0])
    expected = np.array([2.0, 0.5]) * (x - mu) / np.sqrt(var + 1e-6) + np.array([1.0, -1.0])
    assert np.allclose(layer.forward(x), expected, rtol=1e-14, atol=1e-14)
    assert np.allclose(layer.running_mean, 0.5 * mu) and np.allclose(layer.running_var, 0.5 * var)


def test_evaluation_uses_the_running_statistics() -> None:
    layer = BatchNormalization([1.0], [0.5], running_mean=[2.0], running_var=[4.0])
    out = layer.forward(np.array([[6.0], [2.0]]), train_flg=False)
    assert np.allclose(out, [[4.0 / np.sqrt(4.0 + 1e-6) + 0.5], [0.5]])
    assert layer.running_mean[0] == 2.0  # evaluation changes no statistic


@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 3, 3)])
def test_backward_equals_the_hand_derived_gradient(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    d = int(np.prod(shape[1:]))
    gamma, beta = rng.random(d) + 0.5, rng.standard_normal(d)
    layer = BatchNormalization(gamma.copy(), beta.copy())
    x, dout = rng.standard_normal(shape), rng.standard_normal(shape)
    layer.forward(x)
    dx = layer.backward(dout)
    assert dx.shape == shape
    x2, d2 = x.reshape(shape[0], -1), dout.reshape(shape[0], -1)
    assert np.allclose(dx.reshape(shape[0], -1), closed_form_dx(x2, gamma, d2), atol=1e-12)
    xhat = (x2 - x2.mean(axis=0)) / np.sqrt(x2.var(axis=0) + EPS)
    assert np.allclose(layer.grads["gamma"], (d2 * xhat).sum(axis=0), atol=1e-12)
    assert np.allclose(layer.grads["beta"], d2.sum(axis=0), atol=1e-12)


def test_backward_equals_the_numerical_gradient_of_every_parameter() -> None:
    rng = np.random.default_rng(1)
    layer = BatchNormalization(rng.random(4) + 0.5, rng.standard_normal(4), momentum=0.0)
    x, w = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    state = layer.state_dict()

    def loss(_: object) -> float:
        layer.load_state_dict(state)
        return float(np.sum(layer.forward(x) * w))

    layer.forward(x)
    dx = layer.backward(w)
    grads = dict(layer.grads)
    assert np.allclose(numerical_gradient(loss, x), dx, atol=1e-7)
    for key in ("gamma", "beta"):
        assert np.allclose(numerical_gradient(loss, layer.params[key]), grads[key], atol=1e-7)


def test_image_input_is_normalised_per_value_as_the_book() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 2, 3, 3))
    layer = BatchNormalization(np.ones(18), np.zeros(18))
    out = layer.forward(x)
    assert out.shape == x.shape
    flat = out.reshape(8, -1)
    assert np.allclose(flat.mean(axis=0), 0, atol=1e-12)
    assert np.allclose(flat.var(axis=0), 1, atol=1e-5)


def test_state_round_trip_and_checks() -> None:
    layer = BatchNormalization(np.ones(3), np.zeros(3))
    layer.forward(np.random.default_rng(0).random((4, 3)))
    other = BatchNormalization(np.ones(3), np.zeros(3))
    other.load_state_dict(layer.state_dict())
    x = np.ones((2, 3))
    assert np.array_equal(other.forward(x, train_flg=False), layer.forward(x, train_flg=False))
    before = other.state_dict()
    for bad, match in [
        ({"running_mean": np.zeros(2), "running_var": np.ones(3)}, "shape"),
        ({"running_mean": np.zeros(3), "running_var": -np.ones(3)}, ">= 0"),
        ({"running_mean": np.zeros(3), "running_var": np.array([1, np.nan, 1])}, "NaN"),
        ({"running_mean": np.zeros(3)}, "is {'running_mean', 'running_var'}"),
    ]:
        with pytest.raises(ValueError, match=match):
            other.load_state_dict(bad)
        for key, value in other.state_dict().items():
            assert np.array_equal(value, before[key])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"beta must be shape \(2,\)"):
        BatchNormalization(np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match="momentum must be in"):
        BatchNormalization(np.ones(2), np.zeros(2), momentum=1.0)
    with pytest.raises(ValueError, match="gamma must be a non-empty 1-D array"):
        BatchNormalization(np.ones((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="has 2 units, got input of shape"):
        BatchNormalization(np.ones(2), np.zeros(2)).forward(np.ones((4, 3)))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        BatchNormalization(np.ones(2), np.zeros(2)).backward(np.ones((1, 2)))


@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 2, 2)])
def test_backward_after_an_evaluation_forward_is_the_running_statistics_affine_map(
    shape: tuple[int, ...],
) -> None:
    """An evaluation forward is y = gamma (x - running_mean) / sqrt(running_var + eps) + beta;
    its backward is that map's derivative (checked numerically), not the last training
    batch's chain."""
    rng = np.random.default_rng(3)
    d = int(np.prod(shape[1:]))
    layer = BatchNormalization(rng.random(d) + 0.5, rng.standard_normal(d), momentum=0.5)
    layer.forward(rng.standard_normal((7, *shape[1:])) * 3 + 1)  # running statistics, a batch
    x, dout = rng.standard_normal(shape), rng.standard_normal(shape)
    state = layer.state_dict()

    def loss(_: object) -> float:
        return float(np.sum(layer.forward(x, train_flg=False) * dout))

    layer.forward(x, train_flg=False)
    dx = layer.backward(dout)
    grads = dict(layer.grads)
    np.testing.assert_allclose(dx, numerical_gradient(loss, x), atol=1e-7)
    for key in ("gamma", "beta"):
        np.testing.assert_allclose(grads[key], numerical_gradient(loss, layer.params[key]),
                                   atol=1e-7)  # fmt: skip
    scale = layer.params["gamma"] / np.sqrt(layer.running_var + EPS)
    np.testing.assert_allclose(dx.reshape(shape[0], -1), scale * dout.reshape(shape[0], -1))
    assert all(np.array_equal(v, state[k]) for k, v in layer.state_dict().items())


def test_a_training_forward_on_one_sample_is_refused_saying_why() -> None:
    """With one sample x - mean is 0: the output is beta whatever x, and every gradient
    before the layer exactly 0. Refused, naming what to do; evaluation takes one sample."""
    layer = BatchNormalization(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"batch of 1 sample.*x - mean.*batch_size >= 2"):
        layer.forward(np.ones((1, 3)))
    assert not layer.running_mean.any() and not layer.running_var.any()  # nothing moved
    assert layer.forward(np.ones((1, 3)), train_flg=False).shape == (1, 3)


def test_a_trainer_with_batch_size_1_on_batch_normalization_stops_before_any_update() -> None:
    """Trainer(batch_size=1) used to train with dL/dW1 exactly 0 (W1 never moved)."""
    from tinynn import SGD, MultiLayerNetExtend, Trainer

    net = MultiLayerNetExtend(4, [5], 3, use_batchnorm=True, rng=0)
    before = {k: v.copy() for k, v in net.params.items()}
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((20, 4)), rng.integers(0, 3, 20)
    trainer = Trainer(net, SGD(lr=0.1), batch_size=1, rng=0)
    with pytest.raises(ValueError, match=r"BatchNormalization.*batch_size >= 2"):
        trainer.fit(x, t, iters=5)
    assert all(np.array_equal(v, before[k]) for k, v in net.params.items())
    assert trainer.iterations_done == 0
