"""The dtype policy (issue 24): a model has one dtype, float64 by default or float32 on request;
its parameters, activations, gradients and optimizer slots keep it; input is converted once at
the public boundary; a bad dtype and a model of mixed dtypes are refused."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

import tinynn as nn
from tinynn.models.checks import model_dtype

SMALL = {"filter_num": 2, "filter_size": 3, "pad": 1, "stride": 1}


def small_deep(**kwargs: Any) -> nn.DeepConvNet:
    """The book's DeepConvNet shape on 1x12x12 images, two filters per convolution."""
    params = {f"conv_param_{i}": dict(SMALL) for i in range(1, 7)}
    params["conv_param_4"] = {**SMALL, "pad": 2}
    return nn.DeepConvNet((1, 12, 12), **params, hidden_size=6, **kwargs)  # type: ignore[arg-type]


#: Every built-in model, small, and a batch for it: (name, build(dtype), x shape, classes).
MODELS: list[tuple[str, Callable[..., Any], tuple[int, ...], int]] = [
    ("TwoLayerNet", lambda **kw: nn.TwoLayerNet(12, 7, 4, weight_init_std=0.5, rng=0, **kw),
     (6, 12), 4),
    ("MultiLayerNet", lambda **kw: nn.MultiLayerNet(12, [7, 5], 4, weight_decay_lambda=0.1,
                                                     rng=0, **kw), (6, 12), 4),
    ("MultiLayerNetExtend", lambda **kw: nn.MultiLayerNetExtend(
        12, [7, 5], 4, activation="sigmoid", use_batchnorm=True, use_dropout=True,
        weight_decay_lambda=0.05, rng=0, **kw), (6, 12), 4),
    ("SimpleConvNet", lambda **kw: nn.SimpleConvNet(
        (1, 10, 10), {"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 1}, 8, 4,
        weight_init_std=0.3, rng=0, **kw), (5, 1, 10, 10), 4),
    ("DeepConvNet", lambda **kw: small_deep(rng=0, **kw), (5, 1, 12, 12), 10),
    ("SimpleNet", lambda **kw: nn.SimpleNet(rng=0, **kw), (4, 2), 3),
]  # fmt: skip
IDS = [name for name, *_ in MODELS]


def batch(shape: tuple[int, ...], classes: int, seed: int = 1) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    return rng.random(shape), rng.integers(0, classes, shape[0])


@pytest.mark.parametrize(("name", "build", "shape", "classes"), MODELS, ids=IDS)
def test_a_float32_model_is_the_float64_model_rounded(
    name: str, build: Callable[..., Any], shape: tuple[int, ...], classes: int
) -> None:
    wide, narrow, default = build(dtype=np.float64), build(dtype="float32"), build()
    assert default.dtype == np.float64 and wide.dtype == np.float64 and narrow.dtype == np.float32
    for key, value in wide.params.items():
        assert np.array_equal(default.params[key], value)  # the default is float64, as today
        assert narrow.params[key].dtype == np.float32
        assert np.array_equal(narrow.params[key], value.astype(np.float32)), key
    for layer in narrow.layers:  # Batch Normalization's running statistics too
        for stat in ("running_mean", "running_var"):
            if hasattr(layer, stat):
                assert getattr(layer, stat).dtype == np.float32


@pytest.mark.parametrize("labels", ["indices", "one-hot"])
@pytest.mark.parametrize(("name", "build", "shape", "classes"), MODELS, ids=IDS)
def test_activations_and_gradients_stay_float32(
    name: str, build: Callable[..., Any], shape: tuple[int, ...], classes: int, labels: str
) -> None:
    net = build(dtype=np.float32)
    x, t = batch(shape, classes)  # float64 input, converted once at the boundary
    if labels == "one-hot":
        t = np.eye(classes)[t]  # float64 labels, left as they are
    xb, _ = net.check_batch(x, t)
    assert xb.dtype == np.float32
    with net.training():
        acts = net.activations(xb)
    assert [a.dtype for a in acts] == [np.dtype(np.float32)] * len(acts)
    grads = net.gradient(x, t)
    assert {k: g.dtype for k, g in grads.items()} == {k: np.float32 for k in net.params}
    assert net.predict(x).dtype == np.float32
    dx = net.loss_layer.backward()
    assert dx.dtype == np.float32  # the softmax-with-loss delta


@pytest.mark.parametrize(("name", "build", "shape", "classes"), MODELS, ids=IDS)
def test_float32_gradients_within_1e_3_of_float64(
    name: str, build: Callable[..., Any], shape: tuple[int, ...], classes: int
) -> None:
    wide, narrow = build(), build(dtype=np.float32)
    x, t = batch(shape, classes, seed=3)
    g64, g32 = wide.gradient(x, t), narrow.gradient(x, t)  # the dropout masks: the same seeds
    overall = max(np.max(np.abs(g)) for g in g64.values())
    for key, g in g64.items():
        largest = np.max(np.abs(g))
        # relative to the parameter's largest entry; a bias before Batch Normalization has a
        # gradient of exactly 0 (the normalisation removes it: float64 gives ~1e-17, float32
        # ~1e-9), so it is measured against the model's largest entry
        scale = largest if largest > 1e-6 * overall else overall
        error = np.max(np.abs(g32[key].astype(np.float64) - g)) / scale
        assert error < 1e-3, (key, error)
        assert error > 0  # float32 indeed: not the float64 numbers


def test_the_books_deep_conv_net_in_float32_within_1e_3() -> None:
    wide, narrow = nn.DeepConvNet(rng=0), nn.DeepConvNet(rng=0, dtype=np.float32)
    x, t = batch((3, 1, 28, 28), 10, seed=4)
    g64, g32 = wide.gradient(x, t), narrow.gradient(x, t)
    errors = {k: np.max(np.abs(g32[k] - g)) / np.max(np.abs(g)) for k, g in g64.items()}
    assert max(errors.values()) < 1e-3, errors


BAD = [float, "f4", "float", np.float16, np.int64, np.dtype("complex128"), 32, None]


@pytest.mark.parametrize("bad", BAD, ids=repr)
@pytest.mark.parametrize(
    "make",
    [
        lambda d: nn.TwoLayerNet(3, 2, 2, rng=0, dtype=d),
        lambda d: nn.MultiLayerNet(3, [2], 2, rng=0, dtype=d),
        lambda d: nn.MultiLayerNetExtend(3, [2], 2, use_batchnorm=True, rng=0, dtype=d),
        lambda d: nn.SimpleConvNet(rng=0, dtype=d),
        lambda d: nn.DeepConvNet(rng=0, dtype=d),
        lambda d: nn.SimpleNet(rng=0, dtype=d),
        lambda d: nn.Affine(np.ones((2, 2)), dtype=d),
        lambda d: nn.Affine.random(2, 2, rng=0, dtype=d),
        lambda d: nn.Convolution(np.ones((1, 1, 2, 2)), np.zeros(1), dtype=d),
        lambda d: nn.Convolution.random(1, 1, 2, rng=0, dtype=d),
        lambda d: nn.BatchNormalization(np.ones(2), np.zeros(2), dtype=d),
        lambda d: nn.Sequential([nn.Relu()], dtype="none" if d is None else d),  # None: theirs
    ],
    ids=["TwoLayerNet", "MultiLayerNet", "MultiLayerNetExtend", "SimpleConvNet", "DeepConvNet",
         "SimpleNet", "Affine", "Affine.random", "Convolution", "Convolution.random",
         "BatchNormalization", "Sequential"],
)
def test_a_bad_dtype_is_refused_naming_dtype_and_the_allowed_values(
    make: Callable[[Any], object], bad: Any
) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        make(bad)
    message = str(info.value)
    assert "dtype must be float32 or float64" in message and "'float32'" in message


@pytest.mark.parametrize("good", [np.float32, "float32", np.dtype("float32")], ids=repr)
def test_every_spelling_of_float32_is_taken(good: Any) -> None:
    assert nn.TwoLayerNet(3, 2, 2, rng=0, dtype=good).params["W1"].dtype == np.float32
    assert nn.Affine(np.ones((2, 2)), dtype=good).W.dtype == np.float32


def test_a_sequential_of_mixed_dtypes_is_refused_naming_the_layers() -> None:
    wide = nn.Affine.random(4, 3, rng=0)
    narrow = nn.Affine.random(3, 2, rng=0, dtype=np.float32)
    with pytest.raises(ValueError, match=r"layers\[0\] \(Affine\)'s W is float64 and "
                       r"layers\[2\] \(Affine\)'s W is float32"):  # fmt: skip
        nn.Sequential([wide, nn.Relu(), narrow])
    bn = nn.BatchNormalization(np.ones(3), np.zeros(3))  # float64
    with pytest.raises(ValueError, match="a model has one dtype"):
        nn.Sequential([nn.Affine.random(4, 3, rng=0, dtype=np.float32), bn])
    with pytest.raises(ValueError, match="dtype=float32 was asked for"):
        nn.Sequential([wide], dtype=np.float32)


def test_a_sequential_takes_its_layers_dtype() -> None:
    narrow = [nn.Affine.random(4, 3, rng=0, dtype="float32"), nn.Relu()]
    assert nn.Sequential(narrow).dtype == np.float32
    assert nn.Sequential(narrow, dtype=np.float32).dtype == np.float32
    assert nn.Sequential([nn.Relu()]).dtype == np.float64  # no parameters: float64
    assert nn.Sequential([nn.Relu()], dtype="float32").dtype == np.float32
    assert model_dtype([nn.Relu()], None) == np.float64


def test_input_is_converted_once_and_an_overflow_of_float32_is_named() -> None:
    net = nn.TwoLayerNet(3, 2, 2, rng=0, dtype=np.float32)
    x = np.array([[1e300, 0.0, 0.0]])  # finite in float64, infinite in float32
    for call in (lambda: net.predict(x), lambda: net.loss(x, [0]), lambda: net.gradient(x, [0])):
        with pytest.raises(ValueError, match="beyond the range of the model's float32"):
            call()
    with pytest.raises(ValueError, match="beyond the range of the model's float32"):
        nn.Trainer(net, nn.SGD(0.1), batch_size=1).fit(x, [0], iters=1)
    with pytest.raises(ValueError, match=r"params\['W1'\] is float32, and the values given go "
                       "beyond its range"):  # fmt: skip
        net.params["W1"] = np.full((3, 2), 1e300)
    assert np.isfinite(net.params["W1"]).all()  # unchanged
    ints = net.predict(np.array([[1, 2, 3]]))  # integers: converted to the model's dtype
    assert ints.dtype == np.float32


def test_convolution_random_draws_as_the_books_deep_conv_net() -> None:
    conv = nn.Convolution.random(16, 3, 3, rng=7, weight_init_std="he", stride=1, pad=1)
    expected = np.sqrt(2.0 / (3 * 3 * 3)) * np.random.default_rng(7).standard_normal((16, 3, 3, 3))
    assert np.array_equal(conv.W, expected)  # bit for bit: the book's He, sqrt(2 / (C FH FW))
    assert np.array_equal(conv.params["b"], np.zeros(16)) and (conv.stride, conv.pad) == (1, 1)
    std = nn.Convolution.random(4, 2, 5, rng=7, weight_init_std=0.01)
    assert np.array_equal(std.W, 0.01 * np.random.default_rng(7).standard_normal((4, 2, 5, 5)))
    xavier = nn.Convolution.random(4, 2, 5, rng=7, weight_init_std="xavier", dtype="float32")
    scale = np.sqrt(1.0 / 50)
    assert np.array_equal(
        xavier.W, (scale * np.random.default_rng(7).standard_normal((4, 2, 5, 5))).astype("f4")
    )
    for bad, match in (({"filter_num": 0}, "filter_num"), ({"weight_init_std": "x"}, "'x'"),
                       ({"pad": -1}, "pad"), ({"stride": 0}, "stride")):  # fmt: skip
        kwargs: dict[str, Any] = {"filter_num": 2, **bad}
        n = kwargs.pop("filter_num")
        with pytest.raises((TypeError, ValueError), match=match):
            nn.Convolution.random(n, 1, 3, rng=0, **kwargs)


# -- optimizers ------------------------------------------------------------------------


class Recorder:
    """An optimizer that records the dtypes it is handed, then delegates."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.seen = inner, set[tuple[str, str]]()

    def update(self, params: Any, grads: Any) -> None:
        self.seen |= {(str(p.dtype), str(grads[k].dtype)) for k, p in params.items()}
        self.inner.update(params, grads)

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = self.inner.state_dict()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.inner.load_state_dict(state)


OPTIMIZERS = [
    lambda: nn.SGD(0.1),
    lambda: nn.Momentum(0.1, momentum=np.float64(0.9)),  # a NumPy scalar: no float64 upcast
    lambda: nn.Nesterov(0.1),
    lambda: nn.AdaGrad(np.float64(0.1)),
    lambda: nn.RMSprop(0.01),
    lambda: nn.Adam(0.01),
]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=["SGD", "Momentum", "Nesterov", "AdaGrad",
                                                   "RMSprop", "Adam"])  # fmt: skip
@pytest.mark.parametrize(("name", "build", "shape", "classes"), MODELS, ids=IDS)
def test_training_keeps_everything_float32(
    name: str, build: Callable[..., Any], shape: tuple[int, ...], classes: int,
    make: Callable[[], Any],
) -> None:  # fmt: skip
    net = build(dtype=np.float32)
    x, t = batch((12, *shape[1:]), classes, seed=5)
    opt = Recorder(make())
    trainer = nn.Trainer(net, opt, batch_size=4, rng=0)
    trainer.fit(x.astype(np.float64), t, iters=4)
    assert opt.seen == {("float32", "float32")}  # params and gradients of every update
    assert {p.dtype for p in net.params.values()} == {np.dtype(np.float32)}
    assert trainer.train_data is not None and trainer.train_data[1].dtype == np.float32
    slots = [a for v in opt.state_dict().values() if isinstance(v, dict) for a in v.values()]
    assert all(a.dtype == np.float32 for a in slots)
    for layer in net.layers:
        for stat in ("running_mean", "running_var"):
            if hasattr(layer, stat):
                assert getattr(layer, stat).dtype == np.float32


def test_an_adam_step_in_float32_is_float32_arithmetic() -> None:
    """No float64 upcast by scalar maths: the step equals the same formula computed in
    float32 with Python-float scalars, which a float64 step rounded would not (here)."""
    rng = np.random.default_rng(0)
    p0, g = rng.random(1000).astype(np.float32), rng.standard_normal(1000).astype(np.float32)
    p = p0.copy()
    nn.Adam(lr=0.01).update({"W": p}, {"W": g})
    m = np.float32(0.1) * g  # (1 - beta1) * (g - 0)
    v = np.float32(1 - 0.999) * g**2
    lr_t = 0.01 * np.sqrt(1.0 - 0.999) / (1.0 - 0.9)
    expected = p0 - float(lr_t) * m / (np.sqrt(v) + 1e-7)
    assert expected.dtype == np.float32 and p.dtype == np.float32
    assert np.array_equal(p, expected)
    wide = p0.astype(np.float64)
    nn.Adam(lr=0.01).update({"W": wide}, {"W": g.astype(np.float64)})
    assert not np.array_equal(wide.astype(np.float32), p)  # so the test can tell them apart


def test_sgd_keeps_float32_bit_for_bit() -> None:
    p0 = np.linspace(-1, 1, 50, dtype=np.float32)
    g = np.linspace(3, -2, 50, dtype=np.float32)
    p = p0.copy()
    nn.SGD(lr=np.float64(0.1)).update({"W": p}, {"W": g})  # a NumPy float64 learning rate
    assert p.dtype == np.float32 and np.array_equal(p, p0 - np.float32(0.1) * g)


@pytest.mark.parametrize("make", OPTIMIZERS[1:], ids=["Momentum", "Nesterov", "AdaGrad",
                                                      "RMSprop", "Adam"])  # fmt: skip
def test_optimizer_state_keeps_the_dtype(make: Callable[[], Any]) -> None:
    params = {"W": np.ones(3, dtype=np.float32)}
    opt = make()
    opt.update(params, {"W": np.array([1.0, -2.0, 0.5], dtype=np.float32)})
    state = opt.state_dict()
    slots = [a for v in state.values() if isinstance(v, dict) for a in v.values()]
    assert slots and all(a.dtype == np.float32 for a in slots)
    again = make()
    again.load_state_dict(state)
    assert all(a.dtype == np.float32 for v in again.state_dict().values()
               if isinstance(v, dict) for a in v.values())  # fmt: skip
    wide = {k: ({n: a.astype(np.float64) for n, a in v.items()} if isinstance(v, dict) else v)
            for k, v in state.items()}  # fmt: skip
    other = make()
    other.load_state_dict(wide)  # a float64 state, into a float32 model's optimizer
    other.update(params, {"W": np.ones(3)})  # float64 gradients of float32 parameters
    assert params["W"].dtype == np.float32
    assert all(a.dtype == np.float32 for v in other.state_dict().values()
               if isinstance(v, dict) for a in v.values())  # fmt: skip
