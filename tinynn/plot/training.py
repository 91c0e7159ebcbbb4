"""Figures of sections 4.5.2 and 4.5.3: the loss and the accuracies of a training run.

Book section
------------
4.5.2 (figure 4-11), 4.5.3 (figure 4-12)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .common import figure_axes, new_figure

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


class TrainingRecord(LossRecord, AccuracyRecord, Protocol):
    """Anything with the book's three lists, such as :class:`~tinynn.History`.

    Book section
    ------------
    4.5.2 (``train_loss_list``), 4.5.3 (``train_acc_list``, ``test_acc_list``)
    """


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
    fig, axes = figure_axes(ax)
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
    fig, axes = figure_axes(ax)
    train = np.asarray(history.train_acc_list, dtype=np.float64)
    test = np.asarray(history.test_acc_list, dtype=np.float64)
    axes.plot(np.arange(len(train)), train, marker="o", label="train acc")
    axes.plot(np.arange(len(test)), test, marker="s", linestyle="--", label="test acc")
    axes.set_xlabel("epochs")
    axes.set_ylabel("accuracy")
    axes.set_ylim(0, 1.0)
    axes.legend(loc="lower right")
    return fig


#: What the marks of :func:`training_figure` show, by the key of ``final``.
_FINAL = {"train": ("o", "C0"), "test": ("s", "C1")}


def training_figure(
    history: TrainingRecord,
    *,
    iters_per_epoch: int,
    final: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Figures 4-11 and 4-12 side by side, with the trained network's accuracies marked.

    The left panel is :func:`loss_curve_figure` (the loss of every mini-batch),
    the right one :func:`accuracy_figure` (the book's records, taken at the start
    of each epoch). The book's last record comes before the last epoch's
    iterations; ``final``, the accuracies of the network as training left it, is
    marked where training ended, at ``len(history.train_loss_list) /
    iters_per_epoch`` epochs, as hollow markers labelled "train acc after the
    last iteration (N)" and "test acc after the last iteration (N)", N being the
    number of iterations. ``tinynn train``
    writes this figure as ``training.png`` in the run folder.

    Parameters
    ----------
    history : History
        Or anything with ``train_loss_list``, ``train_acc_list`` and ``test_acc_list``.
    iters_per_epoch : int
        Iterations per epoch (``Trainer.iters_per_epoch``; 600 for the book's run),
        which places the marks on the epoch axis.
    final : mapping of str to float, optional
        ``{"train": accuracy, "test": accuracy}`` (either key may be left out) after
        the last iteration, each in [0, 1]. Without it, no marks.
    title : str, optional
        What was trained (``tinynn train`` names the network and its schedule), above
        both panels. Given, the panels are titled "mini-batch loss" and "accuracy per
        epoch" alone: figures 4-11 and 4-12 are the Chapter 4 network's, and another
        run's curves are its own. Without it, the panels name figures 4-11 and 4-12.

    Returns
    -------
    matplotlib.figure.Figure
        11 x 4.2 inches, two axes: the loss, then the accuracies.

    Raises
    ------
    TypeError
        If ``iters_per_epoch`` is not an int, a value of ``final`` is not a number, or
        ``title`` is not a str.
    ValueError
        If ``iters_per_epoch < 1``, ``final`` has a key other than "train" and
        "test", or an accuracy outside [0, 1].

    Book section
    ------------
    4.5.2 (figure 4-11), 4.5.3 (figure 4-12)

    Examples
    --------
    >>> from tinynn import History
    >>> history = History()
    >>> history.history = {"loss": [2.3, 1.9, 1.2, 0.9, 0.7],
    ...                    "train_acc": [0.1, 0.8], "test_acc": [0.1, 0.78]}
    >>> fig = training_figure(history, iters_per_epoch=3, final={"train": 0.9, "test": 0.88})
    >>> loss, accuracy = fig.axes
    >>> for text in accuracy.get_legend().get_texts():
    ...     print(text.get_text())
    train acc
    test acc
    train acc after the last iteration (5)
    test acc after the last iteration (5)
    >>> accuracy.lines[2].get_xydata().tolist()  # 5 iterations of 3 per epoch
    [[1.6666666666666667, 0.9]]
    >>> loss.get_title()
    'mini-batch loss (figure 4-11)'
    >>> fig = training_figure(history, iters_per_epoch=3, title="MultiLayerNet, 5 iterations")
    >>> fig.get_suptitle(), fig.axes[0].get_title(), fig.axes[1].get_title()
    ('MultiLayerNet, 5 iterations', 'mini-batch loss', 'accuracy per epoch')
    """
    if isinstance(iters_per_epoch, bool) or not isinstance(iters_per_epoch, (int, np.integer)):
        raise TypeError(f"iters_per_epoch must be an int, got {iters_per_epoch!r}")
    if iters_per_epoch < 1:
        raise ValueError(f"iters_per_epoch must be at least 1, got {iters_per_epoch}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str, got {title!r}")
    marks = dict(final or {})
    unknown = sorted(set(marks) - set(_FINAL))
    if unknown:
        raise ValueError(f"final may have the keys 'train' and 'test', got {unknown}")
    for key, value in marks.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"final[{key!r}] must be a number, got {value!r}")
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"final[{key!r}] must be an accuracy in [0, 1], got {value}")
    fig = new_figure((11, 4.2))
    left, right = fig.subplots(1, 2)
    loss_curve_figure(history, ax=left)
    accuracy_figure(history, ax=right)
    if title is None:  # the book's Chapter 4 figures
        left.set_title("mini-batch loss (figure 4-11)")
        right.set_title("accuracy per epoch (figure 4-12)")
    else:  # another run's curves: named by what was trained
        left.set_title("mini-batch loss")
        right.set_title("accuracy per epoch")
        fig.suptitle(title)
    iters = len(history.train_loss_list)
    end = iters / int(iters_per_epoch)
    for key, (marker, colour) in _FINAL.items():
        if key in marks:
            right.plot([end], [float(marks[key])], marker=marker, color=colour, fillstyle="none",
                       markersize=9, linestyle="none",
                       label=f"{key} acc after the last iteration ({iters:,})")  # fmt: skip
    right.legend(loc="lower right")
    return fig
