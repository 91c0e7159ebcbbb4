"""``tinynn gradcheck``: backpropagation against the numerical gradient (book section 5.7.3).

Any network ``tinynn train`` trains: the book's two-layer network by default, Chapter 6's
multi-layer network with its options (Dropout's masks held fixed within the check, Batch
Normalization on the batch's statistics), Chapter 7's convnet (its numerical gradient by
the structured path, in seconds; ``--image-size`` for smaller images).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from ..estimators import Backprop, NumericalDiff, gradient_check
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

On random images, weights of 0.01 leave the ReLUs' inputs within h = 1e-4 of their
kink, where the central difference is not the derivative: give --weight-init 0.1."""


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
    p.add_argument("--tolerance", type=float, default=1e-5, metavar="TOL",
                   help="largest difference that passes, relative to the parameter's largest "
                        "gradient entry (1e-5)")  # fmt: skip
    p.add_argument("--random-data", action="store_true",
                   help="random inputs and labels instead of MNIST (needs no data)")  # fmt: skip
    p.add_argument("--image-size", type=positive_int, metavar="S",
                   help="with --random-data: images of SxS instead of 28x28, S even (a small "
                   "convnet checks in seconds)")  # fmt: skip
    add_model_options(p)
    add_data_options(p)
    p.set_defaults(func=run, usage_error=p.error)


def run(args: argparse.Namespace) -> int:
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
    print(f"{name}, {len(x)} {source}: the numerical gradient evaluates the loss 2 x "
          f"{entries:,} times{f' (the loop: {slow})' if slow else ''} ...", flush=True)  # fmt: skip
    start = time.perf_counter()
    with net.training():  # one training step: the same dropout masks for both
        grads = Backprop().gradient(net, x, t)
        diff = gradient_check(net, x, t, reference=reference)
    print(f"done in {time.perf_counter() - start:.1f} s\n")
    print(f"{'param':<6} {'shape':<10} {'mean |diff|':>12} {'max |diff|':>12} "
          f"{'max |grad|':>12} {'ratio':>10}  verdict")  # fmt: skip
    failed, zeros = [], 0
    for key, d in diff.items():
        shape = "x".join(str(n) for n in net.params[key].shape)
        scale = float(np.max(np.abs(grads[key]), initial=0.0))
        ratio = d.max_abs / max(scale, 1e-12)
        zero = ratio > args.tolerance and max(d.max_abs, scale) <= ZERO
        if ratio > args.tolerance and not zero:
            failed.append(key)
        verdict = "ok (zero)" if zero else "ok" if ratio <= args.tolerance else "FAIL"
        print(f"{key:<6} {shape:<10} {d.mean_abs:>12.3e} {d.max_abs:>12.3e} {scale:>12.3e} "
              f"{ratio:>10.2e}  {verdict}")  # fmt: skip
        zeros += zero
    print(f"\n(mean |diff| is what the book prints; ratio is max |diff| / max |grad|, which "
          f"must be <= --tolerance {args.tolerance:g})")  # fmt: skip
    if zeros:
        print(f"(ok (zero): a gradient that is zero, both estimates below {ZERO:g}, the "
              "numerical gradient's rounding; a bias before Batch Normalization has no "
              "effect on the loss)")  # fmt: skip
    if failed:
        raise CliError(f"backprop and the numerical gradient disagree for {', '.join(failed)}")
    return 0
