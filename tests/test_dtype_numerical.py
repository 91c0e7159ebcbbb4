"""Numerical gradients of a float32 network: computed in float64 on its copy, rounded to float32
(the choice of issue 24, and its price, on docs/performance.rst)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinynn as nn

CONV = {"filter_num": 2, "filter_size": 3, "pad": 0, "stride": 1}

NETS: list[tuple[str, Callable[..., Any], tuple[int, ...]]] = [
    ("TwoLayerNet", lambda **kw: nn.TwoLayerNet(8, 5, 3, weight_init_std=0.5, rng=0, **kw),
     (4, 8)),
    ("MultiLayerNetExtend", lambda **kw: nn.MultiLayerNetExtend(
        8, [5, 4], 3, activation="sigmoid", use_batchnorm=True, use_dropout=True,
        weight_decay_lambda=0.1, rng=0, **kw), (4, 8)),
    ("SimpleConvNet", lambda **kw: nn.SimpleConvNet((1, 6, 6), CONV, 5, 3, weight_init_std=0.3,
                                                    rng=0, **kw), (3, 1, 6, 6)),
]  # fmt: skip
ESTIMATORS: list[tuple[str, Callable[[], Any]]] = [
    ("structured", lambda: nn.NumericalDiff(method="structured")),
    ("loop", lambda: nn.NumericalDiff(method="loop")),
    ("complex-step", lambda: nn.ComplexStep()),
    ("spsa", lambda: nn.SPSA(rng=5)),
]


def _float64_of(net32: Any, build: Callable[..., Any]) -> Any:
    """The float64 network with the float32 network's very parameters."""
    wide = build()
    for name, p in net32.params.items():
        wide.params[name] = p.astype(np.float64)
    return wide


#: Every estimator on every network, but ComplexStep on the convnet (no rule for Relu: not
#: complex-analytic).
CASES = [(net, est) for net in NETS for est in ESTIMATORS
         if not (net[0] == "SimpleConvNet" and est[0] == "complex-step")]  # fmt: skip


@pytest.mark.parametrize(("net", "estimator"), CASES,
                         ids=[f"{n[0]}-{e[0]}" for n, e in CASES])  # fmt: skip
def test_a_float32_network_is_differentiated_in_float64_then_rounded(
    net: tuple[str, Callable[..., Any], tuple[int, ...]], estimator: tuple[str, Callable[[], Any]]
) -> None:
    _, build, shape = net
    make = estimator[1]
    net32 = build(dtype=np.float32)
    wide = _float64_of(net32, build)
    rng = np.random.default_rng(1)
    x, t = rng.random(shape), rng.integers(0, 3, shape[0])
    before = {k: v.copy() for k, v in net32.params.items()}
    got, want = make().gradient(net32, x, t), make().gradient(wide, x, t)
    for key, g in want.items():
        assert got[key].dtype == np.float32
        np.testing.assert_array_equal(got[key], g.astype(np.float32))  # bit for bit
    for key, p in net32.params.items():  # the network itself is left as it was
        np.testing.assert_array_equal(p, before[key], strict=True)
    for a, b in zip(net32.layers, wide.layers, strict=True):  # its layers' state followed
        if isinstance(a, nn.Dropout):
            assert a.state_dict()["rng"] == b.state_dict()["rng"]
        if isinstance(a, nn.BatchNormalization):
            assert a.running_mean.dtype == np.float32
            np.testing.assert_array_equal(a.running_mean, b.running_mean.astype(np.float32))
            np.testing.assert_array_equal(a.running_var, b.running_var.astype(np.float32))


def test_the_books_numerical_gradient_method_in_float32() -> None:
    for build in (lambda **kw: nn.TwoLayerNet(8, 5, 3, weight_init_std=0.5, rng=0, **kw),
                  NETS[1][1]):  # fmt: skip
        net32 = build(dtype=np.float32)
        wide = _float64_of(net32, build)
        x, t = np.random.default_rng(2).random((4, 8)), [0, 1, 2, 1]
        got, want = net32.numerical_gradient(x, t), wide.numerical_gradient(x, t)
        for key, g in want.items():
            assert got[key].dtype == np.float32
            np.testing.assert_array_equal(got[key], g.astype(np.float32))


def test_the_price_float32_central_differences_would_pay() -> None:
    """What computing in float64 avoids: the book's central difference (h = 1e-4) of a
    float32 loss is off by a large fraction of the gradient; NumericalDiff's float64
    estimate of the float32 network agrees with backprop as in float64 (~1e-6, the
    cross-entropy's delta), and float32 backprop within 1e-6."""
    net32 = nn.TwoLayerNet(784, 50, 10, rng=0, dtype=np.float32)
    wide = _float64_of(net32, lambda: nn.TwoLayerNet(784, 50, 10, rng=0))
    rng = np.random.default_rng(0)
    x, t = rng.random((10, 784)), rng.integers(0, 10, 10)
    exact = nn.Backprop().gradient(wide, x, t)["W2"]

    def error(g: Any) -> float:
        return float(np.max(np.abs(g - exact)) / np.max(np.abs(exact)))

    loss = net32.bind_loss(x, t)
    in_float32 = nn.numerical_gradient(lambda w: loss(), net32.params["W2"])
    assert error(in_float32) > 1e-2  # several percent of the largest entry
    assert error(nn.NumericalDiff().gradient(net32, x, t)["W2"]) < 1e-5
    assert error(nn.Backprop().gradient(net32, x, t)["W2"]) < 1e-5


def test_training_a_float32_network_numerically_stays_float32() -> None:
    net = nn.MultiLayerNetExtend(8, [5], 3, use_dropout=True, use_batchnorm=True, rng=0,
                                 dtype=np.float32)  # fmt: skip
    seen: set[tuple[str, str]] = set()

    class Recorder:
        inner = nn.Adam(0.01)

        def update(self, params: Any, grads: Any) -> None:
            seen.update((str(p.dtype), str(grads[k].dtype)) for k, p in params.items())
            self.inner.update(params, grads)

    x = np.random.default_rng(3).random((20, 8))
    trainer = nn.Trainer(net, Recorder(), nn.NumericalDiff(), batch_size=5, rng=0)
    history = trainer.fit(x, x[:, :3].argmax(axis=1), iters=3)
    assert len(history.train_loss_list) == 3 and seen == {("float32", "float32")}
    assert all(p.dtype == np.float32 for p in net.params.values())


def test_astype_copies_and_converts_and_refuses_a_bad_dtype() -> None:
    net = nn.MultiLayerNetExtend(8, [5], 3, use_batchnorm=True, rng=0, dtype=np.float32)
    wide = net.astype(np.float64)
    assert type(wide) is type(net) and wide.dtype == np.float64
    assert all(p.dtype == np.float64 for p in wide.params.values())
    assert wide.layers[1].running_mean.dtype == np.float64  # type: ignore[attr-defined]
    assert wide.params["W1"] is wide.layers[0].params["W"]  # shared, as in every network
    wide.params["W1"][0, 0] = 5.0
    assert net.params["W1"][0, 0] != 5.0  # a copy
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        net.astype("int8")
