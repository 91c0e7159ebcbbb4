"""The gradient of a network's loss (4.4.2)
========================================

The gradient of a network's loss with respect to its weights, by numerical differentiation.

Mirrors section 4.4.2 of the book and ``ch04/gradient_simplenet.py``: a
``simpleNet`` with one 2x3 weight matrix ``W``, input ``x = [0.6, 0.9]`` and
label ``t = [0, 0, 1]``. With the weights the book printed it shows the
prediction, the loss and ``dW = numerical_gradient(lambda w: net.loss(x, t), net.W)``.

The book's printed loss (0.92806853663411326) and ``dW`` come out exactly with
``SimpleNet(W, delta=0.0)``: the book computed them without the small ``delta``
(1e-7) that its ``cross_entropy_error`` adds inside the log. (They agree to 8
digits, since the printed W is rounded to 8 digits.) With the delta (the
default) they differ from the 7th digit on; both are printed. Then, as the book's
script does, the same for a net with random weights (``--seed``).

The figure shows ``W`` and ``dW`` side by side: a positive entry of ``dW``
means that increasing that weight increases the loss.

Run ``python examples/gradient_simplenet.py`` (writes ``gradient_simplenet.png``).
"""

from __future__ import annotations

import argparse

import numpy as np

from tinynn import SimpleNet, numerical_gradient
from tinynn.typing import FloatArray
from tinynn.utils.notebook import command_line

#: The weights the book printed (they came from ``np.random.randn(2, 3)``).
BOOK_W = np.array([[0.47355232, 0.9977393, 0.84668094], [0.85557411, 0.03563661, 0.69422093]])


def report(net: SimpleNet, x: FloatArray, t: FloatArray) -> FloatArray:
    """Print W, the prediction, its argmax, the loss and dW as the book does; return dW."""
    print("W =")
    print(net.W)
    p = net.predict(x)
    print("predict(x) =", p)
    print("argmax =", int(np.argmax(p)))
    print("loss =", repr(net.loss(x, t)))
    dW = numerical_gradient(lambda w: net.loss(x, t), net.W)
    print("dW =")
    print(dW)
    return dW


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the random net's weights")
    parser.add_argument("--out", default="gradient_simplenet.png", help="where to write the figure")
    parser.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    args = parser.parse_args(argv)

    x = np.array([0.6, 0.9])
    t = np.array([0.0, 0.0, 1.0])
    print("== the book's W, cross-entropy without delta (the book's printed numbers) ==")
    book_dW = report(SimpleNet(BOOK_W, delta=0.0), x, t)
    print("(the book prints loss 0.92806853663411326: equal to 8 digits, as the printed W is")
    print(" rounded to 8 digits; its dW is the one above)")
    print()
    print("== the book's W, cross-entropy with delta=1e-7 (tinynn's default) ==")
    report(SimpleNet(BOOK_W), x, t)
    print()
    print(f"== random W, SimpleNet(rng={args.seed}) (as ch04/gradient_simplenet.py) ==")
    report(SimpleNet(rng=args.seed), x, t)

    if not args.no_plot:
        try:
            from tinynn.plot.common import figure_class

            Figure = figure_class()  # matplotlib's, shown in a notebook when saved
        except ImportError:
            print('figure skipped: matplotlib is not installed (pip install "tinynn[plot]")')
        else:
            fig = Figure(figsize=(9, 3.2), layout="constrained")
            for ax, (title, data) in zip(
                fig.subplots(1, 2),
                (("W (the book's)", BOOK_W), ("dW = dL/dW (delta=0)", book_dW)),
                strict=True,
            ):
                limit = float(np.max(np.abs(data)))
                image = ax.imshow(data, cmap="coolwarm", vmin=-limit, vmax=limit)
                for (i, j), value in np.ndenumerate(data):
                    ax.text(j, i, f"{value:.4f}", ha="center", va="center")
                ax.set_title(title)
                ax.set_xticks(range(3), [f"output {j}" for j in range(3)])
                ax.set_yticks(range(2), ["x0 = 0.6", "x1 = 0.9"])
                fig.colorbar(image, ax=ax, shrink=0.8)
            fig.savefig(args.out, dpi=100)
            print(f"figure written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
