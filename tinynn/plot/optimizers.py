"""Figures of section 6.1: the optimizers' paths and their loss on MNIST.

Book section
------------
6.1.7 (figures 6-8 and 6-9)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..typing import ArrayLike, FloatArray
from .common import figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure


def _f_6_1(x: NDArray[Any], y: NDArray[Any]) -> NDArray[Any]:
    """The book's function of section 6.1.3: :math:`f(x, y) = x^2 / 20 + y^2`."""
    z: NDArray[Any] = x**2 / 20.0 + y**2
    return z


def optimizer_paths_figure(
    paths: Mapping[str, ArrayLike], *, fig: Figure | SubFigure | None = None
) -> Figure:
    """Each optimizer's path on :math:`f(x, y) = x^2/20 + y^2`, one panel each (figure 6-8).

    Parameters
    ----------
    paths : mapping of str to array_like of shape (n, 2)
        The points each optimizer visited, by its name (the panel's title), as
        ``examples/optimizer_compare_naive.py`` computes them from (-7, 2).
    fig : matplotlib Figure or SubFigure, optional
        Draw the panels here (two columns) instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``paths`` is empty or a path is not of shape ``(n, 2)`` with ``n >= 1``.

    Book section
    ------------
    6.1.7 (figure 6-8, ``ch06/optimizer_compare_naive.py``)

    Examples
    --------
    >>> fig = optimizer_paths_figure({"A": [[-7, 2], [-3, 1]], "B": [[-7, 2], [0, 0]]})
    >>> [ax.get_title() for ax in fig.axes]
    ['A', 'B']
    """
    points = {name: np.asarray(path, dtype=np.float64) for name, path in paths.items()}
    if not points:
        raise ValueError("paths must name at least one optimizer's path")
    for name, p in points.items():
        if p.ndim != 2 or p.shape[1] != 2 or len(p) == 0:
            raise ValueError(f"paths[{name!r}] must have shape (n, 2) with n >= 1, got {p.shape}")
    if fig is None:
        root, _ = figure_axes(None)
        root.delaxes(root.axes[0])
        target: Figure | SubFigure = root
        root.set_size_inches(9.0, 3.6 * ((len(points) + 1) // 2))
    else:
        target = fig
    X, Y = np.meshgrid(np.arange(-10, 10, 0.05), np.arange(-5, 5, 0.05))
    Z = _f_6_1(X, Y)
    Z[Z > 7] = 0  # as the book: only the contours near the minimum
    rows = (len(points) + 1) // 2
    for i, (name, p) in enumerate(points.items()):
        axes = target.add_subplot(rows, 2, i + 1)
        axes.plot(p[:, 0], p[:, 1], "o-", color="red", markersize=3)
        axes.contour(X, Y, Z)
        axes.plot(0, 0, "+")
        axes.set_xlim(-10, 10)
        axes.set_ylim(-10, 10)
        axes.set_title(name)
        axes.set_xlabel("x")
        axes.set_ylabel("y")
    return target.figure.figure


def smooth_curve(x: ArrayLike) -> FloatArray:
    """A loss curve smoothed with an 11-point Kaiser window, as the book draws figure 6-9.

    Parameters
    ----------
    x : array_like, 1-D
        At least 11 values; the result has the same length.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        If ``x`` is not 1-D with at least 11 values.

    Book section
    ------------
    6.1.8 (``smooth_curve`` in ``common/util.py``)

    Examples
    --------
    >>> smooth_curve(np.ones(20)).round(12).tolist() == [1.0] * 20
    True
    """
    a = np.asarray(x, dtype=np.float64)
    window_len = 11
    if a.ndim != 1 or len(a) < window_len:
        raise ValueError(f"smooth_curve needs a 1-D array of >= 11 values, got shape {a.shape}")
    s = np.r_[a[window_len - 1 : 0 : -1], a, a[-1:-window_len:-1]]
    w = np.kaiser(window_len, 2)
    y = np.convolve(w / w.sum(), s, mode="valid")
    return y[5 : len(y) - 5]


def optimizer_loss_figure(
    losses: Mapping[str, Sequence[float]], *, ax: Axes | None = None, smooth: bool = True
) -> Figure:
    """The training loss of several optimizers on the same network and batches (figure 6-9).

    Parameters
    ----------
    losses : mapping of str to sequence of float
        Each optimizer's mini-batch loss at every iteration, by name.
    ax : matplotlib Axes, optional
    smooth : bool, default True
        Draw :func:`smooth_curve` of each loss, as the book does (needs at
        least 11 iterations).

    Returns
    -------
    matplotlib.figure.Figure
        One line per optimizer, y from 0 to 1 as in the book.

    Book section
    ------------
    6.1.8 (figure 6-9, ``ch06/optimizer_compare_mnist.py``)

    Examples
    --------
    >>> fig = optimizer_loss_figure({"SGD": [2.3] * 20, "Adam": [0.5] * 20})
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['SGD', 'Adam']
    """
    markers = {"SGD": "o", "Momentum": "x", "AdaGrad": "s", "Adam": "D"}
    fig, axes = figure_axes(ax)
    for name, loss in losses.items():
        y = smooth_curve(loss) if smooth else np.asarray(loss, dtype=np.float64)
        every = max(len(y) // 20, 1)
        axes.plot(np.arange(len(y)), y, marker=markers.get(name, "^"), markevery=every,
                  label=name, linewidth=1.0)  # fmt: skip
    axes.set_xlabel("iterations")
    axes.set_ylabel("loss")
    axes.set_ylim(0, 1)
    axes.legend()
    return fig
