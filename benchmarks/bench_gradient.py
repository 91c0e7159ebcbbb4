"""How much tinynn's structure costs: gradients and training steps against plain NumPy.

Each row times a tinynn operation and a *reference* doing the same arithmetic as plain
functions (the book's ``ch04/two_layer_net.py`` style), in the same run, and reports the
ratio (tinynn / reference; 1.00 means no overhead). Absolute times depend on the machine;
ratios are what to compare.

    python benchmarks/bench_gradient.py            # about a minute
    python benchmarks/bench_gradient.py --quick    # fewer repeats

Rows:

* ``backprop gradient``: ``Backprop().gradient(net, x, t)`` vs a plain function computing
  the same gradient (784-50-10, batch 100).
* ``training iteration``: one ``Trainer`` iteration (draw a batch, gradient, SGD update,
  loss) vs the book's loop body.
* ``numerical gradient``: ``NumericalDiff().gradient`` vs the book's per-entry
  ``numerical_gradient`` loop (a 784-10-10 network on a batch of 10: 7,960 weights).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import book_reference as book
from tinynn import SGD, Backprop, NumericalDiff, Trainer, TwoLayerNet


def compare(
    ours: Callable[[], object], reference: Callable[[], object], repeats: int, number: int
) -> tuple[float, float]:
    """Median seconds per call of each, measured alternately after a warm-up.

    Alternating the two keeps a busy machine from favouring whichever ran second.
    """
    ours(), reference()
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeats):
        for fn, out in ((ours, a), (reference, b)):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            out.append((time.perf_counter() - start) / number)
    return statistics.median(a), statistics.median(b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    rng = np.random.default_rng(0)

    net = TwoLayerNet(784, 50, 10, rng=0)
    ref = book.BookTwoLayerNet(net.params)
    x = rng.random((100, 784))
    t = np.eye(10)[rng.integers(0, 10, 100)]
    rows: list[tuple[str, float, float]] = []

    bp = Backprop()
    rows.append((
        "backprop gradient (784-50-10, batch 100)",
        *compare(lambda: bp.gradient(net, x, t), lambda: ref.gradient(x, t), repeats, 200),
    ))

    x_train = rng.random((6000, 784)).astype(np.float32)
    t_train = np.eye(10)[rng.integers(0, 10, 6000)]
    trainer = Trainer(net, SGD(lr=0.1), batch_size=100, rng=1)
    book_rng = np.random.default_rng(1)

    def book_iteration() -> None:
        mask = book_rng.choice(6000, 100)
        xb, tb = x_train[mask], t_train[mask]
        grad = ref.gradient(xb, tb)
        for key in ("W1", "b1", "W2", "b2"):
            ref.params[key] -= 0.1 * grad[key]
        ref.loss(xb, tb)

    n_iter = 200

    def book_iterations() -> None:
        for _ in range(n_iter):
            book_iteration()

    fit, loop = compare(
        lambda: trainer.fit(x_train, t_train, iters=n_iter), book_iterations, repeats, 1
    )
    rows.append(("training iteration (Trainer.fit, per iteration)", fit / n_iter, loop / n_iter))

    small = TwoLayerNet(784, 10, 10, rng=0)
    small_ref = book.BookTwoLayerNet(small.params)
    xs, ts = x[:10], t[:10]
    nd = NumericalDiff()
    rows.append((
        "numerical gradient (784-10-10, batch 10)",
        *compare(
            lambda: nd.gradient(small, xs, ts),
            lambda: small_ref.numerical_gradient(xs, ts),
            max(1, repeats // 3),
            1,
        ),
    ))

    print(f"tinynn gradient benchmark: Python {platform.python_version()}, NumPy {np.__version__}, "
          f"{platform.machine()}, median of {repeats} repeats")
    print(f"{'operation':<50} {'tinynn':>12} {'reference':>12} {'ratio':>7}")
    for name, ours, theirs in rows:
        print(f"{name:<50} {ours * 1e3:>9.3f} ms {theirs * 1e3:>9.3f} ms {ours / theirs:>7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
