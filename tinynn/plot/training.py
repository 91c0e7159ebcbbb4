"""Figures of sections 4.5.2 and 4.5.3: the loss and the accuracies of a training run.

Book section
------------
4.5.2 (figure 4-11), 4.5.3 (figure 4-12)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ._base import _axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class LossRecord(Protocol):
    """Anything with the book's ``train_loss_list``, such as :class:`~tinynn.History`.

    Book section
    ------------
    4.5.2 (``train_loss_list``)
    """

    @property
    def train_loss_list(self) -> Sequence[float]: ...


class AccuracyRecord(Protocol):
    """Anything with the book's ``train_acc_list`` and ``test_acc_list``.

    Book section
    ------------
    4.5.3 (``train_acc_list``, ``test_acc_list``)
    """

    @property
    def train_acc_list(self) -> Sequence[float]: ...

    @property
    def test_acc_list(self) -> Sequence[float]: ...


def loss_curve_figure(history: LossRecord, *, ax: Axes | None = None) -> Figure:
    """The mini-batch loss at every iteration (figure 4-11).

    Parameters
    ----------
    history : History
        Or anything with a ``train_loss_list``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Book section
    ------------
    4.5.2 (figure 4-11, the loss during mini-batch learning)

    Examples
    --------
    >>> from tinynn import History
    >>> history = History()
    >>> history.history = {"loss": [2.3, 1.2, 0.6]}
    >>> fig = loss_curve_figure(history)
    >>> fig.axes[0].lines[0].get_ydata().tolist()
    [2.3, 1.2, 0.6]
    """
    fig, axes = _axes(ax)
    loss = np.asarray(history.train_loss_list, dtype=np.float64)
    axes.plot(np.arange(len(loss)), loss, linewidth=0.8)
    axes.set_xlabel("iteration")
    axes.set_ylabel("loss")
    return fig


def accuracy_figure(history: AccuracyRecord, *, ax: Axes | None = None) -> Figure:
    """Train and test accuracy at every epoch (figure 4-12).

    Parameters
    ----------
    history : History
        Or anything with ``train_acc_list`` and ``test_acc_list``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Lines "train acc" (solid) and "test acc" (dashed), y from 0 to 1.

    Book section
    ------------
    4.5.3 (figure 4-12, ``ch04/train_neuralnet.py``)

    Examples
    --------
    >>> from tinynn import History
    >>> history = History()
    >>> history.history = {"train_acc": [0.1, 0.8, 0.9], "test_acc": [0.1, 0.78, 0.89]}
    >>> fig = accuracy_figure(history)
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['train acc', 'test acc']
    """
    fig, axes = _axes(ax)
    train = np.asarray(history.train_acc_list, dtype=np.float64)
    test = np.asarray(history.test_acc_list, dtype=np.float64)
    axes.plot(np.arange(len(train)), train, marker="o", label="train acc")
    axes.plot(np.arange(len(test)), test, marker="s", linestyle="--", label="test acc")
    axes.set_xlabel("epochs")
    axes.set_ylabel("accuracy")
    axes.set_ylim(0, 1.0)
    axes.legend(loc="lower right")
    return fig
