"""The figures of Chapter 6's experiments: 6-15 (initial weights), 6-18/6-19 (Batch
Normalization), 6-20 to 6-23 (overfitting) and 6-24 (hyperparameter search).

Each draws what the book draws (lines, panels, labels on the returned ``Figure``) and refuses
bad input with a ``ValueError`` that names it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure

from tinynn import History
from tinynn.plot import (
    batch_norm_figure,
    batch_norm_grid_figure,
    hyperparameter_search_figure,
    overfitting_figure,
    smooth_curve,
    weight_init_loss_figure,
)


def history_of(train: list[float], test: list[float]) -> History:
    history = History()
    history.history = {"train_acc": train, "test_acc": test}
    return history


# -- figure 6-15 ---------------------------------------------------------------------------


def test_weight_init_loss_figure_draws_one_smoothed_line_per_initial_weight() -> None:
    rng = np.random.default_rng(0)
    losses = {name: 2.3 * np.exp(-np.arange(300) / k) + 0.1 * rng.random(300)
              for name, k in (("std=0.01", 1e9), ("Xavier", 200.0), ("He", 100.0))}  # fmt: skip
    fig = weight_init_loss_figure(losses)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["std=0.01", "Xavier", "He"]
    assert [line.get_marker() for line in ax.lines] == ["o", "s", "D"]  # the book's markers
    for line, loss in zip(ax.lines, losses.values(), strict=True):
        np.testing.assert_allclose(line.get_ydata(), smooth_curve(loss))
        assert line.get_markevery() == 100
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_ylim()) == ("iterations", "loss", (0, 2.5))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["std=0.01", "Xavier", "He"]


def test_weight_init_loss_figure_unsmoothed_other_names_and_a_given_axes() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    assert weight_init_loss_figure({"mine": [2.0, 1.0, 0.5]}, smooth=False, ax=ax) is fig
    (line,) = ax.lines
    assert line.get_ydata().tolist() == [2.0, 1.0, 0.5] and line.get_marker() == "^"


@pytest.mark.parametrize(
    ("losses", "smooth", "message"),
    [
        ({}, True, "at least one run"),
        ({"He": []}, False, r"losses\['He'\] must be a non-empty 1-D sequence"),
        ({"He": [[1.0, 2.0]]}, False, r"non-empty 1-D sequence, got \(1, 2\)"),
        ({"He": [1.0, float("nan"), 2.0]}, False, r"\[.He.\] must be finite, got nan at index 1"),
        ({"He": [1.0] * 5 + [float("inf")] * 10}, True, "must be finite, got inf at index 5"),
        ({"He": [1.0] * 10}, True, ">= 11 values"),
    ],
)  # fmt: skip
def test_weight_init_loss_figure_rejects_bad_losses(
    losses: dict[str, list[float]], smooth: bool, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        weight_init_loss_figure(losses, smooth=smooth)


# -- figures 6-18 and 6-19 -----------------------------------------------------------------


def test_batch_norm_figure_draws_the_two_runs_as_the_book() -> None:
    fig = batch_norm_figure([0.1, 0.5, 0.9], [0.1, 0.2, 0.3], weight_scale=0.0857695899)
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == [
        "Batch Normalization", "Normal(without BatchNorm)"
    ]  # fmt: skip
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--"]
    assert ax.lines[0].get_xdata().tolist() == [0, 1, 2]
    assert ax.lines[1].get_ydata().tolist() == [0.1, 0.2, 0.3]
    assert ax.get_title() == "W:0.08577" and ax.get_ylim() == (0.0, 1.0)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epochs", "accuracy")
    assert ax.get_legend() is not None and not ax.texts  # nothing diverged


def test_batch_norm_figure_marks_where_a_run_diverged() -> None:
    fig = batch_norm_figure([0.1, 0.2, 0.4, 0.6], [0.1, 0.12], legend=False)
    ax = fig.axes[0]
    assert len(ax.lines) == 3  # the two runs and the x where the second stopped
    cross = ax.lines[2]
    assert cross.get_marker() == "x" and cross.get_color() == ax.lines[1].get_color()
    assert (cross.get_xdata().tolist(), cross.get_ydata().tolist()) == ([1], [0.12])
    assert [t.get_text() for t in ax.texts] == ["diverged"]
    assert ax.get_legend() is None and ax.get_title() == ""


@pytest.mark.parametrize(
    ("bn", "plain", "message"),
    [
        ([], [0.1], "bn_acc must be a non-empty 1-D sequence of accuracies, got shape"),
        ([[0.1, 0.2]], [0.1], r"bn_acc .* got shape \(1, 2\)"),
        ([0.1, 1.2], [0.1], r"bn_acc must hold accuracies in \[0, 1\], got 1.2 at index 1"),
        ([0.1], [0.1, float("nan")], r"plain_acc must hold accuracies in \[0, 1\], got nan"),
        ([0.1], [-0.1], "plain_acc must hold accuracies"),
    ],
)  # fmt: skip
def test_batch_norm_figure_rejects_bad_accuracies(bn: list, plain: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        batch_norm_figure(bn, plain)


def test_batch_norm_grid_figure_lays_out_the_books_sixteen_panels(tmp_path: Path) -> None:
    scales = np.logspace(0, -4, num=16)  # the book's array, as it is
    bn = [[0.1, 0.3 + 0.03 * i] for i in range(16)]
    plain = [[0.1, 0.2]] * 15 + [[0.1]]  # the last one diverged
    fig = batch_norm_grid_figure(scales, bn, plain)
    assert len(fig.axes) == 16
    assert [ax.get_title() for ax in fig.axes[:3]] == ["W:1", "W:0.5412", "W:0.2929"]
    assert fig.axes[-1].get_title() == "W:0.0001"
    for i, ax in enumerate(fig.axes):
        assert ax.get_lines()[0].get_ydata()[-1] == pytest.approx(bn[i][-1])
        assert (len(ax.get_yticks()) > 0) == (i % 4 == 0)  # y ticks on the first column
        assert (len(ax.get_xticks()) > 0) == (i >= 12)  # x ticks on the last row
        assert ax.get_legend() is None  # one legend for all, above the panels
    assert [t.get_text() for t in fig.axes[15].texts] == ["diverged"]
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["Batch Normalization",
                                                         "Normal(without BatchNorm)"]
    fig.savefig(tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 10_000


def test_batch_norm_grid_figure_fewer_panels_and_columns() -> None:
    fig = batch_norm_grid_figure([1.0, 0.1, 0.01], [[0.2]] * 3, [[0.1]] * 3, columns=2)
    assert [ax.get_title() for ax in fig.axes] == ["W:1", "W:0.1", "W:0.01"]
    assert [ax.get_subplotspec().rowspan.start for ax in fig.axes] == [0, 0, 1]


@pytest.mark.parametrize(
    ("scales", "bn", "plain", "kwargs", "message"),
    [
        ([], [], [], {}, r"same length \(>= 1\), got 0, 0 and 0"),
        ([1.0, 0.1], [[0.1]], [[0.1], [0.1]], {}, "got 2, 1 and 2"),
        (np.array([1.0, 0.1]), [[0.1]] * 2, [[0.1]] * 3, {}, "got 2, 2 and 3"),
        ([1.0], [[0.1]], [[0.1]], {"columns": 0}, "columns must be an int >= 1, got 0"),
        ([1.0], [[0.1]], [[0.1]], {"columns": 2.0}, "columns must be an int >= 1, got 2.0"),
        ([1.0], [[0.1]], [[np.nan]], {}, "plain_acc must hold accuracies"),
        ([1.0], [[]], [[0.1]], {}, "bn_acc must be a non-empty"),
    ],
)  # fmt: skip
def test_batch_norm_grid_figure_rejects_bad_input(
    scales: list, bn: list, plain: list, kwargs: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        batch_norm_grid_figure(scales, bn, plain, **kwargs)


# -- figures 6-20 to 6-23 ------------------------------------------------------------------


def test_overfitting_figure_draws_train_and_test() -> None:
    train = list(np.linspace(0.1, 1.0, 31))
    test = list(np.linspace(0.1, 0.7, 31))
    fig = overfitting_figure(history_of(train, test), title="weight decay lambda = 0.1",
                             markevery=10)  # fmt: skip
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == ["train", "test"]
    assert [line.get_marker() for line in ax.lines] == ["o", "s"]
    assert all(line.get_markevery() == 10 for line in ax.lines)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), train)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), test)
    assert ax.lines[0].get_xdata().tolist() == list(range(31))
    assert ax.get_title() == "weight decay lambda = 0.1" and ax.get_ylim() == (0.0, 1.0)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epochs", "accuracy")
    assert ax.get_legend() is not None


def test_overfitting_figures_side_by_side_in_one_figure() -> None:
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert overfitting_figure(history_of([0.1], [0.1]), ax=left) is fig
    assert overfitting_figure(history_of([0.2, 0.3], [0.1, 0.2]), ax=right) is fig
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]


@pytest.mark.parametrize(
    ("train", "test", "kwargs", "message"),
    [
        ([], [], {}, "train_acc_list must be a non-empty 1-D sequence"),
        ([0.1, 0.2], [0.1], {}, "must have the same length, got 2 and 1"),
        ([0.1, 0.2], [0.1, float("nan")], {}, r"test_acc_list must hold accuracies in \[0, 1\]"),
        ([0.1, 1.5], [0.1, 0.2], {}, "train_acc_list must hold accuracies"),
        ([0.1], [0.1], {"markevery": 0}, "markevery must be an int >= 1, got 0"),
        ([0.1], [0.1], {"markevery": True}, "markevery must be an int >= 1, got True"),
    ],
)  # fmt: skip
def test_overfitting_figure_rejects_bad_histories(
    train: list[float], test: list[float], kwargs: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        overfitting_figure(history_of(train, test), **kwargs)


# -- figure 6-24 ---------------------------------------------------------------------------


def test_hyperparameter_search_figure_draws_the_best_runs_in_order() -> None:
    finals = [0.3, 0.9, 0.1, 0.6, 0.9, 0.5, 0.7]
    val = {f"run{i}": [0.1, v] for i, v in enumerate(finals)}
    train = {f"run{i}": [0.1, min(v + 0.05, 1.0)] for i, v in enumerate(finals)}
    fig = hyperparameter_search_figure(val, train, best=5, columns=3)
    assert [ax.get_title() for ax in fig.axes] == [f"Best-{i}" for i in range(1, 6)]
    # highest final validation accuracy first; the tie (run1, run4) keeps the mapping's order
    order = [f"run{i}" for i in (1, 4, 6, 3, 5)]
    for ax, key in zip(fig.axes, order, strict=True):
        solid, dashed = ax.lines
        assert solid.get_ydata().tolist() == val[key]
        assert dashed.get_ydata().tolist() == train[key]  # this run's own training curve
        assert (solid.get_linestyle(), dashed.get_linestyle()) == ("-", "--")
        assert ax.get_ylim() == (0.0, 1.0) and len(ax.get_xticks()) == 0
    assert [len(ax.get_yticks()) > 0 for ax in fig.axes] == [True, False, False, True, False]


def test_hyperparameter_search_figure_with_fewer_runs_than_best() -> None:
    fig = hyperparameter_search_figure({"a": [0.2]}, {"a": [0.3]})
    assert [ax.get_title() for ax in fig.axes] == ["Best-1"]


@pytest.mark.parametrize(
    ("val", "train", "kwargs", "message"),
    [
        ({}, {}, {}, "results_val must hold at least one run"),
        ({"a": [0.1]}, {"b": [0.1]}, {}, r"same keys; only in one: \['a', 'b'\]"),
        ({"a": [0.1]}, {"a": [0.1]}, {"best": 0}, "best must be an int >= 1, got 0"),
        ({"a": [0.1]}, {"a": [0.1]}, {"columns": -1}, "columns must be an int >= 1, got -1"),
        ({"a": [0.1, 2.0]}, {"a": [0.1]}, {}, r"results_val\['a'\] must hold accuracies"),
        ({"a": [0.1]}, {"a": [float("nan")]}, {}, r"results_train\['a'\] must hold accuracies"),
        ({"a": []}, {"a": [0.1]}, {}, r"results_val\['a'\] must be a non-empty 1-D"),
        ({"a": [[0.1]]}, {"a": [0.1]}, {}, r"got shape \(1, 1\)"),
    ],
)  # fmt: skip
def test_hyperparameter_search_figure_rejects_bad_results(
    val: dict, train: dict, kwargs: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        hyperparameter_search_figure(val, train, **kwargs)
