"""The convolution layer: filters slid over a batch of images, as one matrix product.

Book section
------------
7.2 (the convolution layer), 7.4.3 (implementing a convolution layer)
"""

from __future__ import annotations

import numpy as np

from ..im2col import check_fit, columns, floating, fold
from ..initialization import WeightInit, weight_scale
from ..typing import ArrayLike, FloatArray, FloatDType, Params
from ..utils.validation import (
    as_float_dtype,
    as_generator,
    as_real_array,
    check_finite,
    check_nonnegative_int,
    check_positive_int,
    describe,
)
from .convolution_blocks import Workspace, grid_backward, grid_forward

__all__ = ["Convolution", "convolve"]


def convolve(
    x: FloatArray, W: FloatArray, b: FloatArray, stride: int, pad: int
) -> FloatArray:
    """The convolution of a checked ``x`` (N, C, H, W), bias added: (N, FN, OH, OW).

    Of the dtype NumPy gives ``x`` and ``W`` together (float32 stays float32). Stride 1
    takes :func:`~tinynn.layers.convolution_blocks.grid_forward`; other strides im2col
    per sample with a row of ones (``columns(..., ones=True)``), so that ``[W | b] @ cols``
    is the output, bias included, in one product per sample.
    """
    if _by_rows(x, stride):
        return grid_forward(x, W, b, pad, Workspace())
    return _strided(x, W, b, stride, pad)[0]


ROWS_CHANNELS = 8
"""Input channels from which a stride-1 convolution takes the runs of rows (measured: with
1 or 3 the book's columns, few, are made faster at once; with 8 or more, the runs)."""


def _by_rows(x: FloatArray, stride: int) -> bool:
    """Whether to take the stride-1 path of runs of rows: stride 1 and at least
    ``ROWS_CHANNELS`` input channels."""
    return stride == 1 and x.shape[1] >= ROWS_CHANNELS


def _strided(
    x: FloatArray, W: FloatArray, b: FloatArray, stride: int, pad: int
) -> tuple[FloatArray, FloatArray]:
    """``(out, cols)`` of the convolution with any stride; ``cols`` for the backward pass."""
    fn, _, fh, fw = W.shape
    dtype = np.result_type(x, W, b)
    cols = columns(x, fh, fw, stride, pad, ones=True, dtype=dtype)  # (N, C*FH*FW + 1, OH*OW)
    wb = np.empty((fn, cols.shape[1]), dtype=dtype)
    wb[:, :-1] = W.reshape(fn, -1)
    wb[:, -1] = b
    out: FloatArray = wb @ cols  # (N, FN, OH*OW)
    n, _, h, w = x.shape
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    return out.reshape(n, fn, oh, ow), cols


def _strided_backward(
    dout: FloatArray, W: FloatArray, cols: FloatArray, x_shape: tuple[int, int, int, int],
    stride: int, pad: int, input_grad: bool,
) -> tuple[FloatArray, FloatArray, FloatArray | None]:  # fmt: skip
    """``(dW, db, dx)`` from the columns of :func:`_strided` (``dx`` ``None`` without
    ``input_grad``): two products and col2im."""
    fn, c, fh, fw = W.shape
    n, _, oh, ow = dout.shape
    delta = dout.reshape(n, fn, oh * ow)
    k = c * fh * fw
    # one product per sample, summed: no transposed copy of dout or of the windows; the
    # windows' row of ones gives db as the last column
    dwb = (delta @ cols.transpose(0, 2, 1)).sum(axis=0)  # (FN, C*FH*FW + 1)
    dW = np.ascontiguousarray(dwb[:, :k]).reshape(W.shape)
    db = np.ascontiguousarray(dwb[:, k])
    if not input_grad:
        return dW, db, None
    dcols = W.reshape(fn, -1).T @ delta  # (N, C*FH*FW, OH*OW)
    return dW, db, fold(dcols.reshape(n, c, fh, fw, oh, ow), x_shape, stride, pad)


class Convolution:
    """Convolution layer: ``FN`` filters of shape ``(C, FH, FW)`` slid over ``(N, C, H, W)`` input.

    Parameters
    ----------
    W : array_like, shape (FN, C, FH, FW)
        The filters. Kept as an array of ``dtype`` (no copy if it already is one) and
        updated in place by optimizers, as :class:`~tinynn.Affine`'s ``W``.
    b : array_like, shape (FN,)
        One bias per filter.
    stride : int, default 1
        ``S``, the step between two positions of a filter.
    pad : int, default 0
        ``P``, the zeros added around each image's height and width.
    dtype : {np.float64, np.float32}, default np.float64
        The dtype of ``W`` and ``b`` (``'float32'`` and ``np.dtype`` too).

    Notes
    -----
    For input ``x`` of shape ``(N, C, H, W)`` the output has shape ``(N, FN, OH, OW)``
    with ``OH = (H + 2P - FH) / S + 1`` (equation 7.1) and ``OW`` likewise:

    .. math::
        \\text{out}_{n,f,i,j} = \\sum_{c,p,q} W_{f,c,p,q}\\,
        x^{\\text{pad}}_{n,\\,c,\\,iS+p,\\,jS+q} + b_f

    and, with :math:`\\delta = \\partial L / \\partial \\text{out}`,

    .. math::
        \\frac{\\partial L}{\\partial W_{f,c,p,q}} = \\sum_{n,i,j} \\delta_{n,f,i,j}\\,
        x^{\\text{pad}}_{n,\\,c,\\,iS+p,\\,jS+q}, \\quad
        \\frac{\\partial L}{\\partial b_f} = \\sum_{n,i,j} \\delta_{n,f,i,j}, \\quad
        \\frac{\\partial L}{\\partial x} = \\text{col2im}\\big(W^T \\delta\\big)

    As in the book, ``forward`` expands the windows with im2col and multiplies
    them by the filters, and ``backward`` is two products. The windows are laid
    out per sample, ``(N, C*FH*FW, OH*OW)``, so that the product comes out in the
    ``(N, FN, OH, OW)`` order itself (the book transposes it), with a row of ones
    under them, so that the bias is one more column of the filters: the product
    adds it, and the gradient's product gives ``db``. With stride 1 and 8 or
    more input channels (the book's networks after their first layer) the
    windows are read as runs of the padded image's rows, a few samples at a time,
    and the input's gradient is a convolution too (see
    :mod:`tinynn.layers.convolution_blocks`); the others take the book's
    im2col and col2im (:func:`~tinynn.im2col`, :func:`~tinynn.col2im`). The
    output and the gradients have the dtype NumPy gives the input and the
    filters together (float32 stays float32).

    ``forward`` raises ``ValueError`` for input that does not fit, naming what
    it got: input that is not 4-D, a channel count other than ``W``'s ``C``, a
    filter larger than the padded input, or a stride that does not divide
    ``H + 2P - FH`` (or ``W + 2P - FW``).

    Book section
    ------------
    7.2 (the convolution layer), 7.4.3 (implementing a convolution layer)

    Examples
    --------
    >>> W = np.ones((1, 1, 2, 2))  # one 2x2 filter that sums its window
    >>> conv = Convolution(W, np.zeros(1))
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> conv.forward(x)
    array([[[[ 8., 12.],
             [20., 24.]]]])
    >>> conv.backward(np.ones((1, 1, 2, 2)))  # each pixel: how many windows read it
    array([[[[1., 2., 1.],
             [2., 4., 2.],
             [1., 2., 1.]]]])
    >>> conv.grads["W"]
    array([[[[ 8., 12.],
             [20., 24.]]]])
    """

    def __init__(
        self,
        W: ArrayLike,
        b: ArrayLike,
        stride: int = 1,
        pad: int = 0,
        *,
        dtype: FloatDType = np.float64,
    ) -> None:
        kind = as_float_dtype(dtype)
        w = np.asarray(as_real_array(W, "W"), dtype=kind)
        if w.ndim != 4 or w.size == 0:
            raise ValueError(f"W must be a non-empty 4-D array (FN, C, FH, FW), got {describe(w)}")
        check_finite(w, "W")
        bias = np.asarray(as_real_array(b, "b"), dtype=kind)
        if bias.shape != (w.shape[0],):
            raise ValueError(
                f"b must have shape ({w.shape[0]},), one bias per filter of W {w.shape}, got "
                f"{describe(bias)}"
            )
        check_finite(bias, "b")
        check_positive_int(stride, "stride")
        check_nonnegative_int(pad, "pad")
        self.stride = int(stride)
        self.pad = int(pad)
        self._params: Params = {"W": w, "b": bias}
        self._grads: Params = {}
        self._cols: FloatArray | None = None  # im2col of the last input, for strides > 1
        self._work = Workspace()  # the stride-1 path's buffers, the last input among them
        self._x_shape: tuple[int, int, int, int] = (0, 0, 0, 0)
        self._out_shape: tuple[int, int, int, int] = (0, 0, 0, 0)

    @classmethod
    def random(
        cls,
        filter_num: int,
        channels: int,
        filter_size: int,
        *,
        rng: np.random.Generator | int,
        weight_init_std: WeightInit = 0.01,
        stride: int = 1,
        pad: int = 0,
        dtype: FloatDType = np.float64,
    ) -> Convolution:
        """``filter_num`` square filters of Gaussian weights, zero biases, as the book draws them.

        Parameters
        ----------
        filter_num, channels, filter_size : int
            ``FN``, ``C`` and ``FH = FW``: ``W`` has shape ``(FN, C, FH, FW)``.
        rng : numpy.random.Generator or int
            The source of randomness (an int is a seed).
        weight_init_std : float or str, default 0.01
            The standard deviation (the book's ``SimpleConvNet``: 0.01), or a rule of
            section 6.2 as :meth:`Affine.random` takes it: ``'he'`` (or ``'relu'``) for
            :math:`\\sqrt{2/n}`, ``'xavier'`` (or ``'sigmoid'``) for :math:`\\sqrt{1/n}`,
            with :math:`n` = ``C * FH * FW``, the inputs of one output unit (the book's
            ``DeepConvNet`` computes He this way).
        stride, pad : int
            As the constructor's.
        dtype : {np.float64, np.float32}, default np.float64
            The weights are drawn in float64 (the same numbers whatever ``dtype``), then
            rounded to ``dtype``.

        Returns
        -------
        Convolution

        Raises
        ------
        TypeError, ValueError
            For a size that is not an int >= 1, a ``weight_init_std`` that is neither a
            finite number > 0 nor a rule's name, a bad ``rng``, ``stride``, ``pad`` or
            ``dtype``, naming it.

        Book section
        ------------
        7.5 (``weight_init_std * np.random.randn(FN, C, FH, FW)``), 8.1 (He initialisation
        of ``DeepConvNet``)

        Examples
        --------
        >>> conv = Convolution.random(16, 1, 3, rng=0, weight_init_std="he", pad=1)
        >>> conv.W.shape, bool(abs(conv.W.std() / np.sqrt(2 / 9) - 1) < 0.2)
        ((16, 1, 3, 3), True)
        >>> Convolution.random(2, 1, 3, rng=0, dtype=np.float32).W.dtype
        dtype('float32')
        """
        check_positive_int(filter_num, "filter_num")
        check_positive_int(channels, "channels")
        check_positive_int(filter_size, "filter_size")
        check_positive_int(stride, "stride")
        check_nonnegative_int(pad, "pad")
        std = weight_scale(weight_init_std, channels * filter_size * filter_size)
        kind = as_float_dtype(dtype)
        gen = as_generator(rng)
        W = std * gen.standard_normal((filter_num, channels, filter_size, filter_size))
        return cls(W, np.zeros(filter_num), stride, pad, dtype=kind)

    @property
    def params(self) -> Params:
        """``{'W': W, 'b': b}``."""
        return self._params

    @property
    def grads(self) -> Params:
        """``{'W': dW, 'b': db}`` from the last ``backward``."""
        return self._grads

    @property
    def W(self) -> FloatArray:
        """The filters, shape ``(FN, C, FH, FW)``."""
        return self._params["W"]

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """``(N, FN, OH, OW)`` for input of shape ``(N, C, H, W)``; ``ValueError`` if it does
        not fit (see the class notes)."""
        fn, c, fh, fw = self._params["W"].shape
        oh, ow = check_fit("Convolution", tuple(input_shape), fh, fw, self.stride, self.pad)
        if input_shape[1] != c:
            raise ValueError(
                f"Convolution: input of shape {tuple(input_shape)} has {input_shape[1]} "
                f"channel(s), but the filters W {self._params['W'].shape} expect C = {c}"
            )
        return int(input_shape[0]), fn, oh, ow

    def forward(self, x: FloatArray) -> FloatArray:
        """The convolution of ``x`` (N, C, H, W) with every filter, plus its bias."""
        x = floating(x)
        self.output_shape(x.shape)  # a few comparisons of sizes
        W, b = self._params["W"], self._params["b"]
        if _by_rows(x, self.stride):
            out = grid_forward(x, W, b, self.pad, self._work)
            self._cols = None
        else:
            out, self._cols = _strided(x, W, b, self.stride, self.pad)
            self._work.clear()
        self._x_shape = (int(x.shape[0]), int(x.shape[1]), int(x.shape[2]), int(x.shape[3]))
        self._out_shape = (int(out.shape[0]), int(out.shape[1]), int(out.shape[2]),
                           int(out.shape[3]))  # fmt: skip
        return out

    def backward(self, dout: FloatArray, *, input_grad: bool = True) -> FloatArray:
        """Fill ``grads`` and return ``dL/dx`` (col2im of ``W^T dout``) in the input's shape.

        With ``input_grad=False`` the input's gradient (unused for a first
        layer) is skipped and an empty array returned.
        """
        if self._cols is None and self._work.layout is None:
            raise RuntimeError("Convolution.backward called before forward")
        if dout.shape != self._out_shape:
            raise ValueError(
                f"Convolution.backward: dout must have the shape of the last output "
                f"{self._out_shape}, got {dout.shape}"
            )
        W = self._params["W"]
        if self._cols is None:
            dW, db, dx = grid_backward(dout, W, self.pad, self._x_shape, self._work,
                                       input_grad=input_grad)  # fmt: skip
        else:
            dW, db, dx = _strided_backward(dout, W, self._cols, self._x_shape, self.stride,
                                           self.pad, input_grad)  # fmt: skip
        self._grads["W"], self._grads["b"] = dW, db
        return np.empty(0, dtype=dW.dtype) if dx is None else dx

    def __repr__(self) -> str:
        fn, c, fh, fw = self._params["W"].shape
        return f"Convolution({fn} filters {c}x{fh}x{fw}, stride={self.stride}, pad={self.pad})"
