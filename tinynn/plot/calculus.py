"""Figures of sections 4.3 and 4.4: derivatives, gradients and the gradient method.

Book section
------------
4.3.1 (the step size), 4.3.2, 4.3.3 (figures 4-6 to 4-8), 4.4 (figure 4-9),
4.4.1 (figure 4-10)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..calculus import PrecisionWarning, numerical_gradient, tangent_line
from ..gradient_method import gradient_descent_path
from ..typing import ArrayLike
from .common import Function2, figure_axes, function_1, function_2, grid_values

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
    func = function_1 if f is None else f
    fig, axes = figure_axes(ax)
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
    fig, axes3d = figure_axes(ax, projection="3d")
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
    func = function_2 if f is None else f
    fig, axes = figure_axes(ax)
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
    axes.contour(x0, x1, grid_values(f, x0, x1), levels=8, colors="0.6", linestyles=":")


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
    fig, axes = figure_axes(ax)
    _contours(axes, function_2 if f is None else f, (-3.5, 3.5), (-4.5, 4.5))
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
    fig, axes = figure_axes(ax)
    for lr in lrs:
        with warnings.catch_warnings():  # lr=10 walks so far that x + h == x: expected here
            warnings.simplefilter("ignore", PrecisionWarning)
            path = gradient_descent_path(function_2, [-3.0, 4.0], lr=lr, step_num=100)
        final = ", ".join(f"{v:.3g}" for v in path[-1])
        axes.plot(np.linalg.norm(path, axis=1), label=f"lr = {lr:g}: ends at ({final})")
    axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel(r"distance from the minimum, $\|x\|$")
    axes.set_title("gradient descent on x0^2 + x1^2 from (-3, 4)")
    axes.legend(loc="best")
    axes.grid(True, which="major", alpha=0.4)
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
    from ..step_size import SCHEMES, step_size_study

    study = step_size_study(f, df, x, hs)
    fig, axes = figure_axes(ax)
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
