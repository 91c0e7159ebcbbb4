"""im2col / col2im equal the book's loops (``common/util.py``), col2im is im2col's adjoint, and
the output-size formula (equation 7.1) and every bad shape give what the book says."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from tests.book_reference import col2im as book_col2im
from tests.book_reference import im2col as book_im2col
from tinynn import col2im, conv_output_size, im2col

Array = NDArray[np.float64]


# (N, C, H, W, FH, FW, stride, pad): square and not, overlapping and disjoint windows, strides
# that divide and (im2col only, as in the book) strides that leave positions out
CASES = [
    (1, 1, 4, 4, 2, 2, 1, 0),
    (2, 3, 7, 7, 5, 5, 1, 0),
    (3, 2, 6, 9, 3, 2, 1, 1),
    (2, 1, 8, 8, 2, 2, 2, 0),
    (1, 2, 9, 7, 3, 3, 2, 1),
    (2, 2, 10, 6, 4, 2, 3, 2),
    (1, 3, 5, 8, 1, 1, 2, 0),
    (2, 1, 7, 9, 3, 2, 2, 0),  # (7 - 3) / 2 fits, (9 - 2) / 2 does not: the book floors
    (1, 1, 3, 3, 3, 3, 1, 0),  # one window, the whole image
]


@pytest.mark.parametrize(("n", "c", "h", "w", "fh", "fw", "s", "p"), CASES)
def test_im2col_and_col2im_equal_the_books_loops(
    n: int, c: int, h: int, w: int, fh: int, fw: int, s: int, p: int
) -> None:
    rng = np.random.default_rng(n * 1000 + h * 10 + w)
    x = rng.standard_normal((n, c, h, w))
    col = im2col(x, fh, fw, s, p)
    np.testing.assert_array_equal(col, book_im2col(x, fh, fw, s, p), strict=True)
    g = rng.standard_normal(col.shape)
    # the same additions in the same order (or one assignment where windows are disjoint)
    np.testing.assert_array_equal(col2im(g, x.shape, fh, fw, s, p),
                                  book_col2im(g, x.shape, fh, fw, s, p))  # fmt: skip


def test_the_books_shapes_in_7_4_3() -> None:
    assert im2col(np.random.default_rng(0).random((1, 3, 7, 7)), 5, 5).shape == (9, 75)
    assert im2col(np.random.default_rng(0).random((10, 3, 7, 7)), 5, 5).shape == (90, 75)


def test_im2col_rows_are_the_windows_row_major() -> None:
    x = np.arange(2 * 2 * 3 * 4, dtype=np.float64).reshape(2, 2, 3, 4)
    col = im2col(x, 2, 3, stride=1, pad=0)  # OH = 2, OW = 2
    assert col.shape == (2 * 2 * 2, 2 * 2 * 3)
    # row (n=1, i=1, j=0) is image 1's window at rows 1-2, columns 0-2, channel by channel
    np.testing.assert_array_equal(col[1 * 4 + 1 * 2 + 0], x[1, :, 1:3, 0:3].ravel())


def test_im2col_pads_with_zeros_and_returns_float64() -> None:
    x = np.ones((1, 1, 2, 2), dtype=np.int64)
    col = im2col(x, 2, 2, stride=1, pad=1)
    assert col.dtype == np.float64 and col.shape == (9, 4)
    np.testing.assert_array_equal(col[0], [0, 0, 0, 1])  # the top-left window: 3 zeros of pad
    np.testing.assert_array_equal(col[4], [1, 1, 1, 1])  # the centre window: the image


def test_float32_stays_float32() -> None:
    x = np.arange(2 * 3 * 5 * 5, dtype=np.float32).reshape(2, 3, 5, 5)
    col = im2col(x, 3, 3, stride=2, pad=1)
    assert col.dtype == np.float32
    np.testing.assert_array_equal(col, book_im2col(x.astype(np.float64), 3, 3, 2, 1))
    back = col2im(col, x.shape, 3, 3, stride=2, pad=1)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, book_col2im(col.astype(np.float64), x.shape, 3, 3, 2, 1))


def test_col2im_counts_how_many_windows_read_each_pixel() -> None:
    ones = np.ones((4, 4))  # the four 2x2 windows of a 3x3 image
    counts = col2im(ones, (1, 1, 3, 3), 2, 2)
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_col2im_leaves_pixels_no_window_reads_at_zero() -> None:
    # stride 3 with a 2x2 filter on 5x5: rows and columns 2 are never read
    img = col2im(np.ones((4, 4)), (1, 1, 5, 5), 2, 2, stride=3)
    expected = np.ones((5, 5))
    expected[2, :] = expected[:, 2] = 0
    np.testing.assert_array_equal(img[0, 0], expected)


@st.composite
def geometry(draw: st.DrawFn) -> tuple[Any, ...]:
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    fh, fw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s, p = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, fh - 2 * p), 9))
    w = draw(st.integers(max(1, fw - 2 * p), 9))
    return n, c, h, w, fh, fw, s, p, draw(st.integers(0, 2**32 - 1))


@given(geometry())
def test_im2col_equals_the_book_for_any_geometry(g: tuple[Any, ...]) -> None:
    n, c, h, w, fh, fw, s, p, seed = g
    x = np.random.default_rng(seed).standard_normal((n, c, h, w))
    np.testing.assert_array_equal(im2col(x, fh, fw, s, p), book_im2col(x, fh, fw, s, p))


@given(geometry())
def test_col2im_is_the_adjoint_of_im2col(g: tuple[Any, ...]) -> None:
    """<im2col(x), c> == <x, col2im(c)> for every x and c: col2im carries gradients back."""
    n, c, h, w, fh, fw, s, p, seed = g
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    col = im2col(x, fh, fw, s, p)
    cot = rng.standard_normal(col.shape)
    left = float(np.vdot(col, cot))
    right = float(np.vdot(x, col2im(cot, x.shape, fh, fw, s, p)))
    assert left == pytest.approx(right, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    ("args", "expected"),
    [((28, 5), 24), ((4, 3, 1, 1), 4), ((7, 3, 2, 0), 3), ((7, 3, 2, 1), 4), ((5, 5), 1),
     ((24, 2, 2), 12)],
)  # fmt: skip
def test_conv_output_size_is_equation_7_1(args: tuple[int, ...], expected: int) -> None:
    assert conv_output_size(*args) == expected


def test_conv_output_size_errors_name_the_numbers() -> None:
    with pytest.raises(ValueError, match=r"stride 2 does not divide H \+ 2P - FH = 28 \+ 2\*0 "
                       r"- 5 = 23"):  # fmt: skip
        conv_output_size(28, 5, 2)
    assert conv_output_size(28, 5, 2, exact=False) == 12  # the book's floor
    with pytest.raises(ValueError, match=r"filter \(5\) is larger than the padded input: H \+ "
                       r"2P = 3 \+ 2\*0 = 3"):  # fmt: skip
        conv_output_size(3, 5)
    with pytest.raises(TypeError, match="stride must be an int >= 1"):
        conv_output_size(28, 5, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pad must be an int >= 0"):
        conv_output_size(28, 5, 1, -1)


def test_im2col_errors() -> None:
    with pytest.raises(ValueError, match=r"input_data must be 4-D \(N, C, H, W\), got shape "
                       r"\(28, 28\)"):  # fmt: skip
        im2col(np.zeros((28, 28)), 5, 5)
    with pytest.raises(ValueError, match=r"filter height 6 is larger than the padded input "
                       r"height 3 \+ 2\*1 = 5"):  # fmt: skip
        im2col(np.zeros((1, 1, 3, 9)), 6, 2, pad=1)
    with pytest.raises(ValueError, match=r"filter width 4 is larger than the padded input "
                       r"width 3 \+ 2\*0 = 3"):  # fmt: skip
        im2col(np.zeros((1, 1, 9, 3)), 2, 4)
    with pytest.raises(TypeError, match="filter_h must be an int >= 1"):
        im2col(np.zeros((1, 1, 3, 3)), 2.0, 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="stride must be an int >= 1, got 0"):
        im2col(np.zeros((1, 1, 3, 3)), 2, 2, stride=0)
    with pytest.raises(TypeError, match="input_data must be an array of real numbers"):
        im2col("image", 2, 2)  # type: ignore[arg-type]


def test_col2im_errors() -> None:
    with pytest.raises(ValueError, match=r"col must have shape \(N\*OH\*OW, C\*FH\*FW\) = "
                       r"\(18, 8\) for input_shape \(2, 2, 4, 4\)"):  # fmt: skip
        col2im(np.zeros((18, 9)), (2, 2, 4, 4), 2, 2, stride=1)
    with pytest.raises(ValueError, match=r"input_shape must be 4 sizes \(N, C, H, W\), got "
                       r"\(4, 4\)"):  # fmt: skip
        col2im(np.zeros((9, 4)), (4, 4), 2, 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="input_shape's H must be an int >= 1, got 0"):
        col2im(np.zeros((9, 4)), (1, 1, 0, 4), 2, 2)
    with pytest.raises(ValueError, match="filter height 5 is larger"):
        col2im(np.zeros((9, 4)), (1, 1, 4, 4), 5, 2)
