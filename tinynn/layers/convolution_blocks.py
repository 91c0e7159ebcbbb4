"""A stride-1 convolution by im2col on runs of the image's rows, a few samples at a time.

The book's im2col copies every window of an ``FH x FW`` filter into one column, nine
scattered pieces of an image for a 3x3 filter. With stride 1 there is a layout in which
every piece is one contiguous run of memory: flatten each channel and compute the output
on a grid of ``OH`` rows of ``G`` positions, ``G`` the width of the flattened rows. Filter
position ``(p, q)`` then reads, for all the grid's positions at once, the ``OH * G``
values that start at ``p * G + q``: im2col is ``C * FH * FW`` copies of one run each
(``_layout`` makes the two layouts):

* when the output is at least as wide as the input (``FW`` odd and ``2P >= FW - 1``: the
  book's 3x3 filters with pad 1, or 2), the rows are as wide as the output, so every grid
  position is an output; a filter position that reads across the left or right edge
  reads the end of the row before or the start of the row after, and those entries of
  the columns are zeroed. With pad ``(FW - 1) / 2`` a channel is copied whole, in one run;
* otherwise each row is padded to ``Wp = W + 2P`` and the grid's last ``Wp - OW``
  positions of every row, which read across the edge, are dropped from the output (their
  gradient is zero).

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
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..typing import FloatArray

__all__ = [
    "BLOCK_BYTES",
    "DIRECT_LENGTH",
    "PRODUCT_COLUMNS",
    "Layout",
    "Workspace",
    "grid_backward",
    "grid_forward",
]

DIRECT_LENGTH = 200
"""Grid positions per sample from which ``dW`` is made by a product per sample and filter
position reading the runs in place, without columns (measured faster here from 14 x 14
grids on; on 8 x 8 grids those products are too small)."""

PRODUCT_COLUMNS = 512
"""Grid positions per product at most, for one sample's grid (a 28 x 28 grid in two
products of 392: 20 % faster than one, measured on the book's second layer)."""

BLOCK_BYTES = 1 << 19
"""How many bytes of columns are made at a time (512 KB, a quarter of one core's level-2
cache here; measured best between 256 KB and 1 MB)."""


class Workspace:
    """Arrays a layer keeps between calls: reused while their shape and dtype stay the same.

    A buffer made with ``zero=True`` is zeros when made; its user writes only the same
    region of it at every call, so the rest (the padding) stays zero.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, FloatArray] = {}
        self.layout: Layout | None = None  # the last forward's input, as its runs read it

    def get(self, name: str, shape: tuple[int, ...], dtype: np.dtype[Any], *,
            zero: bool = False) -> FloatArray:  # fmt: skip
        """The buffer ``name`` of ``shape`` and ``dtype``, made anew if it has another."""
        a = self._arrays.get(name)
        if a is None or a.shape != shape or a.dtype != dtype:
            a = np.zeros(shape, dtype=dtype) if zero else np.empty(shape, dtype=dtype)
            self._arrays[name] = a
        return a

    def input_layout(self) -> Layout:
        """The last forward's input as its runs read it (``RuntimeError`` before any)."""
        if self.layout is None:
            raise RuntimeError("Convolution.backward called before forward")
        return self.layout

    def clear(self) -> None:
        """Forget every buffer."""
        self._arrays.clear()
        self.layout = None


class Layout(NamedTuple):
    """A batch's channels as flat rows that the runs read: ``rows`` (N, C, size), the grid's
    ``width`` (positions per row), and ``wrap``: ``(FW - 1) / 2`` when the rows are as wide
    as the output (filter position ``q`` reads column ``j + q - wrap``; the reads across an
    edge are zeroed in the columns), ``None`` for padded rows (the grid's last ``FW - 1``
    positions of a row are not outputs)."""

    rows: FloatArray  # (N, C, size)
    width: int  # the grid's positions per row
    wrap: int | None  # as wide as the output: (FW - 1) / 2 (position q reads column j + q -
    # wrap of the rows); padded rows: None


def _layout(
    ws: Workspace, name: str, x: FloatArray, pad: tuple[int, int], filt: tuple[int, int],
    dtype: np.dtype[Any],
) -> Layout:  # fmt: skip
    """``x`` (N, C, H, W) as rows for a filter ``filt`` with ``pad`` (height, width).

    When the output is as wide as the input or wider (``FW`` odd, ``2P >= FW - 1``: the
    book's 3x3 filters with pad 1 or 2), the rows are ``OW`` wide: the image with ``E = P -
    (FW - 1) / 2`` zeros on either side (none for pad 1), copied after ``P * OW + (FW - 1)
    / 2`` zeros, in one run per channel when ``E = 0``. Every position of the grid is an
    output, and a filter position that reads across the left or right edge reads the row
    before or after, which :func:`_blocks` zeroes in the columns (``wrap``). Otherwise each
    row is padded (``W + 2P`` wide) and the grid's last ``FW - 1`` positions of a row are
    not outputs.
    """
    n, c, h, w = x.shape
    (ph, pw), (fh, fw) = pad, filt
    oh = h + 2 * ph - fh + 1
    if fw % 2 and 2 * pw >= fw - 1:
        wrap = (fw - 1) // 2
        extra, width = pw - wrap, w + 2 * (pw - wrap)
        start = ph * width + wrap
        size = max(start + h * width, (fh - 1) * width + fw - 1 + oh * width)
        rows = ws.get(name, (n, c, size), dtype, zero=True)
        image = rows[:, :, start : start + h * width]
        if extra:
            image.reshape(n, c, h, width)[..., extra : extra + w] = x
        else:
            image[...] = x.reshape(n, c, h * w)
        return Layout(rows, width, wrap)
    hp, wp = h + 2 * ph, w + 2 * pw
    rows = ws.get(name, (n, c, hp * wp + fw - 1), dtype, zero=True)
    rows[:, :, : hp * wp].reshape(n, c, hp, wp)[:, :, ph : ph + h, pw : pw + w] = x
    return Layout(rows, wp, None)


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


def _edges(fw: int, width: int, wrap: int | None) -> list[tuple[int, int]]:
    """``(q, j)``: filter position ``q`` at the grid's column ``j`` reads across the left or
    right edge (``j + q - wrap`` outside ``[0, width)``) in a layout as wide as the output;
    none for padded rows (``wrap`` None)."""
    if wrap is None:
        return []
    pairs: list[tuple[int, int]] = []
    for q in range(fw):
        shift = q - wrap
        columns = range(-shift) if shift < 0 else range(width - shift, width if shift else 0)
        pairs.extend((q, j) for j in columns)
    return pairs


def _wrapped(cols: FloatArray, k: int, fw: int, width: int, wrap: int | None) -> list[FloatArray]:
    """The entries of ``cols`` (the block's ``(K [+ 1], m * length)``, ``K = C*FH*FW``) that
    read across an edge (:func:`_edges`): filter position ``q`` is every ``FW``-th row from
    ``q``, grid column ``j`` every ``width``-th entry from ``j``. One view per ``(q, j)``,
    its rows' entries ``width`` apart (a long inner loop for the zeroing)."""
    return [cols[q:k:fw, j::width] for q, j in _edges(fw, width, wrap)]


def _blocks(
    runs: FloatArray, ones: bool, step: int, ws: Workspace, layout: Layout
) -> Iterator[tuple[int, int, FloatArray]]:
    """``(s, e, cols)`` for samples ``s:e``, ``step`` at a time: ``cols`` of shape
    ``(C*FH*FW [+ 1], (e - s) * length)``, the samples side by side (one product for them
    all), with a row of ones under them if ``ones``, zero where a filter position reads
    across an edge. ``cols`` is reused by the next block (the views are made once per block
    size: a block's work is a few calls)."""
    n, c, fh, fw, length = runs.shape
    k = c * fh * fw
    height = k + ones
    buffer = ws.get("cols" if ones else "dcols", (height * step * length,), runs.dtype)
    moved = runs.transpose(1, 2, 3, 0, 4)  # (C, FH, FW, N, length): the samples inside
    views: dict[int, tuple[FloatArray, FloatArray, list[FloatArray]]] = {}
    for s in range(0, n, step):
        e = min(n, s + step)
        if e - s not in views:
            cols = buffer[: height * (e - s) * length].reshape(height, e - s, length)
            if ones:
                cols[k] = 1
            target = cols[:k].reshape(c, fh, fw, e - s, length)
            cols2d = cols.reshape(height, (e - s) * length)
            views[e - s] = (target, cols2d, _wrapped(cols2d, k, fw, layout.width, layout.wrap))
        target, cols2d, edges = views[e - s]
        target[...] = moved[:, :, :, s:e]
        for edge in edges:
            edge[...] = 0
        yield s, e, cols2d


def _products(
    a: FloatArray, runs: FloatArray, ones: bool, ws: Workspace, layout: Layout, out: FloatArray,
    name: str,
) -> None:  # fmt: skip
    """``out`` (N, F, OH, OW) = ``a`` (F, K [+ 1]) times every sample's columns, block by
    block: straight into ``out`` for a one-sample block of a layout as wide as the output
    (in products of at most ``PRODUCT_COLUMNS`` columns), else into a buffer ``name`` and
    copied (the grid's positions that are outputs, samples apart)."""
    n, f, oh, ow = out.shape
    step = _samples_per_block(runs, ones)
    length = runs.shape[4]
    grid = ws.get(name, (f * step * length,), out.dtype)
    places = {}
    for m in {step, n % step or step}:
        product = grid[: f * m * length].reshape(f, m * length)
        outputs = product.reshape(f, m, oh, layout.width)[..., :ow]
        places[m] = (product, outputs.transpose(1, 0, 2, 3))
    flat = out.reshape(n, f, oh * ow)
    direct = layout.wrap is not None
    pieces = -(-length // PRODUCT_COLUMNS)  # a long grid in a few products: faster (measured)
    cuts = [(i * length // pieces, (i + 1) * length // pieces) for i in range(pieces)]
    for s, e, cols in _blocks(runs, ones, step, ws, layout):
        if direct and e - s == 1:
            for lo, hi in cuts:
                np.matmul(a, cols[:, lo:hi], out=flat[s, :, lo:hi])
        else:
            product, outputs = places[e - s]
            np.matmul(a, cols, out=product)
            out[s:e] = outputs


def grid_forward(
    x: FloatArray, W: FloatArray, b: FloatArray, pad: int, ws: Workspace
) -> FloatArray:
    """The stride-1 convolution of a checked ``x`` (N, C, H, W), bias added: (N, FN, OH, OW).

    Keeps the input's rows in ``ws`` for :func:`grid_backward`.
    """
    fn, c, fh, fw = W.shape
    n, _, h, w = x.shape
    dtype = np.result_type(x, W, b)
    layout = _layout(ws, "x", x, (pad, pad), (fh, fw), dtype)
    oh, ow = h + 2 * pad - fh + 1, w + 2 * pad - fw + 1
    k = c * fh * fw
    wb = np.empty((fn, k + 1), dtype=dtype)  # [W | b]: the bias is a column of ones' weight
    wb[:, :k] = W.reshape(fn, k)
    wb[:, k] = b
    runs = _runs(layout.rows, fh, fw, layout.width, oh * layout.width)
    out = np.empty((n, fn, oh, ow), dtype=dtype)
    _products(wb, runs, True, ws, layout, out, "out")
    ws.layout = layout
    return out


def grid_backward(
    dout: FloatArray, W: FloatArray, pad: int, x_shape: tuple[int, int, int, int],
    ws: Workspace, *, input_grad: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray | None]:  # fmt: skip
    """``(dW, db, dx)`` for the last :func:`grid_forward` in ``ws``; ``dx`` is ``None``
    without ``input_grad``."""
    fh, fw = W.shape[2:]
    h, w = x_shape[2:]
    layout = ws.input_layout()
    length = dout.shape[2] * layout.width
    runs = _runs(layout.rows, fh, fw, layout.width, length)
    if length >= DIRECT_LENGTH:
        dW, db = _filter_gradient_by_runs(dout, runs, ws, layout)
    else:
        dW, db = _filter_gradient_by_blocks(dout, runs, ws, layout)
    if not input_grad:
        return dW, db, None
    return dW, db, _transposed(dout, W, pad, (h, w), ws)


def _grid_gradient(dout: FloatArray, ws: Workspace, layout: Layout, name: str,
                   by_filter: bool) -> FloatArray:  # fmt: skip
    """``dout`` on the grid, ``(N, F, length)`` (``(F, N, length)`` if ``by_filter``): zero
    at the positions that are not outputs; ``dout`` itself when all are."""
    n, f, oh, ow = dout.shape
    dtype = layout.rows.dtype
    if layout.wrap is not None and not by_filter and dout.dtype == dtype:
        return np.ascontiguousarray(dout).reshape(n, f, oh * ow)
    shape = (f, n, oh, layout.width) if by_filter else (n, f, oh, layout.width)
    delta = ws.get(name, shape, dtype, zero=True)
    delta[..., :ow] = dout.transpose(1, 0, 2, 3) if by_filter else dout
    return delta.reshape(shape[0], shape[1], oh * layout.width)


def _filter_gradient_by_runs(
    dout: FloatArray, runs: FloatArray, ws: Workspace, layout: Layout
) -> tuple[FloatArray, FloatArray]:
    """``(dW, db)``, a product per sample and filter position, each reading the runs in
    place: ``dW[:, :, p, q] = sum_n delta_n @ runs[n, :, p, q].T`` (no columns made; one
    call for them all), less, in a layout as wide as the output, the products of the
    entries read across an edge."""
    n, c, fh, fw, length = runs.shape
    fn = dout.shape[1]
    flat = _grid_gradient(dout, ws, layout, "dout", False)
    part = ws.get("dW", (n, fh, fw, fn, c), runs.dtype)
    np.matmul(flat[:, None, None], runs.transpose(0, 2, 3, 4, 1), out=part)
    total = part.sum(axis=0)  # (FH, FW, FN, C)
    width = layout.width
    grid = flat.reshape(n, 1, fn, length // width, width)
    for q, j in _edges(fw, width, layout.wrap):
        read = runs[:, :, :, q, j::width].transpose(0, 2, 3, 1)  # (N, FH, OH, C): across
        total[:, q] -= np.matmul(grid[..., j], read).sum(axis=0)
    dW = np.ascontiguousarray(total.transpose(2, 3, 0, 1))
    db: FloatArray = flat.sum(axis=(0, 2))
    return dW, db


def _filter_gradient_by_blocks(
    dout: FloatArray, runs: FloatArray, ws: Workspace, layout: Layout
) -> tuple[FloatArray, FloatArray]:
    """``(dW, db)`` from the columns made again block by block, with their row of ones."""
    n, c, fh, fw, length = runs.shape
    fn = dout.shape[1]
    k = c * fh * fw
    flat = _grid_gradient(dout, ws, layout, "dout_f", True).reshape(fn, n * length)
    step = _samples_per_block(runs, True)
    part = ws.get("dWb", (k + 1, fn), runs.dtype)
    dwb = np.zeros((k + 1, fn), dtype=runs.dtype)  # [dW | db] transposed: the faster product
    for s, e, cols in _blocks(runs, True, step, ws, layout):
        dwb += np.matmul(cols, flat[:, s * length : e * length].T, out=part)
    return np.ascontiguousarray(dwb[:k].T).reshape(fn, c, fh, fw), dwb[k].copy()


def _transposed(
    dout: FloatArray, W: FloatArray, pad: int, size: tuple[int, int], ws: Workspace
) -> FloatArray:
    """``dL/dx``: ``dout`` padded by ``FH - 1 - P`` convolved with the turned filters."""
    c, fh, fw = W.shape[1:]
    n, _, oh, ow = dout.shape
    h, w = size
    dtype = ws.input_layout().rows.dtype
    # padded by FH - 1 - P (cropped by as much, if P > FH - 1: those rows reach no pixel)
    qh, qw = fh - 1 - pad, fw - 1 - pad
    cut_h, cut_w = max(0, -qh), max(0, -qw)
    source = dout[:, :, cut_h : oh - cut_h, cut_w : ow - cut_w]
    layout = _layout(ws, "dq", source, (max(0, qh), max(0, qw)), (fh, fw), dtype)
    turned = np.ascontiguousarray(W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(c, -1)
    runs = _runs(layout.rows, fh, fw, layout.width, h * layout.width)
    dx = np.empty((n, c, h, w), dtype=dtype)
    _products(turned, runs, False, ws, layout, dx, "dx")
    return dx
