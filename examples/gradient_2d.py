"""Partial derivatives and the gradient (4.3.3, 4.4)
=================================================

Partial derivatives and the gradient of ``f(x0, x1) = x0^2 + x1^2``.

Mirrors sections 4.3.3 and 4.4 of the book and ``ch04/gradient_2d.py``
(figures 4-8 and 4-9): the partial derivatives at (3, 4) by fixing one
variable, the gradient at (3, 4), (0, 2) and (3, 0) (the exact values are
[6, 8], [0, 4] and [6, 0]), the surface of ``f`` and the field of negative
gradients, which all point to the minimum at the origin.

Run ``python examples/gradient_2d.py`` (writes ``gradient_2d.png``) or add ``--no-plot``.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tinynn import numerical_diff, numerical_gradient
from tinynn.utils.notebook import command_line


def function_2(x: NDArray[Any]) -> float:
    """The book's ``function_2``: :math:`x_0^2 + x_1^2`."""
    return float(x[0] ** 2 + x[1] ** 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--out", default="gradient_2d.png", help="where to write the figure")
    parser.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    args = parser.parse_args(argv)

    print("partial derivatives at (x0, x1) = (3, 4):")
    print("  df/dx0 =", numerical_diff(lambda x0: x0**2 + 4.0**2, 3.0))  # 6.00000000000378
    print("  df/dx1 =", numerical_diff(lambda x1: 3.0**2 + x1**2, 4.0))  # 7.999999999999119
    print("gradients:")
    for point in ([3.0, 4.0], [0.0, 2.0], [3.0, 0.0]):
        grad = numerical_gradient(function_2, np.array(point))
        print(f"  numerical_gradient(function_2, np.array({point})) = {grad!r}")

    if not args.no_plot:
        try:
            from tinynn.plot import function_surface_figure, gradient_field_figure
            from tinynn.plot.common import figure_class

            Figure = figure_class()  # matplotlib's, shown in a notebook when saved
        except ImportError as exc:
            print(f"figure skipped: {exc}")
        else:
            fig = Figure(figsize=(11, 4.8), layout="constrained")
            function_surface_figure(ax=fig.add_subplot(1, 2, 1, projection="3d"))
            gradient_field_figure(function_2, ax=fig.add_subplot(1, 2, 2))
            fig.savefig(args.out, dpi=100)
            print(f"figures 4-8 and 4-9 written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
