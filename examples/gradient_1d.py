"""Numerical differentiation and the tangent line (4.3.2)
======================================================

Numerical differentiation of a function of one variable, and its tangent line.

Mirrors the book's ``ch04/gradient_1d.py`` (section 4.3.2, figure 4-7): the
derivative of ``f(x) = 0.01x^2 + 0.1x`` by the central difference at x = 5 and
x = 10 (the true values are 0.2 and 0.3), and a plot of ``f`` with its tangent
at x = 5.

Run ``python examples/gradient_1d.py`` (writes ``gradient_1d.png``) or
``python examples/gradient_1d.py --no-plot``.
"""

from __future__ import annotations

import argparse

from tinynn import numerical_diff
from tinynn.utils.notebook import command_line


def function_1(x: float) -> float:
    """The book's ``function_1``: :math:`0.01x^2 + 0.1x`."""
    return 0.01 * x**2 + 0.1 * x


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--x", type=float, default=5.0, help="point of tangency (default 5)")
    parser.add_argument("--out", default="gradient_1d.png", help="where to write the figure")
    parser.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    args = parser.parse_args(argv)

    print(numerical_diff(function_1, 5))  # the book: 0.1999999999990898
    print(numerical_diff(function_1, 10))  # the book: 0.2999999999986347

    if not args.no_plot:
        try:
            from tinynn.plot import tangent_line_figure

            fig = tangent_line_figure(function_1, args.x)
        except ImportError as exc:
            print(f"figure skipped: {exc}")
        else:
            fig.savefig(args.out, dpi=100)
            print(f"figure 4-7 written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
