"""Hidden activations by initial weights (6.2, figures 6-10 to 6-14)
=================================================================

What the scale of the initial weights does to the activations of a 5-layer network.

Mirrors section 6.2 of the book and ``ch06/weight_init_activation_histogram.py``:
1,000 Gaussian inputs of 100 values go through five layers of 100 units with
weights drawn from a Gaussian, and each layer's activations are drawn as a
histogram over (0, 1), one row per choice:

* figure 6-10, sigmoid with standard deviation 1: the activations pile up at 0
  and 1, where the sigmoid's gradient vanishes;
* figure 6-11, sigmoid with 0.01: all near 0.5, so the 100 units say the same
  thing (a limited "expressive power");
* figure 6-12, sigmoid with Xavier's :math:`\\sqrt{1/n}`: spread out in every layer;
* figure 6-13, tanh with Xavier: bell-shaped, centred on 0 (only the right half
  shows in (0, 1), as in the book);
* figure 6-14, ReLU with 0.01, Xavier and He's :math:`\\sqrt{2/n}`: with 0.01
  almost everything is 0; with Xavier the activations shrink layer after layer;
  with He they keep the same spread in every layer (the ReLU rows are cut at
  7,000, as the book's, above which only the bar of zeros rises).

Run ``python examples/weight_init_activation_histogram.py`` (writes
``weight_init_activation_histogram.png``) or add ``--no-plot``.
"""

from __future__ import annotations

import argparse

import numpy as np

from tinynn.initialization import hidden_activations
from tinynn.utils.notebook import command_line

#: (figure, activation, weight_init_std), in the book's order.
RUNS = [
    ("6-10", "sigmoid", 1.0),
    ("6-11", "sigmoid", 0.01),
    ("6-12", "sigmoid", "xavier"),
    ("6-13", "tanh", "xavier"),
    ("6-14", "relu", 0.01),
    ("6-14", "relu", "xavier"),
    ("6-14", "relu", "he"),
]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--seed", type=int, default=0, help="seed of inputs and weights (0)")
    p.add_argument("--no-plot", action="store_true", help="print the statistics only")
    args = p.parse_args(argv)
    rows = []
    print("figure  activation  init     per layer: mean, std, share in (0.1, 0.9)")
    for figure, activation, init in RUNS:
        acts = hidden_activations(activation, init, rng=args.seed)  # type: ignore[arg-type]
        name = {"xavier": "Xavier", "he": "He"}.get(str(init), f"std {init}")
        rows.append((f"figure {figure}: {activation}, {name}", activation, acts))
        stats = "  ".join(
            f"{a.mean():.3f},{a.std():.3f},{np.mean((a > 0.1) & (a < 0.9)):.2f}" for a in acts
        )
        print(f"{figure:6}  {activation:10}  {init!s:7}  {stats}")
    if not args.no_plot:
        try:
            from tinynn.plot import activation_histogram_figure
            from tinynn.plot.common import figure_class

            Figure = figure_class()  # matplotlib's, shown in a notebook when saved
        except ImportError:
            print('figure skipped: matplotlib is not installed (pip install "tinynn[plot]")')
            return
        fig = Figure(figsize=(11, 2.1 * len(rows)), layout="constrained")
        for sub, (title, activation, acts) in zip(fig.subfigures(len(rows), 1), rows, strict=True):
            ylim = 7000.0 if activation == "relu" else None
            activation_histogram_figure(acts, title=title, ylim=ylim, fig=sub)
        fig.savefig("weight_init_activation_histogram.png", dpi=80)
        print("wrote weight_init_activation_histogram.png")


if __name__ == "__main__":
    main(command_line())  # in a notebook, no options: sys.argv is the kernel's
