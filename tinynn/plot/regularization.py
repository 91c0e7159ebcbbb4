"""Figures of section 6.4: train and test accuracy of an overfitting network, and its cures.

Book section
------------
6.4.1 (figure 6-20), 6.4.2 (figure 6-21), 6.4.3 (figures 6-22 and 6-23)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..utils.validation import is_whole_number
from .common import accuracy_curve, figure_axes
from .training import AccuracyRecord

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def overfitting_figure(
    history: AccuracyRecord,
    *,
    title: str | None = None,
    markevery: int = 10,
    ax: Axes | None = None,
) -> Figure:
    """Train and test accuracy per epoch, drawn as the book draws section 6.4's figures.

    The gap between the two lines is the overfitting: in figure 6-20 the training
    accuracy reaches 1.0 while the test accuracy stays far below; weight decay
    (figure 6-21) and Dropout (figure 6-23) narrow it.

    Parameters
    ----------
    history : History
        Or anything with ``train_acc_list`` and ``test_acc_list`` (the same length).
    title : str, optional
        E.g. ``"weight decay lambda = 0.1"``.
    markevery : int, default 10
        A marker (circle for train, square for test) every this many epochs, as the book.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Two solid lines labelled "train" and "test", x the epoch, y from 0 to 1, the
        legend lower right.

    Raises
    ------
    ValueError
        If the lists are empty, differ in length or hold a value outside [0, 1], or
        ``markevery < 1``.

    Book section
    ------------
    6.4.1 (figure 6-20, ``ch06/overfit_weight_decay.py``), 6.4.2 (figure 6-21),
    6.4.3 (figures 6-22 and 6-23, ``ch06/overfit_dropout.py``)

    Examples
    --------
    >>> from tinynn import History
    >>> history = History()
    >>> history.history = {"train_acc": [0.1, 0.9, 1.0], "test_acc": [0.1, 0.6, 0.7]}
    >>> fig = overfitting_figure(history, title="no regularisation")
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['train', 'test']
    """
    train = accuracy_curve(history.train_acc_list, "train_acc_list")
    test = accuracy_curve(history.test_acc_list, "test_acc_list")
    if len(train) != len(test):
        raise ValueError(
            f"train_acc_list and test_acc_list must have the same length, got {len(train)} "
            f"and {len(test)}"
        )
    if not is_whole_number(markevery) or markevery < 1:
        raise ValueError(f"markevery must be an int >= 1, got {markevery!r}")
    fig, axes = figure_axes(ax)
    x = np.arange(len(train))
    axes.plot(x, train, marker="o", label="train", markevery=markevery)
    axes.plot(x, test, marker="s", label="test", markevery=markevery)
    axes.set_xlabel("epochs")
    axes.set_ylabel("accuracy")
    axes.set_ylim(0, 1.0)
    if title is not None:
        axes.set_title(title)
    axes.legend(loc="lower right")
    return fig
