"""``tinynn gradcheck``: backpropagation against the numerical gradient (book section 5.7.3).

Any network ``tinynn train`` trains: the book's two-layer network by default, Chapter 6's
multi-layer network with its options (Dropout's masks held fixed within the check, Batch
Normalization on the batch's statistics), Chapter 7's convnet and Chapter 8's deep convnet
(their numerical gradient by the structured path, in seconds; ``--image-size`` for smaller
images). The time the
numerical gradient will take is estimated before it starts. Entries at a kink of a ReLU
or a max pooling, where the central difference is not a derivative, are counted and not
compared (:mod:`tinynn.cli.kinks`).
"""

from __future__ import annotations

import argparse
import time
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..callbacks.progress import duration
from ..estimators import Backprop, NumericalDiff
from .book_run import build_network, describe_network
from .common import (
    CliError,
    add_data_options,
    load_data,
    model_input,
    nonnegative_int,
    positive_int,
)
from .flags import add_model_options, given_options
from .kinks import Switches, loss_seconds
from .options import MNIST_IMAGE, RunOptions

#: Gradients whose entries both estimates put below this are zero: the numerical gradient's
#: rounding is about 1e-16 x loss / h = 1e-12 for a loss near 1 and h = 1e-4.
ZERO = 1e-10
HELP = "compare Backprop with NumericalDiff on a small batch, a row per parameter"
EPILOG = """\
examples:
  tinynn gradcheck                                   the book's check (784-50-10, 3 images)
  tinynn gradcheck --model multi-layer --hidden 10,10 --dropout 0.5 --batchnorm --weight-decay 0.1
  tinynn gradcheck --model convnet --random-data --image-size 10 --filters 2 --filter-size 3 \\
      --hidden 8 --weight-init 0.1                   a small convnet, in seconds
  tinynn gradcheck --model deep-convnet --random-data --image-size 4 --hidden 8
                                                     Chapter 8's DeepConvNet, in seconds

Where the loop runs (a layer without a rule), the time it will take is estimated first,
from a few loss evaluations timed here. Entries where the two gradients disagree and a
step of h = 1e-4 moves a ReLU's input across 0 (or changes a max pooling's choice) sit
at a kink, where the loss has no derivative and the central difference is not one: they
are counted in the column "at kink" and not compared; every other entry is, so a wrong
backward still fails. Small weights on random images (0.01) put many inputs that close."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "gradcheck",
        help=HELP,
        description="Compare Backprop with NumericalDiff on a small batch, a row per "
        "parameter.\nBy default the book's check: a 784-50-10 TwoLayerNet and the first 3 "
        "training images\nof MNIST; the network's options are those of tinynn train.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options]  (tinynn gradcheck --help lists them)",
    )
    p.add_argument("--batch", type=positive_int, default=3, help="images in the batch (3)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of the weights (0)")
    p.add_argument("--tolerance", type=float, default=None, metavar="TOL",
                   help="largest difference that passes, relative to the parameter's largest "
                        "gradient entry (1e-5; with --dtype float32, 1e-3: backprop in float32 "
                        "against the numerical gradient in float64)")  # fmt: skip
    p.add_argument("--random-data", action="store_true",
                   help="random inputs and labels instead of MNIST (needs no data)")  # fmt: skip
    p.add_argument("--image-size", type=positive_int, metavar="S",
                   help="with --random-data: images of SxS instead of 28x28, S even (a small "
                   "convnet checks in seconds; deep-convnet: S = 4, 12, 20, ...)")  # fmt: skip
    add_model_options(p)
    add_data_options(p)
    p.set_defaults(func=run, usage_error=p.error)


def run(args: argparse.Namespace) -> int:
    if args.tolerance is None:  # float32's backprop agrees with float64's to about 1e-4
        args.tolerance = 1e-3 if getattr(args, "dtype", None) == "float32" else 1e-5
    if not 0 < args.tolerance < 1:
        raise CliError(f"--tolerance must be between 0 and 1, got {args.tolerance:g}")
    side = args.image_size or MNIST_IMAGE[1]
    if side != MNIST_IMAGE[1] and not args.random_data:
        args.usage_error("--image-size needs --random-data (MNIST's images are 28x28)")
    try:
        options = RunOptions.make(**given_options(args))
        net = build_network(options, np.random.default_rng(args.seed), (1, side, side))
    except ValueError as exc:  # options that do not fit together, or the image
        args.usage_error(str(exc))  # prints the usage and the message, exits with 2
        raise
    if args.random_data:
        rng = np.random.default_rng(args.seed + 1)
        x, t = rng.random((args.batch, side * side)), rng.integers(0, 10, args.batch)
        source = "random inputs"
    else:
        (x_train, t_train), _ = load_data(args)
        x, t = x_train[: args.batch], t_train[: args.batch]
        source = "MNIST training images"
    x = model_input(net, x)
    entries = sum(p.size for p in net.params.values())
    reference = NumericalDiff()
    slow = reference.fallback_reason(net)
    if slow is not None:  # say so, rather than warn
        reference = NumericalDiff(method="loop")
    name = describe_network(options)
    if side != MNIST_IMAGE[1]:
        name = name.replace("1x28x28", f"1x{side}x{side}").replace("784-", f"{side * side}-")
    with net.training():  # one training step: the same dropout masks for every pass
        total = 2 * entries * loss_seconds(net.bind_loss(x, t)) if slow else 0.0
        cost = f" (the loop: {slow}; about {duration(total)}, timed here)" if slow else ""
        print(f"{name}, {len(x)} {source}: the numerical gradient evaluates the loss 2 x "
              f"{entries:,} times{cost} ...", flush=True)  # fmt: skip
        if total > LONG:
            print(f"(for a check in seconds: {SMALL_CONVNET})", flush=True)
        start = time.perf_counter()
        grads = Backprop().gradient(net, x, t)
        numerical = reference.gradient(net, x, t)
        print(f"done in {time.perf_counter() - start:.1f} s\n")
        switches = Switches(net, x)
        rows = [_compare(key, grads[key], numerical[key], args.tolerance, switches,
                         reference.h) for key in net.params]  # fmt: skip
    print(f"{'param':<6} {'shape':<10} {'mean |diff|':>12} {'max |diff|':>12} "
          f"{'max |grad|':>12} {'ratio':>10} {'at kink':>8}  verdict")  # fmt: skip
    for row in rows:
        shape = "x".join(str(n) for n in net.params[row.key].shape)
        print(f"{row.key:<6} {shape:<10} {row.mean_abs:>12.3e} {row.max_abs:>12.3e} "
              f"{row.scale:>12.3e} {row.ratio:>10.2e} {row.kinks:>8}  {row.verdict}")  # fmt: skip
    print(f"\n(mean |diff| is what the book prints; ratio is max |diff| / max |grad|, which "
          f"must be <= --tolerance {args.tolerance:g}; both over the entries compared)")
    if any(row.verdict == "ok (zero)" for row in rows):
        print(f"(ok (zero): a gradient that is zero, both estimates below {ZERO:g}, the "
              "numerical gradient's rounding; a bias before Batch Normalization has no "
              "effect on the loss)")  # fmt: skip
    kinks = sum(row.kinks for row in rows)
    if kinks:
        print(f"({kinks:,} entries within h = {reference.h:g} of a kink, not compared: there the "
              "two gradients disagree and the step from w - h to w + h moves a ReLU's input "
              "across 0 or changes a max pooling's choice, so the loss has no derivative and the "
              "central difference averages the slopes on the two sides; the differences shown are "
              "over the other entries, where a wrong backward still fails. Small weights on "
              "random images put many ReLU inputs that close to 0.)")  # fmt: skip
    failed = [row.key for row in rows if row.verdict == "FAIL"]
    if failed:
        raise CliError(f"backprop and the numerical gradient disagree for {', '.join(failed)}")
    return 0


#: An estimate above this many seconds comes with the command of a check in seconds.
LONG = 60.0
SMALL_CONVNET = ("--random-data --image-size 10 --filters 2 --filter-size 3 --hidden 8, or "
                 "fewer --filters and --hidden")  # fmt: skip
#: Definite disagreements (not at a kink) after which a parameter fails without looking
#: at its other disagreeing entries.
ENOUGH = 10


class Row(NamedTuple):
    """One parameter's line of the table."""

    key: str
    mean_abs: float
    max_abs: float
    scale: float
    ratio: float
    kinks: int
    verdict: str


def _compare(
    key: str, bp: NDArray[Any], num: NDArray[Any], tol: float, switches: Switches, h: float
) -> Row:
    """Backprop against the numerical gradient for one parameter, entries at a kink aside."""
    diff = np.abs(np.asarray(num) - np.asarray(bp)).reshape(-1)
    scale = float(np.max(np.abs(bp), initial=0.0))
    limit = tol * max(scale, 1e-12)
    compared = np.ones(diff.size, dtype=bool)
    definite = 0
    if float(np.max(diff, initial=0.0)) > limit and max(float(diff.max()), scale) > ZERO:
        for index in np.argsort(diff)[::-1]:  # the largest disagreements first
            if diff[index] <= limit or definite >= ENOUGH:
                break
            if switches.straddles(key, int(index), h):
                compared[index] = False
            else:
                definite += 1
    max_abs = float(np.max(diff[compared], initial=0.0))
    ratio = max_abs / max(scale, 1e-12)
    zero = ratio > tol and max(max_abs, scale) <= ZERO
    verdict = "ok (zero)" if zero else "ok" if ratio <= tol else "FAIL"
    kinks = int(diff.size - np.count_nonzero(compared))
    mean_abs = float(diff[compared].mean()) if compared.any() else 0.0
    return Row(key, mean_abs, max_abs, scale, ratio, kinks, verdict)
