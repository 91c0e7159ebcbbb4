"""Pooling: forward and backward equal max pooling computed by plain loops (ties to the first
maximum, as the book's argmax), backward equals the numerical gradient, and shapes that do not
fit are refused with the numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from tinynn import Pooling, numerical_gradient

Array = NDArray[np.float64]


# -- the definition, by loops ------------------------------------------------------------------
def pool_loop(x: Array, ph: int, pw: int, stride: int, pad: int, dout: Array | None = None
              ) -> tuple[Array, Array]:  # fmt: skip
    """The output, and dx for ``dout``: each window's gradient to its first maximum."""
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # zeros, as the book's im2col
    OH, OW = (H + 2 * pad - ph) // stride + 1, (W + 2 * pad - pw) // stride + 1
    out, dxp = np.zeros((N, C, OH, OW)), np.zeros_like(xp)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = xp[n, c, i * stride : i * stride + ph, j * stride : j * stride + pw]
                    out[n, c, i, j] = window.max()
                    if dout is not None:
                        p, q = divmod(int(np.argmax(window)), pw)  # the first maximum
                        dxp[n, c, i * stride + p, j * stride + q] += dout[n, c, i, j]
    return out, dxp[:, :, pad : pad + H, pad : pad + W]


# (N, C, H, W, PH, PW, stride, pad): the book's 2x2/2, overlapping 3x3/1 and 3x3/2, non-square
# windows and images, pads, a stride larger than the window
CASES = [
    (2, 3, 8, 8, 2, 2, 2, 0),
    (1, 2, 6, 9, 3, 3, 1, 0),
    (3, 1, 7, 7, 3, 3, 2, 0),
    (2, 2, 6, 9, 2, 3, 2, 1),
    (1, 3, 5, 7, 1, 2, 1, 0),
    (2, 1, 10, 10, 3, 3, 3, 1),
    (1, 2, 8, 10, 2, 1, 3, 0),
    (2, 4, 24, 24, 2, 2, 2, 0),  # the book's network: pooling the 24x24 feature maps
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", ["distinct", "ties"])
def test_forward_and_backward_equal_the_loops(case: tuple[int, ...], kind: str) -> None:
    n, c, h, w, ph, pw, s, p = case
    rng = np.random.default_rng(sum(case))
    x = rng.standard_normal((n, c, h, w))
    if kind == "ties":  # few values, many ties: the first maximum of a window takes the gradient
        x = rng.integers(-2, 3, (n, c, h, w)).astype(np.float64)
    pool = Pooling(ph, pw, stride=s, pad=p)
    out = pool.forward(x)
    dout = rng.standard_normal(out.shape)
    expected, dx_expected = pool_loop(x, ph, pw, s, p, dout)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_allclose(pool.backward(dout), dx_expected, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("case", CASES[:7])
def test_backward_equals_the_numerical_gradient(case: tuple[int, ...]) -> None:
    """On inputs whose values are 0.01 apart at least (no maximum changes within h = 1e-4)."""
    n, c, h, w, ph, pw, s, p = case
    rng = np.random.default_rng(sum(case))
    x = (rng.permutation(n * c * h * w) * 0.01 - 1.0).reshape(n, c, h, w)
    pool = Pooling(ph, pw, stride=s, pad=p)
    g = rng.standard_normal(pool.forward(x).shape)
    numeric = numerical_gradient(lambda _: float(np.sum(pool.forward(x) * g)), x)
    pool.forward(x)
    np.testing.assert_allclose(pool.backward(g), numeric, atol=1e-8)


@st.composite
def geometry(draw: st.DrawFn) -> tuple[Any, ...]:
    ph, pw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    s, p = draw(st.integers(1, 3)), draw(st.integers(0, 1))
    low_h = max(1, -(-(2 * p - ph + 1) // s) + 1)
    low_w = max(1, -(-(2 * p - pw + 1) // s) + 1)
    oh, ow = draw(st.integers(low_h, low_h + 3)), draw(st.integers(low_w, low_w + 3))
    h, w = (oh - 1) * s + ph - 2 * p, (ow - 1) * s + pw - 2 * p
    return draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w, ph, pw, s, p


@given(geometry(), st.integers(0, 2**32 - 1), st.booleans())
def test_forward_and_backward_equal_the_loops_for_any_fitting_geometry(
    g: tuple[Any, ...], seed: int, ties: bool
) -> None:
    n, c, h, w, ph, pw, s, p = g
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, (n, c, h, w)).astype(np.float64) if ties else rng.random((n, c, h, w))
    pool = Pooling(ph, pw, stride=s, pad=p)
    out = pool.forward(x)
    dout = rng.standard_normal(out.shape)
    expected, dx_expected = pool_loop(x, ph, pw, s, p, dout)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_allclose(pool.backward(dout), dx_expected, rtol=1e-14, atol=1e-15)


def test_a_worked_example() -> None:
    """The 2x2 max pooling with stride 2 of a 4x4 input that the book draws in 7.3."""
    x = np.array([[1, 2, 1, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 4, 0, 1]], dtype=np.float64)
    pool = Pooling(2, 2, stride=2)
    np.testing.assert_array_equal(pool.forward(x.reshape(1, 1, 4, 4))[0, 0], [[2, 3], [4, 2]])
    dx = pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))[0, 0]
    # window 4 ([[1, 2], [0, 1]]) sends its gradient to the 2 at row 2, column 3
    expected = [[0, 1, 0, 0], [0, 0, 0, 2], [0, 0, 0, 4], [0, 3, 0, 0]]
    np.testing.assert_array_equal(dx, expected)


def test_ties_send_the_gradient_to_the_first_maximum_only() -> None:
    pool = Pooling(2, 2, stride=2)
    pool.forward(np.zeros((1, 1, 2, 2)))  # all four tie (as after a ReLU that zeroed them)
    np.testing.assert_array_equal(pool.backward(np.full((1, 1, 1, 1), 5.0))[0, 0],
                                  [[5, 0], [0, 0]])  # fmt: skip
    overlapping = Pooling(2, 2, stride=1)
    overlapping.forward(np.ones((1, 1, 2, 3)))
    np.testing.assert_array_equal(overlapping.backward(np.ones((1, 1, 1, 2)))[0, 0],
                                  [[1, 1, 0], [0, 0, 0]])  # fmt: skip


def test_zero_padding_as_in_the_books_im2col() -> None:
    out = Pooling(2, 2, stride=2, pad=1).forward(-np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(out[0, 0], [[0, 0], [0, 0]])  # every window holds a 0 of pad


def test_no_params_and_the_output_shape() -> None:
    pool = Pooling(2, 2, stride=2)
    assert pool.params == {} and pool.grads == {}
    assert pool.output_shape((100, 30, 24, 24)) == (100, 30, 12, 12)
    assert Pooling(3, 2, stride=1, pad=1).output_shape((2, 3, 5, 6)) == (2, 3, 5, 7)


def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match="pool_h must be an int >= 1, got 0"):
        Pooling(0, 2)
    with pytest.raises(TypeError, match="pool_w must be an int >= 1"):
        Pooling(2, 2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="stride must be an int >= 1, got -1"):
        Pooling(2, 2, stride=-1)
    with pytest.raises(ValueError, match="pad must be an int >= 0, got -1"):
        Pooling(2, 2, pad=-1)


def test_forward_errors_name_what_was_given_and_expected() -> None:
    pool = Pooling(2, 2, stride=2)
    with pytest.raises(ValueError, match=r"Pooling takes input of shape \(N, C, H, W\), got 3-D "
                       r"input of shape \(30, 24, 24\)"):  # fmt: skip
        pool.forward(np.ones((30, 24, 24)))
    with pytest.raises(ValueError, match=r"input of shape \(1, 1, 5, 4\), along its height: the "
                       r"stride 2 does not divide H \+ 2P - FH = 5 \+ 2\*0 - 2 = 3"):  # fmt: skip
        pool.forward(np.ones((1, 1, 5, 4)))
    with pytest.raises(ValueError, match=r"along its width: the filter \(2\) is larger than the "
                       r"padded input: W \+ 2P = 1 \+ 2\*0 = 1"):  # fmt: skip
        pool.forward(np.ones((1, 1, 4, 1)))


def test_backward_errors() -> None:
    pool = Pooling(2, 2, stride=2)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        pool.backward(np.ones((1, 1, 1, 1)))
    pool.forward(np.ones((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"dout must have the shape of the last output "
                       r"\(1, 1, 2, 2\), got \(1, 4\)"):  # fmt: skip
        pool.backward(np.ones((1, 4)))


@pytest.mark.parametrize("case", [CASES[0], CASES[2], CASES[5]])  # tiling 2x2, overlapping, 3x3
def test_float32_input_stays_float32(case: tuple[int, ...]) -> None:
    n, c, h, w, ph, pw, s, p = case
    rng = np.random.default_rng(sum(case))
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    pool = Pooling(ph, pw, stride=s, pad=p)
    out = pool.forward(x)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    expected, dx_expected = pool_loop(x.astype(np.float64), ph, pw, s, p, dout.astype(np.float64))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)  # the maximum of float32 values is exact
    dx = pool.backward(dout)
    assert dx.dtype == np.float32
    np.testing.assert_allclose(dx, dx_expected, rtol=1e-6, atol=1e-6)  # overlaps add in float32


def test_what_does_not_fit_is_refused_after_what_fits() -> None:
    pool = Pooling(2, 2, stride=2)
    assert pool.forward(np.ones((1, 1, 4, 4))).shape == (1, 1, 2, 2)
    assert pool.forward(np.ones((1, 1, 4, 4))).shape == (1, 1, 2, 2)
    with pytest.raises(ValueError, match=r"the stride 2 does not divide H \+ 2P - FH = 5"):
        pool.forward(np.ones((1, 1, 5, 4)))
    assert pool.forward(np.ones((2, 1, 6, 6))).shape == (2, 1, 3, 3)
    pool.stride = 3  # a changed window
    with pytest.raises(ValueError, match=r"the stride 3 does not divide H \+ 2P - FH = 6 \+ "):
        pool.forward(np.ones((2, 1, 6, 6)))
