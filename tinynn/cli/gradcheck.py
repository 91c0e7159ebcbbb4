"""``tinynn gradcheck``: backpropagation against the numerical gradient (book section 5.7.3)."""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from ..estimators import Backprop, gradient_check
from ..models import TwoLayerNet
from ._common import CliError, add_data_options, load_data, nonnegative_int, positive_int

HELP = "compare Backprop with NumericalDiff on a small batch, a row per parameter"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "gradcheck",
        help=HELP,
        description=HELP + ". By default the book's check: a 784-50-10 TwoLayerNet and the "
        "first 3 training images of MNIST.",
    )
    p.add_argument("--batch", type=positive_int, default=3, help="images in the batch (3)")
    p.add_argument("--hidden", type=positive_int, default=50, help="hidden units (50)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of the weights (0)")
    p.add_argument("--tolerance", type=float, default=1e-5, metavar="TOL",
                   help="largest difference that passes, relative to the parameter's largest "
                        "gradient entry (1e-5)")  # fmt: skip
    p.add_argument("--random-data", action="store_true",
                   help="random inputs and labels instead of MNIST (needs no data)")  # fmt: skip
    add_data_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 0 < args.tolerance < 1:
        raise CliError(f"--tolerance must be between 0 and 1, got {args.tolerance:g}")
    if args.random_data:
        rng = np.random.default_rng(args.seed + 1)
        x, t = rng.random((args.batch, 784)), rng.integers(0, 10, args.batch)
        source = "random inputs"
    else:
        (x_train, t_train), _ = load_data(args)
        x, t = x_train[: args.batch], t_train[: args.batch]
        source = "MNIST training images"
    net = TwoLayerNet(784, args.hidden, 10, rng=args.seed)
    entries = sum(p.size for p in net.params.values())
    print(f"TwoLayerNet 784-{args.hidden}-10, {len(x)} {source}: the numerical gradient "
          f"evaluates the loss 2 x {entries:,} times ...", flush=True)  # fmt: skip
    start = time.perf_counter()
    grads = Backprop().gradient(net, x, t)
    diff = gradient_check(net, x, t)
    print(f"done in {time.perf_counter() - start:.1f} s\n")
    print(f"{'param':<6} {'shape':<10} {'mean |diff|':>12} {'max |diff|':>12} "
          f"{'max |grad|':>12} {'ratio':>10}  verdict")  # fmt: skip
    failed = []
    for name, d in diff.items():
        shape = "x".join(str(n) for n in net.params[name].shape)
        scale = float(np.max(np.abs(grads[name]), initial=0.0))
        ratio = d.max_abs / max(scale, 1e-12)
        ok = ratio <= args.tolerance
        if not ok:
            failed.append(name)
        print(f"{name:<6} {shape:<10} {d.mean_abs:>12.3e} {d.max_abs:>12.3e} {scale:>12.3e} "
              f"{ratio:>10.2e}  {'ok' if ok else 'FAIL'}")  # fmt: skip
    print(f"\n(mean |diff| is what the book prints; ratio is max |diff| / max |grad|, which "
          f"must be <= --tolerance {args.tolerance:g})")  # fmt: skip
    if failed:
        raise CliError(f"backprop and the numerical gradient disagree for {', '.join(failed)}")
    return 0
