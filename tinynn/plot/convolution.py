"""Figures of section 7.6.1: what the first convolution layer learned, and what it sees.

Book section
------------
7.6.1 (figure 7-24: the first layer's filters before and after learning; figure 7-25:
what a filter responds to)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..typing import ArrayLike, FloatArray
from ..utils.validation import check_positive_int, is_whole_number
from .common import figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure


def _scaled(tile: FloatArray) -> FloatArray:
    """``tile`` scaled to [0, 1] by its own minimum and maximum (a constant tile: 0.5)."""
    low, high = float(tile.min()), float(tile.max())
    if high > low:
        return (tile - low) / (high - low)
    return np.full_like(tile, 0.5)


def _response(fmap: FloatArray) -> FloatArray:
    """A feature map scaled to [0, 1]: by its largest value when it holds no negative value
    (after a ReLU, 0 is "no response" and stays black, also where a filter never responds),
    else by its own minimum and maximum."""
    if fmap.min() >= 0.0:
        high = float(fmap.max())
        return fmap / high if high > 0.0 else np.zeros_like(fmap)
    return _scaled(fmap)


def _tile(tiles: FloatArray, columns: int, gap: int) -> FloatArray:
    """``(n, h, w)`` tiles laid out ``columns`` a row with ``gap`` pixels between, NaN there."""
    n, h, w = tiles.shape
    cols = min(columns, n)
    rows = -(-n // cols)
    canvas = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for index, tile in enumerate(tiles):
        r, c = divmod(index, cols)
        canvas[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = tile
    return canvas


def filters_figure(
    W: ArrayLike,
    *,
    channel: int = 0,
    columns: int = 10,
    cmap: str = "gray_r",
    ax: Axes | None = None,
) -> Figure:
    """The filters of a convolution layer as a grid of small images (figure 7-24).

    Parameters
    ----------
    W : array_like, shape (FN, C, FH, FW)
        The filters, such as ``net.params['W1']`` of a :class:`~tinynn.SimpleConvNet`.
    channel : int, default 0
        Which input channel of each filter to draw (MNIST has one).
    columns : int, default 10
        Filters per row.
    cmap : str, default 'gray_r'
        The book's colour map: large weights dark, small ones light.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``W`` is not 4-D with at least one filter, holds NaN or infinity, or
        ``channel`` is not one of its channels.

    Notes
    -----
    Each filter is scaled to its own smallest and largest weight, as the book's
    ``imshow`` of each filter does (``ch07/visualize_filter.py``), so random
    filters look like noise and trained ones show their edges and blobs. The
    filters are tiled into one image in one axes, so that two calls fill the
    two panels of figure 7-24 (before and after learning).

    Book section
    ------------
    7.6.1 (figure 7-24: the weights of the first layer before and after learning)

    Examples
    --------
    >>> fig = filters_figure(np.random.default_rng(0).standard_normal((30, 1, 5, 5)))
    >>> fig.axes[0].images[0].get_array().shape  # 3 rows of 10 filters, 1 pixel between
    (17, 59)
    """
    w = np.asarray(W, dtype=np.float64)
    if w.ndim != 4 or w.shape[0] == 0:
        raise ValueError(f"W must have shape (FN, C, FH, FW) with FN >= 1, got {w.shape}")
    if not np.isfinite(w).all():
        raise ValueError("W holds NaN or infinity")
    if not is_whole_number(channel) or not 0 <= channel < w.shape[1]:
        raise ValueError(f"channel must be an int in [0, {w.shape[1]}), got {channel!r}")
    check_positive_int(columns, "columns")
    fig, axes = figure_axes(ax)
    tiles = np.array([_scaled(f[channel]) for f in w])
    axes.imshow(np.ma.masked_invalid(_tile(tiles, columns, 1)), cmap=cmap, vmin=0.0, vmax=1.0,
                interpolation="nearest")  # fmt: skip
    axes.set_axis_off()
    return fig


def feature_maps_figure(
    image: ArrayLike,
    maps: ArrayLike,
    *,
    columns: int = 10,
    fig: Figure | SubFigure | None = None,
) -> Figure:
    """One input image and what each filter of a convolution layer makes of it.

    Parameters
    ----------
    image : array_like, shape (H, W) or (1, H, W)
        The input, such as one MNIST digit.
    maps : array_like, shape (FN, OH, OW)
        The layer's output for that image, one map per filter: for a
        :class:`~tinynn.SimpleConvNet` ``net``,
        ``net.layers[0].forward(x[np.newaxis])[0]`` (or after the ReLU,
        ``net.layers[1].forward(...)``).
    columns : int, default 10
        Maps per row.
    fig : matplotlib Figure or SubFigure, optional
        Where to draw the two panels (the input, and the maps); a new figure by default.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the shapes are not as above, or hold NaN or infinity.

    Notes
    -----
    The input is drawn white on black as MNIST's digits; each map is scaled to
    its own largest value, white where the filter responds most and black where
    it does not respond (a map with negative values, before a ReLU, is scaled
    from its smallest to its largest value),
    so that figure 7-25's reading holds: a filter that learned a vertical edge
    lights up along the digit's vertical strokes.

    Book section
    ------------
    7.6.1 (figure 7-25: what the first layer's filters respond to)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fig = feature_maps_figure(rng.random((28, 28)), rng.random((30, 24, 24)))
    >>> [ax.get_title() for ax in fig.axes]
    ['input', '30 feature maps']
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 3 and img.shape[0] == 1:
        img = img[0]
    fmaps = np.asarray(maps, dtype=np.float64)
    if img.ndim != 2 or img.size == 0:
        raise ValueError(f"image must have shape (H, W) or (1, H, W), got {np.shape(image)}")
    if fmaps.ndim != 3 or fmaps.shape[0] == 0 or fmaps[0].size == 0:
        raise ValueError(f"maps must have shape (FN, OH, OW) with FN >= 1, got {fmaps.shape}")
    if not (np.isfinite(img).all() and np.isfinite(fmaps).all()):
        raise ValueError("image and maps must be finite (no NaN or infinity)")
    check_positive_int(columns, "columns")
    if fig is None:
        root, first = figure_axes(None)
        root.delaxes(first)
        target: Figure | SubFigure = root
        rows = -(-fmaps.shape[0] // min(columns, fmaps.shape[0]))
        root.set_size_inches(2.0 + 0.75 * min(columns, fmaps.shape[0]), 0.4 + 0.75 * max(rows, 2))
    else:
        target = fig
    cols = min(columns, fmaps.shape[0])
    left, right = target.subplots(1, 2, width_ratios=[1.0, max(1.0, cols / 2.5)])
    left.imshow(img, cmap="gray", interpolation="nearest")
    left.set_title("input")
    left.set_axis_off()
    tiles = np.array([_response(m) for m in fmaps])
    gap = max(1, math.ceil(fmaps.shape[2] / 12))
    right.imshow(np.ma.masked_invalid(_tile(tiles, columns, gap)), cmap="gray", vmin=0.0,
                 vmax=1.0, interpolation="nearest")  # fmt: skip
    right.set_title(f"{fmaps.shape[0]} feature maps")
    right.set_axis_off()
    return target.figure.figure
