"""What every figure shares: the axes (matplotlib imported on first use), the functions.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..typing import FloatArray
from ..utils.notebook import ipython_display

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


Function2 = Callable[[NDArray[Any]], float]


_FIGURE_CLASS: list[type[Figure]] = []


def figure_class() -> type[Figure]:
    """The class of tinynn's figures: a matplotlib ``Figure`` that shows itself in a notebook.

    Jupyter shows an object through its ``_repr_png_``; a plain ``Figure`` made without
    ``pyplot`` has none unless ``%matplotlib inline`` registered one, so evaluating it
    would print ``<Figure size ... with 2 Axes>``. This one draws itself as a PNG (at its
    own size and dpi, trimmed as ``savefig(bbox_inches="tight")`` does), with no magic.
    Saved to a file in a notebook, it also shows itself there: a script that writes its
    figures (an example of the gallery, downloaded as a notebook) shows them.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError('tinynn.plot needs matplotlib: pip install "tinynn[plot]"') from exc
    if not _FIGURE_CLASS:

        class BookFigure(Figure):
            """A matplotlib ``Figure`` that Jupyter shows as a picture when evaluated."""

            def _repr_png_(self) -> bytes:
                buffer = io.BytesIO()
                self.savefig(buffer, format="png", bbox_inches="tight")
                return buffer.getvalue()

            def savefig(self, fname: Any, *args: Any, **kwargs: Any) -> None:
                super().savefig(fname, *args, **kwargs)
                display = ipython_display() if isinstance(fname, str | os.PathLike) else None
                if display is not None:
                    display(self)

        _FIGURE_CLASS.append(BookFigure)
    return _FIGURE_CLASS[0]


def new_figure(figsize: tuple[float, float] | None = None) -> Figure:
    """A new figure (:func:`figure_class`) with constrained layout; matplotlib imported here."""
    return figure_class()(figsize=figsize, layout="constrained")


def figure_axes(ax: Axes | None, projection: str | None = None) -> tuple[Figure, Axes]:
    """``(figure of ax, ax)``, or a new ``Figure`` with one axes; matplotlib imported here."""
    if ax is None:
        fig = new_figure()
        return fig, fig.add_subplot(projection=projection)
    if projection is not None and getattr(ax, "name", None) != projection:
        raise ValueError(
            f"this figure needs an axes with projection={projection!r}, got one with "
            f"projection={getattr(ax, 'name', None)!r}; use fig.add_subplot(projection='3d')"
        )
    return ax.figure.figure, ax  # .figure of a Figure is itself; of a SubFigure, its root


def grid_values(f: Function2, x0: FloatArray, x1: FloatArray) -> FloatArray:
    """``f`` at every point of the grid ``x0`` by ``x1`` (rows follow ``x1``), point by point."""
    return np.array([[f(np.array([a, b])) for a in x0] for b in x1], dtype=np.float64)


def function_1(x: float) -> float:
    return 0.01 * x**2 + 0.1 * x


def function_2(x: NDArray[Any]) -> float:
    return float(x[0] ** 2 + x[1] ** 2)


def accuracy_curve(values: object, name: str) -> FloatArray:
    """``values`` as a 1-D float array of accuracies in [0, 1], at least one; else ValueError."""
    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 1 or len(a) == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of accuracies, got shape {a.shape}"
        )
    bad = ~((a >= 0.0) & (a <= 1.0))  # NaN fails both
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{name} must hold accuracies in [0, 1], got {a[i]} at index {i}")
    return a
