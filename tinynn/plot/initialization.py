"""Figures of section 6.2: the activations of each hidden layer, and the loss, by initial weights.

Book section
------------
6.2 (figures 6-10 to 6-14), 6.2.4 (figure 6-15)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..typing import ArrayLike
from .common import figure_axes
from .optimizers import smooth_curve

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

#: The book's markers in figure 6-15, by the name of the initial weights.
_INIT_MARKERS = {"std=0.01": "o", "Xavier": "s", "He": "D"}


def activation_histogram_figure(
    activations: Sequence[ArrayLike],
    *,
    title: str | None = None,
    value_range: tuple[float, float] = (0.0, 1.0),
    ylim: float | None = None,
    fig: Figure | SubFigure | None = None,
) -> Figure:
    """One histogram per hidden layer, side by side (figures 6-10 to 6-14).

    Parameters
    ----------
    activations : sequence of array_like
        Each layer's activations, as :func:`~tinynn.hidden_activations`
        returns them.
    title : str, optional
        Written above the row (e.g. ``"sigmoid, std 1"``).
    value_range : (float, float), default (0, 1)
        The histograms' range; the book uses (0, 1) for every figure, also for ReLU
        (whose values above 1 then fall outside, as in the book).
    ylim : float, optional
        The height of every panel; the book cuts the ReLU histograms at 7000, where
        the bar of zeros (half the values) would flatten the rest.
    fig : matplotlib Figure or SubFigure, optional
        Draw the row here (e.g. one row of a larger figure) instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``activations`` is empty.

    Book section
    ------------
    6.2.1 (figures 6-10, 6-11), 6.2.2 (figures 6-12, 6-13), 6.2.3 (figure 6-14)

    Examples
    --------
    >>> from tinynn.initialization import hidden_activations
    >>> fig = activation_histogram_figure(hidden_activations("sigmoid", 0.01, rng=0))
    >>> [ax.get_title() for ax in fig.axes]
    ['1-layer', '2-layer', '3-layer', '4-layer', '5-layer']
    """
    if len(activations) == 0:
        raise ValueError("activations must hold at least one layer's values")
    if fig is None:
        root, _ = figure_axes(None)
        root.delaxes(root.axes[0])
        root.set_size_inches(2.2 * len(activations), 2.6)
        target: Figure | SubFigure = root
    else:
        target = fig
    axes = target.subplots(1, len(activations), sharey=True, squeeze=False)[0]
    for i, (ax, a) in enumerate(zip(axes, activations, strict=True)):
        ax.hist(np.asarray(a, dtype=np.float64).ravel(), 30, range=value_range)
        ax.set_title(f"{i + 1}-layer")
        if ylim is not None:
            ax.set_ylim(0, ylim)
        if i:
            ax.tick_params(labelleft=False)
    if title is not None:
        target.suptitle(title)
    return target.figure.figure


def weight_init_loss_figure(
    losses: Mapping[str, Sequence[float]], *, ax: Axes | None = None, smooth: bool = True
) -> Figure:
    """The training loss of one network under several initial weights (figure 6-15).

    Parameters
    ----------
    losses : mapping of str to sequence of float
        The mini-batch loss at every iteration, by the name of the initial weights
        (the book's ``'std=0.01'``, ``'Xavier'`` and ``'He'`` get its markers, circle,
        square and diamond; other names a triangle).
    ax : matplotlib Axes, optional
    smooth : bool, default True
        Draw :func:`smooth_curve` of each loss, as the book does (needs at least 11
        iterations).

    Returns
    -------
    matplotlib.figure.Figure
        One line per name, a marker every 100 iterations (the book's ``markevery``), y
        from 0 to 2.5 as in the book.

    Raises
    ------
    ValueError
        If ``losses`` is empty, a loss is not a non-empty 1-D sequence of finite
        values, or ``smooth`` is asked of fewer than 11 values.

    Book section
    ------------
    6.2.4 (figure 6-15, ``ch06/weight_init_compare.py``)

    Examples
    --------
    >>> fig = weight_init_loss_figure({"std=0.01": [2.3] * 20, "He": [0.4] * 20})
    >>> [(line.get_label(), line.get_marker()) for line in fig.axes[0].lines]
    [('std=0.01', 'o'), ('He', 'D')]
    >>> [float(y) for y in fig.axes[0].get_ylim()]
    [0.0, 2.5]
    """
    if not losses:
        raise ValueError("losses must name at least one run's losses")
    curves = {}
    for name, loss in losses.items():
        a = np.asarray(loss, dtype=np.float64)
        if a.ndim != 1 or len(a) == 0:
            raise ValueError(f"losses[{name!r}] must be a non-empty 1-D sequence, got {a.shape}")
        if not np.isfinite(a).all():
            i = int(np.argmin(np.isfinite(a)))
            raise ValueError(f"losses[{name!r}] must be finite, got {a[i]} at index {i}")
        curves[name] = smooth_curve(a) if smooth else a
    fig, axes = figure_axes(ax)
    for name, y in curves.items():
        axes.plot(np.arange(len(y)), y, marker=_INIT_MARKERS.get(name, "^"), markevery=100,
                  label=name)  # fmt: skip
    axes.set_xlabel("iterations")
    axes.set_ylabel("loss")
    axes.set_ylim(0, 2.5)
    axes.legend()
    return fig
