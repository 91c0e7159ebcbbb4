"""Tests for tinynn.plot: each figure holds the artists and data of the book's figure."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure
from matplotlib.quiver import Quiver

from tinynn import History, gradient_descent_path
from tinynn.plot import (
    accuracy_figure,
    descent_path_figure,
    function_surface_figure,
    gradient_field_figure,
    learning_rate_figure,
    loss_curve_figure,
    tangent_line_figure,
    training_figure,
)


def arr(data: object) -> NDArray[np.float64]:
    """Artist data (typed loosely by matplotlib) as a float array."""
    return np.asarray(data, dtype=np.float64)


def function_2(x: NDArray[np.float64]) -> float:
    return float(x[0] ** 2 + x[1] ** 2)


@pytest.fixture
def history() -> History:
    h = History()
    h.history = {
        "loss": [2.3, 2.1, 1.5, 0.9, 0.6],
        "train_acc": [0.1, 0.7, 0.85],
        "test_acc": [0.09, 0.68, 0.83],
    }
    return h


def test_tangent_line_figure_draws_f_and_its_tangent_at_5() -> None:
    fig = tangent_line_figure()
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    curve, tangent = ax.lines
    x = arr(tangent.get_xdata())
    y = arr(tangent.get_ydata())
    np.testing.assert_allclose(x, np.arange(0.0, 20.0, 0.1))
    np.testing.assert_allclose(arr(curve.get_ydata()), 0.01 * x**2 + 0.1 * x)
    slope = np.diff(y) / np.diff(x)
    np.testing.assert_allclose(slope, 0.2, atol=1e-6)
    # the tangent touches f at x = 5: f(5) = 0.75
    assert np.interp(5.0, x, y) == pytest.approx(0.75, abs=1e-6)


def test_tangent_line_figure_other_function_and_point() -> None:
    fig = tangent_line_figure(lambda v: v**3, x=2.0)
    tangent = fig.axes[0].lines[1]
    x, y = (arr(tangent.get_xdata())), (arr(tangent.get_ydata()))
    assert (y[-1] - y[0]) / (x[-1] - x[0]) == pytest.approx(12.0, rel=1e-6)


def test_function_surface_figure_is_3d() -> None:
    fig = function_surface_figure()
    (ax,) = fig.axes
    assert ax.name == "3d"
    assert len(ax.collections) == 1  # the surface


def test_function_surface_figure_rejects_a_2d_axes() -> None:
    ax = Figure().add_subplot()
    with pytest.raises(ValueError, match="3d"):
        function_surface_figure(ax=ax)


def test_function_surface_figure_draws_into_a_given_3d_axes() -> None:
    fig = Figure()
    ax = fig.add_subplot(projection="3d")
    assert function_surface_figure(ax=ax) is fig
    assert len(ax.collections) == 1


def test_gradient_field_arrows_point_towards_the_origin() -> None:
    fig = gradient_field_figure()
    (quiver,) = fig.axes[0].collections
    assert isinstance(quiver, Quiver)
    grid = np.arange(-2, 2.5, 0.25)
    xy = np.asarray(quiver.get_offsets())
    assert len(xy) == len(grid) ** 2
    np.testing.assert_allclose(np.unique(xy[:, 0]), grid)
    uv = np.column_stack([arr(quiver.U), arr(quiver.V)])
    # the arrows are -grad = -2 (x0, x1): parallel to the position, pointing back
    np.testing.assert_allclose(uv, -2 * xy, atol=1e-6)
    away = np.linalg.norm(xy, axis=1) > 0
    assert np.all(np.sum(uv[away] * xy[away], axis=1) < 0)


def test_gradient_field_of_another_function() -> None:
    fig = gradient_field_figure(lambda x: float(x[0]))  # gradient (1, 0) everywhere
    quiver = fig.axes[0].collections[0]
    assert isinstance(quiver, Quiver)
    np.testing.assert_allclose(arr(quiver.U), -1.0, atol=1e-6)
    np.testing.assert_allclose(arr(quiver.V), 0.0, atol=1e-6)


def test_descent_path_figure_plots_the_path_and_dashed_axes() -> None:
    path = gradient_descent_path(function_2, [-3.0, 4.0], lr=0.1, step_num=20)
    fig = descent_path_figure(path)
    ax = fig.axes[0]
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(dashed) == 2
    points = ax.lines[-1]
    assert points.get_marker() == "o"
    np.testing.assert_allclose(arr(points.get_xdata()), path[:, 0])
    np.testing.assert_allclose(arr(points.get_ydata()), path[:, 1])
    assert ax.collections  # the contours
    assert tuple(ax.get_xlim()) == (-3.5, 3.5)
    assert tuple(ax.get_ylim()) == (-4.5, 4.5)


@pytest.mark.parametrize("bad", [np.zeros((3, 3)), np.zeros(4), np.zeros((0, 2))])
def test_descent_path_figure_rejects_bad_shapes(bad: NDArray[np.float64]) -> None:
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        descent_path_figure(bad)


def test_learning_rate_figure_shows_converge_diverge_and_stall() -> None:
    fig = learning_rate_figure()
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    good, big, tiny = ((arr(line.get_ydata())) for line in ax.lines)
    for line in (good, big, tiny):
        assert line[0] == pytest.approx(5.0)  # |(-3, 4)|
        assert len(line) == 101
    assert good[-1] < 1e-8
    assert big[-1] > 1e12
    assert tiny[-1] == pytest.approx(5.0, abs=1e-6)
    labels = [str(line.get_label()) for line in ax.lines]
    assert labels[0].startswith("lr = 0.1") and labels[1].startswith("lr = 10")


def test_loss_curve_figure_plots_the_loss_per_iteration(history: History) -> None:
    fig = loss_curve_figure(history)
    (line,) = fig.axes[0].lines
    np.testing.assert_allclose(arr(line.get_xdata()), np.arange(5))
    np.testing.assert_allclose(arr(line.get_ydata()), history.train_loss_list)
    assert fig.axes[0].get_xlabel() == "iteration"


def test_accuracy_figure_has_train_and_test_lines(history: History) -> None:
    fig = accuracy_figure(history)
    ax = fig.axes[0]
    train, test = ax.lines
    assert (train.get_label(), test.get_label()) == ("train acc", "test acc")
    np.testing.assert_allclose(arr(train.get_ydata()), history.train_acc_list)
    np.testing.assert_allclose(arr(test.get_ydata()), history.test_acc_list)
    np.testing.assert_allclose(arr(train.get_xdata()), np.arange(3))
    assert tuple(ax.get_ylim()) == (0.0, 1.0)
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["train acc", "test acc"]


def test_figures_draw_into_a_given_axes(history: History) -> None:
    fig = Figure()
    axes = fig.subplots(2, 3).ravel()
    path = gradient_descent_path(function_2, [-3.0, 4.0], lr=0.1, step_num=5)
    results = [
        tangent_line_figure(ax=axes[0]),
        gradient_field_figure(ax=axes[1]),
        descent_path_figure(path, ax=axes[2]),
        learning_rate_figure((0.1,), ax=axes[3]),
        loss_curve_figure(history, ax=axes[4]),
        accuracy_figure(history, ax=axes[5]),
    ]
    assert all(result is fig for result in results)
    assert len(fig.axes) == 6
    assert all(ax.lines or ax.collections for ax in axes)


def test_figures_in_a_subfigure_return_the_root_figure(history: History) -> None:
    fig = Figure()
    subfigures = fig.subfigures(1, 2)
    assert isinstance(subfigures, np.ndarray)
    sub = subfigures[1]
    assert accuracy_figure(history, ax=sub.add_subplot()) is fig


def test_figures_render_to_png(tmp_path: Path, history: History) -> None:
    out = tmp_path / "acc.png"
    accuracy_figure(history).savefig(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "tinynn\[plot\]"'):
        tangent_line_figure()


# -- section 6.1: figures 6-8 and 6-9 ------------------------------------------------------


def test_optimizer_paths_figure_draws_one_panel_per_path() -> None:
    from tinynn.plot import optimizer_paths_figure

    paths = {
        "SGD": np.array([[-7.0, 2.0], [-6.0, -1.5], [-5.0, 1.0]]),
        "Adam": np.array([[-7.0, 2.0], [-6.7, 1.7]]),
        "AdaGrad": np.array([[-7.0, 2.0]]),
    }
    fig = optimizer_paths_figure(paths)
    assert [ax.get_title() for ax in fig.axes] == ["SGD", "Adam", "AdaGrad"]
    for ax, path in zip(fig.axes, paths.values(), strict=True):
        line = ax.lines[0]
        np.testing.assert_array_equal(arr(line.get_xdata()), path[:, 0])
        np.testing.assert_array_equal(arr(line.get_ydata()), path[:, 1])
        assert ax.get_xlim() == (-10.0, 10.0) and ax.get_ylim() == (-10.0, 10.0)
        assert ax.collections, "the contours of f are drawn"
    sub = Figure().subfigures(1, 2)[1]
    assert optimizer_paths_figure({"A": [[0, 0]]}, fig=sub) is sub.figure
    assert len(sub.axes) == 1


@pytest.mark.parametrize("bad", [{}, {"A": [1.0, 2.0]}, {"A": np.zeros((3, 3))}, {"A": []}])
def test_optimizer_paths_figure_rejects_bad_paths(bad: dict) -> None:
    from tinynn.plot import optimizer_paths_figure

    with pytest.raises(ValueError, match="path"):
        optimizer_paths_figure(bad)


def test_smooth_curve_keeps_constants_and_lines() -> None:
    from tinynn.plot import smooth_curve

    np.testing.assert_allclose(smooth_curve(np.full(30, 2.5)), 2.5, rtol=1e-12)
    ramp = np.arange(40.0)
    smoothed = smooth_curve(ramp)
    assert smoothed.shape == ramp.shape
    # a symmetric window leaves a straight line unchanged away from the ends
    np.testing.assert_allclose(smoothed[10:-10], ramp[10:-10], atol=1e-9)
    noisy = np.random.default_rng(0).standard_normal(500)
    assert smooth_curve(noisy).std() < noisy.std() / 2  # and it does smooth
    with pytest.raises(ValueError, match=">= 11 values"):
        smooth_curve(np.ones(10))


def test_optimizer_loss_figure_draws_each_loss() -> None:
    from tinynn.plot import optimizer_loss_figure, smooth_curve

    rng = np.random.default_rng(1)
    losses = {"SGD": list(2.0 - np.linspace(0, 1, 50) + 0.1 * rng.random(50)),
              "Adam": list(np.linspace(1, 0.1, 50))}  # fmt: skip
    fig = optimizer_loss_figure(losses)
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == ["SGD", "Adam"]
    np.testing.assert_allclose(arr(ax.lines[0].get_ydata()), smooth_curve(losses["SGD"]))
    assert ax.get_ylim() == (0.0, 1.0)
    raw = optimizer_loss_figure({"Adam": [0.5, 0.4]}, smooth=False)
    np.testing.assert_array_equal(arr(raw.axes[0].lines[0].get_ydata()), [0.5, 0.4])


# -- training.png: figures 4-11 and 4-12 side by side, with the trained network marked ----------
def test_training_figure_shows_the_loss_the_records_and_the_final_accuracies(
    history: History,
) -> None:
    fig = training_figure(history, iters_per_epoch=2, final={"train": 0.9, "test": 0.87})
    assert isinstance(fig, Figure)
    assert tuple(fig.get_size_inches()) == (11.0, 4.2)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "mini-batch loss (figure 4-11)"
    assert acc_ax.get_title() == "accuracy per epoch (figure 4-12)"
    (loss,) = loss_ax.lines
    np.testing.assert_allclose(arr(loss.get_ydata()), history.train_loss_list)
    train, test, train_end, test_end = acc_ax.lines
    np.testing.assert_allclose(arr(train.get_ydata()), history.train_acc_list)
    np.testing.assert_allclose(arr(test.get_ydata()), history.test_acc_list)
    # 5 iterations at 2 per epoch: the network as training left it, at epoch 2.5
    np.testing.assert_allclose(arr(train_end.get_xydata()), [[2.5, 0.9]])
    np.testing.assert_allclose(arr(test_end.get_xydata()), [[2.5, 0.87]])
    assert (train_end.get_marker(), test_end.get_marker()) == ("o", "s")
    from matplotlib.colors import to_rgba

    for mark, line in ((train_end, train), (test_end, test)):  # in the colour of its line
        assert to_rgba(mark.get_color()) == to_rgba(line.get_color())
    assert train_end.get_fillstyle() == "none" and train_end.get_linestyle() == "None"
    legend = acc_ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == [
        "train acc", "test acc",
        "train acc after the last iteration (5)", "test acc after the last iteration (5)",
    ]  # fmt: skip


def test_training_figure_without_final_or_with_one_key(history: History) -> None:
    bare = training_figure(history, iters_per_epoch=600)
    assert len(bare.axes[1].lines) == 2
    only_test = training_figure(history, iters_per_epoch=1, final={"test": 0.5})
    *_, mark = only_test.axes[1].lines
    assert mark.get_label() == "test acc after the last iteration (5)"
    np.testing.assert_allclose(arr(mark.get_xydata()), [[5.0, 0.5]])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"iters_per_epoch": 0}, ValueError, "at least 1"),
        ({"iters_per_epoch": 2.5}, TypeError, "must be an int"),
        ({"iters_per_epoch": True}, TypeError, "must be an int"),
        ({"iters_per_epoch": 1, "final": {"val": 0.5}}, ValueError, r"keys 'train' and 'test'"),
        ({"iters_per_epoch": 1, "final": {"test": 1.5}}, ValueError, r"in \[0, 1\], got 1.5"),
        ({"iters_per_epoch": 1, "final": {"test": float("nan")}}, ValueError, "got nan"),
        ({"iters_per_epoch": 1, "final": {"train": "0.9"}}, TypeError, "must be a number"),
    ],
)
def test_training_figure_rejects_bad_arguments(
    history: History, kwargs: dict, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        training_figure(history, **kwargs)


def test_training_figure_renders_to_png(tmp_path: Path, history: History) -> None:
    out = tmp_path / "training.png"
    training_figure(history, iters_per_epoch=2, final={"train": 0.9}).savefig(out, dpi=100)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 1100  # 11 inches at 100 dpi
