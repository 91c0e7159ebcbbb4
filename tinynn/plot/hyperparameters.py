"""Figure of section 6.5.3: the best runs of a random search over hyperparameters.

Book section
------------
6.5.3 (figure 6-24)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..utils.validation import is_whole_number
from .common import accuracy_curve, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure, SubFigure


def hyperparameter_search_figure(
    results_val: Mapping[str, Sequence[float]],
    results_train: Mapping[str, Sequence[float]],
    *,
    best: int = 20,
    columns: int = 5,
    fig: Figure | SubFigure | None = None,
) -> Figure:
    """The ``best`` runs by final validation accuracy, one panel each (figure 6-24).

    Parameters
    ----------
    results_val, results_train : mapping of str to sequence of float
        The validation and the training accuracy per epoch of every run, keyed alike
        (the book keys them ``"lr:..., weight decay:..."``).
    best : int, default 20
        How many runs to draw (fewer if there are fewer).
    columns : int, default 5
        Panels per row.
    fig : matplotlib Figure or SubFigure, optional
        Draw the panels here instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Panels titled "Best-1", "Best-2", ... in order of the final validation accuracy
        (highest first; ties keep the mapping's order): validation solid, training
        dashed, y from 0 to 1, no x ticks, y ticks on the first column only.

    Raises
    ------
    ValueError
        If ``results_val`` is empty, the two mappings have different keys, ``best`` or
        ``columns`` is not an int >= 1, or a list is not valid accuracies.

    Notes
    -----
    The book's script draws the training curve of its *last* run in every panel (its
    loop reuses the variable ``train_acc_list``); here each panel has its own run's.

    Book section
    ------------
    6.5.3 (figure 6-24, ``ch06/hyperparameter_optimization.py``)

    Examples
    --------
    >>> val = {"lr:0.01": [0.1, 0.7], "lr:1e-05": [0.1, 0.1], "lr:0.001": [0.1, 0.4]}
    >>> train = {"lr:0.01": [0.1, 0.8], "lr:1e-05": [0.1, 0.1], "lr:0.001": [0.1, 0.5]}
    >>> fig = hyperparameter_search_figure(val, train, best=2)
    >>> [ax.get_title() for ax in fig.axes]
    ['Best-1', 'Best-2']
    >>> fig.axes[1].lines[0].get_ydata().tolist()
    [0.1, 0.4]
    """
    if not results_val:
        raise ValueError("results_val must hold at least one run")
    if set(results_val) != set(results_train):
        raise ValueError(
            "results_val and results_train must have the same keys; only in one: "
            f"{sorted(set(results_val) ^ set(results_train))[:3]}"
        )
    for value, name in ((best, "best"), (columns, "columns")):
        if not is_whole_number(value) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    runs = {
        key: (accuracy_curve(val, f"results_val[{key!r}]"),
              accuracy_curve(results_train[key], f"results_train[{key!r}]"))
        for key, val in results_val.items()
    }  # fmt: skip
    order = sorted(runs, key=lambda key: float(runs[key][0][-1]), reverse=True)[:best]
    rows = -(-len(order) // columns)
    if fig is None:
        target: Figure | SubFigure = new_figure((2.2 * min(len(order), columns), 1.9 * rows))
    else:
        target = fig
    for i, key in enumerate(order):
        val, train = runs[key]
        ax = target.add_subplot(rows, columns, i + 1)
        ax.set_title(f"Best-{i + 1}")
        ax.plot(np.arange(len(val)), val)
        ax.plot(np.arange(len(train)), train, "--")
        ax.set_ylim(0.0, 1.0)
        ax.set_xticks([])
        if i % columns:
            ax.set_yticks([])
    return target.figure.figure
