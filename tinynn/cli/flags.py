"""The command-line flags of :class:`~tinynn.cli.options.RunOptions`, checked as they are read.

``tinynn train``, ``tinynn gradcheck`` and ``examples/train_neuralnet.py`` add them
with :func:`add_run_options` (or :func:`add_model_options`, the network's only) and
read what was given with :func:`given_options`. Every flag defaults to ``None``, so
that a resumed run tells the options given again from those left out; a bad value
is refused by argparse with one line naming the flag (exit status 2).

Book section
------------
4.5.2 (``iters_num``, ``batch_size``, ``learning_rate``), 6.1-6.4, 7.5
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from .options import (
    ACTIVATIONS,
    ESTIMATORS,
    MODELS,
    NUMERICAL_METHODS,
    OPTIMIZERS,
    RunOptions,
    check_number,
    flag,
    parse_weight_init,
    schedule_spec,
)

__all__ = [
    "add_model_options",
    "add_run_options",
    "given_options",
    "positive_float",
    "whole_number",
]


def _argparse_type(check: Any, name: str) -> Any:
    """An argparse type from a check of :class:`RunOptions` (its message, without the flag)."""

    def parse(text: str) -> Any:
        try:
            return check(text)
        except ValueError as exc:
            message = str(exc).removeprefix(f"{flag(name)} ")
            raise argparse.ArgumentTypeError(message) from None

    return parse


def whole_number(least: int) -> Any:
    """An argparse type: a whole number >= ``least``, or a message naming what was given."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number >= {least}, got {text!r}"
            ) from None
        if value < least:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {least}, got {text}")
        return value

    return parse


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None


def _hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(n) for n in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise ValueError(f"expected sizes >= 1 separated by commas (50; 100,100,100), got {text!r}")
    return sizes


def _weight_init_flag(text: str) -> float | str:
    try:
        value: float | str = float(text)
    except ValueError:
        value = text
    return parse_weight_init(value)


def _ratio(text: str) -> float:
    return check_number(_float(text), "dropout", low=0.0, high=1.0)


def _decay(text: str) -> float:
    return check_number(_float(text), "weight_decay", low=0.0, low_ok=True)


def add_model_options(p: argparse.ArgumentParser, *, group: str = "the network") -> None:
    """Add the flags of the network (``--model`` ... ``--filter-size``) to ``p``."""
    g = p.add_argument_group(group)
    g.add_argument("--model", choices=MODELS,
                   help="two-layer: the book's 784-50-10 TwoLayerNet of Chapter 4 (sigmoid); "
                   "multi-layer: Chapter 6's MultiLayerNet (relu, He init; MultiLayerNetExtend "
                   "with --dropout or --batchnorm); convnet: Chapter 7's SimpleConvNet on 1x28x28 "
                   "images (default: two-layer)")  # fmt: skip
    g.add_argument("--hidden", type=_argparse_type(_hidden, "hidden"), metavar="SIZES",
                   help="hidden units: one size (two-layer: 50, convnet: 100) or one per layer, "
                   "e.g. 100,100,100 (multi-layer: 100,100,100,100)")  # fmt: skip
    g.add_argument("--activation", choices=ACTIVATIONS,
                   help="multi-layer's hidden activation (relu)")  # fmt: skip
    g.add_argument("--weight-init", type=_argparse_type(_weight_init_flag, "weight_init"),
                   metavar="STD|he|xavier",
                   help="the initial weights' standard deviation (two-layer, convnet: 0.01), or "
                   "for multi-layer a rule of section 6.2: he (for relu, the default) or xavier "
                   "(for sigmoid); the book's relu and sigmoid are read as these")  # fmt: skip
    g.add_argument("--weight-decay", type=_argparse_type(_decay, "weight_decay"), metavar="L",
                   help="multi-layer: weight decay lambda, adding 0.5 L sum(W**2) to the loss "
                   "(0)")  # fmt: skip
    g.add_argument(
        "--dropout",
        type=_argparse_type(_ratio, "dropout"),
        metavar="RATIO",
        help="multi-layer: a Dropout of this ratio after each hidden activation",
    )
    g.add_argument(
        "--batchnorm",
        action="store_true",
        default=None,
        help="multi-layer: Batch Normalization before each hidden activation",
    )
    g.add_argument("--filters", type=whole_number(1), metavar="N",
                   help="convnet: the number of filters (30)")  # fmt: skip
    g.add_argument("--filter-size", type=whole_number(1), metavar="N",
                   help="convnet: their side, odd (5; padding 0, stride 1)")  # fmt: skip


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Add the flags of :class:`RunOptions` (``--iters`` ... ``--warmup``) and ``--epochs``.

    Each defaults to ``None``, so that :func:`given_options` tells the options
    given from those left out (which a resumed run takes from its checkpoint).
    """
    d = RunOptions()
    g = p.add_argument_group("the run")
    length = g.add_mutually_exclusive_group()
    length.add_argument("--iters", type=whole_number(1), help=f"iterations of the run ({d.iters})")
    length.add_argument("--epochs", type=whole_number(1), metavar="E",
                        help="or E passes over the training images (E x 600 iterations for "
                        "MNIST's 60,000 in batches of 100)")  # fmt: skip
    g.add_argument("--batch-size", type=whole_number(1), help=f"mini-batch size ({d.batch_size})")
    g.add_argument("--seed", type=whole_number(0), help=f"seed of weights, batches ({d.seed})")
    g.add_argument("--train-size", type=whole_number(1), metavar="N",
                   help="use only the first N training images")  # fmt: skip
    g.add_argument("--estimator", choices=ESTIMATORS,
                   help="how gradients are computed (backprop; numerical: the chapter's central "
                   "differences, by NumericalDiff's structured path)")  # fmt: skip
    g.add_argument("--numerical-method", choices=NUMERICAL_METHODS,
                   help="with --estimator numerical: auto (the structured path) or the book's "
                   "loop (hundreds of times slower)")  # fmt: skip
    add_model_options(p)
    g = p.add_argument_group("the optimizer (section 6.1)")
    g.add_argument(
        "--optimizer",
        choices=tuple(OPTIMIZERS),
        help="the update rule (sgd; convnet: adam, as the book's Chapter 7 run)",
    )
    g.add_argument(
        "--lr",
        type=positive_float,
        help="the learning rate (default: 0.1 for two-layer with sgd, the book's "
        "Chapter 4 run; else the book's default of the optimizer: 0.01, adam 0.001)",
    )
    g.add_argument("--schedule", type=_argparse_type(schedule_spec, "schedule"),
                   metavar="KIND:...",
                   help="the learning rate changes from --lr: step:STEP[:GAMMA] (times GAMMA, "
                   "0.1, every STEP updates), exponential:STEPS:RATE (times RATE over STEPS "
                   "updates, smoothly), cosine:STEPS[:ALPHA] (half a cosine down to ALPHA x lr, "
                   "0, over STEPS updates)")  # fmt: skip
    g.add_argument(
        "--warmup",
        type=whole_number(1),
        metavar="N",
        help="raise the rate linearly over the first N updates first",
    )


def given_options(args: argparse.Namespace, saved: RunOptions | None = None) -> dict[str, Any]:
    """The :class:`RunOptions` given on the command line (those not left out).

    ``--epochs E`` is given as ``iters``: ``E`` times the mini-batches per epoch of
    these options (the given batch size and training images, else ``saved``'s, else
    the defaults).
    """
    names = [f.name for f in dataclasses.fields(RunOptions)]
    given = {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}
    epochs = getattr(args, "epochs", None)
    if epochs is not None:
        base = saved or RunOptions()
        sized = {k: given.get(k, getattr(base, k)) for k in ("batch_size", "train_size")}
        given["iters"] = epochs * dataclasses.replace(base, **sized).iters_per_epoch()
    return given
