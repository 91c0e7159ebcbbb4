"""The max-pooling layer: the largest value of every window, channel by channel.

Book section
------------
7.3 (the pooling layer), 7.4.4 (implementing a pooling layer)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..im2col import check_fit, floating
from ..typing import FloatArray, Params
from ..utils.validation import check_nonnegative_int, check_positive_int

__all__ = ["Pooling", "max_pool"]


def _largest(views: list[FloatArray]) -> FloatArray:
    """The element-wise maximum of equally shaped ``views``, as a new array."""
    if len(views) == 1:
        return views[0].copy()
    out: FloatArray = np.maximum(views[0], views[1])
    for view in views[2:]:
        np.maximum(out, view, out=out)
    return out


def _first_largest(views: list[FloatArray]) -> list[NDArray[np.bool_]]:
    """For each of ``views``, where it holds the largest value and no earlier view does."""
    if len(views) == 1:
        return [np.ones(views[0].shape, dtype=np.bool_)]
    best, won = views[0].copy(), np.zeros(views[0].shape, dtype=np.uint8)
    for j, view in enumerate(views[1:], 1):
        won[view > best] = j
        np.maximum(best, view, out=best)
    return [won == j for j in range(len(views))]


def max_pool(
    x: FloatArray, pool_h: int, pool_w: int, stride: int, pad: int
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """``(out, xp, rows)``: the maximum of every window of a checked ``x`` (N, C, H, W).

    ``xp`` is ``x`` padded with zeros (``x`` itself without pad). When the windows tile
    ``xp`` (``stride == pool_h == pool_w``, as in the book's 2x2 pooling with stride 2),
    ``rows`` holds the maximum of every row of every window, shape ``(N, C, H + 2P, OW)``:
    the maxima are taken along the rows first (``pool_w`` views of ``xp``), then across
    them (``pool_h`` views of ``rows``, each a run of whole rows), and ``backward`` finds
    the first maximum from ``rows`` the same way. Other windows are the ``pool_h * pool_w``
    strided views of ``xp``, one ``np.maximum`` each, and ``rows`` is ``None``. The
    output has ``x``'s dtype.
    """
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))  # zeros, as the book's im2col
    h, w = x.shape[2:]
    oh, ow = (h - pool_h) // stride + 1, (w - pool_w) // stride + 1
    if stride == pool_h == pool_w and oh * stride == h and ow * stride == w:
        k = stride
        rows = _largest([x[..., q::k] for q in range(k)])
        return _largest([rows[:, :, p::k] for p in range(k)]), x, rows
    return _largest(_views(x, pool_h, pool_w, stride, oh, ow)), x, None


def _views(
    x: FloatArray, pool_h: int, pool_w: int, s: int, oh: int, ow: int
) -> list[FloatArray]:
    """The input each window position ``(p, q)`` reads, row by row: ``PH * PW`` views."""
    return [
        x[:, :, p : p + s * (oh - 1) + 1 : s, q : q + s * (ow - 1) + 1 : s]
        for p in range(pool_h)
        for q in range(pool_w)
    ]


def _tiled_backward(
    x: FloatArray, rows: FloatArray, dout: FloatArray, k: int, dtype: np.dtype[Any]
) -> FloatArray:
    """``dout`` to the first maximum of each ``k x k`` tile: the first row holding the
    tile's maximum (from ``rows``), then the first column of that row holding it."""
    drows = np.empty(rows.shape, dtype=dtype)  # dout, sent to the winning row of each tile
    _route(dout, [rows[:, :, p::k] for p in range(k)], [drows[:, :, p::k] for p in range(k)])
    dx = np.empty(x.shape, dtype=dtype)
    _route(drows, [x[..., q::k] for q in range(k)], [dx[..., q::k] for q in range(k)])
    return dx


def _route(grad: FloatArray, views: list[FloatArray], targets: list[FloatArray]) -> None:
    """``targets[j] = grad`` where ``views[j]`` holds the first maximum, else 0."""
    if len(views) == 2:  # the second where it is larger, the first the rest: exactly
        np.multiply(grad, np.greater(views[1], views[0]), out=targets[1])
        np.subtract(grad, targets[1], out=targets[0])
        return
    for won, target in zip(_first_largest(views), targets, strict=True):
        np.multiply(grad, won, out=target)


def _strided_backward(
    x: FloatArray,
    out: FloatArray,
    dout: FloatArray,
    pool_h: int,
    pool_w: int,
    stride: int,
    dtype: np.dtype[Any],
) -> FloatArray:
    """``dout`` to the first input equal to each window's maximum, any windows."""
    oh, ow = out.shape[2:]
    dx: FloatArray = np.zeros(x.shape, dtype=dtype)
    disjoint = stride >= pool_h and stride >= pool_w
    taken: NDArray[np.bool_] | None = None  # windows whose maximum is already routed
    views = _views(x, pool_h, pool_w, stride, oh, ow)
    targets = _views(dx, pool_h, pool_w, stride, oh, ow)
    for k, (view, target) in enumerate(zip(views, targets, strict=True)):
        hit = view == out
        if taken is None:
            taken = hit
        else:
            hit = np.greater(hit, taken)  # hit and not yet taken: the first maximum wins
            if k < len(views) - 1:
                taken |= hit
        if disjoint:  # each input pixel is in one window at most: write, do not add
            np.multiply(dout, hit, out=target)  # (faster than copyto(where=hit))
        else:
            target += dout * hit
    return dx


class Pooling:
    """Max pooling: the largest value of every ``pool_h x pool_w`` window, per channel.

    Parameters
    ----------
    pool_h, pool_w : int
        The window's height and width.
    stride : int, default 1
        The step between two windows (the book's default; its network pools
        2x2 windows with ``stride=2``).
    pad : int, default 0
        Zeros added around each image, as the book's ``im2col`` adds them.

    Notes
    -----
    For input of shape ``(N, C, H, W)`` the output has shape ``(N, C, OH, OW)``
    with ``OH = (H + 2P - PH) / S + 1`` (equation 7.1) and ``OW`` likewise:

    .. math::
        \\text{out}_{n,c,i,j} = \\max_{p < PH,\\; q < PW} x^{\\text{pad}}_{n,\\,c,\\,iS+p,\\,jS+q}

    The gradient of a window's output goes to the input it took its value from,
    and the window's other inputs get none; when several inputs tie for the
    largest value the first one (row by row) takes it, as the book's ``np.argmax``
    does. (A NaN or infinity in the incoming gradient makes its window's gradient
    NaN or infinite, since ``0 * inf`` is NaN: the gradient is lost either way.)
    Padding is zeros, as in the book, so a padded window of negative values
    outputs 0. The layer has no parameters; the output has the input's dtype.

    No index is kept: ``backward`` finds where the maxima were, so evaluation
    (forward only) never pays for it. Windows that tile the input (``stride ==
    pool_h == pool_w``, as the book's 2x2 pooling with stride 2) are reduced along
    their rows first, then across the rows, which are whole rows of memory (see
    ``max_pool``); ``backward`` sends the gradient to the first row holding the
    maximum, then within it to the first column, each by one vectorized operation
    per position. Other windows take the ``PH * PW`` strided views of the input,
    one ``np.maximum`` each. Both are much faster than the book's im2col followed
    by ``np.argmax`` and ``np.max`` along rows of 4 (``benchmarks/bench_iteration.py``).

    ``forward`` raises ``ValueError`` for input that is not 4-D, a window
    larger than the padded input, or a stride that does not divide
    ``H + 2P - PH`` (or ``W + 2P - PW``).

    Book section
    ------------
    7.3 (the pooling layer), 7.4.4 (implementing a pooling layer)

    Examples
    --------
    >>> pool = Pooling(2, 2, stride=2)
    >>> x = np.array([[[[1.0, 2.0, 0.0, 1.0],
    ...                 [0.0, 3.0, 4.0, 2.0],
    ...                 [3.0, 0.0, 6.0, 5.0],
    ...                 [2.0, 4.0, 3.0, 1.0]]]])
    >>> pool.forward(x)
    array([[[[3., 4.],
             [4., 6.]]]])
    >>> pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    array([[[[0., 0., 0., 0.],
             [0., 1., 2., 0.],
             [0., 0., 4., 0.],
             [0., 3., 0., 0.]]]])
    """

    def __init__(self, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0) -> None:
        check_positive_int(pool_h, "pool_h")
        check_positive_int(pool_w, "pool_w")
        check_positive_int(stride, "stride")
        check_nonnegative_int(pad, "pad")
        self.pool_h, self.pool_w = int(pool_h), int(pool_w)
        self.stride, self.pad = int(stride), int(pad)
        self._empty: Params = {}
        self._x: FloatArray | None = None  # the padded input of the last forward
        self._out: FloatArray | None = None
        self._rows: FloatArray | None = None  # each window row's maximum, for tiling windows

    @property
    def params(self) -> Params:
        """Always empty: pooling has no parameters."""
        return self._empty

    @property
    def grads(self) -> Params:
        """Always empty: pooling has no parameters."""
        return self._empty

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """``(N, C, OH, OW)`` for input of shape ``(N, C, H, W)``; ``ValueError`` if it does
        not fit (see the class notes)."""
        shape = tuple(input_shape)
        oh, ow = check_fit("Pooling", shape, self.pool_h, self.pool_w, self.stride, self.pad)
        return int(shape[0]), int(shape[1]), oh, ow

    def forward(self, x: FloatArray) -> FloatArray:
        """The maximum of every window, shape ``(N, C, OH, OW)``."""
        x = floating(x)
        self.output_shape(x.shape)  # a few comparisons of sizes
        out, x, rows = max_pool(x, self.pool_h, self.pool_w, self.stride, self.pad)
        self._x, self._out, self._rows = x, out, rows
        return out

    def backward(self, dout: FloatArray) -> FloatArray:
        """``dout`` routed to the input that gave each window its maximum (the first, on ties)."""
        x, out = self._x, self._out
        if x is None or out is None:
            raise RuntimeError("Pooling.backward called before forward")
        if dout.shape != out.shape:
            raise ValueError(
                f"Pooling.backward: dout must have the shape of the last output {out.shape}, "
                f"got {dout.shape}"
            )
        dtype = np.result_type(x, dout)
        if self._rows is not None:
            dx = _tiled_backward(x, self._rows, dout, self.stride, dtype)
        else:
            dx = _strided_backward(x, out, dout, self.pool_h, self.pool_w, self.stride, dtype)
        if self.pad:
            p = self.pad
            return np.ascontiguousarray(dx[:, :, p : dx.shape[2] - p, p : dx.shape[3] - p])
        return dx

    def __repr__(self) -> str:
        return f"Pooling({self.pool_h}x{self.pool_w}, stride={self.stride}, pad={self.pad})"
