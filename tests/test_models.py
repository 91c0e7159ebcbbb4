"""Models: the book's numbers bit for bit, shared parameters, input checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tinynn import (
    Affine,
    Backprop,
    NumericalDiff,
    Relu,
    Sequential,
    Sigmoid,
    SimpleNet,
    SoftmaxWithLoss,
    TwoLayerNet,
    gradient_check,
    numerical_gradient,
)

from . import book_reference as book

BOOK_W = np.array([[0.47355232, 0.9977393, 0.84668094], [0.85557411, 0.03563661, 0.69422093]])


# -- 4.4.2 simpleNet ----------------------------------------------------------------------
def test_simplenet_reproduces_the_books_printed_values() -> None:
    net = SimpleNet(BOOK_W, delta=0.0)
    x = np.array([0.6, 0.9])
    t = np.array([0, 0, 1])
    np.testing.assert_allclose(net.predict(x), [1.05414809, 0.63071653, 1.1328074], atol=1e-8)
    assert int(np.argmax(net.predict(x))) == 2
    assert net.loss(x, t) == pytest.approx(0.92806853663411326, abs=5e-9)
    dW = numerical_gradient(lambda w: net.loss(x, t), net.W)
    np.testing.assert_allclose(
        dW,
        [[0.21924763, 0.14356247, -0.36281009], [0.32887144, 0.2153437, -0.54421514]],
        atol=1e-8,
    )


def test_the_books_simplenet_values_were_printed_without_delta() -> None:
    x, t = np.array([0.6, 0.9]), np.array([0, 0, 1])
    with_delta = SimpleNet(BOOK_W).loss(x, t)
    assert with_delta == pytest.approx(book.cross_entropy_error(book.softmax(x @ BOOK_W), t))
    # delta shifts the loss by about delta / y = 1e-7 / 0.395: more than the printed precision
    assert 0.92806853663411326 - with_delta == pytest.approx(2.53e-7, rel=0.01)


def test_simplenet_random_weights_are_seeded() -> None:
    a, b, c = SimpleNet(rng=7), SimpleNet(rng=7), SimpleNet(rng=8)
    assert a.W.shape == (2, 3)
    np.testing.assert_array_equal(a.W, b.W)
    assert not np.array_equal(a.W, c.W)
    assert a.W is a.params["W"]
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        SimpleNet(np.ones((3, 3)))


# -- 4.5.1 TwoLayerNet: the book's numbers, bit for bit -------------------------------------
def _book_pair(rng: np.random.Generator, sizes: tuple[int, int, int], std: float = 0.5):
    net = TwoLayerNet(*sizes, weight_init_std=std, rng=rng)
    net.params["b1"][:] = 0.1 * rng.standard_normal(sizes[1])
    net.params["b2"][:] = 0.1 * rng.standard_normal(sizes[2])
    return net, book.BookTwoLayerNet(net.params)


def test_two_layer_net_matches_the_book_bit_for_bit(rng: np.random.Generator) -> None:
    net, ref = _book_pair(rng, (6, 5, 4))
    x = rng.random((8, 6)).astype(np.float32)  # the book feeds float32 MNIST
    labels = rng.integers(0, 4, 8)
    t = np.eye(4)[labels]
    np.testing.assert_array_equal(net.predict(x), ref.predict(x))
    assert net.loss(x, t) == ref.loss(x, t)
    assert net.loss(x, labels) == ref.loss(x, t)
    assert net.accuracy(x, t) == ref.accuracy(x, t) == net.accuracy(x, labels)
    ours, theirs = net.gradient(x, t), ref.gradient(x, t)
    for key in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
    ours_num, theirs_num = net.numerical_gradient(x, t), ref.numerical_gradient(x, t)
    for key in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(ours_num[key], theirs_num[key], err_msg=key)


def test_two_layer_net_index_labels_give_the_one_hot_gradient(rng: np.random.Generator) -> None:
    net, _ = _book_pair(rng, (4, 3, 3))
    x = rng.random((5, 4))
    labels = np.array([0, 1, 2, 2, 1])
    g1, g2 = net.gradient(x, labels), net.gradient(x, np.eye(3)[labels])
    for key in g1:
        np.testing.assert_array_equal(g1[key], g2[key])


def test_two_layer_net_shapes_and_init(rng: np.random.Generator) -> None:
    net = TwoLayerNet(784, 50, 10, rng=0)
    assert list(net.params) == ["W1", "b1", "W2", "b2"]
    assert net.params["W1"].shape == (784, 50) and net.params["b2"].shape == (10,)
    assert np.all(net.params["b1"] == 0)
    assert net.params["W1"].std() == pytest.approx(0.01, rel=0.05)
    np.testing.assert_array_equal(net.params["W1"], TwoLayerNet(784, 50, 10, rng=0).params["W1"])
    assert net.predict(np.zeros(784)).shape == (10,)


def test_backprop_and_numerical_agree_on_the_book_network(rng: np.random.Generator) -> None:
    net = TwoLayerNet(20, 10, 10, rng=rng)  # the book's weight_init_std=0.01
    x = rng.random((10, 20))
    t = rng.integers(0, 10, 10)
    # backprop differentiates the loss without its delta: exact agreement needs delta=0
    net.loss_layer = SoftmaxWithLoss(delta=0.0)
    for name, d in gradient_check(net, x, t).items():
        assert d.max_abs < 1e-9, (name, d)
    # with the book's delta = 1e-7 the two differ by about delta / y (relative)
    net.loss_layer = SoftmaxWithLoss()
    diffs = gradient_check(net, x, t)
    assert max(d.max_abs for d in diffs.values()) > 1e-8
    for name, d in diffs.items():
        assert d.max_abs < 5e-7 and d.mean_abs < 1e-7, (name, d)


# -- pluggable layers ------------------------------------------------------------------------
layer_kinds = st.lists(st.sampled_from(["sigmoid", "relu"]), min_size=0, max_size=3)


@given(
    layer_kinds,
    st.integers(2, 5),
    st.integers(2, 4),
    st.integers(1, 4),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_backprop_agrees_with_numerical_on_random_stacks(
    kinds: list[str], width: int, classes: int, batch: int, one_hot: bool, seed: int
) -> None:
    r = np.random.default_rng(seed)
    layers: list = [Affine.random(3, width, rng=r, weight_init_std=1.0)]
    for kind in kinds:
        layers += [
            Sigmoid() if kind == "sigmoid" else Relu(),
            Affine.random(width, width, rng=r, weight_init_std=1.0),
        ]
    layers.append(Affine.random(width, classes, rng=r, weight_init_std=1.0))
    for layer in layers:
        if "b" in layer.params:
            layer.params["b"][:] = r.standard_normal(layer.params["b"].shape)
    net = Sequential(layers, SoftmaxWithLoss(delta=0.0))
    x = r.standard_normal((batch, 3))
    a = x
    for layer in layers:  # central differences straddling ReLU's kink are not derivatives
        assume(not isinstance(layer, Relu) or np.min(np.abs(a)) > 1e-3)
        a = layer.forward(a)
    labels = r.integers(0, classes, batch)
    t = np.eye(classes)[labels] if one_hot else labels
    # h = 1e-5: with weights of std 1 through up to five layers, the third derivative can
    # reach ~10, so the default h = 1e-4 leaves a truncation error (~ h**2 f''' / 6) of about
    # 1e-7 on its own; h = 1e-5 brings it to 1e-9, still far above rounding (~1e-11)
    for name, d in gradient_check(net, x, t, reference=NumericalDiff(h=1e-5)).items():
        # absolute for small gradients, relative for large ones
        assert d.max_abs < 1e-7 or d.max_rel < 1e-7, (name, d)


def test_sequential_names_parameters_as_the_book() -> None:
    r = np.random.default_rng(0)
    net = Sequential([Affine.random(4, 3, rng=r), Relu(), Affine.random(3, 2, rng=r, bias=False)])
    assert list(net.params) == ["W1", "b1", "W2"]
    assert net.params["W2"] is net.layers[2].params["W"]
    assert "Affine(4 -> 3)" in repr(net)


def test_sequential_rejects_non_layers() -> None:
    with pytest.raises(ValueError, match="at least one layer"):
        Sequential([])
    with pytest.raises(TypeError, match=r"layers\[1\] is a str"):
        Sequential([Affine(np.eye(2)), "relu"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="LossLayer"):
        Sequential([Affine(np.eye(2))], loss=Sigmoid())  # type: ignore[arg-type]


# -- parameters are shared with the layers ------------------------------------------------------
def test_assigning_a_parameter_writes_into_the_layers_array() -> None:
    net = TwoLayerNet(3, 2, 2, rng=0)
    W1 = net.params["W1"]
    net.params["W1"] = np.ones((3, 2))
    assert net.params["W1"] is W1 and np.all(W1 == 1)
    np.testing.assert_array_equal(net.layers[0].params["W"], 1)
    net.params["W1"] -= 0.5
    np.testing.assert_array_equal(net.layers[0].params["W"], 0.5)
    net.params.update({"b1": [1.0, 2.0]})
    np.testing.assert_array_equal(net.layers[0].params["b"], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(3, 2\); cannot assign .* \(2, 2\)"):
        net.params["W1"] = np.ones((2, 2))
    with pytest.raises(KeyError, match="'W3' is not a parameter"):
        net.params["W3"] = np.ones(2)
    with pytest.raises(ValueError, match="non-finite"):
        net.params["b2"] = [np.nan, 0.0]


# -- input checks at the public API -------------------------------------------------------------
@pytest.mark.parametrize(
    ("x", "t", "error", "match"),
    [
        (
            np.ones((2, 5)),
            [0, 1],
            ValueError,
            "5 features per sample, but the first layer expects 4",
        ),
        (np.ones((2, 4)), [0, 3], ValueError, "label 3, outside the 3 classes"),
        (np.ones((2, 4)), [0, 1, 2], ValueError, r"expected \(2,\) class indices"),
        (np.ones((2, 4)), np.ones((2, 4)), ValueError, r"\(2, 3\) one-hot"),
        ([[np.nan, 0, 0, 0], [0, 0, 0, 0]], [0, 1], ValueError, "NaN at index \\(0, 0\\)"),
        ([[np.inf, 0, 0, 0]], [0], ValueError, "infinite"),
        (np.ones((0, 4)), [], ValueError, "non-empty batch"),
        (np.ones((2, 4)), [0.5, 1.0], TypeError, "must be integers"),
        (np.array([["a"] * 4]), [0], TypeError, "real numbers"),
    ],
)
def test_models_reject_bad_input(x: object, t: object, error: type[Exception], match: str) -> None:
    net = TwoLayerNet(4, 3, 3, rng=0)
    with pytest.raises(error, match=match):
        net.loss(x, t)  # type: ignore[arg-type]
    with pytest.raises(error, match=match):
        net.gradient(x, t)  # type: ignore[arg-type]


def test_estimators_on_a_model_without_gradient() -> None:
    class NoGrad:
        def __init__(self) -> None:
            self.inner = SimpleNet(rng=0)

        @property
        def params(self):  # type: ignore[no-untyped-def]
            return self.inner.params

        def predict(self, x):  # type: ignore[no-untyped-def]
            return self.inner.predict(x)

        def loss(self, x, t):  # type: ignore[no-untyped-def]
            return self.inner.loss(x, t)

        def accuracy(self, x, t):  # type: ignore[no-untyped-def]
            return self.inner.accuracy(x, t)

    model = NoGrad()
    with pytest.raises(TypeError, match="Use NumericalDiff"):
        Backprop().gradient(model, [0.6, 0.9], 2)
    grads = NumericalDiff().gradient(model, [0.6, 0.9], 2)
    assert grads["W"].shape == (2, 3)


@pytest.mark.parametrize("bad", [(0, 3, 3), (4, -1, 3), (4, 3, 2.0)])
def test_two_layer_net_rejects_bad_sizes(bad: tuple) -> None:
    with pytest.raises((ValueError, TypeError), match="_size must be an int >= 1"):
        TwoLayerNet(*bad)


def test_two_layer_net_rejects_bad_std_and_rng() -> None:
    with pytest.raises(ValueError, match="weight_init_std"):
        TwoLayerNet(2, 2, 2, weight_init_std=0.0)
    with pytest.raises(TypeError, match="rng must be"):
        TwoLayerNet(2, 2, 2, rng="seed")  # type: ignore[arg-type]
