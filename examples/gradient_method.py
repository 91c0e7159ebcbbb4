"""The gradient method and the learning rate (4.4.1)
=================================================

The gradient method on ``f(x0, x1) = x0^2 + x1^2``, and the effect of the learning rate.

Mirrors section 4.4.1 of the book and ``ch04/gradient_method.py`` (figure 4-10).
From (-3, 4), 100 steps of ``x <- x - lr * grad f(x)``:

- ``lr=0.1`` reaches the minimum (0, 0) up to about 1e-9;
- ``lr=10`` is too large: the walk diverges to about 1e13 (where it stalls,
  because there ``x + h == x`` and the numerical gradient is 0);
- ``lr=1e-10`` is too small: the point barely moves.

The figure shows the first 20 steps with ``lr=0.1`` (figure 4-10) and, beside
it, the distance from the minimum for each learning rate.

Run ``python examples/gradient_method.py`` (writes ``gradient_method.png``) or add ``--no-plot``.
"""

from __future__ import annotations

import argparse
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tinynn import PrecisionWarning, gradient_descent, gradient_descent_path
from tinynn.utils.notebook import command_line


def function_2(x: NDArray[Any]) -> float:
    """The book's ``function_2``: :math:`x_0^2 + x_1^2`."""
    return float(x[0] ** 2 + x[1] ** 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate of the drawn path")
    parser.add_argument("--steps", type=int, default=20, help="steps of the drawn path")
    parser.add_argument("--out", default="gradient_method.png", help="where to write the figure")
    parser.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    args = parser.parse_args(argv)

    init_x = np.array([-3.0, 4.0])
    for lr in (0.1, 10.0, 1e-10):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PrecisionWarning)
            x = gradient_descent(function_2, init_x, lr=lr, step_num=100)
        print(f"lr={lr:g}: gradient_descent(function_2, init_x=[-3.0, 4.0], ...) = {x!r}")
        if any(issubclass(w.category, PrecisionWarning) for w in caught):
            print(
                "  (diverged: at this size x + h == x in float64, so the numerical gradient "
                "is 0 and the walk stalls)"
            )

    if not args.no_plot:
        try:
            from tinynn.plot import descent_path_figure, learning_rate_figure
            from tinynn.plot.common import figure_class

            Figure = figure_class()  # matplotlib's, shown in a notebook when saved
        except ImportError as exc:
            print(f"figure skipped: {exc}")
        else:
            path = gradient_descent_path(function_2, init_x, lr=args.lr, step_num=args.steps)
            fig = Figure(figsize=(12, 4.8), layout="constrained")
            left, right = fig.subplots(1, 2)
            descent_path_figure(path, ax=left, f=function_2)
            left.set_title(f"{args.steps} steps with lr = {args.lr:g} (figure 4-10)")
            learning_rate_figure((0.1, 10.0, 1e-10), ax=right)
            fig.savefig(args.out, dpi=100)
            print(f"figure 4-10 written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
