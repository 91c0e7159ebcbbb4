"""The step size h: truncation against rounding (4.3.1)
====================================================

The error of a numerical derivative against the step h: truncation against rounding.

Book section 4.3.1 explains why ``h = 1e-50`` fails (rounding error) and why
the central difference beats the forward one (truncation error). This script
measures both on ``f(x) = exp(x) / sqrt(sin(x)^3 + cos(x)^3)`` at x = 1.5,
whose derivative is known exactly, for h from 1e-20 to 1e-1, and adds the
complex step, which subtracts nothing and so has no rounding error to fight.
It prints the best h of each scheme and draws the errors (log-log).

Run ``python examples/step_size_study.py`` (writes ``step_size_study.png``) or
``python examples/step_size_study.py --no-plot``.
"""

from __future__ import annotations

import argparse

from tinynn import step_size_study
from tinynn.utils.notebook import command_line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--out", default="step_size_study.png", help="where to write the figure")
    parser.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    args = parser.parse_args(argv)

    study = step_size_study()
    print("scheme     best h    relative error there   error at h = 1e-4")
    i_book = abs(study.hs - 1e-4).argmin()
    for scheme in study.errors:  # forward, central, complex
        best = study.best_h(scheme)
        err = study.errors[scheme]
        at_best = err[study.hs == best][0]
        print(f"{scheme:<9}  {best:.1e}   {at_best:.1e}                {err[i_book]:.1e}")
    small = study.errors["complex"][study.hs <= 1e-8].max()
    print(f"complex step: relative error <= {small:.1e} for every h <= 1e-8")

    if not args.no_plot:
        try:
            from tinynn.plot import step_size_figure

            fig = step_size_figure()
        except ImportError as exc:
            print(f"figure skipped: {exc}")
        else:
            fig.savefig(args.out, dpi=100)
            print(f"figure written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
