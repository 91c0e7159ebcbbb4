"""The book's Chapter 6 networks: arguments, layers, names and initial weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinynn as nn


def test_the_book_s_layers_and_names() -> None:
    net = nn.MultiLayerNet(784, [100, 100, 100, 100], 10, rng=0)
    assert [type(layer).__name__ for layer in net.layers] == ["Affine", "Relu"] * 4 + ["Affine"]
    assert list(net.params) == [f"{k}{i}" for i in range(1, 6) for k in ("W", "b")]
    full = nn.MultiLayerNetExtend(10, [6, 5], 3, activation="sigmoid", use_dropout=True,
                                  use_batchnorm=True, rng=0)  # fmt: skip
    assert [type(layer).__name__ for layer in full.layers] == [
        "Affine", "BatchNormalization", "Sigmoid", "Dropout",
        "Affine", "BatchNormalization", "Sigmoid", "Dropout", "Affine",
    ]  # fmt: skip
    assert list(full.params) == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2",
                                 "W3", "b3"]  # fmt: skip
    assert np.all(full.params["gamma1"] == 1) and np.all(full.params["beta2"] == 0)
    assert isinstance(full, nn.MultiLayerNet)


@pytest.mark.parametrize(
    ("std", "scale"),
    [(0.01, lambda n: 0.01), ("relu", lambda n: math.sqrt(2 / n)),
     ("He", lambda n: math.sqrt(2 / n)), ("sigmoid", lambda n: math.sqrt(1 / n)),
     ("xavier", lambda n: math.sqrt(1 / n))],
)  # fmt: skip
def test_weights_are_drawn_in_the_book_s_order_and_scale(std: object, scale: object) -> None:
    net = nn.MultiLayerNet(30, [20, 10], 5, weight_init_std=std, rng=7)  # type: ignore[arg-type]
    gen = np.random.default_rng(7)
    for i, (n_in, n_out) in enumerate([(30, 20), (20, 10), (10, 5)], start=1):
        expected = scale(n_in) * gen.standard_normal((n_in, n_out))  # type: ignore[operator]
        np.testing.assert_array_equal(net.params[f"W{i}"], expected)
        assert not net.params[f"b{i}"].any()


def test_the_book_s_spelling_dropout_ration() -> None:
    net = nn.MultiLayerNetExtend(4, [3], 2, use_dropout=True, dropout_ration=0.2, rng=0)
    assert net.layers[2].dropout_ratio == 0.2 and net.dropout_ratio == 0.2
    with pytest.raises(TypeError, match="not both"):
        nn.MultiLayerNetExtend(4, [3], 2, dropout_ratio=0.3, dropout_ration=0.2)
    with pytest.raises(TypeError, match=r"unexpected arguments \['dropout'\]"):
        nn.MultiLayerNetExtend(4, [3], 2, dropout=0.3)


def test_each_dropout_layer_has_its_own_generator_from_the_seed() -> None:
    a = nn.MultiLayerNetExtend(4, [3, 3], 2, use_dropout=True, rng=3)
    b = nn.MultiLayerNetExtend(4, [3, 3], 2, use_dropout=True, rng=3)
    masks = [layer for layer in a.layers if isinstance(layer, nn.Dropout)]
    assert len(masks) == 2 and masks[0].rng is not masks[1].rng
    x, t = np.random.default_rng(0).random((5, 4)), np.array([0, 1, 0, 1, 1])
    with a.training(), b.training():
        assert a.loss(x, t) == b.loss(x, t)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"hidden_size_list": 100}, TypeError, "hidden_size_list must be a list of ints"),
        ({"hidden_size_list": [100, 0]}, ValueError, r"hidden_size_list\[1\] must be an int >= 1"),
        ({"activation": "tanh"}, ValueError, "activation must be 'relu' or 'sigmoid'"),
        ({"weight_init_std": "glorot"}, ValueError, "one of 'relu', 'he'"),
        ({"weight_decay_lambda": float("nan")}, ValueError, "weight_decay_lambda"),
        ({"use_dropout": 1}, TypeError, "use_dropout must be a bool"),
        ({"use_dropout": True, "dropout_ratio": 1.0}, ValueError, "dropout_ratio must be a number"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    args: dict[str, object] = {"input_size": 4, "hidden_size_list": [3], "output_size": 2}
    with pytest.raises(error, match=match):
        nn.MultiLayerNetExtend(**{**args, **kwargs})  # type: ignore[arg-type]


def test_learns_a_toy_task_with_every_technique() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((200, 6))
    t = (x[:, 0] + x[:, 1] > 1).astype(int)
    net = nn.MultiLayerNetExtend(6, [16, 16], 2, use_dropout=True, dropout_ratio=0.1,
                                 use_batchnorm=True, weight_decay_lambda=1e-4, rng=1)  # fmt: skip
    nn.Trainer(net, nn.Adam(lr=0.01), batch_size=20, rng=2).fit(x, t, iters=300)
    assert net.accuracy(x, t) > 0.9
