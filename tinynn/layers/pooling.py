"""The max-pooling layer: the largest value of every window, channel by channel.

Book section
------------
7.3 (the pooling layer), 7.4.4 (implementing a pooling layer)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..im2col import check_fit
from ..typing import FloatArray, Params
from ..utils.validation import check_nonnegative_int, check_positive_int

__all__ = ["Pooling"]


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
    does. (A NaN or infinity in the incoming gradient reaches every input of its
    window as NaN, since ``0 * inf`` is NaN: the gradient is lost either way.)
    Padding is zeros, as in the book, so a padded window of negative values
    outputs 0. The layer has no parameters.

    ``forward`` takes the maximum over the ``PH * PW`` strided views of the
    input, one vectorized ``np.maximum`` each, and keeps no index; ``backward``
    finds where the maxima were, so evaluation (forward only) never pays for it.
    This is faster than the book's im2col followed by ``np.argmax`` and ``np.max``
    along rows of 4 (see ``benchmarks/bench_convnet.py``).

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
        self._x_shape: tuple[int, ...] = ()

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

    def _views(self, x: FloatArray, oh: int, ow: int) -> list[FloatArray]:
        """The input each window position ``(p, q)`` reads, row by row: ``PH * PW`` views."""
        s = self.stride
        return [
            x[:, :, p : p + s * (oh - 1) + 1 : s, q : q + s * (ow - 1) + 1 : s]
            for p in range(self.pool_h)
            for q in range(self.pool_w)
        ]

    def forward(self, x: FloatArray) -> FloatArray:
        """The maximum of every window, shape ``(N, C, OH, OW)``."""
        x = np.asarray(x, dtype=np.float64)
        _, _, oh, ow = self.output_shape(x.shape)
        if self.pad:
            p = self.pad
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))  # zeros, as the book's im2col
        views = self._views(x, oh, ow)
        out = views[0].copy()
        for view in views[1:]:
            np.maximum(out, view, out=out)
        self._x, self._out, self._x_shape = x, out, x.shape
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
        oh, ow = out.shape[2:]
        dx: FloatArray = np.zeros(x.shape)
        disjoint = self.stride >= self.pool_h and self.stride >= self.pool_w
        taken: NDArray[np.bool_] | None = None  # windows whose maximum is already routed
        views = self._views(x, oh, ow)
        for k, (view, target) in enumerate(zip(views, self._views(dx, oh, ow), strict=True)):
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
        if self.pad:
            p = self.pad
            return np.ascontiguousarray(dx[:, :, p : dx.shape[2] - p, p : dx.shape[3] - p])
        return dx

    def __repr__(self) -> str:
        return f"Pooling({self.pool_h}x{self.pool_w}, stride={self.stride}, pad={self.pad})"
