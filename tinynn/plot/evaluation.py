"""What the trained network gets wrong: the confusion matrix and the misclassified digits.

Book section
------------
4.5.3 (evaluating with test data)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..typing import ArrayLike
from ..utils.validation import is_whole_number
from .common import figure_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def confusion_matrix_figure(
    matrix: ArrayLike, *, ax: Axes | None = None, normalize: bool = True
) -> Figure:
    """The confusion matrix as a heat map, every cell labelled with its count.

    Parameters
    ----------
    matrix : array_like, shape (k, k)
        ``matrix[i, j]`` counts samples of true class ``i`` predicted as ``j``,
        as from :func:`~tinynn.confusion_matrix`.
    ax : matplotlib Axes, optional
    normalize : bool, default True
        Colour each cell by its share of its row (the recall of the diagonal),
        so that rare mistakes stay visible next to large diagonals; the labels
        are the counts either way.

    Returns
    -------
    matplotlib.figure.Figure
        Rows are true classes (y axis), columns predicted classes (x axis).

    Raises
    ------
    ValueError
        If ``matrix`` is not square.

    Book section
    ------------
    4.5.3 (evaluating with test data)

    Examples
    --------
    >>> fig = confusion_matrix_figure([[5, 1], [0, 4]])
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['5', '1', '0', '4']
    """
    counts = np.asarray(matrix, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise ValueError(f"matrix must be square (k, k), got shape {counts.shape}")
    fig, axes = figure_axes(ax)
    k = counts.shape[0]
    rows = counts.sum(axis=1, keepdims=True)
    shade = counts / np.where(rows > 0, rows, 1.0) if normalize else counts
    axes.imshow(shade, cmap="Blues", vmin=0.0, vmax=1.0 if normalize else None)
    for i in range(k):
        for j in range(k):
            dark = shade[i, j] > 0.5 * (1.0 if normalize else shade.max())
            axes.text(j, i, f"{counts[i, j]:.0f}", ha="center", va="center", fontsize=8,
                      color="white" if dark else "black")  # fmt: skip
    axes.set_xticks(range(k))
    axes.set_yticks(range(k))
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    return fig


def misclassified_figure(
    images: ArrayLike,
    labels: ArrayLike,
    predicted: ArrayLike,
    *,
    columns: int = 10,
    ax: Axes | None = None,
) -> Figure:
    """A grid of digits, each titled ``true -> predicted``, white on black as MNIST's.

    The digits are tiled into one image drawn in one axes, so the figure fits
    into a panel of a larger one like the chapter's figures.

    Parameters
    ----------
    images : array_like, shape (n, 784) or (n, 28, 28)
        The digits (square images, flattened or not), values in [0, 1].
    labels, predicted : array_like of int, shape (n,)
        The true and the predicted classes.
    columns : int, default 10
        Digits per row.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the lengths differ, there is no image, or the images are not square.

    Book section
    ------------
    4.5.3 (evaluating with test data), 8.1.2 (figure 8-4: the digits the deep network gets
    wrong, with the true and the predicted class)

    Examples
    --------
    >>> fig = misclassified_figure(np.zeros((3, 784)), [1, 2, 3], [7, 7, 8], columns=2)
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['1 -> 7', '2 -> 7', '3 -> 8']
    """
    pics = np.asarray(images, dtype=np.float64)
    true, pred = np.asarray(labels).ravel(), np.asarray(predicted).ravel()
    n = len(pics)
    side = math.isqrt(pics[0].size) if n else 0
    if n == 0 or side * side != pics[0].size:
        raise ValueError(f"images must be n >= 1 square images, got shape {pics.shape}")
    if not len(true) == len(pred) == n:
        raise ValueError(f"got {n} images, {len(true)} labels and {len(pred)} predictions")
    if not is_whole_number(columns) or columns < 1:
        raise ValueError(f"columns must be an int >= 1, got {columns!r}")
    fig, axes = figure_axes(ax)
    cols = min(columns, n)
    grid_rows = -(-n // cols)
    gap, title = 2, 9  # pixels between digits, and above each for its label
    cell_w, cell_h = side + gap, side + gap + title
    canvas = np.full((grid_rows * cell_h, cols * cell_w), np.nan)
    for index, pic in enumerate(pics.reshape(n, side, side)):
        r, c = divmod(index, cols)
        top, left = r * cell_h + title, c * cell_w
        canvas[top : top + side, left : left + side] = pic
        axes.text(left + side / 2, top - 1, f"{true[index]} -> {pred[index]}", ha="center",
                  va="bottom", fontsize=10)  # fmt: skip
    axes.imshow(np.ma.masked_invalid(canvas), cmap="gray", vmin=0.0, vmax=1.0)
    axes.set_axis_off()
    return fig
