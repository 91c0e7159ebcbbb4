"""The stride-1 convolution by runs of rows (``tinynn.layers.convolution_blocks``): the same
numbers as the definition by loops whatever the blocks, and the buffers it keeps between
calls never show through what it returns."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given

import tinynn.layers.convolution as convolution
import tinynn.layers.convolution_blocks as blocks
from tests.test_convolution import conv_backward_loop, conv_loop, geometry
from tinynn import Convolution
from tinynn.layers.convolution import _strided

# (N, C, H, W, FN, FH, FW, P): the book's layers, rectangular filters, a pad larger than the
# filter (its gradient's rows are cropped), a 1x1 filter; the same-width layout (2P == FW - 1:
# 3x3 with pad 1, 5x5 with pad 2, 1x3 with pad 1 whose gradient's rows are cropped, 1x1), the
# layout wider than the input (3x3 with pad 2, the book's fourth layer) and the padded one (the
# rest)
GEOMETRIES = [
    (5, 3, 7, 7, 4, 3, 3, 1),
    (3, 2, 6, 7, 3, 5, 5, 2),
    (4, 3, 5, 6, 2, 1, 3, 1),
    (4, 2, 6, 9, 3, 3, 2, 2),
    (3, 2, 5, 5, 2, 2, 2, 3),
    (6, 4, 4, 6, 2, 1, 1, 0),
    (3, 2, 8, 8, 3, 5, 5, 0),
    (2, 16, 14, 14, 8, 3, 3, 2),
]


def _check_against_the_loops(
    x: np.ndarray, W: np.ndarray, b: np.ndarray, p: int, rng: np.random.Generator
) -> None:
    """A stride-1 Convolution's output and gradients equal the definition by loops."""
    conv = Convolution(W, b, pad=p)
    out = conv.forward(x)
    np.testing.assert_allclose(out, conv_loop(x, W, b, 1, p), rtol=1e-10, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx_ref, dW_ref, db_ref = conv_backward_loop(x, W, dout, 1, p)
    np.testing.assert_allclose(conv.backward(dout), dx_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.grads["W"], dW_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.grads["b"], db_ref, rtol=1e-10, atol=1e-12)


@pytest.fixture(autouse=True)
def rows_for_any_channels() -> Iterator[None]:
    """The layer takes the runs of rows from 1 input channel (by default from 8): here
    every geometry is computed that way."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convolution, "ROWS_CHANNELS", 1)
        yield


def test_the_layer_takes_the_runs_from_8_channels_by_default() -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convolution, "ROWS_CHANNELS", 8)
        x = np.zeros((2, 7, 5, 5))
        assert not convolution._by_rows(x, 1)
        assert convolution._by_rows(np.zeros((2, 8, 5, 5)), 1)
        assert not convolution._by_rows(np.zeros((2, 8, 5, 5)), 2)


@given(geometry())
def test_any_fitting_stride_1_geometry_gives_the_loops_numbers(g: tuple[Any, ...]) -> None:
    n, c, h, w, fn, fh, fw, _, p, seed = g
    h, w = h + (h == 0), w + (w == 0)
    if h + 2 * p < fh or w + 2 * p < fw:
        return
    rng = np.random.default_rng(seed)
    x, W = rng.standard_normal((n, c, h, w)), rng.standard_normal((fn, c, fh, fw))
    b = rng.random(fn)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(convolution, "ROWS_CHANNELS", 1)
        mp.setattr(blocks, "DIRECT_LENGTH", int(seed % 3) * 10)  # by runs or by blocks
        _check_against_the_loops(x, W, b, p, rng)


@pytest.mark.parametrize("g", GEOMETRIES)
@pytest.mark.parametrize("block_bytes", [1, 3000, blocks.BLOCK_BYTES])
@pytest.mark.parametrize("direct_length", [0, 10**9])
@pytest.mark.parametrize("product_columns", [7, blocks.PRODUCT_COLUMNS])
def test_every_block_size_gives_the_loops_numbers(
    g: tuple[int, ...], block_bytes: int, direct_length: int, product_columns: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """One sample per block, a few with a shorter last block, and all at once; ``dW`` by
    the runs in place and by the columns; a sample's grid in one product or in several."""
    monkeypatch.setattr(blocks, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(blocks, "DIRECT_LENGTH", direct_length)
    monkeypatch.setattr(blocks, "PRODUCT_COLUMNS", product_columns)
    n, c, h, w, fn, fh, fw, p = g
    rng = np.random.default_rng(sum(g))
    x, W, b = (rng.standard_normal((n, c, h, w)), rng.standard_normal((fn, c, fh, fw)),
               rng.standard_normal(fn))  # fmt: skip
    _check_against_the_loops(x, W, b, p, rng)


@pytest.mark.parametrize("g", GEOMETRIES)
@pytest.mark.parametrize("direct_length", [0, 10**9])
def test_float32_is_the_strided_path_to_float32_rounding(
    g: tuple[int, ...], direct_length: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blocks, "DIRECT_LENGTH", direct_length)
    n, c, h, w, fn, fh, fw, p = g
    rng = np.random.default_rng(sum(g) + 1)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    W = rng.standard_normal((fn, c, fh, fw)).astype(np.float32)
    b = rng.standard_normal(fn).astype(np.float32)
    conv = Convolution(W, b, pad=p, dtype=np.float32)
    out = conv.forward(x)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    dx = conv.backward(dout)
    assert out.dtype == dx.dtype == conv.grads["W"].dtype == conv.grads["b"].dtype == np.float32
    ref = conv_loop(x.astype(np.float64), W.astype(np.float64), b.astype(np.float64), 1, p)
    assert float(np.abs(out - ref).max()) <= 1e-5 * float(np.abs(ref).max())
    dx_ref, dW_ref, db_ref = conv_backward_loop(
        x.astype(np.float64), W.astype(np.float64), dout.astype(np.float64), 1, p
    )
    for got, want in ((dx, dx_ref), (conv.grads["W"], dW_ref), (conv.grads["b"], db_ref)):
        assert float(np.abs(got - want).max()) <= 1e-5 * float(np.abs(want).max())
    strided, _ = _strided(x, W, b, 1, p)
    np.testing.assert_allclose(out, strided, rtol=1e-5, atol=1e-5)


def test_what_a_call_returned_is_not_changed_by_the_next() -> None:
    """The buffers are reused; the outputs and gradients handed out are the caller's."""
    rng = np.random.default_rng(0)
    conv = Convolution(rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3), pad=1)
    x1, x2 = rng.standard_normal((4, 2, 5, 5)), rng.standard_normal((4, 2, 5, 5))
    out1 = conv.forward(x1)
    kept = out1.copy()
    d1 = rng.standard_normal(out1.shape)
    dx1 = conv.backward(d1)
    grads1 = {k: v.copy() for k, v in conv.grads.items()}
    dx1_kept, dW1 = dx1.copy(), conv.grads["W"]
    out2 = conv.forward(x2)
    dx2 = conv.backward(rng.standard_normal(out2.shape))
    np.testing.assert_array_equal(out1, kept)
    np.testing.assert_array_equal(dx1, dx1_kept)
    np.testing.assert_array_equal(dW1, grads1["W"])
    assert not np.shares_memory(out1, out2) and not np.shares_memory(dx1, dx2)
    # a forward in between: backward is the last forward's, as the book's layer keeps its x
    conv.forward(x1)
    np.testing.assert_allclose(conv.backward(d1), dx1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.grads["W"], grads1["W"], rtol=1e-12, atol=1e-12)


def test_batches_of_other_sizes_and_a_copied_layer_give_the_loops_numbers() -> None:
    rng = np.random.default_rng(1)
    W, b = rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2)
    conv = Convolution(W, b, pad=1)
    for n in (5, 1, 7, 5):  # buffers made anew for each size, the padding zero each time
        x = rng.standard_normal((n, 3, 6, 6))
        np.testing.assert_allclose(conv.forward(x), conv_loop(x, W, b, 1, 1), atol=1e-12)
        twin = copy.deepcopy(conv)
        dout = rng.standard_normal((n, 2, 6, 6))
        dx_ref, dW_ref, _ = conv_backward_loop(x, W, dout, 1, 1)
        for layer in (twin, conv):
            np.testing.assert_allclose(layer.backward(dout), dx_ref, atol=1e-12)
            np.testing.assert_allclose(layer.grads["W"], dW_ref, atol=1e-12)


def test_without_input_grad_only_the_parameters_gradients_are_made() -> None:
    rng = np.random.default_rng(2)
    W, b = rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2)
    x = rng.standard_normal((2, 3, 5, 5))
    conv = Convolution(W, b, pad=1)
    dout = rng.standard_normal(conv.forward(x).shape)
    empty = conv.backward(dout, input_grad=False)
    assert empty.size == 0
    _, dW_ref, db_ref = conv_backward_loop(x, W, dout, 1, 1)
    np.testing.assert_allclose(conv.grads["W"], dW_ref, atol=1e-12)
    np.testing.assert_allclose(conv.grads["b"], db_ref, atol=1e-12)
