"""Random shapes, dtypes and values thrown at the public API (issue 8).

Every call must either give a correct result (checked here against a reference computed
independently) or raise ``TypeError``/``ValueError`` with a message of our own: never a NumPy
internal error, a bare ``IndexError``/``KeyError``, a NumPy ``RuntimeWarning`` or a silent NaN.
Warnings are errors inside :func:`outcome` (except ``PrecisionWarning``, ours).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinynn as nn

# Phrases of errors raised by NumPy or Python internals, which must never reach the user.
INTERNAL = (
    "inhomogeneous",
    "setting an array element",
    "ufunc",
    "could not broadcast",
    "operands could not",
    "unhashable",
    "object is not callable",
    "not supported between instances",
    "object cannot be interpreted",
    "only integer scalar arrays",
    "index out of bounds",
    "invalid literal",
    "could not convert",
)

DTYPES = [np.bool_, np.int8, np.int64, np.uint8, np.float16, np.float32, np.float64,
          np.complex128]


@st.composite
def any_array(draw: st.DrawFn, max_dims: int = 3) -> Any:
    """An ndarray of a random dtype and shape, with NaN, infinity and huge values allowed."""
    dtype = draw(st.sampled_from([*DTYPES, "U3", "O"]))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=4))
    if dtype == "U3":
        return draw(hnp.arrays("U3", shape, elements=st.text(alphabet="ab1 .-", max_size=3)))
    if dtype == "O":
        return np.array(draw(st.lists(st.one_of(st.none(), st.integers(0, 3)), max_size=4)),
                        dtype=object)
    kind = np.dtype(dtype).kind
    if kind == "f":
        finfo = np.finfo(dtype)
        elements = st.one_of(
            st.floats(-10, 10, width=finfo.bits),
            st.sampled_from([np.nan, np.inf, -np.inf, float(finfo.max), float(finfo.min), 0.0]),
        )
        return draw(hnp.arrays(dtype, shape, elements=elements))
    return draw(hnp.arrays(dtype, shape))


ODD_VALUES = st.sampled_from(
    [None, "abc", "", 3, 2.5, True, 1 + 2j, [[1.0, 2.0], [3.0]], [1.0, [2.0]], {"a": 1},
     print, b"\x00", [], [[]], ["1", 2]]
)
ANY = st.one_of(any_array(), ODD_VALUES)


def outcome(call: Callable[[], Any]) -> Any:
    """The result of ``call()``, or the documented exception it raised (checked here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", nn.PrecisionWarning)
        try:
            return call()
        except (TypeError, ValueError) as exc:
            text = str(exc)
            assert text, f"{type(exc).__name__} without a message"
            assert not any(p in text for p in INTERNAL), f"internal message leaked: {text}"
            return exc


def finite_floats(a: Any) -> np.ndarray[Any, Any] | None:
    """``a`` as float64 if it is a real, NaN-free array-like, else ``None`` (then we expect an
    error)."""
    try:
        arr = np.asarray(a)
    except ValueError:
        return None
    if arr.dtype.kind not in "biuf" or isinstance(a, (str, bytes, dict)) or a is None:
        return None
    f = arr.astype(np.float64)
    return None if np.isnan(f).any() else f


# -- functions ---------------------------------------------------------------------------


ELEMENTWISE: list[tuple[Callable[[Any], Any], Callable[[np.ndarray[Any, Any]], Any]]] = [
    (nn.identity_function, lambda f: f),
    (nn.step_function, lambda f: (f > 0).astype(float)),
    (nn.relu, lambda f: np.maximum(f, 0.0)),
    (nn.relu_grad, lambda f: (f > 0).astype(float)),
]


@given(ANY, st.sampled_from(range(len(ELEMENTWISE))))
def test_elementwise_functions(x: Any, which: int) -> None:
    f, reference = ELEMENTWISE[which]
    result = outcome(lambda: f(x))
    expected = finite_floats(x)
    if expected is None:
        assert isinstance(result, (TypeError, ValueError)), (x, result)
        return
    assert isinstance(result, (np.ndarray, np.float64)), result  # scalars stay scalars
    assert np.asarray(result).dtype == np.float64
    np.testing.assert_array_equal(result, reference(expected))


@given(ANY)
def test_sigmoid_and_its_gradient(x: Any) -> None:
    s, g = outcome(lambda: nn.sigmoid(x)), outcome(lambda: nn.sigmoid_grad(x))
    f = finite_floats(x)
    if f is None:
        assert isinstance(s, (TypeError, ValueError)) and isinstance(g, (TypeError, ValueError))
        return
    with np.errstate(over="ignore"):
        expected = 1.0 / (1.0 + np.exp(-f))
    np.testing.assert_allclose(s, expected, rtol=1e-12)
    assert np.all((s >= 0) & (s <= 1)) and not np.isnan(g).any()


@given(ANY)
def test_softmax(x: Any) -> None:
    y = outcome(lambda: nn.softmax(x))
    f = finite_floats(x)
    if f is None or f.ndim not in (1, 2) or f.size == 0 or not np.isfinite(f).all():
        assert isinstance(y, (TypeError, ValueError)), (x, y)
        return
    assert y.shape == f.shape and np.all(np.isfinite(y))
    np.testing.assert_allclose(np.sum(y, axis=-1), 1.0, rtol=1e-12)
    shifted = f - np.max(f, axis=-1, keepdims=True)
    np.testing.assert_allclose(y, np.exp(shifted) / np.sum(np.exp(shifted), -1, keepdims=True))


# -- losses ------------------------------------------------------------------------------


@given(ANY, ANY)
def test_sum_squared_error(y: Any, t: Any) -> None:
    e = outcome(lambda: nn.sum_squared_error(y, t))
    fy, ft = finite_floats(y), finite_floats(t)
    if fy is None or ft is None or fy.shape != ft.shape:
        assert isinstance(e, (TypeError, ValueError))
        return
    if isinstance(e, ValueError):  # only infinity or overflow may fail
        assert not (np.isfinite(fy).all() and np.isfinite(ft).all()) or "overflow" in str(e)
        return
    assert e == pytest.approx(0.5 * np.sum((fy - ft) ** 2), rel=1e-9) and np.isfinite(e)


@given(ANY, ANY)
def test_cross_entropy_error_on_anything(y: Any, t: Any) -> None:
    e = outcome(lambda: nn.cross_entropy_error(y, t))
    # -log(1 + delta) = -1e-7 for a certain right answer: the book's formula
    assert isinstance(e, (TypeError, ValueError)) or (isinstance(e, float) and -1e-6 < e < 17)


@given(st.integers(1, 5), st.integers(2, 5), st.integers(0, 2**32 - 1), st.booleans())
def test_cross_entropy_error_on_valid_inputs(n: int, c: int, seed: int, one_hot: bool) -> None:
    rng = np.random.default_rng(seed)
    y = nn.softmax(rng.standard_normal((n, c)))
    labels = rng.integers(0, c, n)
    t = np.eye(c)[labels] if one_hot else labels
    expected = -np.mean(np.log(y[np.arange(n), labels] + 1e-7))
    assert nn.cross_entropy_error(y, t) == pytest.approx(expected, rel=1e-12)


# -- calculus ----------------------------------------------------------------------------


def square(v: Any) -> float:
    with np.errstate(over="ignore"):  # the user's function: its overflow is not ours
        return float(np.sum(np.asarray(v, dtype=np.float64) ** 2))


FUNCS = st.sampled_from(
    [square, lambda v: None, lambda v: "x",
     lambda v: float("nan"), lambda v: np.ones(3), 3, "f", None]
)


@given(FUNCS, ANY)
def test_numerical_diff_and_tangent_line(f: Any, x: Any) -> None:
    d = outcome(lambda: nn.numerical_diff(f, x))
    line = outcome(lambda: nn.tangent_line(f, x))
    if isinstance(d, float):
        assert np.isfinite(d) and not isinstance(line, Exception)
        xf = float(x)
        if xf + 1e-4 == xf or xf - 1e-4 == xf:  # the step is lost: documented PrecisionWarning
            with pytest.warns(nn.PrecisionWarning, match="rounding"):
                nn.numerical_diff(f, x)
        else:
            assert d == pytest.approx(2 * xf, rel=1e-6, abs=1e-6)
    else:
        assert isinstance(d, (TypeError, ValueError)) and isinstance(line, (TypeError, ValueError))


@given(FUNCS, ANY)
def test_numerical_gradient(f: Any, x: Any) -> None:
    g = outcome(lambda: nn.numerical_gradient(f, x))
    if isinstance(g, np.ndarray):
        assert g.shape == x.shape and np.all(np.isfinite(g))
        if x.dtype == np.float64 and np.all(np.abs(x) < 1e3):  # else rounding (warned about)
            np.testing.assert_allclose(g, 2 * x, rtol=1e-5, atol=1e-4)
    else:
        assert isinstance(g, (TypeError, ValueError))


@given(FUNCS, ANY, st.sampled_from([0.1, 0.0, -1.0, np.nan, "0.1", True, 1e300]),
       st.sampled_from([0, 3, -1, 2.5, True, None]))
def test_gradient_descent(f: Any, x: Any, lr: Any, steps: Any) -> None:
    r = outcome(lambda: nn.gradient_descent(f, x, lr=lr, step_num=steps))
    if isinstance(r, np.ndarray):
        assert np.all(np.isfinite(r))
    else:
        assert isinstance(r, (TypeError, ValueError))


# -- layers and models ---------------------------------------------------------------------


@given(ANY, st.one_of(st.none(), ANY))
def test_affine_constructor(w: Any, b: Any) -> None:
    layer = outcome(lambda: nn.Affine(w, b))
    if isinstance(layer, nn.Affine):
        assert layer.W.ndim == 2 and np.all(np.isfinite(layer.W))
        assert "b" not in layer.params or layer.params["b"].shape == (layer.W.shape[1],)


@given(st.sampled_from([0.0, 1e-7, -1.0, np.nan, np.inf, "0", None, True, 1]))
def test_softmax_with_loss_constructor(delta: Any) -> None:
    layer = outcome(lambda: nn.SoftmaxWithLoss(delta))
    assert isinstance(layer, (nn.SoftmaxWithLoss, TypeError, ValueError))


SIZES = st.sampled_from([3, 0, -1, 2.0, True, "3", None, 10**3])


@given(SIZES, SIZES, SIZES, st.sampled_from([0.01, 0.0, -1.0, np.inf, "x"]))
def test_two_layer_net_constructor(i: Any, h: Any, o: Any, std: Any) -> None:
    net = outcome(lambda: nn.TwoLayerNet(i, h, o, std, rng=0))
    if isinstance(net, nn.TwoLayerNet):
        assert net.params["W1"].shape == (i, h) and net.params["W2"].shape == (h, o)


NET = nn.TwoLayerNet(3, 4, 2, rng=0)
X_OK = np.random.default_rng(0).random((4, 3))
T_OK = np.array([0, 1, 1, 0])


@given(st.one_of(st.just(X_OK), ANY), st.one_of(st.just(T_OK), ANY))
def test_model_methods(x: Any, t: Any) -> None:
    for method in (lambda: NET.loss(x, t), lambda: NET.accuracy(x, t),
                   lambda: NET.gradient(x, t)):
        r = outcome(method)
        if isinstance(r, float):
            assert np.isfinite(r)
        elif isinstance(r, dict):
            assert all(np.all(np.isfinite(v)) for v in r.values())
        else:
            assert isinstance(r, (TypeError, ValueError))
    p = outcome(lambda: NET.predict(x))
    if isinstance(p, np.ndarray):
        assert np.all(np.isfinite(p)) and np.allclose(np.sum(p, axis=-1), 1.0)
    else:
        assert isinstance(p, (TypeError, ValueError))


@given(st.one_of(st.just(X_OK[:2]), ANY), st.one_of(st.just(T_OK[:2]), ANY))
def test_gradient_check(x: Any, t: Any) -> None:
    small = nn.TwoLayerNet(3, 2, 2, rng=1)
    r = outcome(lambda: nn.gradient_check(small, x, t))
    if isinstance(r, dict):
        # saturated sigmoids (huge x) give gradients near 0, where only the absolute
        # difference means anything
        assert all(d.max_rel < 1e-4 or d.max_abs < 1e-5 for d in r.values()), r
    else:
        assert isinstance(r, (TypeError, ValueError))


@given(SIZES, SIZES, st.sampled_from([np.random.default_rng(0), 0, None, "seed", 2.5]),
       st.sampled_from([True, False, "no", None]))
def test_affine_random(i: Any, o: Any, rng: Any, bias: Any) -> None:
    layer = outcome(lambda: nn.Affine.random(i, o, rng=rng, bias=bias))
    if isinstance(layer, nn.Affine):
        assert layer.W.shape == (i, o) and ("b" in layer.params) == bias
    else:
        assert isinstance(layer, (TypeError, ValueError))


@given(st.sampled_from([None, [], (), "abc", nn.Sigmoid(), [nn.Sigmoid(), 3], [nn.Relu()],
                        [nn.Affine.random(2, 2, rng=0)]]),
       st.sampled_from([None, nn.SoftmaxWithLoss(), 3, nn.Sigmoid()]))
def test_sequential_constructor(layers: Any, loss: Any) -> None:
    model = outcome(lambda: nn.Sequential(layers, loss))
    assert isinstance(model, (nn.Sequential, TypeError, ValueError))


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_every_estimator_names_a_non_finite_weight(value: float) -> None:
    """An infinite weight behind a saturated sigmoid leaves the loss finite: no estimator may
    then return a gradient silently; each names the parameter."""
    for estimator in (nn.Backprop(), nn.NumericalDiff(), nn.NumericalDiff(method="loop"),
                      nn.SPSA(rng=0)):  # fmt: skip
        net = nn.TwoLayerNet(4, 3, 2, rng=0)
        net.params["W1"][0, 0] = value
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # and no bare NumPy warning on the way
            with pytest.raises(ValueError, match=r"params\['W1'\] contains 1 non-finite"):
                estimator.gradient(net, np.ones((2, 4)), np.array([0, 1]))


class _Scale:
    """A user's layer with a parameter, declaring nothing about non-finite values."""

    def __init__(self, n: int) -> None:
        self.params = {"s": np.ones(n)}
        self.grads: dict[str, Any] = {}

    def forward(self, x: Any) -> Any:
        self.x = x
        return np.tanh(x * self.params["s"])  # tanh(inf) = 1: hides an infinite s

    def backward(self, dout: Any) -> Any:
        y = np.tanh(self.x * self.params["s"])
        self.grads["s"] = np.sum(dout * (1 - y**2) * self.x, axis=0)
        return dout * (1 - y**2) * self.params["s"]


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_gradient_finds_every_non_finite_input_or_weight(value: float) -> None:
    """Backprop checks the small outputs of Affine layers instead of x and the weights;
    whatever is hidden behind a saturating layer is still named, with the usual message."""
    rng = np.random.default_rng(0)
    x, t = rng.random((3, 4)) + 0.5, np.array([0, 1, 0])
    net = nn.TwoLayerNet(4, 3, 2, rng=0)
    x_bad = x.copy()
    x_bad[1, 2] = value
    with pytest.raises(ValueError, match=r"^x contains 1 non-finite value"):
        nn.Backprop().gradient(net, x_bad, t)
    net.params["W1"][1, :] = 0.0  # 0 * inf: NaN, still seen
    with pytest.raises(ValueError, match=r"^x contains 1 non-finite value"):
        nn.Backprop().gradient(net, x_bad, t)
    x_zero = x.copy()
    x_zero[:, 0] = 0.0  # no sample sees W1[0, :]: 0 * inf is NaN, so it still shows
    net = nn.TwoLayerNet(4, 3, 2, rng=0)
    net.params["W1"][0, 1] = value
    with pytest.raises(ValueError, match=r"params\['W1'\] contains 1 non-finite"):
        nn.Backprop().gradient(net, x_zero, t)
    net = nn.TwoLayerNet(4, 3, 2, rng=0)
    net.params["b2"][1] = value
    with pytest.raises(ValueError, match=r"params\['b2'\] contains 1 non-finite"):
        nn.Backprop().gradient(net, x, t)
    # a first layer that hides -inf (Relu) and a user's layer that hides inf (tanh):
    # checked in full, before the forward pass
    relu_first = nn.Sequential([nn.Relu(), nn.Affine.random(4, 2, rng=0)])
    with pytest.raises(ValueError, match=r"^x contains 1 non-finite value"):
        nn.Backprop().gradient(relu_first, x_bad, t)
    scaled = nn.Sequential(
        [nn.Affine.random(4, 3, rng=0), _Scale(3), nn.Affine.random(3, 2, rng=0)]
    )
    scaled.params["s1"][0] = value  # numbered with W1 (the book: gamma1 with W1)
    with pytest.raises(ValueError, match=r"params\['s1'\] contains 1 non-finite"):
        nn.Backprop().gradient(scaled, x, t)


def test_gradient_of_an_infinite_loss_is_still_the_exact_gradient() -> None:
    """With delta = 0 a target class whose probability underflowed to 0 makes the loss
    infinite; loss() says so, but the gradient (y - t) / N is finite and exact, and
    gradient() does not compute the loss value at all."""
    net = nn.SimpleNet([[1000.0, 0.0, 0.0], [0.0, 0.0, 0.0]], delta=0.0)
    x, t = np.array([[1.0, 0.0]]), np.array([2])
    with pytest.raises(ValueError, match="probability of 0 to a target class"):
        net.loss(x, t)
    y = nn.softmax(x @ net.W)
    expected = x.T @ (y - np.eye(3)[t])
    np.testing.assert_array_equal(nn.Backprop().gradient(net, x, t)["W"], expected)
