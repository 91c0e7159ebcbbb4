"""Four optimizers on x²/20 + y² (6.1.7, figure 6-8)
=================================================

Four optimizers on ``f(x, y) = x^2 / 20 + y^2`` from (-7, 2): the book's figure 6-8.

Mirrors section 6.1.7 of the book and ``ch06/optimizer_compare_naive.py``: 30
steps of SGD (lr 0.95), Momentum (lr 0.1), AdaGrad (lr 1.5) and Adam (lr 0.3),
with the gradient ``(x / 10, 2 y)`` computed exactly. SGD zigzags along y, the
steep direction, and crawls along x; Momentum rolls like a ball in a bowl;
AdaGrad damps the steep direction at once and goes straight in; Adam rolls,
with less swing than Momentum.

Run ``python examples/optimizer_compare_naive.py`` (writes
``optimizer_compare_naive.png``) or add ``--no-plot``.
"""

from __future__ import annotations

import argparse

import numpy as np

from tinynn import SGD, AdaGrad, Adam, Momentum, Optimizer
from tinynn.typing import FloatArray
from tinynn.utils.notebook import command_line

INIT_POS = (-7.0, 2.0)


def f(x: float, y: float) -> float:
    """The book's function: :math:`f(x, y) = x^2 / 20 + y^2`."""
    return x**2 / 20.0 + y**2


def df(x: float, y: float) -> tuple[float, float]:
    """Its gradient: :math:`(x / 10, 2y)`."""
    return x / 10.0, 2.0 * y


def book_optimizers() -> dict[str, Optimizer]:
    """New instances (optimizers keep state) with the book's learning rates for figure 6-8."""
    return {
        "SGD": SGD(lr=0.95),
        "Momentum": Momentum(lr=0.1),
        "AdaGrad": AdaGrad(lr=1.5),
        "Adam": Adam(lr=0.3),
    }


def descent_path(optimizer: Optimizer, steps: int = 30) -> FloatArray:
    """The ``steps + 1`` points ``optimizer`` visits from (-7, 2), as an array of shape (n, 2)."""
    params = {"x": np.array(INIT_POS[0]), "y": np.array(INIT_POS[1])}
    path = [INIT_POS]
    for _ in range(steps):
        gx, gy = df(float(params["x"]), float(params["y"]))
        optimizer.update(params, {"x": np.array(gx), "y": np.array(gy)})
        path.append((float(params["x"]), float(params["y"])))
    return np.array(path)


def paths(steps: int = 30) -> dict[str, FloatArray]:
    """Each of the book's four optimizers' path, by name."""
    return {name: descent_path(opt, steps) for name, opt in book_optimizers().items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--steps", type=int, default=30, help="steps of each optimizer (30)")
    parser.add_argument("--out", default="optimizer_compare_naive.png", help="the figure's file")
    parser.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be >= 1, got {args.steps}")

    result = paths(args.steps)
    for name, path in result.items():
        x, y = path[-1]
        print(f"{name:8s} after {args.steps} steps: (x, y) = ({x:.6g}, {y:.6g}), "
              f"f = {f(x, y):.6g}")  # fmt: skip

    if not args.no_plot:
        try:  # matplotlib is optional: pip install "tinynn[plot]"
            from tinynn.plot import optimizer_paths_figure

            fig = optimizer_paths_figure(result)
        except ImportError as exc:
            print(f"figure skipped: {exc}")
        else:
            fig.savefig(args.out, dpi=100)
            print(f"figure 6-8 written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
