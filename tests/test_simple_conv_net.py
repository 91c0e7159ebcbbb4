"""SimpleConvNet: the book's layers, names, shapes and initialisation order; its gradient passes
the gradient check; it trains with the Trainer and every optimizer, saves, loads and resumes; bad
arguments and inputs give clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest

from tests.book_reference import BookSimpleConvNet
from tinynn import (
    SGD,
    AdaGrad,
    Adam,
    Affine,
    Backprop,
    Checkpoint,
    Convolution,
    EpochAccuracy,
    Momentum,
    Nesterov,
    NumericalDiff,
    Pooling,
    Relu,
    RMSprop,
    Sequential,
    SimpleConvNet,
    SoftmaxWithLoss,
    Trainer,
    gradient_check,
    load_model,
    save_model,
)

SMALL: dict[str, Any] = {
    "input_dim": (1, 8, 8),
    "conv_param": {"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 1},
    "hidden_size": 5,
    "output_size": 3,
}


def small(**kw: Any) -> SimpleConvNet:
    return SimpleConvNet(**{**SMALL, **kw})


def toy_data(n: int, seed: int) -> tuple[Any, Any]:
    """8x8 images whose class is where the bright square is: left, right or nowhere."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1, 8, 8)) * 0.3
    t = rng.integers(0, 3, n)
    x[t == 0, 0, 2:6, 0:3] += 0.7
    x[t == 1, 0, 2:6, 5:8] += 0.7
    return x, t


def test_the_books_layers_names_and_shapes() -> None:
    net = SimpleConvNet(rng=0)
    assert [type(layer) for layer in net.layers] == [Convolution, Relu, Pooling, Affine, Relu,
                                                     Affine]  # fmt: skip
    assert isinstance(net.loss_layer, SoftmaxWithLoss)
    pool = net.layers[2]
    assert isinstance(pool, Pooling)
    assert (pool.pool_h, pool.pool_w, pool.stride, pool.pad) == (2, 2, 2, 0)
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {"W1": (30, 1, 5, 5), "b1": (30,), "W2": (4320, 100), "b2": (100,),
                      "W3": (100, 10), "b3": (10,)}  # fmt: skip
    assert net.params["W1"] is net.layers[0].params["W"]
    assert net.input_dim == (1, 28, 28) and net.hidden_size == 100 and net.output_size == 10


def test_the_books_initialisation_order_and_scale() -> None:
    net = SimpleConvNet(weight_init_std=0.05, rng=7)
    gen = np.random.default_rng(7)
    for name, shape in (("W1", (30, 1, 5, 5)), ("W2", (4320, 100)), ("W3", (100, 10))):
        np.testing.assert_array_equal(net.params[name], 0.05 * gen.standard_normal(shape))
    for name in ("b1", "b2", "b3"):
        assert not net.params[name].any()


def test_other_geometries() -> None:
    net = SimpleConvNet((3, 10, 12), {"filter_num": 4, "filter_size": 3, "pad": 1, "stride": 1},
                        hidden_size=6, output_size=2, rng=0)  # fmt: skip
    assert net.params["W1"].shape == (4, 3, 3, 3)
    assert net.params["W2"].shape == (4 * 5 * 6, 6)  # conv 10x12, pooled 5x6
    assert net.predict(np.ones((2, 3, 10, 12))).shape == (2, 2)
    strided = SimpleConvNet((1, 9, 9), {"filter_num": 2, "filter_size": 3, "pad": 0, "stride": 2},
                            hidden_size=3, output_size=2, rng=0)  # fmt: skip
    assert strided.params["W2"].shape == (2 * 2 * 2, 3)  # conv 4x4, pooled 2x2


@pytest.mark.parametrize("delta", [None, 0.0])
@pytest.mark.parametrize("method", ["auto", "loop"])
def test_gradient_check_passes(delta: float | None, method: Literal["auto", "loop"]) -> None:
    """Backprop against the numerical gradient (the structured path, and the book's loop)."""
    net = small(weight_init_std=0.1, rng=0)
    if delta is not None:
        net.loss_layer = SoftmaxWithLoss(delta)
    x, t = toy_data(4, 1)
    diff = gradient_check(net, x, t, reference=NumericalDiff(method=method))
    assert set(diff) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    # the cross-entropy's delta = 1e-7 is differentiated by one and not the other: see
    # gradient_check; without it the two agree to rounding
    rel, abs_ = (1e-5, 1e-6) if delta is None else (1e-7, 1e-9)
    assert max(d.max_rel for d in diff.values()) < rel, diff
    assert max(d.max_abs for d in diff.values()) < abs_, diff


def test_backprop_changes_with_the_filters_and_the_numerical_check_can_fail() -> None:
    """The check is not vacuous: a wrong filter gradient is caught."""
    net = small(weight_init_std=0.1, rng=0)
    x, t = toy_data(4, 1)
    grads = Backprop().gradient(net, x, t)
    assert np.abs(grads["W1"]).max() > 1e-4
    conv = net.layers[0]
    assert isinstance(conv, Convolution)
    original = conv.backward

    def wrong(dout: Any, *, input_grad: bool = True) -> Any:
        out = original(dout, input_grad=input_grad)
        conv.grads["W"] = conv.grads["W"] * 1.01
        return out

    conv.backward = wrong  # type: ignore[method-assign]
    diff = gradient_check(net, x, t)
    assert diff["W1"].max_rel > 1e-3 and diff["W2"].max_rel < 1e-5


def test_one_image_a_batch_and_what_does_not_fit() -> None:
    net = small(rng=0)
    x, _ = toy_data(3, 0)
    batch = net.predict(x)
    assert batch.shape == (3, 3)
    np.testing.assert_allclose(net.predict(x[1]), batch[1], rtol=1e-14)  # one (C, H, W) image
    assert net.accuracy(x[0], 2) in (0.0, 1.0)
    with pytest.raises(ValueError, match=r"SimpleConvNet takes inputs of shape \(N, 1, 8, 8\) or "
                       r"one of shape \(1, 8, 8\), got x of shape \(3, 64\): load MNIST with "
                       r"load_mnist\(flatten=False\)"):  # fmt: skip
        net.predict(x.reshape(3, 64))
    with pytest.raises(ValueError, match=r"got x of shape \(64,\)"):
        net.predict(x[0].ravel())
    with pytest.raises(ValueError, match=r"got x of shape \(3, 1, 8, 9\)"):
        net.loss(np.ones((3, 1, 8, 9)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"got x of shape \(3, 2, 8, 8\)"):
        net.predict(np.ones((3, 2, 8, 8)))
    with pytest.raises(ValueError, match="NaN"):
        net.predict(np.full((1, 1, 8, 8), np.nan))


def test_predict_and_accuracy_run_100_images_at_a_time_with_the_same_results() -> None:
    """As the book's accuracy(x, t, batch_size=100): a whole test set at once takes gigabytes."""
    net = small(weight_init_std=0.3, rng=0)
    x, t = toy_data(250, 3)
    seen: list[int] = []
    forward = net.layers[0].forward

    def recording(a: Any) -> Any:
        seen.append(len(a))
        return forward(a)

    net.layers[0].forward = recording  # type: ignore[method-assign]
    y = net.predict(x)
    assert seen == [100, 100, 50]
    np.testing.assert_array_equal(y, Sequential.predict(net, x))
    expected = Sequential.accuracy(net, x, t)
    assert 0.0 < expected < 1.0
    seen.clear()
    assert net.accuracy(x, t) == expected
    assert seen == [100, 100, 50]
    assert net.accuracy(x, np.eye(3)[t], batch_size=7) == expected  # one-hot rows, odd chunks
    assert net.accuracy(x[:5], t[:5]) == Sequential.accuracy(net, x[:5], t[:5])
    with pytest.raises(ValueError, match="250"):
        net.accuracy(x, t[:200])
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        net.accuracy(x, t, batch_size=0)


@pytest.mark.parametrize(
    "optimizer",
    [SGD(lr=0.1), Momentum(lr=0.05), Nesterov(lr=0.05), AdaGrad(lr=0.05), RMSprop(lr=0.01),
     Adam(lr=0.01)],
    ids=lambda o: type(o).__name__,
)  # fmt: skip
def test_trains_with_the_trainer_and_every_optimizer(optimizer: Any) -> None:
    x, t = toy_data(60, 0)
    x_test, t_test = toy_data(30, 1)
    net = small(weight_init_std=0.3, rng=0)
    before = net.loss(x, t)
    trainer = Trainer(net, optimizer, batch_size=10, rng=1,
                      callbacks=[EpochAccuracy(train=(x, t), test=(x_test, t_test))])  # fmt: skip
    history = trainer.fit(x, t, epochs=15)
    assert len(history.train_loss_list) == 90 and len(history.test_acc_list) == 15
    assert net.loss(x, t) < 0.5 * before
    assert history.test_acc_list[-1] > 0.8


def test_save_and_load_into_a_network_of_the_same_shape(tmp_path: Path) -> None:
    net = small(weight_init_std=0.3, rng=0)
    x, _ = toy_data(5, 0)
    path = save_model(net, tmp_path / "conv.npz")
    again = load_model(path, model=small(rng=9))
    np.testing.assert_array_equal(again.predict(x), net.predict(x))
    rebuilt = load_model(path)  # the architecture is in the file
    assert type(rebuilt) is SimpleConvNet and rebuilt.input_dim == net.input_dim
    np.testing.assert_array_equal(rebuilt.predict(x), net.predict(x))
    with pytest.raises(ValueError, match=r"layers\[0\] \(Convolution\): W has shape \(3, 1, 3, "
                       r"3\) in the file, \(4, 1, 3, 3\) in the model"):  # fmt: skip
        load_model(path, model=small(conv_param={"filter_num": 4, "filter_size": 3, "pad": 0,
                                                 "stride": 1}))  # fmt: skip
    other = small(conv_param={"filter_num": 3, "filter_size": 3, "pad": 1, "stride": 1},
                  input_dim=(1, 6, 6))  # the same shapes, another padding
    with pytest.raises(ValueError, match=r"layers\[0\] \(Convolution\): pad is 0 in the file, 1"):
        load_model(path, model=other)


def test_a_resumed_run_equals_the_uninterrupted_one(tmp_path: Path) -> None:
    x, t = toy_data(40, 0)

    def trainer(folder: Path, init: int) -> Trainer:
        net = small(weight_init_std=0.3, rng=init)
        ckpt = Checkpoint(folder / "ckpt.npz", every_iters=3)
        return Trainer(net, Adam(lr=0.01), batch_size=10, callbacks=[ckpt], rng=2)

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    whole = trainer(tmp_path / "a", 0)
    whole.fit(x, t, iters=12)
    first = trainer(tmp_path / "b", 0)
    first.fit(x, t, iters=6)
    resumed = trainer(tmp_path / "b", 5)  # other initial weights: the checkpoint decides
    resumed.fit(x, t, iters=12, resume=tmp_path / "b" / "ckpt.npz")
    for name in whole.model.params:
        np.testing.assert_array_equal(resumed.model.params[name], whole.model.params[name])
    assert resumed.history.train_loss_list == whole.history.train_loss_list


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"input_dim": (28, 28)}, ValueError, r"input_dim must be 3 sizes \(C, H, W\)"),
        ({"input_dim": (1, 28.0, 28)}, TypeError, "input_dim's H must be an int >= 1"),
        ({"input_dim": (0, 28, 28)}, ValueError, "input_dim's C must be an int >= 1, got 0"),
        ({"conv_param": [30, 5, 0, 1]}, TypeError, "conv_param must be a dict"),
        ({"conv_param": {"filter_num": 30, "filter_size": 5, "pad": 0}}, ValueError,
         r"missing \['stride'\], unknown \[\]"),
        ({"conv_param": {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1,
                         "filter_nums": 3}}, ValueError, r"unknown \['filter_nums'\]"),
        ({"conv_param": {"filter_num": 0, "filter_size": 5, "pad": 0, "stride": 1}}, ValueError,
         r"conv_param\['filter_num'\] must be an int >= 1, got 0"),
        ({"conv_param": {"filter_num": 30, "filter_size": 5, "pad": -1, "stride": 1}}, ValueError,
         r"conv_param\['pad'\] must be an int >= 0"),
        ({"conv_param": {"filter_num": 30, "filter_size": 4, "pad": 0, "stride": 1}}, ValueError,
         r"the convolution's output height is 25 = \(28 \+ 2\*0 - 4\) / 1 \+ 1, which 2x2 "
         r"pooling with stride 2 cannot tile"),
        ({"conv_param": {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 2}}, ValueError,
         r"conv_param does not fit the image height: the stride 2 does not divide H \+ 2P - FH "
         r"= 28 \+ 2\*0 - 5 = 23"),
        ({"conv_param": {"filter_num": 30, "filter_size": 29, "pad": 0, "stride": 1}},
         ValueError, r"the filter \(29\) is larger than the padded input"),
        ({"input_dim": (1, 28, 27)}, ValueError,
         r"the convolution's output width is 23 = \(27 \+ 2\*0 - 5\) / 1 \+ 1"),
        ({"hidden_size": 0}, ValueError, "hidden_size must be an int >= 1, got 0"),
        ({"output_size": 2.5}, TypeError, "output_size must be an int >= 1"),
        ({"weight_init_std": -0.01}, ValueError, "weight_init_std must be a finite number > 0"),
        ({"rng": "seed"}, TypeError, "rng must be a numpy.random.Generator"),
    ],
)  # fmt: skip
def test_bad_arguments_are_named(kwargs: dict[str, Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        SimpleConvNet(**kwargs)


def test_every_estimator_works_with_it_or_says_why_not() -> None:
    """SPSA's average over many directions points where Backprop's gradient does; the
    GradientAgreement callback checks it during training; ComplexStep refuses it before
    computing anything, naming the first layer without a rule."""
    from tinynn import SPSA, ComplexStep, GradientAgreement

    net = small(weight_init_std=0.1, rng=0)
    x, t = toy_data(4, 1)
    exact = Backprop().gradient(net, x, t)
    estimate = SPSA(k=5000, rng=0).gradient(net, x, t)
    a = np.concatenate([exact[k].ravel() for k in exact])
    b = np.concatenate([estimate[k].ravel() for k in exact])
    assert {k: v.shape for k, v in estimate.items()} == {k: v.shape for k, v in exact.items()}
    assert a @ b / (np.linalg.norm(a) * np.linalg.norm(b)) > 0.9
    agreement = GradientAgreement(every=2, coordinates=8, rng=0)
    history = Trainer(net, SGD(lr=0.1), batch_size=2, callbacks=[agreement], rng=0).fit(
        x, t, iters=6
    )
    disagreement = history.history["grad_disagreement"]
    assert len(disagreement) == 3 and max(disagreement) < 1e-4, disagreement
    with pytest.raises(TypeError, match=r"layers\[0\] \(Convolution\) has no ComplexStep rule"):
        ComplexStep().gradient(net, x, t)


@pytest.mark.parametrize(("stride", "pad", "side", "filter_size"),
                         [(1, 0, 28, 5), (1, 2, 12, 3), (2, 1, 11, 3)])  # fmt: skip
def test_gradients_equal_the_books_code(stride: int, pad: int, side: int, filter_size: int) -> None:
    """Backprop through tinynn's layers gives the gradient of the book's SimpleConvNet (its
    im2col and col2im, its argmax pooling) to 1e-12 of each parameter's largest entry, on
    images mostly 0, so that many pooling windows tie (at 0 after the ReLU)."""
    conv = {"filter_num": 4, "filter_size": filter_size, "pad": pad, "stride": stride}
    net = SimpleConvNet((1, side, side), conv, 6, 3, weight_init_std=0.3, rng=0)
    rng = np.random.default_rng(1)
    for key in ("b1", "b2", "b3"):
        net.params[key][:] = 0.1 * rng.standard_normal(net.params[key].shape)
    x = rng.random((5, 1, side, side))
    x[rng.random(x.shape) < 0.7] = 0.0
    t = rng.integers(0, 3, 5)
    book = BookSimpleConvNet({k: v.copy() for k, v in net.params.items()}, stride, pad)
    ours, theirs = Backprop().gradient(net, x, t), book.gradient(x, t)
    for key, g in theirs.items():
        scale = float(np.max(np.abs(g)))
        assert scale > 0, key
        assert float(np.max(np.abs(ours[key] - g))) <= 1e-12 * scale, key


def test_the_numerical_gradient_takes_the_structured_path_with_the_loops_numbers() -> None:
    """NumericalDiff has rules for every layer of the book's network (tinynn gradcheck --model
    convnet takes seconds, not hours); entries across every parameter equal the book's
    per-entry central difference."""
    net = SimpleConvNet(rng=0)
    assert NumericalDiff().fallback_reason(net) is None
    rng = np.random.default_rng(2)
    x = rng.random((3, 1, 28, 28))
    x[rng.random(x.shape) < 0.8] = 0.0  # mostly 0, as MNIST
    t = np.array([3, 1, 4])
    fast = NumericalDiff().gradient(net, x, t)
    h = 1e-4
    for key in net.params:
        flat = net.params[key].reshape(-1)
        for i in np.linspace(0, flat.size - 1, 7).astype(int):
            saved = flat[i]
            flat[i] = saved + h
            plus = net.loss(x, t)
            flat[i] = saved - h
            minus = net.loss(x, t)
            flat[i] = saved
            assert abs(fast[key].reshape(-1)[i] - (plus - minus) / (2 * h)) <= 1e-10, (key, i)
