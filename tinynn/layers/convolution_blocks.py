"""A stride-1 convolution by im2col on the rows of the padded image, a few samples at a time.

The book's im2col copies every window of an ``FH x FW`` filter into one column, nine
scattered pieces of an image for a 3x3 filter. With stride 1 there is a layout in which
every piece is one contiguous run of memory: flatten each padded channel (``Hp x Wp``) and
compute the output on a grid of ``OH`` rows of ``Wp`` (not ``OW``) positions. Filter
position ``(p, q)`` then reads, for all the grid's positions at once, the ``OH * Wp``
values that start at ``p * Wp + q``: im2col is ``C * FH * FW`` copies of one run each,
and the grid's last ``Wp - OW`` positions of every row, which read across the edge of
the image, are dropped from the output (their gradient is zero).

The samples are taken a few at a time (``BLOCK_BYTES`` of columns), so that the columns
are made, multiplied and forgotten while they are in the processor's cache, in
``forward`` and again in ``backward``, instead of a copy nine times the input's size
being written to memory and read back twice. The input's gradient is the convolution of
the output's gradient, padded by ``FH - 1 - P``, with the filters turned by 180 degrees
and their channels swapped (the transposed convolution), made the same way, so that no
col2im (nine scattered additions per pixel) is needed. The arrays that do not leave the
layer are kept between calls (:class:`Workspace`): a training loop reuses them, and the
operating system does not have to hand over and clear fresh memory at every step.

The numbers are those of the book's formulas; the order in which a product adds its
terms is the matrix library's, so results agree with the book's im2col to rounding.

Book section
------------
7.4.2 (expansion by im2col), 7.4.3 (implementing a convolution layer)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..typing import FloatArray

__all__ = ["BLOCK_BYTES", "DIRECT_LENGTH", "Workspace", "grid_backward", "grid_forward"]

DIRECT_LENGTH = 200
"""Grid positions per sample from which ``dW`` is made by one product per filter position
reading the runs in place, without columns (measured faster here; shorter runs make
those products too small)."""

BLOCK_BYTES = 1 << 19
"""Columns made at a time, in bytes: a quarter of one core's level-2 cache here (measured best)."""


class Workspace:
    """Arrays a layer keeps between calls: reused while their shape and dtype stay the same.

    A buffer made with ``zero=True`` is zeros when made; its user writes only the same
    region of it at every call, so the rest (the padding) stays zero.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, FloatArray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: np.dtype[Any], *,
            zero: bool = False) -> FloatArray:  # fmt: skip
        """The buffer ``name`` of ``shape`` and ``dtype``, made anew if it has another."""
        a = self._arrays.get(name)
        if a is None or a.shape != shape or a.dtype != dtype:
            a = np.zeros(shape, dtype=dtype) if zero else np.empty(shape, dtype=dtype)
            self._arrays[name] = a
        return a

    def last(self, name: str) -> FloatArray:
        """The buffer ``name`` as the last call left it (``KeyError`` if none was made)."""
        return self._arrays[name]

    def clear(self) -> None:
        """Forget every buffer."""
        self._arrays.clear()


def _padded_rows(
    ws: Workspace, name: str, x: FloatArray, pad_h: int, pad_w: int, fw: int, dtype: np.dtype[Any]
) -> tuple[FloatArray, int]:
    """``x`` (N, C, H, W) padded and flattened per channel, with ``fw - 1`` zeros after it
    (the last grid row's run reads that far); ``(rows, Wp)``."""
    n, c, h, w = x.shape
    hp, wp = h + 2 * pad_h, w + 2 * pad_w
    rows = ws.get(name, (n, c, hp * wp + fw - 1), dtype, zero=True)
    rows[:, :, : hp * wp].reshape(n, c, hp, wp)[:, :, pad_h : pad_h + h, pad_w : pad_w + w] = x
    return rows, wp


def _runs(rows: FloatArray, fh: int, fw: int, wp: int, length: int) -> FloatArray:
    """The read-only view ``(N, C, FH, FW, length)``: filter position ``(p, q)`` of channel
    ``c`` reads ``rows[n, c, p * wp + q :][:length]``."""
    n, c = rows.shape[:2]
    step = rows.itemsize
    view: FloatArray = as_strided(
        rows, (n, c, fh, fw, length), (rows.strides[0], rows.strides[1], wp * step, step, step),
        writeable=False,
    )  # fmt: skip
    return view


def _samples_per_block(runs: FloatArray, ones: bool) -> int:
    """Samples per block: columns of about ``BLOCK_BYTES``, at least one sample."""
    n, c, fh, fw, length = runs.shape
    size = (c * fh * fw + ones) * length * runs.itemsize
    return max(1, min(int(n), BLOCK_BYTES // max(1, int(size))))


def _blocks(
    runs: FloatArray, ones: bool, step: int, ws: Workspace
) -> Iterator[tuple[int, int, FloatArray]]:
    """``(s, e, cols)`` for samples ``s:e``, ``step`` at a time: ``cols`` of shape
    ``(C*FH*FW [+ 1], (e - s) * length)``, the samples side by side (one product for them
    all), with a row of ones under them if ``ones``. ``cols`` is reused by the next block
    (the views are made once per block size: a block's work is a few calls)."""
    n, c, fh, fw, length = runs.shape
    k = c * fh * fw
    height = k + ones
    buffer = ws.get("cols" if ones else "dcols", (height * step * length,), runs.dtype)
    moved = runs.transpose(1, 2, 3, 0, 4)  # (C, FH, FW, N, length): the samples inside
    views: dict[int, tuple[FloatArray, FloatArray]] = {}
    for s in range(0, n, step):
        e = min(n, s + step)
        if e - s not in views:
            cols = buffer[: height * (e - s) * length].reshape(height, e - s, length)
            if ones:
                cols[k] = 1
            views[e - s] = (cols[:k].reshape(c, fh, fw, e - s, length),
                            cols.reshape(height, (e - s) * length))  # fmt: skip
        target, cols2d = views[e - s]
        target[...] = moved[:, :, :, s:e]
        yield s, e, cols2d


def _outputs(
    grid: FloatArray, out: FloatArray, rows: int, width: int, step: int
) -> dict[int, tuple[FloatArray, FloatArray]]:
    """For each block size ``m`` (``step`` and the last one's): the product's place in
    ``grid`` ``(F, m * length)``, and the same as ``(m, F, rows, out's width)``, the grid's
    positions that are outputs, for the copy into ``out`` (N, F, rows, width')."""
    n, f = out.shape[:2]
    views = {}
    for m in {step, n % step or step}:
        product = grid[: f * m * rows * width].reshape(f, m * rows * width)
        outputs = product.reshape(f, m, rows, width)[..., : out.shape[3]]
        views[m] = (product, outputs.transpose(1, 0, 2, 3))
    return views


def grid_forward(
    x: FloatArray, W: FloatArray, b: FloatArray, pad: int, ws: Workspace
) -> FloatArray:
    """The stride-1 convolution of a checked ``x`` (N, C, H, W), bias added: (N, FN, OH, OW).

    Keeps the padded input in ``ws`` for :func:`grid_backward`.
    """
    fn, c, fh, fw = W.shape
    n, _, h, _ = x.shape
    dtype = np.result_type(x, W, b)
    rows, wp = _padded_rows(ws, "x", x, pad, pad, fw, dtype)
    oh, ow = h + 2 * pad - fh + 1, wp - fw + 1
    length, k = oh * wp, c * fh * fw
    wb = np.empty((fn, k + 1), dtype=dtype)  # [W | b]: the bias is a column of ones' weight
    wb[:, :k] = W.reshape(fn, k)
    wb[:, k] = b
    runs = _runs(rows, fh, fw, wp, length)
    step = _samples_per_block(runs, True)
    out = np.empty((n, fn, oh, ow), dtype=dtype)
    places = _outputs(ws.get("out", (fn * step * length,), dtype), out, oh, wp, step)
    for s, e, cols in _blocks(runs, True, step, ws):
        product, outputs = places[e - s]
        np.matmul(wb, cols, out=product)
        out[s:e] = outputs
    return out


def grid_backward(
    dout: FloatArray, W: FloatArray, pad: int, x_shape: tuple[int, int, int, int],
    ws: Workspace, *, input_grad: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray | None]:  # fmt: skip
    """``(dW, db, dx)`` for the last :func:`grid_forward` in ``ws``; ``dx`` is ``None``
    without ``input_grad``."""
    fh, fw = W.shape[2:]
    h, w = x_shape[2:]
    oh = dout.shape[2]
    rows = ws.last("x")
    wp = w + 2 * pad
    length = oh * wp
    runs = _runs(rows, fh, fw, wp, length)
    if length >= DIRECT_LENGTH:
        dW, db = _filter_gradient_by_runs(dout, runs, ws)
    else:
        dW, db = _filter_gradient_by_blocks(dout, runs, ws)
    if not input_grad:
        return dW, db, None
    return dW, db, _transposed(dout, W, pad, (h, w), ws)


def _filter_gradient_by_runs(
    dout: FloatArray, runs: FloatArray, ws: Workspace
) -> tuple[FloatArray, FloatArray]:
    """``(dW, db)``, one product per filter position, each reading the runs in place:
    ``dW[:, :, p, q] = sum_n delta_n @ runs[n, :, p, q].T`` (no columns made)."""
    n, c, fh, fw, length = runs.shape
    fn, (oh, ow) = dout.shape[1], dout.shape[2:]
    delta = ws.get("dout", (n, fn, oh, length // oh), runs.dtype, zero=True)
    delta[..., :ow] = dout  # zero where the grid reads across the edge of the image
    flat = delta.reshape(n, fn, length)
    part = ws.get("dW", (n, fn, c), runs.dtype)
    dW = np.empty((fn, c, fh, fw), dtype=runs.dtype)
    for p in range(fh):
        for q in range(fw):
            np.matmul(flat, runs[:, :, p, q].transpose(0, 2, 1), out=part)
            part.sum(axis=0, out=dW[:, :, p, q])
    db: FloatArray = flat.sum(axis=(0, 2))
    return dW, db


def _filter_gradient_by_blocks(
    dout: FloatArray, runs: FloatArray, ws: Workspace
) -> tuple[FloatArray, FloatArray]:
    """``(dW, db)`` from the columns made again block by block, with their row of ones."""
    n, c, fh, fw, length = runs.shape
    fn, (oh, ow) = dout.shape[1], dout.shape[2:]
    k = c * fh * fw
    # the output's gradient on the forward grid, filter by filter: zero where the grid
    # reads across the edge of the image
    delta = ws.get("dout", (fn, n, oh, length // oh), runs.dtype, zero=True)
    delta[..., :ow] = dout.transpose(1, 0, 2, 3)
    step = _samples_per_block(runs, True)
    part = ws.get("dW", (k + 1, fn), runs.dtype)
    dwb = np.zeros((k + 1, fn), dtype=runs.dtype)  # [dW | db] transposed: the faster product
    flat = delta.reshape(fn, n * length)
    for s, e, cols in _blocks(runs, True, step, ws):
        dwb += np.matmul(cols, flat[:, s * length : e * length].T, out=part)
    return np.ascontiguousarray(dwb[:k].T).reshape(fn, c, fh, fw), dwb[k].copy()


def _transposed(
    dout: FloatArray, W: FloatArray, pad: int, size: tuple[int, int], ws: Workspace
) -> FloatArray:
    """``dL/dx``: ``dout`` padded by ``FH - 1 - P`` convolved with the turned filters."""
    fn, c, fh, fw = W.shape
    n, _, oh, ow = dout.shape
    h, w = size
    dtype = ws.last("x").dtype
    # padded by FH - 1 - P (cropped by as much, if P > FH - 1: those rows reach no pixel)
    qh, qw = fh - 1 - pad, fw - 1 - pad
    cut_h, cut_w = max(0, -qh), max(0, -qw)
    source = dout[:, :, cut_h : oh - cut_h, cut_w : ow - cut_w]
    rows, wq = _padded_rows(ws, "dq", source, max(0, qh), max(0, qw), fw, dtype)
    length, k = h * wq, fn * fh * fw
    turned = np.ascontiguousarray(W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(c, k)
    runs = _runs(rows, fh, fw, wq, length)
    step = _samples_per_block(runs, False)
    dx = np.empty((n, c, h, w), dtype=dtype)
    places = _outputs(ws.get("dx", (c * step * length,), dtype), dx, h, wq, step)
    for s, e, cols in _blocks(runs, False, step, ws):
        product, inputs = places[e - s]
        np.matmul(turned, cols, out=product)
        dx[s:e] = inputs
    return dx
