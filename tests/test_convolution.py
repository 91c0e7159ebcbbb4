"""Convolution: forward and backward equal the definition computed by plain loops, backward
equals the numerical gradient, the book's worked examples, and every shape that does not fit
is refused with the numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from tinynn import SGD, Affine, Convolution, Pooling, Relu, Sequential, numerical_gradient

Array = NDArray[np.float64]


# -- the definition, by loops: out[n, f, i, j] = sum_{c,p,q} W[f,c,p,q] xpad[n,c,iS+p,jS+q] + b[f]
def conv_loop(x: Array, W: Array, b: Array, stride: int, pad: int) -> Array:
    N, _, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = (H + 2 * pad - FH) // stride + 1
    OW = (Wd + 2 * pad - FW) // stride + 1
    out = np.zeros((N, FN, OH, OW))
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    window = xp[n, :, i * stride : i * stride + FH, j * stride : j * stride + FW]
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out


def conv_backward_loop(
    x: Array, W: Array, dout: Array, stride: int, pad: int
) -> tuple[Array, Array, Array]:
    """dx, dW, db: every output's gradient sent back along the products that made it."""
    N, _, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dW, db = np.zeros_like(xp), np.zeros_like(W), np.zeros(FN)
    for n in range(N):
        for f in range(FN):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    rows = slice(i * stride, i * stride + FH)
                    cols = slice(j * stride, j * stride + FW)
                    dW[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += dout[n, f, i, j] * W[f]
                    db[f] += dout[n, f, i, j]
    return dxp[:, :, pad : pad + H, pad : pad + Wd], dW, db


# (N, C, H, W, FN, FH, FW, stride, pad): batch sizes, channel counts, non-square images and
# filters, strides 1-3, pads 0-2, overlapping and disjoint windows
CASES = [
    (1, 1, 4, 4, 1, 3, 3, 1, 0),
    (2, 3, 7, 7, 4, 3, 3, 1, 1),
    (3, 2, 6, 9, 2, 3, 2, 1, 0),
    (2, 1, 9, 7, 3, 3, 3, 2, 0),
    (1, 3, 8, 10, 2, 2, 2, 2, 0),
    (4, 2, 7, 8, 3, 3, 2, 2, 1),
    (2, 2, 10, 7, 2, 2, 2, 3, 2),
    (1, 1, 28, 28, 30, 5, 5, 1, 0),  # the book's first layer (one image)
]


def _case(case: tuple[int, ...]) -> tuple[Array, Array, Array, int, int]:
    n, c, h, w, fn, fh, fw, s, p = case
    rng = np.random.default_rng(sum(case))
    return (rng.standard_normal((n, c, h, w)), rng.standard_normal((fn, c, fh, fw)),
            rng.standard_normal(fn), s, p)  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_forward_and_backward_equal_the_loops(case: tuple[int, ...]) -> None:
    x, W, b, s, p = _case(case)
    conv = Convolution(W, b, stride=s, pad=p)
    out = conv.forward(x)
    expected = conv_loop(x, W, b, s, p)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    dx = conv.backward(dout)
    dx_ref, dW_ref, db_ref = conv_backward_loop(x, W, dout, s, p)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.grads["W"], dW_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.grads["b"], db_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES[:7])
def test_backward_equals_the_numerical_gradient(case: tuple[int, ...]) -> None:
    """d/d(x, W, b) of L = sum(out * g): central differences (exact up to rounding here,
    since L is linear in each) against backward."""
    x, W, b, s, p = _case(case)
    conv = Convolution(W, b, stride=s, pad=p)
    g = np.random.default_rng(2).standard_normal(conv.forward(x).shape)

    def loss(_: object) -> float:
        return float(np.sum(conv.forward(x) * g))

    numeric = {name: numerical_gradient(loss, a) for name, a in
               (("x", x), ("W", conv.params["W"]), ("b", conv.params["b"]))}  # fmt: skip
    conv.forward(x)
    dx = conv.backward(g)
    np.testing.assert_allclose(dx, numeric["x"], atol=1e-7)
    np.testing.assert_allclose(conv.grads["W"], numeric["W"], atol=1e-7)
    np.testing.assert_allclose(conv.grads["b"], numeric["b"], atol=1e-7)


@st.composite
def geometry(draw: st.DrawFn) -> tuple[Any, ...]:
    """A geometry that fits exactly: H = (OH - 1) * S + FH - 2P."""
    fh, fw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s, p = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    low_h = max(1, -(-(2 * p - fh + 1) // s) + 1)  # the fewest positions with H >= 1
    low_w = max(1, -(-(2 * p - fw + 1) // s) + 1)
    oh, ow = draw(st.integers(low_h, low_h + 3)), draw(st.integers(low_w, low_w + 3))
    h, w = (oh - 1) * s + fh - 2 * p, (ow - 1) * s + fw - 2 * p
    n, c, fn = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return n, c, h, w, fn, fh, fw, s, p, draw(st.integers(0, 2**32 - 1))


@given(geometry())
def test_forward_and_backward_equal_the_loops_for_any_fitting_geometry(g: tuple[Any, ...]) -> None:
    n, c, h, w, fn, fh, fw, s, p, seed = g
    assert h >= 1 and w >= 1
    rng = np.random.default_rng(seed)
    x, W = rng.standard_normal((n, c, h, w)), rng.standard_normal((fn, c, fh, fw))
    b = rng.random(fn)
    conv = Convolution(W, b, stride=s, pad=p)
    out = conv.forward(x)
    np.testing.assert_allclose(out, conv_loop(x, W, b, s, p), rtol=1e-10, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx_ref, dW_ref, db_ref = conv_backward_loop(x, W, dout, s, p)
    np.testing.assert_allclose(conv.backward(dout), dx_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.grads["W"], dW_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.grads["b"], db_ref, rtol=1e-10, atol=1e-12)


# the book's worked example (section 7.2.2-7.2.3): a 4x4 input and a 3x3 filter
BOOK_X = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]], dtype=np.float64)
BOOK_W = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]], dtype=np.float64)


def test_the_books_worked_examples() -> None:
    x, W = BOOK_X.reshape(1, 1, 4, 4), BOOK_W.reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(Convolution(W, [0.0]).forward(x)[0, 0], [[15, 16], [6, 15]])
    np.testing.assert_array_equal(Convolution(W, [3.0]).forward(x)[0, 0], [[18, 19], [9, 18]])
    padded = Convolution(W, [0.0], pad=1).forward(x)[0, 0]
    np.testing.assert_array_equal(
        padded, [[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6], [8, 10, 4, 3]]
    )


def test_params_are_shared_and_grads_have_their_shapes() -> None:
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((4, 2, 3, 3)), np.zeros(4)
    conv = Convolution(W, b)
    assert conv.params["W"] is W and conv.params["b"] is b and conv.W is W
    x = rng.standard_normal((2, 2, 5, 5))
    before = conv.forward(x)
    conv.backward(np.ones_like(before))
    assert {k: v.shape for k, v in conv.grads.items()} == {"W": W.shape, "b": b.shape}
    SGD(lr=0.1).update(conv.params, conv.grads)  # in place, as the book's optimizers
    assert not np.array_equal(conv.forward(x), before)


def test_backward_without_input_grad_fills_the_same_grads() -> None:
    x, W, b, s, p = _case(CASES[1])
    a, c = Convolution(W, b, s, p), Convolution(W.copy(), b.copy(), s, p)
    dout = np.random.default_rng(3).standard_normal(a.forward(x).shape)
    c.forward(x)
    a.backward(dout)
    assert c.backward(dout, input_grad=False).size == 0
    for key in ("W", "b"):
        np.testing.assert_array_equal(a.grads[key], c.grads[key])


def test_a_sequential_starting_with_a_convolution_takes_image_batches() -> None:
    """Sequential checks a first Affine's feature count; a Convolution's W is 4-D and its own
    forward checks the shape, so (N, C, H, W) input reaches it."""
    rng = np.random.default_rng(0)
    net = Sequential([Convolution(rng.standard_normal((2, 1, 3, 3)), np.zeros(2)), Relu(),
                      Pooling(2, 2, stride=2), Affine(rng.standard_normal((18, 3)), np.zeros(3))])
    x, t = rng.random((4, 1, 8, 8)), np.array([0, 1, 2, 0])
    assert net.predict(x).shape == (4, 3)
    assert set(net.gradient(x, t)) == {"W1", "b1", "W2", "b2"}
    with pytest.raises(ValueError, match=r"has 2 channel\(s\), but the filters W \(2, 1, 3, 3\) "
                       r"expect C = 1"):  # fmt: skip
        net.predict(rng.random((4, 2, 8, 8)))


def test_float32_input_gives_float64_output() -> None:
    conv = Convolution(np.ones((1, 1, 2, 2)), np.zeros(1))
    assert conv.forward(np.ones((1, 1, 3, 3), dtype=np.float32)).dtype == np.float64


def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match=r"W must be a non-empty 4-D array \(FN, C, FH, FW\), "
                       r"got shape \(3, 3\)"):  # fmt: skip
        Convolution(np.ones((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"W must be a non-empty 4-D array"):
        Convolution(np.ones((0, 1, 3, 3)), np.zeros(0))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\), one bias per filter of W "
                       r"\(2, 1, 3, 3\), got shape \(3,\)"):  # fmt: skip
        Convolution(np.ones((2, 1, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="W contains 4 non-finite value"):
        Convolution(np.full((1, 1, 2, 2), np.nan), np.zeros(1))
    with pytest.raises(ValueError, match="stride must be an int >= 1, got 0"):
        Convolution(np.ones((1, 1, 2, 2)), np.zeros(1), stride=0)
    with pytest.raises(TypeError, match="pad must be an int >= 0"):
        Convolution(np.ones((1, 1, 2, 2)), np.zeros(1), pad=0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="W must be an array of real numbers"):
        Convolution("filters", np.zeros(1))  # type: ignore[arg-type]


def test_forward_errors_name_what_was_given_and_expected() -> None:
    conv = Convolution(np.ones((2, 3, 5, 5)), np.zeros(2), stride=2, pad=1)
    with pytest.raises(ValueError, match=r"Convolution takes input of shape \(N, C, H, W\), got "
                       r"2-D input of shape \(10, 784\)"):  # fmt: skip
        conv.forward(np.ones((10, 784)))
    with pytest.raises(ValueError, match=r"input of shape \(1, 1, 9, 9\) has 1 channel\(s\), but "
                       r"the filters W \(2, 3, 5, 5\) expect C = 3"):  # fmt: skip
        conv.forward(np.ones((1, 1, 9, 9)))
    with pytest.raises(ValueError, match=r"along its height: the filter \(5\) is larger than the "
                       r"padded input: H \+ 2P = 2 \+ 2\*1 = 4"):  # fmt: skip
        conv.forward(np.ones((1, 3, 2, 9)))
    with pytest.raises(ValueError, match=r"along its width: the stride 2 does not divide W \+ 2P "
                       r"- FW = 8 \+ 2\*1 - 5 = 5"):  # fmt: skip
        conv.forward(np.ones((1, 3, 9, 8)))
    assert conv.forward(np.ones((1, 3, 9, 9))).shape == (1, 2, 4, 4)


def test_backward_errors() -> None:
    conv = Convolution(np.ones((2, 1, 2, 2)), np.zeros(2))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        conv.backward(np.ones((1, 2, 2, 2)))
    conv.forward(np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"dout must have the shape of the last output "
                       r"\(1, 2, 2, 2\), got \(1, 2, 4\)"):  # fmt: skip
        conv.backward(np.ones((1, 2, 4)))


def test_float32_filters_and_input_stay_float32() -> None:
    """Nothing in forward or backward turns float32 into float64 (the filters set to float32
    through ``params``); the results are float64's to float32's precision."""
    x, W, b, s, p = _case(CASES[1])
    exact = Convolution(W, b, stride=s, pad=p)
    conv = Convolution(W, b, stride=s, pad=p)
    conv.params["W"] = W.astype(np.float32)
    conv.params["b"] = b.astype(np.float32)
    out = conv.forward(x.astype(np.float32))
    expected = exact.forward(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    dout = np.random.default_rng(4).standard_normal(out.shape)
    dx = conv.backward(dout.astype(np.float32))
    assert dx.dtype == np.float32
    np.testing.assert_allclose(dx, exact.backward(dout), rtol=1e-5, atol=1e-5)
    for key in ("W", "b"):
        assert conv.grads[key].dtype == np.float32, key
        np.testing.assert_allclose(conv.grads[key], exact.grads[key], rtol=1e-4, atol=1e-4)
    assert conv.backward(dout.astype(np.float32), input_grad=False).dtype == np.float32


def test_what_does_not_fit_is_refused_after_what_fits() -> None:
    """forward checks every input against the filters, stride and pad as they are now."""
    conv = Convolution(np.ones((2, 3, 3, 3)), np.zeros(2))
    assert conv.forward(np.ones((1, 3, 5, 5))).shape == (1, 2, 3, 3)
    assert conv.forward(np.ones((1, 3, 5, 5))).shape == (1, 2, 3, 3)
    with pytest.raises(ValueError, match=r"has 1 channel\(s\), but the filters W"):
        conv.forward(np.ones((1, 1, 5, 5)))
    conv.params["W"] = np.ones((2, 1, 3, 3))  # new filters
    with pytest.raises(ValueError, match=r"has 3 channel\(s\), but the filters W \(2, 1, 3, 3\)"):
        conv.forward(np.ones((1, 3, 5, 5)))
    assert conv.forward(np.ones((1, 1, 5, 5))).shape == (1, 2, 3, 3)
    conv.stride = 3  # a changed stride too
    with pytest.raises(ValueError, match=r"the stride 3 does not divide H \+ 2P - FH = 5 \+ "):
        conv.forward(np.ones((1, 1, 5, 5)))
