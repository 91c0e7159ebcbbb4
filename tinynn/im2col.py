"""Expansion by im2col: a convolution as one matrix product, and col2im, its way back.

``im2col`` lays every window a filter sees out as one row of a matrix, so that
the convolution of a whole batch becomes one matrix product (book 7.4.2);
``col2im`` adds the rows back onto the image, which is what the backward pass
of a convolution or a pooling layer needs. Both take the signatures of the
book's ``common/util.py``, and build the matrix from a strided view of the
image (:func:`numpy.lib.stride_tricks.sliding_window_view`) in one copy,
where the book fills it with a loop over the filter's positions.

Book section
------------
7.2.4 (the output size, equation 7.1), 7.4.2 (expansion by im2col), 7.4.3 (``im2col``'s interface)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import DTypeLike, NDArray

from .typing import ArrayLike, FloatArray
from .utils.validation import (
    as_real_array,
    check_nonnegative_int,
    check_positive_int,
    describe,
)

__all__ = ["col2im", "conv_output_size", "im2col"]


def conv_output_size(
    input_size: int, filter_size: int, stride: int = 1, pad: int = 0, *, exact: bool = True
) -> int:
    """The number of positions of a filter along one axis: ``(H + 2P - FH) / S + 1``.

    Parameters
    ----------
    input_size : int
        ``H``, the input's size along the axis.
    filter_size : int
        ``FH``, the filter's size along it.
    stride : int, default 1
        ``S``, the step between two positions.
    pad : int, default 0
        ``P``, the zeros added on each side.
    exact : bool, default True
        Require the stride to divide ``H + 2P - FH``, so that the windows
        cover the padded input exactly. With ``exact=False`` the last
        positions that do not fit are left out, as the book's ``im2col``
        does (``//``).

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If a size, the stride or the pad is not an int.
    ValueError
        If the filter is larger than the padded input, or (``exact``) the
        stride does not divide ``H + 2P - FH``; the message gives the numbers.

    Notes
    -----
    Equation 7.1 of the book:

    .. math:: OH = \\frac{H + 2P - FH}{S} + 1

    Book section
    ------------
    7.2.4 (stride: the output size, equation ``(7.1)``; the book's ``conv_output_size``)

    Examples
    --------
    >>> conv_output_size(28, 5)
    24
    >>> conv_output_size(4, 3, stride=1, pad=1)
    4
    >>> conv_output_size(7, 3, stride=2, pad=0)
    3
    >>> conv_output_size(28, 5, stride=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the stride 2 does not divide H + 2P - FH = 28 + 2*0 - 5 = 23; ...
    """
    check_positive_int(input_size, "input_size")
    check_positive_int(filter_size, "filter_size")
    check_positive_int(stride, "stride")
    check_nonnegative_int(pad, "pad")
    return output_positions(input_size, filter_size, stride, pad, exact, "H")


def output_positions(
    size: int, filt: int, stride: int, pad: int, exact: bool, axis: str
) -> int:
    """Equation 7.1 along ``axis`` ('H' or 'W'), for checked ints; ``ValueError`` if unfit."""
    span = size + 2 * pad - filt
    if span < 0:
        raise ValueError(
            f"the filter ({filt}) is larger than the padded input: {axis} + 2P = {size} + "
            f"2*{pad} = {size + 2 * pad}"
        )
    if exact and span % stride:
        raise ValueError(
            f"the stride {stride} does not divide {axis} + 2P - F{axis} = {size} + 2*{pad} - "
            f"{filt} = {span}; the windows would not cover the input exactly: choose a stride "
            "or pad that fits"
        )
    return span // stride + 1


def check_fit(
    owner: str, shape: tuple[int, ...], filter_h: int, filter_w: int, stride: int, pad: int
) -> tuple[int, int]:
    """``(OH, OW)`` for input of ``shape`` (N, C, H, W), or a ``ValueError`` naming ``owner``.

    For the layers: the stride must divide exactly (see :func:`conv_output_size`).
    """
    if len(shape) != 4:
        raise ValueError(
            f"{owner} takes input of shape (N, C, H, W), got {len(shape)}-D input of shape "
            f"{shape}"
        )
    sizes = []
    for axis, size, filt in (("height", shape[2], filter_h), ("width", shape[3], filter_w)):
        try:
            sizes.append(output_positions(size, filt, stride, pad, True, axis[0].upper()))
        except ValueError as exc:
            raise ValueError(f"{owner}: input of shape {shape}, along its {axis}: {exc}") from None
    return sizes[0], sizes[1]


def floating(x: ArrayLike) -> FloatArray:
    """``x`` as an array of floats: a float array as it is (its dtype kept), other reals as
    float64. For the layers' ``forward``, whose input the model has checked."""
    a = np.asarray(x)
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    return a


def windows(x: FloatArray, filter_h: int, filter_w: int, stride: int, pad: int) -> FloatArray:
    """Every window of the padded ``x`` as a strided view, shape ``(N, C, OH, OW, FH, FW)``.

    No copy but the padding (made only when ``pad > 0``); the stride is applied
    by slicing the view, so positions that do not fit are left out.
    """
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    view: FloatArray = sliding_window_view(x, (filter_h, filter_w), axis=(2, 3))
    return view[:, :, ::stride, ::stride]


def columns(
    x: FloatArray,
    filter_h: int,
    filter_w: int,
    stride: int,
    pad: int,
    *,
    ones: bool = False,
    dtype: DTypeLike | None = None,
) -> FloatArray:
    """im2col per sample: shape ``(N, C*FH*FW, OH*OW)``, one column per window, in one copy.

    The layout :class:`~tinynn.Convolution` multiplies: ``W.reshape(FN, -1) @ cols``
    gives the output already in the ``(N, FN, OH*OW)`` order of its ``(N, FN, OH, OW)``
    result, where the book's row layout needs a transposed copy afterwards.

    With ``ones=True`` a row of ones follows the ``C*FH*FW`` rows (shape
    ``(N, C*FH*FW + 1, OH*OW)``), so that the bias is one more column of the filters:
    ``[W | b] @ cols`` is the convolution plus its bias in one product, and the
    gradient's product ``delta @ cols.T`` gives ``db`` as its last column. ``dtype``
    (``x``'s by default) is the dtype of the copy.
    """
    view = windows(x, filter_h, filter_w, stride, pad)
    n, c, oh, ow = view.shape[:4]
    k = c * filter_h * filter_w
    cols: FloatArray = np.empty((n, k + ones, oh * ow), dtype=x.dtype if dtype is None else dtype)
    # the target as (N, C, FH, FW, OH, OW): one copy from the window view, no temporary
    cols[:, :k].reshape(n, c, filter_h, filter_w, oh, ow)[...] = view.transpose(0, 1, 4, 5, 2, 3)
    if ones:
        cols[:, k] = 1
    return cols


def fold(
    patches: NDArray[Any], input_shape: tuple[int, int, int, int], stride: int, pad: int
) -> FloatArray:
    """Add patches of shape ``(N, C, FH, FW, OH, OW)`` back onto an ``(N, C, H, W)`` image.

    The adjoint of :func:`windows`: every patch entry is added at the pixel it
    was read from; entries read from the padding are dropped. Windows that tile
    the input (``stride == FH == FW``, no gap) are written by one assignment, other
    non-overlapping ones too after zeroing what no window reads; overlapping ones
    by one vectorized addition per filter position (``FH * FW`` of them), as every
    col2im does. The image has the patches' dtype.
    """
    n, c, h, w = input_shape
    fh, fw, oh, ow = patches.shape[2:]
    hp, wp = h + 2 * pad, w + 2 * pad
    if stride >= fh and stride >= fw:  # disjoint windows: a writable view, one assignment
        tiled = stride == fh == fw and oh * fh == hp and ow * fw == wp
        img = (np.empty if tiled else np.zeros)((n, c, hp, wp), dtype=patches.dtype)
        target = sliding_window_view(img, (fh, fw), axis=(2, 3), writeable=True)
        target[:, :, ::stride, ::stride][:, :, :oh, :ow] = patches.transpose(0, 1, 4, 5, 2, 3)
    else:
        img = np.zeros((n, c, hp, wp), dtype=patches.dtype)
        for p in range(fh):
            for q in range(fw):
                img[:, :, p : p + stride * oh : stride, q : q + stride * ow : stride] += patches[
                    :, :, p, q
                ]
    if pad:
        return np.ascontiguousarray(img[:, :, pad : pad + h, pad : pad + w])
    return img


def _geometry(filter_h: int, filter_w: int, stride: int, pad: int) -> None:
    check_positive_int(filter_h, "filter_h")
    check_positive_int(filter_w, "filter_w")
    check_positive_int(stride, "stride")
    check_nonnegative_int(pad, "pad")


def _out_sizes(
    h: int, w: int, filter_h: int, filter_w: int, stride: int, pad: int
) -> tuple[int, int]:
    """The book's ``(H + 2P - FH) // S + 1`` per axis; a filter larger than the input fails."""
    for axis, size, filt in (("height", h, filter_h), ("width", w, filter_w)):
        if size + 2 * pad < filt:
            raise ValueError(
                f"the filter {axis} {filt} is larger than the padded input {axis} "
                f"{size} + 2*{pad} = {size + 2 * pad}"
            )
    return (h + 2 * pad - filter_h) // stride + 1, (w + 2 * pad - filter_w) // stride + 1


def im2col(
    input_data: ArrayLike, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0
) -> FloatArray:
    """Lay every filter window of a batch of images out as one row of a matrix.

    Parameters
    ----------
    input_data : array_like, shape (N, C, H, W)
        A batch of ``N`` images of ``C`` channels.
    filter_h, filter_w : int
        The filter's height ``FH`` and width ``FW``.
    stride : int, default 1
        ``S``.
    pad : int, default 0
        ``P``: zeros added on each side of the height and width.

    Returns
    -------
    ndarray, shape (N*OH*OW, C*FH*FW)
        Of ``input_data``'s floating dtype (float64 for integers). Row
        ``(n, i, j)`` (row-major) holds window ``(i, j)`` of image ``n``, its
        channels, then rows, then columns (``(c, p, q)``, row-major), with
        ``OH = (H + 2P - FH) // S + 1`` and ``OW`` likewise.

    Raises
    ------
    TypeError
        If ``input_data`` is not real numbers, or a size is not an int.
    ValueError
        If ``input_data`` is not 4-D, or the filter is larger than the padded image.

    Notes
    -----
    .. math::
        \\text{col}[(n, i, j), (c, p, q)] = x^{\\text{pad}}_{n,\\, c,\\, iS + p,\\, jS + q}

    A convolution with filters ``W`` of shape ``(FN, C, FH, FW)`` is then one
    product, ``im2col(x, FH, FW) @ W.reshape(FN, -1).T`` (the book's
    ``np.dot(col, col_W)``). As in the book, when the stride does not divide
    ``H + 2P - FH`` the windows that do not fit are left out (the layers
    refuse such shapes instead). Built from a strided view of the image in one
    copy; the book fills a six-dimensional array filter position by filter
    position, and transposes it.

    Book section
    ------------
    7.4.2 (expansion by im2col), 7.4.3 (``im2col(input_data, filter_h, filter_w, stride, pad)``)

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> im2col(x, 2, 2, stride=2)
    array([[ 0.,  1.,  4.,  5.],
           [ 2.,  3.,  6.,  7.],
           [ 8.,  9., 12., 13.],
           [10., 11., 14., 15.]])
    >>> im2col(np.zeros((10, 3, 7, 7)), 5, 5).shape  # the book's second example
    (90, 75)
    """
    x = floating(as_real_array(input_data, "input_data"))
    if x.ndim != 4:
        raise ValueError(f"input_data must be 4-D (N, C, H, W), got {describe(x)}")
    _geometry(filter_h, filter_w, stride, pad)
    n, c, h, w = x.shape
    oh, ow = _out_sizes(h, w, filter_h, filter_w, stride, pad)
    view = windows(x, filter_h, filter_w, stride, pad)
    col: FloatArray = view.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * filter_h * filter_w)
    return col


def col2im(
    col: ArrayLike,
    input_shape: tuple[int, int, int, int],
    filter_h: int,
    filter_w: int,
    stride: int = 1,
    pad: int = 0,
) -> FloatArray:
    """Add the rows of an im2col matrix back onto images: the transpose of :func:`im2col`.

    Parameters
    ----------
    col : array_like, shape (N*OH*OW, C*FH*FW)
        A matrix laid out as :func:`im2col` lays it out (in the backward pass:
        the gradient of the loss with respect to ``im2col``'s output).
    input_shape : tuple of 4 ints
        ``(N, C, H, W)``, the shape of the images.
    filter_h, filter_w, stride, pad : int
        As given to :func:`im2col`.

    Returns
    -------
    ndarray, shape (N, C, H, W)
        Of ``col``'s floating dtype (float64 for integers). Each pixel holds
        the sum of the entries of ``col`` that :func:`im2col` copied from it
        (0 for a pixel no window reads); entries from the padding are dropped.

    Raises
    ------
    TypeError
        If ``col`` is not real numbers, or a size is not an int.
    ValueError
        If ``input_shape`` is not 4 sizes >= 1, the filter is larger than the
        padded image, or ``col`` does not have the shape ``im2col`` gives for them.

    Notes
    -----
    .. math::
        x_{n,c,h,w} = \\sum_{\\substack{i, j, p, q:\\; iS + p = h + P,\\\\ jS + q = w + P}}
        \\text{col}[(n, i, j), (c, p, q)]

    ``col2im`` is the adjoint of ``im2col``: for every ``x`` and ``col``,
    ``<im2col(x), col> = <x, col2im(col)>``, which is why it carries the
    gradient back in :meth:`tinynn.Convolution.backward`. Windows that do not
    overlap (``stride >= FH, FW``, as in 2x2 pooling with stride 2) are written
    by one assignment; overlapping windows need one vectorized addition per
    filter position (``FH * FW`` of them), as in the book.

    Book section
    ------------
    7.4.3 (``col2im``, used by the backward pass of the convolution layer)

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> col2im(im2col(x, 2, 2), x.shape, 2, 2)  # each pixel times the windows it is in
    array([[[[ 0.,  2.,  2.],
             [ 6., 16., 10.],
             [ 6., 14.,  8.]]]])
    """
    c2 = floating(as_real_array(col, "col"))
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if shape is None or len(shape) != 4:
        raise ValueError(f"input_shape must be 4 sizes (N, C, H, W), got {input_shape!r}")
    for name, size in zip(("N", "C", "H", "W"), shape, strict=True):
        check_positive_int(size, f"input_shape's {name}")
    n, c, h, w = (int(s) for s in shape)
    _geometry(filter_h, filter_w, stride, pad)
    oh, ow = _out_sizes(h, w, filter_h, filter_w, stride, pad)
    expected = (n * oh * ow, c * filter_h * filter_w)
    if c2.shape != expected:
        raise ValueError(
            f"col must have shape (N*OH*OW, C*FH*FW) = {expected} for input_shape "
            f"{(n, c, h, w)}, a {filter_h}x{filter_w} filter, stride {stride} and pad {pad}; "
            f"got {describe(c2)}"
        )
    patches = c2.reshape(n, oh, ow, c, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    return fold(patches, (n, c, h, w), stride, pad)
