"""The chapter's figures, drawn with matplotlib (an optional extra: ``pip install "tinynn[plot]"``).

Every function draws one figure of chapter 4 and returns the matplotlib
``Figure``. Pass ``ax=`` to draw into an axes of your own (for example one
panel of a larger figure); the function then returns ``ax.figure``. No
``pyplot`` global state is used, so the figures work headless: save them with
``fig.savefig("name.png")``, or show them in a notebook by evaluating ``fig``.

Book section
------------
4.3.2, 4.3.3, 4.4, 4.4.1, 4.5.2, 4.5.3 (figures 4-7 to 4-12; what the network gets wrong)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from .calculus import PrecisionWarning, numerical_gradient, tangent_line
from .gradient_method import gradient_descent_path
from .typing import ArrayLike, FloatArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

__all__ = [
    "accuracy_figure",
    "confusion_matrix_figure",
    "descent_path_figure",
    "function_surface_figure",
    "gradient_field_figure",
    "learning_rate_figure",
    "loss_curve_figure",
    "misclassified_figure",
    "optimizer_loss_figure",
    "optimizer_paths_figure",
    "smooth_curve",
    "step_size_figure",
    "tangent_line_figure",
]

Function2 = Callable[[NDArray[Any]], float]


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


def _function_1(x: float) -> float:
    return 0.01 * x**2 + 0.1 * x


def _function_2(x: NDArray[Any]) -> float:
    return float(x[0] ** 2 + x[1] ** 2)


def _axes(ax: Axes | None, projection: str | None = None) -> tuple[Figure, Axes]:
    """``(figure of ax, ax)``, or a new ``Figure`` with one axes; matplotlib imported here."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError('tinynn.plot needs matplotlib: pip install "tinynn[plot]"') from exc
    if ax is None:
        fig = Figure(layout="constrained")
        return fig, fig.add_subplot(projection=projection)
    if projection is not None and getattr(ax, "name", None) != projection:
        raise ValueError(
            f"this figure needs an axes with projection={projection!r}, got one with "
            f"projection={getattr(ax, 'name', None)!r}; use fig.add_subplot(projection='3d')"
        )
    return ax.figure.figure, ax  # .figure of a Figure is itself; of a SubFigure, its root


def _grid_values(f: Function2, x0: FloatArray, x1: FloatArray) -> FloatArray:
    """``f`` at every point of the grid ``x0`` by ``x1`` (rows follow ``x1``), point by point."""
    return np.array([[f(np.array([a, b])) for a in x0] for b in x1], dtype=np.float64)


def tangent_line_figure(
    f: Callable[[float], float] | None = None, x: float = 5.0, *, ax: Axes | None = None
) -> Figure:
    """A function of one variable and its tangent at ``x`` (figure 4-7).

    Parameters
    ----------
    f : callable, optional
        A function of one float; default the book's ``function_1``,
        :math:`f(x) = 0.01x^2 + 0.1x`.
    x : float, default 5.0
        The point of tangency; the slope comes from :func:`~tinynn.numerical_diff`
        through :func:`~tinynn.tangent_line`.
    ax : matplotlib Axes, optional
        Draw here instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Two lines on ``np.arange(0.0, 20.0, 0.1)``: ``f`` and its tangent.

    Book section
    ------------
    4.3.2 (figure 4-7, ``ch04/gradient_1d.py``)

    Examples
    --------
    >>> fig = tangent_line_figure()
    >>> len(fig.axes), len(fig.axes[0].lines)
    (1, 2)
    """
    func = _function_1 if f is None else f
    fig, axes = _axes(ax)
    xs = np.arange(0.0, 20.0, 0.1)
    axes.plot(xs, [func(float(v)) for v in xs], label="f(x)")
    axes.plot(xs, tangent_line(func, x)(xs), label=f"tangent at x = {x:g}")
    axes.set_xlabel("x")
    axes.set_ylabel("f(x)")
    axes.legend(loc="upper left")
    return fig


def function_surface_figure(*, ax: Axes | None = None) -> Figure:
    """The surface of :math:`f(x_0, x_1) = x_0^2 + x_1^2` in 3-D (figure 4-8).

    Parameters
    ----------
    ax : matplotlib 3-D Axes, optional
        Must have been made with ``projection='3d'``.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``ax`` is not a 3-D axes.

    Book section
    ------------
    4.3.3 (partial derivatives; figure 4-8)

    Examples
    --------
    >>> fig = function_surface_figure()
    >>> fig.axes[0].name
    '3d'
    """
    fig, axes3d = _axes(ax, projection="3d")
    axes: Any = axes3d  # an Axes3D: mpl_toolkits has no type information
    grid = np.linspace(-3.0, 3.0, 41)
    X0, X1 = np.meshgrid(grid, grid)
    axes.plot_surface(X0, X1, X0**2 + X1**2, cmap="viridis", edgecolor="k", linewidth=0.2)
    axes.set_xlabel("x0")
    axes.set_ylabel("x1")
    axes.set_zlabel("f(x)")
    return fig


def gradient_field_figure(f: Function2 | None = None, *, ax: Axes | None = None) -> Figure:
    """Arrows of the negative gradient, :math:`-\\nabla f`, on a grid (figure 4-9).

    Parameters
    ----------
    f : callable, optional
        A scalar function of a 2-element array; default :math:`x_0^2 + x_1^2`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        One quiver on the book's grid ``np.arange(-2, 2.5, 0.25)`` in both
        axes, with :func:`~tinynn.numerical_gradient` at every point.

    Book section
    ------------
    4.4 (the gradient; figure 4-9, ``ch04/gradient_2d.py``)

    Examples
    --------
    >>> fig = gradient_field_figure()
    >>> len(fig.axes[0].collections)
    1
    """
    func = _function_2 if f is None else f
    fig, axes = _axes(ax)
    x0 = np.arange(-2, 2.5, 0.25)
    x1 = np.arange(-2, 2.5, 0.25)
    X, Y = (a.ravel() for a in np.meshgrid(x0, x1))
    grad = np.array([numerical_gradient(func, np.array([a, b])) for a, b in zip(X, Y, strict=True)])
    axes.quiver(X, Y, -grad[:, 0], -grad[:, 1], angles="xy", color="#666666")
    axes.set_xlim(-2, 2)
    axes.set_ylim(-2, 2)
    axes.set_xlabel("x0")
    axes.set_ylabel("x1")
    axes.grid()
    return fig


def _contours(
    axes: Axes, f: Function2, xlim: tuple[float, float], ylim: tuple[float, float]
) -> None:
    x0 = np.linspace(*xlim, 71)
    x1 = np.linspace(*ylim, 91)
    axes.contour(x0, x1, _grid_values(f, x0, x1), levels=8, colors="0.6", linestyles=":")


def descent_path_figure(
    path: ArrayLike, *, ax: Axes | None = None, f: Function2 | None = None
) -> Figure:
    """The points visited by the gradient method, over contours of ``f`` (figure 4-10).

    Parameters
    ----------
    path : array_like, shape (n, 2)
        E.g. ``gradient_descent_path(f, [-3.0, 4.0], lr=0.1, step_num=20)``.
    ax : matplotlib Axes, optional
    f : callable, optional
        The function whose contours are drawn; default :math:`x_0^2 + x_1^2`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``path`` is not of shape ``(n, 2)`` with ``n >= 1``.

    Book section
    ------------
    4.4.1 (figure 4-10, ``ch04/gradient_method.py``)

    Examples
    --------
    >>> from tinynn import gradient_descent_path
    >>> path = gradient_descent_path(lambda x: x[0]**2 + x[1]**2, [-3.0, 4.0], 0.1, 20)
    >>> fig = descent_path_figure(path)
    >>> [float(v) for v in fig.axes[0].get_xlim()]
    [-3.5, 3.5]
    """
    points = np.asarray(path, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(f"path must have shape (n, 2) with n >= 1, got {points.shape}")
    fig, axes = _axes(ax)
    _contours(axes, _function_2 if f is None else f, (-3.5, 3.5), (-4.5, 4.5))
    axes.plot([-5, 5], [0, 0], "--b")
    axes.plot([0, 0], [-5, 5], "--b")
    axes.plot(points[:, 0], points[:, 1], "o")
    axes.set_xlim(-3.5, 3.5)
    axes.set_ylim(-4.5, 4.5)
    axes.set_xlabel("X0")
    axes.set_ylabel("X1")
    return fig


def learning_rate_figure(
    lrs: Sequence[float] = (0.1, 10.0, 1e-10), *, ax: Axes | None = None
) -> Figure:
    """Distance from the minimum during gradient descent, one line per learning rate.

    Each line starts at ``[-3, 4]`` (distance 5) and takes 100 steps on
    :math:`x_0^2 + x_1^2`; the y axis is logarithmic, so a good rate
    (0.1) falls in a straight line to about 1e-9, a rate too large (10)
    climbs to about 1e13 (then stalls: there ``x + h == x``, so the
    numerical gradient is 0), and a rate too small (1e-10) stays flat at 5.
    The legend gives each final point.

    Parameters
    ----------
    lrs : sequence of float, default (0.1, 10.0, 1e-10)
        The learning rates the book compares.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Book section
    ------------
    4.4.1 (the effect of the learning rate)

    Examples
    --------
    >>> fig = learning_rate_figure()
    >>> len(fig.axes[0].lines), fig.axes[0].get_yscale()
    (3, 'log')
    """
    fig, axes = _axes(ax)
    for lr in lrs:
        with warnings.catch_warnings():  # lr=10 walks so far that x + h == x: expected here
            warnings.simplefilter("ignore", PrecisionWarning)
            path = gradient_descent_path(_function_2, [-3.0, 4.0], lr=lr, step_num=100)
        final = ", ".join(f"{v:.3g}" for v in path[-1])
        axes.plot(np.linalg.norm(path, axis=1), label=f"lr = {lr:g}: ends at ({final})")
    axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel(r"distance from the minimum, $\|x\|$")
    axes.set_title("gradient descent on x0^2 + x1^2 from (-3, 4)")
    axes.legend(loc="best")
    axes.grid(True, which="major", alpha=0.4)
    return fig


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
    fig, axes = _axes(ax)
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
    4.5.3 (evaluating with test data)

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
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        raise ValueError(f"columns must be an int >= 1, got {columns!r}")
    fig, axes = _axes(ax)
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
                  va="bottom", fontsize=7)  # fmt: skip
    axes.imshow(np.ma.masked_invalid(canvas), cmap="gray", vmin=0.0, vmax=1.0)
    axes.set_axis_off()
    return fig


def step_size_figure(
    f: Callable[[Any], Any] | None = None,
    df: Callable[[float], float] | None = None,
    x: float = 1.5,
    *,
    hs: ArrayLike | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Relative error of the forward, central and complex-step derivatives against ``h``.

    A log-log plot of :func:`~tinynn.step_size_study`: the
    differences' errors fall with ``h`` (truncation, slopes 1 and 2) until
    rounding error, growing like :math:`1/h`, takes over; the complex step
    has no rounding term and stays at float64 precision down to
    ``h = 1e-20``. A large marker shows each scheme's best ``h`` (named in
    the legend). Errors of exactly 0 are drawn at 1e-17.

    Parameters
    ----------
    f, df, x, hs
        As for :func:`~tinynn.step_size_study` (by default
        :math:`e^x / \\sqrt{\\sin^3 x + \\cos^3 x}` at x = 1.5, h from
        1e-20 to 1e-1).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Book section
    ------------
    4.3.1 (rounding error against truncation error; the central difference)

    Examples
    --------
    >>> fig = step_size_figure()
    >>> [line.get_label().split(":")[0] for line in fig.axes[0].lines[:6:2]]
    ['forward difference', 'central difference', 'complex step']
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
    ('log', 'log')
    """
    from .step_size import SCHEMES, step_size_study

    study = step_size_study(f, df, x, hs)
    fig, axes = _axes(ax)
    names = {"forward": "forward difference", "central": "central difference",
             "complex": "complex step"}  # fmt: skip
    for scheme in SCHEMES:
        err = np.maximum(study.errors[scheme], 1e-17)
        best = study.best_h(scheme)
        (line,) = axes.loglog(
            study.hs, err, marker=".", linewidth=1,
            label=f"{names[scheme]}: best h = {best:.1e}",
        )  # fmt: skip
        i = int(np.flatnonzero(study.hs == best)[0])
        axes.loglog([best], [err[i]], marker="o", markersize=10, color=line.get_color(),
                    fillstyle="none", linestyle="none")  # fmt: skip
    axes.axvline(1e-4, color="0.6", linestyle=":", label="h = 1e-4 (the book's)")
    axes.set_xlabel("h")
    axes.set_ylabel("relative error of f'(x)")
    axes.set_title(f"derivative at x = {x:g}: truncation against rounding error")
    axes.legend(loc="best", fontsize="small")
    axes.grid(True, which="major", alpha=0.4)
    return fig


# -- chapter 6.1: optimizers (figures 6-8 and 6-9) -------------------------------------------


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
        root, _ = _axes(None)
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
    fig, axes = _axes(ax)
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
