"""The ``tinynn`` command: ``train``, ``evaluate``, ``predict``, ``gradcheck``, ``draw`` and
``search``.

Run ``tinynn --help`` (or ``python -m tinynn --help``). This package sits above
everything else in tinynn and nothing imports it. Usage errors exit with
status 2, expected failures (no data, an unreadable file, a failed gradient
check) with status 1 and a one-line message, both without a traceback. So does
anything unexpected, whatever raised it: one line naming the error, and the
traceback when the environment variable ``TINYNN_DEBUG`` is set (to 1).
"""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from . import draw, evaluate, gradcheck, predict, search, train
from .common import CliError

__all__ = ["CliError", "main"]

EPILOG = """\
examples:
  tinynn train                          the book's run: 10000 iterations (time: docs, Performance)
  tinynn train --resume runs/20261128-210000   continue a run stopped with Ctrl-C
  tinynn train --iters 600 --seed 3     one epoch, another seed
  tinynn train --model multi-layer --hidden 100,100 --batchnorm --dropout 0.2 --optimizer adam
                                        Chapter 6's network (tinynn train --help: all options)
  tinynn train --model convnet --epochs 1   Chapter 7's convnet (Adam, lr 0.001)
  tinynn evaluate runs/20261128-210000  accuracy, per-class table, figures of a run
  tinynn predict runs/20261128-210000 my_digit.png --show
  tinynn gradcheck                      backprop against the numerical gradient
  tinynn draw runs/20261128-210000      draw digits in the browser, see what the network says
  tinynn search --trials 30 --workers 2 section 6.5's random search, on two processes

MNIST is read from --data-dir, $TINYNN_DATA, the user cache, or downloaded."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinynn",
        description="'Deep Learning from Scratch' on the command line: train the book's "
        "networks on MNIST (Chapter 4's by default, Chapter 6's and 7's with their options), "
        "see what they get wrong, try them on your own digits.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tinynn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in (train, evaluate, predict, gradcheck, draw, search):
        command.add_parser(sub)
    return parser


#: Set (to anything but "" or "0") to see the traceback of an unexpected error.
DEBUG = "TINYNN_DEBUG"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failed, 2 usage error, 130
    interrupted)."""
    args = build_parser().parse_args(argv)  # exits with status 2 on a usage error
    try:
        status: int = args.func(args)
    except CliError as exc:
        print(f"tinynn {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ntinynn {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (| head): nothing more to say to it
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), sys.stdout.fileno())
        return 1
    except Exception as exc:  # whatever NumPy, Pillow or the OS raised: still one line
        if os.environ.get(DEBUG, "") not in ("", "0"):
            raise
        print(
            f"tinynn {args.command}: error: {_first_line(exc)} (unexpected; run again with "
            f"{DEBUG}=1 to see the traceback)",
            file=sys.stderr,
        )
        return 1
    return status
