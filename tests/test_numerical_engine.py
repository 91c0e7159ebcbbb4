"""The structured numerical gradient gives the book's loop's numbers, entry by entry."""

from __future__ import annotations

import tracemalloc
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynn import (
    Affine,
    NumericalDiff,
    PerformanceWarning,
    Relu,
    Sequential,
    Sigmoid,
    SimpleNet,
    SoftmaxWithLoss,
    TwoLayerNet,
)
from tinynn.estimators.numerical import (
    Change,
    ColumnChange,
    DenseChange,
    RankOneChange,
    Samples,
)
from tinynn.estimators.numerical.engine import structured_gradient
from tinynn.typing import FloatArray, Params

LOOP = NumericalDiff(method="loop")
FAST = NumericalDiff(method="structured")


def max_diff(a: Params, b: Params) -> float:
    assert list(a) == list(b)
    for k in a:
        assert a[k].shape == b[k].shape, k
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


def book_batch(
    rng: np.random.Generator, n: int = 100, *, ink: float = 1.0
) -> tuple[FloatArray, FloatArray]:
    """Random images; with ``ink < 1`` only that fraction of pixels is not 0 (MNIST: ~0.19)."""
    x = rng.random((n, 784))
    if ink < 1.0:
        x[rng.random((n, 784)) >= ink] = 0.0
        x[:, :40] = 0.0  # a blank border: entries no sample sees
    return x, np.eye(10)[rng.integers(0, 10, n)]


@pytest.mark.slow
@pytest.mark.parametrize(("delta", "ink"), [(1e-7, 0.19), (0.0, 0.19), (1e-7, 1.0)])
def test_book_configuration_agrees_with_the_loop(delta: float, ink: float) -> None:
    """TwoLayerNet(784, 50, 10), batch 100: every one of the 39,760 entries within 1e-9,
    on MNIST-like images (mostly 0: the sparse path) and on images without a 0."""
    net = TwoLayerNet(784, 50, 10, rng=0)
    net.loss_layer = SoftmaxWithLoss(delta)
    x, t = book_batch(np.random.default_rng(1), ink=ink)
    fast, loop = FAST.gradient(net, x, t), LOOP.gradient(net, x, t)
    assert max_diff(fast, loop) <= 1e-9
    # and it is the gradient: it agrees with backpropagation as well as the loop does
    exact = net.gradient(x, t)
    assert max_diff(fast, exact) <= 1e-9 if delta == 0.0 else max_diff(fast, exact) < 1e-6


def test_trained_weights_agree_with_the_loop_on_a_sample() -> None:
    """Larger weights (as after training) on a smaller net: still within 1e-9."""
    rng = np.random.default_rng(2)
    net = TwoLayerNet(784, 12, 10, weight_init_std=0.3, rng=rng)
    net.params["b1"] = rng.standard_normal(12)
    for ink in (1.0, 0.19):
        x, t = book_batch(rng, 20, ink=ink)
        assert max_diff(FAST.gradient(net, x, t), LOOP.gradient(net, x, t)) <= 1e-9


@pytest.mark.parametrize("h", [1e-4, 1e-2, 0.5, 3.0])
def test_large_steps_leave_the_series_for_direct_losses(h: float) -> None:
    """Past the proven range of the loss's series (large h, large weights), each perturbed
    loss is computed from its scores: still the loop's numbers."""
    rng = np.random.default_rng(5)
    net = TwoLayerNet(60, 8, 5, weight_init_std=2.0, rng=rng)
    x = rng.random((7, 60)) * (rng.random((7, 60)) < 0.3)
    t = rng.integers(0, 5, 7)
    fast = NumericalDiff(h, method="structured").gradient(net, x, t)
    assert max_diff(fast, NumericalDiff(h, method="loop").gradient(net, x, t)) <= 1e-9


def test_an_input_changed_in_place_is_seen_by_the_next_gradient() -> None:
    net = TwoLayerNet(30, 6, 3, rng=0)
    rng = np.random.default_rng(3)
    x, t = rng.random((5, 30)) * (rng.random((5, 30)) < 0.2), np.array([0, 1, 2, 0, 1])
    FAST.gradient(net, x, t)
    x[:] = rng.random((5, 30))  # same array object, new values (no longer sparse)
    assert max_diff(FAST.gradient(net, x, t), LOOP.gradient(net, x, t)) <= 1e-9


layer_kinds = st.lists(st.sampled_from(["sigmoid", "relu", "affine"]), min_size=0, max_size=3)


@given(
    kinds=layer_kinds,
    width=st.integers(1, 6),
    classes=st.integers(2, 5),
    batch=st.integers(1, 5),
    targets=st.sampled_from(["labels", "one_hot", "soft"]),
    delta=st.sampled_from([0.0, 1e-7]),
    scheme=st.sampled_from(["central", "forward", "backward"]),
    bias=st.booleans(),
    zeros=st.sampled_from([0.0, 0.6, 0.9]),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_stacks_agree_with_the_loop(
    kinds: list[str],
    width: int,
    classes: int,
    batch: int,
    targets: str,
    delta: float,
    scheme: Any,
    bias: bool,
    zeros: float,
    seed: int,
) -> None:
    r = np.random.default_rng(seed)
    layers: list[Any] = [Affine.random(3, width, rng=r, weight_init_std=1.0, bias=bias)]
    for kind in kinds:
        if kind == "affine":
            layers.append(Affine.random(width, width, rng=r, weight_init_std=1.0))
        else:
            layers.append(Sigmoid() if kind == "sigmoid" else Relu())
    layers.append(Affine.random(width, classes, rng=r, weight_init_std=1.0))
    for layer in layers:
        if "b" in layer.params:
            layer.params["b"][:] = r.standard_normal(layer.params["b"].shape)
    net = Sequential(layers, SoftmaxWithLoss(delta))
    x = r.standard_normal((batch, 3))
    x[r.random((batch, 3)) < zeros] = 0.0  # many zeros: the sparse path
    labels = r.integers(0, classes, batch)
    if targets == "labels":
        t: Any = labels
    elif targets == "one_hot":
        t = np.eye(classes)[labels]
    else:
        t = r.dirichlet(np.ones(classes), batch)
    before = {k: v.copy() for k, v in net.params.items()}
    fast = NumericalDiff(scheme=scheme, method="structured").gradient(net, x, t)
    loop = NumericalDiff(scheme=scheme, method="loop").gradient(net, x, t)
    assert max_diff(fast, loop) <= 1e-9
    for k, v in net.params.items():  # nothing moved
        np.testing.assert_array_equal(v, before[k])


def test_workers_do_not_change_a_bit() -> None:
    net = TwoLayerNet(784, 20, 10, rng=0)
    x, t = book_batch(np.random.default_rng(3), 30)
    results = [NumericalDiff(method="structured", workers=w).gradient(net, x, t) for w in (1, 2, 3)]
    for other in results[1:]:
        for k in results[0]:
            np.testing.assert_array_equal(other[k], results[0][k])


def test_one_sided_schemes_differ_from_central_by_truncation_error() -> None:
    net = TwoLayerNet(10, 5, 3, weight_init_std=1.0, rng=4)
    x, t = np.random.default_rng(5).random((4, 10)), np.array([0, 1, 2, 0])
    exact = net.gradient(x, t)
    errors = {
        scheme: max_diff(NumericalDiff(scheme=scheme).gradient(net, x, t), exact)
        for scheme in ("central", "forward", "backward")
    }
    # forward and backward are O(h) = 1e-4-ish off, central O(h**2) (plus the delta's 1e-7)
    assert errors["central"] < 1e-6 < errors["forward"] and errors["central"] < errors["backward"]


def test_simple_net_single_sample_and_image_input() -> None:
    net = SimpleNet(rng=0)
    fast = FAST.gradient(net, [0.6, 0.9], [0, 0, 1])
    assert max_diff(fast, LOOP.gradient(net, [0.6, 0.9], [0, 0, 1])) <= 1e-9
    images = np.random.default_rng(6).random((3, 1, 4, 4))  # flattened by the first Affine
    conv_like = TwoLayerNet(16, 4, 3, rng=1)
    t = np.array([0, 2, 1])
    assert max_diff(FAST.gradient(conv_like, images, t), LOOP.gradient(conv_like, images, t)) < 1e-9


class Square:
    """A user's layer without a rule: it still works, through the loop."""

    def __init__(self) -> None:
        self._x: FloatArray | None = None

    @property
    def params(self) -> Params:
        return {}

    @property
    def grads(self) -> Params:
        return {}

    def forward(self, x: FloatArray) -> FloatArray:
        self._x = x
        return x * x

    def backward(self, dout: FloatArray) -> FloatArray:
        assert self._x is not None
        return 2 * self._x * dout


class DenseSquare(Square):
    """The same layer, with the simplest rule: on full arrays."""


@NumericalDiff.rule_for(DenseSquare)
class DenseSquareRule:
    def __init__(self, layer: DenseSquare, x: FloatArray, out: FloatArray) -> None:
        pass

    def propagate(self, change: Change) -> DenseChange:
        v = change.dense().values
        return DenseChange(v * v)


def test_user_layer_without_a_rule_falls_back_to_the_loop() -> None:
    rng = np.random.default_rng(7)
    net = Sequential([Affine.random(3, 4, rng=rng, weight_init_std=1.0), Square(),
                      Affine.random(4, 2, rng=rng)])  # fmt: skip
    x, t = rng.random((5, 3)), np.array([0, 1, 1, 0, 1])
    assert NumericalDiff().fallback_reason(net) == "layer 1 (Square) has no rule"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerformanceWarning)  # (tested in test_rule_registration)
        auto = NumericalDiff().gradient(net, x, t)
    assert max_diff(auto, LOOP.gradient(net, x, t)) == 0.0  # it *is* the loop
    with pytest.raises(TypeError, match=r"layer 1 \(Square\) has no rule"):
        FAST.gradient(net, x, t)
    net.layers[1] = DenseSquare()
    assert NumericalDiff().fallback_reason(net) is None
    assert max_diff(FAST.gradient(net, x, t), LOOP.gradient(net, x, t)) <= 1e-9


def test_a_model_that_is_not_a_stack_uses_the_loop() -> None:
    class Wrapped:  # a user's Model: params, predict, loss, accuracy only
        def __init__(self) -> None:
            self.net = TwoLayerNet(4, 3, 2, rng=0)
            self.params = self.net.params

        def predict(self, x: Any) -> FloatArray:
            return self.net.predict(x)

        def loss(self, x: Any, t: Any) -> float:
            return self.net.loss(x, t)

        def accuracy(self, x: Any, t: Any) -> float:
            return self.net.accuracy(x, t)

    model = Wrapped()
    x, t = np.ones((2, 4)), np.array([0, 1])
    assert "not a stack of layers" in str(NumericalDiff().fallback_reason(model))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerformanceWarning)  # no rule would help: no warning
        auto = NumericalDiff().gradient(model, x, t)
    np.testing.assert_array_equal(auto["W1"], LOOP.gradient(model.net, x, t)["W1"])


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="method must be"):
        NumericalDiff(method="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="scheme must be"):
        NumericalDiff(scheme="upwind")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        NumericalDiff(workers=0)
    with pytest.raises(ValueError, match=r"t holds label 7"):  # inputs checked as model.loss does
        FAST.gradient(TwoLayerNet(4, 3, 2, rng=0), np.ones((1, 4)), [7])


@pytest.mark.parametrize(
    ("hidden", "batch", "ink", "workers"),
    [(50, 100, 1.0, 2), (300, 1000, 1.0, 8), (300, 1000, 0.19, 8), (50, 2000, 0.19, 1)],
)
def test_extra_memory_stays_under_64_mb(hidden: int, batch: int, ink: float, workers: int) -> None:
    """Dense and sparse inputs, with as many threads as the cap allows."""
    net = TwoLayerNet(784, hidden, 10, rng=0)
    x, t = book_batch(np.random.default_rng(8), batch, ink=ink)
    xb, tb = net.check_batch(x, t)
    calls = 0

    class Enough(Exception):
        pass

    def stop_early(done: int, total: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 40:  # the chunks are alike: forty of them show the peak
            raise Enough

    tracemalloc.start()
    try:
        structured_gradient(net, xb, tb, 1e-4, workers=workers, on_progress=stop_early)
    except Enough:
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert calls == 40
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.1f} MB"


def test_change_kinds_expand_to_the_same_dense_values() -> None:
    rng = np.random.default_rng(9)
    base, values = rng.random((4, 3)), rng.random((2, 4))
    column = ColumnChange(base, 1, values)
    dense = column.dense().values
    np.testing.assert_array_equal(dense[:, :, 1], values)
    np.testing.assert_array_equal(dense[:, :, 0], np.broadcast_to(base[:, 0], (2, 4)))
    np.testing.assert_allclose(column.rank_one().dense().values, dense, rtol=0, atol=1e-15)
    d, w = rng.random((2, 4)), rng.random(3)
    np.testing.assert_allclose(
        RankOneChange(base, d, w).dense().values, base + d[:, :, None] * w, rtol=0, atol=0
    )


def test_sparse_changes_expand_like_full_ones() -> None:
    """A sparse change (runs of pairs, some empty) equals its spread-out form."""
    rng = np.random.default_rng(4)
    base = rng.random((4, 3))
    # perturbation 0 touches samples 1 and 3, 1 none, 2 sample 0, 3 none
    pairs = Samples(np.array([0, 2, 2, 3, 3]), np.array([1, 3, 0]))
    assert pairs.count == 4
    np.testing.assert_array_equal(pairs.perturbation(), [0, 0, 2])
    np.testing.assert_array_equal(pairs.totals(np.array([1.0, 2.0, 4.0])), [3.0, 0.0, 4.0, 0.0])
    np.testing.assert_array_equal(Samples(np.array([0, 0]), np.array([], dtype=np.intp))
                                  .totals(np.array([])), [0.0])
    column = ColumnChange(base, 2, np.array([7.0, 8.0, 9.0]), pairs)
    full = column.spread().values
    expected = np.repeat(base[np.newaxis, :, 2], 4, axis=0)
    expected[0, 1], expected[0, 3], expected[2, 0] = 7.0, 8.0, 9.0
    np.testing.assert_array_equal(full, expected)
    np.testing.assert_array_equal(column.dense().values, ColumnChange(base, 2, full).dense().values)
    rank = column.rank_one()
    np.testing.assert_allclose(rank.dense().values, column.dense().values, rtol=0, atol=1e-15)
    w = rng.random(3)
    d = np.array([0.5, -1.0, 2.0])
    spread = RankOneChange(base, d, w, pairs).spread().d
    np.testing.assert_array_equal(spread, [[0, 0.5, 0, -1.0], [0] * 4, [2.0, 0, 0, 0], [0] * 4])


def test_a_rule_without_sparse_changes_gets_full_ones() -> None:
    """A user's rule that knows nothing of Samples still sees (P, N) values."""

    class Cube:
        def __init__(self) -> None:
            self.params: dict[str, FloatArray] = {}
            self.grads: dict[str, FloatArray] = {}
            self.shapes: list[tuple[int, ...]] = []

        def forward(self, x: FloatArray) -> FloatArray:
            self.x = x
            out: FloatArray = x**3
            return out

        def backward(self, dout: FloatArray) -> FloatArray:
            out: FloatArray = 3 * self.x**2 * dout
            return out

    @NumericalDiff.rule_for(Cube)
    class CubeRule:
        def __init__(self, layer: Cube, x: FloatArray, out: FloatArray) -> None:
            self.layer, self.out = layer, out

        def propagate(self, change: Any) -> Any:
            assert getattr(change, "samples", None) is None
            sizes = change.d if isinstance(change, RankOneChange) else change.values
            self.layer.shapes.append(sizes.shape)
            if isinstance(change, ColumnChange):
                return ColumnChange(self.out, change.column, change.values**3)
            return DenseChange(change.dense().values ** 3)

    rng = np.random.default_rng(6)
    cube = Cube()
    net = Sequential([Affine.random(20, 4, rng=rng), cube, Affine.random(4, 3, rng=rng)])
    x = rng.random((6, 20)) * (rng.random((6, 20)) < 0.2)  # sparse: Affine perturbs sparsely
    t = rng.integers(0, 3, 6)
    assert max_diff(FAST.gradient(net, x, t), LOOP.gradient(net, x, t)) <= 1e-9
    assert cube.shapes and all(len(shape) >= 2 and shape[1] == 6 for shape in cube.shapes)


@pytest.mark.parametrize("method", ["loop", "structured"])
def test_progress_within_one_gradient(method: Any) -> None:
    net = TwoLayerNet(30, 40, 3, rng=0)
    x, t = np.random.default_rng(1).random((4, 30)), np.array([0, 1, 2, 0])
    seen: list[tuple[int, int]] = []
    grads = NumericalDiff(method=method, progress=lambda d, n: seen.append((d, n))).gradient(
        net, x, t
    )
    total = sum(p.size for p in net.params.values())
    assert len(seen) >= 2 and seen[-1] == (total, total)  # during the gradient, and at its end
    assert all(n == total for _, n in seen) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert max_diff(grads, LOOP.gradient(net, x, t)) <= 1e-9


class _NoReturn:
    """A user's model whose loss forgot its ``return``."""

    def __init__(self) -> None:
        self.net = TwoLayerNet(4, 3, 2, rng=0)
        self.params = self.net.params

    def predict(self, x: Any) -> FloatArray:
        return self.net.predict(x)

    def loss(self, x: Any, t: Any) -> float:
        self.net.loss(x, t)  # (no return: None)
        return None  # type: ignore[return-value]

    def accuracy(self, x: Any, t: Any) -> float:
        return self.net.accuracy(x, t)


@pytest.mark.parametrize("estimator", [NumericalDiff(), LOOP, NumericalDiff(scheme="forward")])
def test_a_loss_that_returns_none_is_named(estimator: NumericalDiff) -> None:
    with pytest.raises(TypeError, match=r"^_NoReturn\.loss\(x, t\) returned None; it must return "
                                        r"a float"):  # fmt: skip
        estimator.gradient(_NoReturn(), np.ones((2, 4)), np.array([0, 1]))
