"""Figures of section 6.3.2: training accuracy with and without Batch Normalization.

Book section
------------
6.3.2 (figures 6-18 and 6-19)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..utils.validation import is_whole_number
from .common import accuracy_curve, figure_axes, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

#: The book's legend of figures 6-18 and 6-19.
BN_LABEL, PLAIN_LABEL = "Batch Normalization", "Normal(without BatchNorm)"


def batch_norm_figure(
    bn_acc: Sequence[float],
    plain_acc: Sequence[float],
    *,
    weight_scale: float | None = None,
    legend: bool = True,
    ax: Axes | None = None,
) -> Figure:
    """Training accuracy per epoch with Batch Normalization (solid) and without (dashed).

    Parameters
    ----------
    bn_acc, plain_acc : sequence of float
        The training accuracy at every epoch of the network with Batch
        Normalization and of the same network without it (same initial weights'
        scale, same mini-batches).
    weight_scale : float, optional
        The standard deviation of the initial weights, shown as the title
        ``"W:<scale>"`` as the book titles its panels.
    legend : bool, default True
        Add the book's legend (lower right).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Lines labelled "Batch Normalization" and "Normal(without BatchNorm)", x the
        epoch (0, 1, ...), y from 0 to 1. A list shorter than the other is a run that
        stopped early (it diverged): its last point is marked with an x and the word
        "diverged".

    Raises
    ------
    ValueError
        If a list is empty, not 1-D or holds a value outside [0, 1].

    Book section
    ------------
    6.3.2 (figure 6-18, ``ch06/batch_norm_test.py``)

    Examples
    --------
    >>> fig = batch_norm_figure([0.1, 0.6, 0.8], [0.1, 0.2, 0.3], weight_scale=0.01)
    >>> ax = fig.axes[0]
    >>> ax.get_title(), [line.get_linestyle() for line in ax.lines]
    ('W:0.01', ['-', '--'])
    """
    bn = accuracy_curve(bn_acc, "bn_acc")
    plain = accuracy_curve(plain_acc, "plain_acc")
    fig, axes = figure_axes(ax)
    axes.plot(np.arange(len(bn)), bn, label=BN_LABEL, markevery=2)
    axes.plot(np.arange(len(plain)), plain, linestyle="--", label=PLAIN_LABEL, markevery=2)
    for curve, line in ((bn, axes.lines[0]), (plain, axes.lines[1])):
        if len(curve) < max(len(bn), len(plain)):  # stopped early: diverged
            end = (len(curve) - 1, float(curve[-1]))
            axes.plot(*end, marker="x", color=line.get_color(), markersize=8)
            axes.annotate("diverged", end, xytext=(4, 4), textcoords="offset points",
                          fontsize="small", color=line.get_color())  # fmt: skip
    axes.set_ylim(0, 1.0)
    axes.set_xlabel("epochs")
    axes.set_ylabel("accuracy")
    if weight_scale is not None:
        axes.set_title(f"W:{weight_scale:.4g}")
    if legend:
        axes.legend(loc="lower right")
    return fig


def batch_norm_grid_figure(
    weight_scales: Sequence[float],
    bn_acc: Sequence[Sequence[float]],
    plain_acc: Sequence[Sequence[float]],
    *,
    columns: int = 4,
    fig: Figure | SubFigure | None = None,
) -> Figure:
    """One :func:`batch_norm_figure` per scale of the initial weights (figure 6-19).

    Parameters
    ----------
    weight_scales : sequence of float
        The standard deviations of the initial weights, one panel each (the book:
        ``np.logspace(0, -4, 16)``).
    bn_acc, plain_acc : sequence of sequences of float
        For each scale, the training accuracy per epoch with and without Batch
        Normalization.
    columns : int, default 4
        Panels per row.
    fig : matplotlib Figure or SubFigure, optional
        Draw the panels here instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        As the book lays it out: y ticks on the first column only, x ticks on the last
        row only; one legend, above the panels (the book puts it in the last panel, where
        it is too small to read), and panels of 2.2 x 1.8 inches, so that the labels stay
        readable when the figure is shown at the width of a page.

    Raises
    ------
    ValueError
        If the three sequences differ in length or are empty, ``columns < 1``, or a
        list of accuracies is not valid (see :func:`batch_norm_figure`).

    Book section
    ------------
    6.3.2 (figure 6-19, ``ch06/batch_norm_test.py``)

    Examples
    --------
    >>> fig = batch_norm_grid_figure([1.0, 0.1], [[0.1, 0.9], [0.1, 0.8]],
    ...                              [[0.1, 0.1], [0.1, 0.5]], columns=2)
    >>> [ax.get_title() for ax in fig.axes]
    ['W:1', 'W:0.1']
    """
    if not len(weight_scales) == len(bn_acc) == len(plain_acc) or len(weight_scales) == 0:
        raise ValueError(
            "weight_scales, bn_acc and plain_acc must have the same length (>= 1), got "
            f"{len(weight_scales)}, {len(bn_acc)} and {len(plain_acc)}"
        )
    if not is_whole_number(columns) or columns < 1:
        raise ValueError(f"columns must be an int >= 1, got {columns!r}")
    n = len(weight_scales)
    rows = -(-n // columns)
    if fig is None:
        target: Figure | SubFigure = new_figure((2.2 * min(n, columns), 1.8 * rows + 0.4))
    else:
        target = fig
    for i, (scale, bn, plain) in enumerate(zip(weight_scales, bn_acc, plain_acc, strict=True)):
        ax = target.add_subplot(rows, columns, i + 1)
        batch_norm_figure(bn, plain, weight_scale=float(scale), legend=False, ax=ax)
        if i % columns:
            ax.set_yticks([])
            ax.set_ylabel("")
        if i < n - columns:
            ax.set_xticks([])
            ax.set_xlabel("")
    handles, labels = target.axes[-1].get_legend_handles_labels()
    target.legend(handles[:2], labels[:2], loc="outside upper center", ncols=2)
    return target.figure.figure
