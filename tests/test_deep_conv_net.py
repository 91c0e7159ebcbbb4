"""The book's Chapter 8 DeepConvNet: its layers, names, He initialisation, and every part of
tinynn it works with (training, checkpoints and resume, saving, the gradient check)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinynn as nn

SMALL = {"filter_num": 2, "filter_size": 3, "pad": 1, "stride": 1}


def small_net(**kwargs: Any) -> nn.DeepConvNet:
    """A DeepConvNet of the book's shape on 1x12x12 images, two filters per convolution:
    12 -> 12 -> pool 6 -> 6 -> 8 (pad 2) -> pool 4 -> 4 -> 4 -> pool 2."""
    params = {f"conv_param_{i}": dict(SMALL) for i in range(1, 7)}
    params["conv_param_4"] = {**SMALL, "pad": 2}
    return nn.DeepConvNet((1, 12, 12), **params, hidden_size=6, **kwargs)  # type: ignore[arg-type]


def test_the_books_layers_in_the_books_order_with_the_books_names() -> None:
    net = nn.DeepConvNet(rng=0)
    kinds = [type(layer).__name__ for layer in net.layers]
    conv_relu = ["Convolution", "Relu"]
    block = conv_relu + conv_relu + ["Pooling"]
    assert kinds == block * 3 + ["Affine", "Relu", "Dropout", "Affine", "Dropout"]
    assert list(net.params) == [f"{k}{i}" for i in range(1, 9) for k in ("W", "b")]
    shapes = {k: v.shape for k, v in net.params.items() if k.startswith("W")}
    assert shapes == {"W1": (16, 1, 3, 3), "W2": (16, 16, 3, 3), "W3": (32, 16, 3, 3),
                      "W4": (32, 32, 3, 3), "W5": (64, 32, 3, 3), "W6": (64, 64, 3, 3),
                      "W7": (1024, 50), "W8": (50, 10)}  # fmt: skip
    assert [layer.pad for layer in net.layers if isinstance(layer, nn.Convolution)] == [
        1, 1, 1, 2, 1, 1]  # fmt: skip
    assert [d.dropout_ratio for d in net.layers if isinstance(d, nn.Dropout)] == [0.5, 0.5]
    assert all(not np.any(v) for k, v in net.params.items() if k.startswith("b"))


def test_he_initialisation_as_the_book_computes_it() -> None:
    net = nn.DeepConvNet(rng=7)
    # ch08/deep_convnet.py: pre_node_nums and wight_init_scales, drawn W1 ... W8 in order
    pre_node_nums = np.array([1 * 3 * 3, 16 * 3 * 3, 16 * 3 * 3, 32 * 3 * 3, 32 * 3 * 3,
                              64 * 3 * 3, 64 * 4 * 4, 50])  # fmt: skip
    scales = np.sqrt(2.0 / pre_node_nums)
    gen = np.random.default_rng(7)
    for i, scale in enumerate(scales, 1):
        w = net.params[f"W{i}"]
        np.testing.assert_array_equal(w, scale * gen.standard_normal(w.shape))


def test_predict_and_accuracy_evaluate_in_batches_of_100() -> None:
    net = small_net(rng=0)
    x = np.random.default_rng(1).random((130, 1, 12, 12))
    whole = nn.Sequential.predict(net, x)
    np.testing.assert_allclose(net.predict(x), whole, rtol=1e-12, atol=1e-15)
    t = np.argmax(whole, axis=1)
    assert net.accuracy(x, t) == 1.0
    assert net.predict(x[0]).shape == (10,)


def test_backprop_agrees_with_the_numerical_gradient_on_a_small_input() -> None:
    net = small_net(rng=3)
    net.loss_layer = nn.SoftmaxWithLoss(delta=0.0)  # the loss backprop differentiates
    rng = np.random.default_rng(4)
    for name, p in net.params.items():  # zero biases put conv_param_4's padded border (pad 2:
        if name.startswith("b"):  # its outputs there are the bias alone) on ReLU's kink
            p[...] = rng.normal(0.0, 0.1, p.shape)
    x = rng.random((3, 1, 12, 12))
    t = np.array([1, 4, 7])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.PerformanceWarning)  # no conv rules: the loop
        diff = nn.gradient_check(net, x, t)
    assert set(diff) == set(net.params)
    assert all(d.max_rel < 1e-6 for d in diff.values()), {k: d.max_rel for k, d in diff.items()}


def test_it_trains_checkpoints_and_resumes_bit_for_bit(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    x = rng.random((40, 1, 12, 12))
    t = (x[:, 0, :6].mean(axis=(1, 2)) > x[:, 0, 6:].mean(axis=(1, 2))).astype(int)

    def trainer() -> nn.Trainer:
        ckpt = nn.Checkpoint(tmp_path / "run.npz", every_iters=3)
        return nn.Trainer(small_net(rng=1), nn.Adam(lr=0.01), batch_size=8, callbacks=[ckpt],
                          rng=2)  # fmt: skip

    whole = trainer()
    whole.fit(x, t, iters=6)
    first = trainer()
    first.fit(x, t, iters=3)
    second = trainer()
    second.fit(x, t, iters=6, resume=tmp_path / "run.npz")
    for name, p in whole.model.params.items():
        np.testing.assert_array_equal(second.model.params[name], p, strict=True)
    saved = nn.save_model(whole.model, tmp_path / "model.npz")
    loaded = nn.load_model(saved)
    assert type(loaded) is nn.DeepConvNet
    np.testing.assert_array_equal(loaded.predict(x), whole.model.predict(x))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"conv_param_3": {"filter_num": 8}}, ValueError, r"conv_param_3 must have exactly"),
        ({"conv_param_2": {**SMALL, "filter_size": 4}}, ValueError,
         r"output height is 27.*2x2 pooling.*conv_param_2"),
        ({"input_dim": (1, 28)}, ValueError, r"input_dim must be 3 sizes"),
        ({"hidden_size": 0}, ValueError, r"hidden_size must be an int >= 1"),
        ({"dropout_ratio": 1.5}, ValueError, r"dropout_ratio"),
    ],
)  # fmt: skip
def test_bad_arguments_are_named(kwargs: dict[str, Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        nn.DeepConvNet(**kwargs)  # type: ignore[arg-type]


# -- against the book's own code (tests/book_reference.py: ch08/deep_convnet.py) ----------
def _same_masks(net: nn.DeepConvNet) -> tuple[Any, Any]:
    """For the book's two Dropout layers: uniform numbers from copies of tinynn's Dropout
    layers' generators, so that both networks draw the same masks."""
    drops = [layer for layer in net.layers if isinstance(layer, nn.Dropout)]
    copies = [np.random.Generator(type(d.rng.bit_generator)()) for d in drops]
    for copy, drop in zip(copies, drops, strict=True):
        copy.bit_generator.state = drop.rng.bit_generator.state
    return tuple((lambda *shape, g=g: g.random(shape)) for g in copies)  # type: ignore[misc]


def test_the_same_loss_and_gradients_as_the_books_deep_convnet() -> None:
    from tests.book_reference import BookDeepConvNet

    rng = np.random.default_rng(3)
    x = rng.random((6, 1, 28, 28))  # a small batch of 28x28 images in [0, 1)
    x[x < 0.6] = 0.0  # mostly background, as MNIST's digits
    t = np.eye(10)[rng.integers(0, 10, 6)]
    net = nn.DeepConvNet(rng=5)
    scales = BookDeepConvNet.weight_init_scales()
    for i, scale in enumerate(scales, 1):  # He's scale of each layer, as the book computes it
        assert np.std(nn.DeepConvNet(rng=i).params[f"W{i}"]) == pytest.approx(scale, rel=0.2)
    book = BookDeepConvNet({k: v.copy() for k, v in net.params.items()}, rands=_same_masks(net))
    grads = nn.Backprop().gradient(net, x, t)  # in training mode: the Dropout layers drop
    book_grads = book.gradient(x, t)
    masks = [layer.mask for layer in net.layers if isinstance(layer, nn.Dropout)]
    book_masks = [layer.mask for layer in book.layers if type(layer).__name__ == "BookDropout"]
    for mine, theirs in zip(masks, book_masks, strict=True):
        assert mine is not None and not mine.all()  # ratio 0.5: some units dropped
        np.testing.assert_array_equal(mine, theirs)
    assert sorted(grads) == sorted(book_grads) == sorted(net.params)
    for key in net.params:
        np.testing.assert_allclose(grads[key], book_grads[key], rtol=1e-12, atol=1e-12,
                                   err_msg=key)  # fmt: skip
    with net.training():  # the same masks again (the generators were copied before)
        again = _same_masks(net)
        loss = net.loss(x, t)
    book = BookDeepConvNet({k: v.copy() for k, v in net.params.items()}, rands=again)
    assert loss == pytest.approx(book.loss(x, t), rel=1e-12, abs=0)
    scores = book.predict(x, train_flg=False)  # the book's scores; tinynn's predict: softmax
    np.testing.assert_allclose(net.predict(x), nn.softmax(scores), rtol=1e-12, atol=1e-12)
    labels = np.argmax(t, axis=1)
    assert net.accuracy(x, labels) == book.accuracy(x, t, batch_size=6)
