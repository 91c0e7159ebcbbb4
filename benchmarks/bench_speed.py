"""What tinynn's gradients and training loop cost, against plain NumPy measured in the same run.

Every row times a tinynn operation and a *reference* doing the same work as plain code (the
book's ``ch04`` scripts, transcribed in ``tests/book_reference.py``), alternately, and
reports the medians and their ratio (tinynn / reference: below 1 is faster). Absolute times
vary by up to 3x between sessions on shared machines; the ratios are what to compare.

    python benchmarks/bench_speed.py                  # about 10 minutes on 2 cores
    python benchmarks/bench_speed.py --quick          # about 2 minutes: fewer repeats
    python benchmarks/bench_speed.py --only numerical # one group: numerical, sparsity,
                                                      # layers, backprop, main

Rows:

* ``numerical``: one gradient of TwoLayerNet(784, 50, 10) at batch 100: the book's
  per-entry loop (``numerical_gradient`` with ``np.nditer``) against ``NumericalDiff()``'s
  structured path, with the largest difference of any entry and the structured path's peak
  extra memory (tracemalloc), single-threaded and with every core; on random images
  (no pixel 0) and, when MNIST is found, on the first 100 MNIST images (mostly 0).
* ``sparsity``: the structured path perturbing sparsely against densely, on inputs with
  20% to 65% non-zero values (the threshold
  ``tinynn.estimators.numerical.affine.SPARSE_FRACTION``, in Affine's structured rule).
* ``layers``: one gradient of MultiLayerNetExtend(784, [50], 10) at batch 100 by
  ``NumericalDiff()``'s structured path against the book's loop (``method='loop'``, one
  timing each: it takes tens of seconds), plain, with Dropout, with BatchNormalization and
  with both (6.3, 6.4.3); and what each layer costs the structured path against the plain
  network's, with the largest difference from the loop.
* ``backprop``: ``Backprop().gradient(net, x, t)`` against the book's ``gradient`` function.
* ``main job``: the book's run (10,000 iterations of batch 100, 17 evaluations of train and
  test accuracy) with ``Trainer`` + ``EpochAccuracy`` against the book's plain loop, same
  seed and batches, on MNIST as ``load_mnist(normalize=True)`` returns it (float32) and as
  float64; with each one's peak memory (tracemalloc). Needs MNIST (``TINYNN_DATA``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import book_reference as book
from tinynn import (
    SGD,
    Backprop,
    EpochAccuracy,
    MultiLayerNetExtend,
    NumericalDiff,
    Trainer,
    TwoLayerNet,
)


def alternate(
    ours: Callable[[], object], reference: Callable[[], object], repeats: int, number: int = 1
) -> tuple[float, float]:
    """Median seconds per call of each, measured alternately (after one warm-up call each)."""
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


def peak_memory(fn: Callable[[], object]) -> float:
    """Peak memory allocated while ``fn`` runs, in MB (tracemalloc sees NumPy's arrays)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def row(name: str, ours: float, ref: float, extra: str = "") -> None:
    print(f"{name:<46} {ours:>10.4f} s {ref:>10.4f} s {ours / ref:>7.3f}  {extra}", flush=True)


def mnist_batch() -> tuple[Any, Any] | None:
    """The first 100 MNIST training images (about 19% of pixels not 0), if MNIST is here."""
    try:
        from tinynn.datasets import load_mnist

        (x, t), _ = load_mnist(normalize=True, one_hot_label=True, download=False)
    except (OSError, ValueError):
        return None
    return x[:100].astype(np.float64), t[:100].astype(np.float64)


def bench_numerical(repeats: int) -> None:
    rng = np.random.default_rng(0)
    net = TwoLayerNet(784, 50, 10, rng=0)
    ref = book.BookTwoLayerNet(net.params)
    batches = {"random images": (rng.random((100, 784)), np.eye(10)[rng.integers(0, 10, 100)])}
    mnist = mnist_batch()
    if mnist is None:
        print("(MNIST not found: set TINYNN_DATA for the row on real images)")
    else:
        batches["MNIST images"] = mnist
    cores = os.cpu_count() or 1
    variants = {w: NumericalDiff(workers=w) for w in sorted({1, cores})}
    for label, (x, t) in batches.items():
        numerical_rows(label, net, ref, x, t, variants, repeats)


def numerical_rows(
    label: str, net: TwoLayerNet, ref: Any, x: Any, t: Any,
    variants: dict[int, NumericalDiff], repeats: int,
) -> None:  # fmt: skip
    loop = ref.numerical_gradient(x, t)  # (also the warm-up)
    times: dict[object, list[float]] = {w: [] for w in variants}
    times["loop"] = []
    for _ in range(repeats):  # each repeat: the loop, then every variant, alternating
        for key, fn in [("loop", lambda: ref.numerical_gradient(x, t))] + [
            (w, lambda nd=nd: nd.gradient(net, x, t)) for w, nd in variants.items()
        ]:
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    theirs = statistics.median(times["loop"])
    for w, nd in variants.items():
        fast = nd.gradient(net, x, t)
        diff = max(float(np.max(np.abs(fast[k] - loop[k]))) for k in loop)
        mem = peak_memory(lambda nd=nd: nd.gradient(net, x, t))  # type: ignore[misc]
        ours = statistics.median(times[w])
        row(
            f"numerical gradient, {label}, {w} thread(s)",
            ours,
            theirs,
            f"speed-up {theirs / ours:.0f}x, max |diff| {diff:.1e}, peak extra {mem:.1f} MB",
        )


def bench_sparsity(repeats: int) -> None:
    """The structured gradient's sparse path against its dense path, by input density.

    ``Affine``'s rule perturbs sparsely when at most ``SPARSE_FRACTION`` of the input is
    non-zero; this row is what that threshold is chosen from.
    """
    import tinynn.estimators.numerical.affine as rules

    net = TwoLayerNet(784, 50, 10, rng=0)
    rng = np.random.default_rng(0)
    t = np.eye(10)[rng.integers(0, 10, 100)]
    nd = NumericalDiff()
    chosen = rules.SPARSE_FRACTION
    try:
        for density in (0.2, 0.35, 0.5, 0.65):
            x = rng.random((100, 784))
            x[rng.random((100, 784)) >= density] = 0.0

            def run(fraction: float, x: Any = x) -> None:
                rules.SPARSE_FRACTION = fraction
                nd.gradient(net, x, t)

            ours, theirs = alternate(lambda: run(1.0), lambda: run(0.0), max(repeats, 5))
            row(f"numerical gradient, {density:.0%} non-zero: sparse/dense", ours, theirs)
    finally:
        rules.SPARSE_FRACTION = chosen


def bench_layers(repeats: int) -> None:
    """NumericalDiff on a network with Dropout and BatchNormalization (6.3, 6.4.3)."""
    rng = np.random.default_rng(0)
    batch = mnist_batch()
    x, t = (
        batch
        if batch is not None
        else (rng.random((100, 784)), np.eye(10)[rng.integers(0, 10, 100)])
    )
    configs = {
        "plain": {},
        "Dropout(0.5)": {"use_dropout": True, "dropout_ratio": 0.5},
        "BatchNormalization": {"use_batchnorm": True},
        "Dropout + BatchNormalization": {"use_dropout": True, "use_batchnorm": True},
    }
    nets = {name: MultiLayerNetExtend(784, [50], 10, rng=1, **kw) for name, kw in configs.items()}
    fast, loop = NumericalDiff(), NumericalDiff(method="loop")
    times: dict[str, list[float]] = {name: [] for name in nets}
    for net in nets.values():
        fast.gradient(net, x, t)  # warm-up
    for _ in range(repeats):  # the networks alternate within each repeat
        for name, net in nets.items():
            start = time.perf_counter()
            fast.gradient(net, x, t)
            times[name].append(time.perf_counter() - start)
    plain = statistics.median(times["plain"])
    for name, net in nets.items():
        ours = statistics.median(times[name])
        state = net.state_dict()  # the next gradient's dropout mask: the same for both
        start = time.perf_counter()
        slow = loop.gradient(net, x, t)
        theirs = time.perf_counter() - start
        net.load_state_dict(state)
        g = fast.gradient(net, x, t)
        diff = max(float(np.max(np.abs(g[k] - slow[k]))) for k in slow)
        row(
            f"numerical, 784-50-10 {name}: structured/loop",
            ours,
            theirs,
            f"speed-up {theirs / ours:.0f}x, {ours / plain:.2f}x the plain net's, "
            f"max |diff| {diff:.1e}",
        )


def bench_backprop(repeats: int) -> None:
    """Short alternating rounds (50 calls each); the median of the rounds' ratios.

    One call takes well under a millisecond, so drift in the machine's speed matters more
    than in the other rows: pairing each round of ours with a round of the reference, in
    alternating order, cancels most of it.
    """
    rng = np.random.default_rng(0)
    net = TwoLayerNet(784, 50, 10, rng=0)
    ref = book.BookTwoLayerNet(net.params)
    x = rng.random((100, 784))
    t = np.eye(10)[rng.integers(0, 10, 100)]
    bp = Backprop()
    ratios, ours, theirs = [], [], []
    pair = [lambda: bp.gradient(net, x, t), lambda: ref.gradient(x, t)]
    for fn in pair:
        fn()
    for i in range(max(repeats, 61)):
        spent = []
        for fn in pair if i % 2 == 0 else pair[::-1]:
            start = time.perf_counter()
            for _ in range(50):
                fn()
            spent.append((time.perf_counter() - start) / 50)
        a, b = spent if i % 2 == 0 else spent[::-1]
        ours.append(a)
        theirs.append(b)
        ratios.append(a / b)
    print(
        f"{'backprop gradient (784-50-10, batch 100)':<46} {statistics.median(ours):>10.5f} s "
        f"{statistics.median(theirs):>10.5f} s {statistics.median(ratios):>7.3f}  median of "
        f"{len(ratios)} paired rounds' ratios (quartiles {np.percentile(ratios, 25):.3f}-"
        f"{np.percentile(ratios, 75):.3f})",
        flush=True,
    )


def main_job(x: Any, t: Any, xt: Any, tt: Any, iters: int) -> list[float]:
    net = TwoLayerNet(784, 50, 10, rng=0)
    trainer = Trainer(
        net, SGD(lr=0.1), batch_size=100,
        callbacks=[EpochAccuracy(train=(x, t), test=(xt, tt))], rng=1,
    )  # fmt: skip
    return trainer.fit(x, t, iters=iters).test_acc_list


def plain_loop(x: Any, t: Any, xt: Any, tt: Any, iters: int) -> list[float]:
    """The book's ``ch04/train_neuralnet.py`` loop, with tinynn's seeds for the same run."""
    network = book.BookTwoLayerNet(TwoLayerNet(784, 50, 10, rng=0).params)
    rng = np.random.default_rng(1)
    train_size, batch_size, lr = x.shape[0], 100, 0.1
    iter_per_epoch = max(train_size // batch_size, 1)
    train_loss_list, train_acc_list, test_acc_list = [], [], []
    for i in range(iters):
        batch_mask = rng.choice(train_size, batch_size)
        x_batch, t_batch = x[batch_mask], t[batch_mask]
        grad = network.gradient(x_batch, t_batch)
        for key in ("W1", "b1", "W2", "b2"):
            network.params[key] -= lr * grad[key]
        train_loss_list.append(network.loss(x_batch, t_batch))
        if i % iter_per_epoch == 0:
            train_acc_list.append(network.accuracy(x, t))
            test_acc_list.append(network.accuracy(xt, tt))
    return test_acc_list


def bench_main_job(repeats: int, iters: int) -> None:
    from tinynn.datasets import load_mnist

    (x, t), (xt, tt) = load_mnist(normalize=True, one_hot_label=True)
    for dtype in (np.float32, np.float64):
        xd, xtd = x.astype(dtype), xt.astype(dtype)
        mem_ours = peak_memory(lambda: main_job(xd, t, xtd, tt, 601))  # noqa: B023
        mem_ref = peak_memory(lambda: plain_loop(xd, t, xtd, tt, 601))  # noqa: B023
        results: dict[str, list[float]] = {}
        times: dict[str, list[float]] = {"ours": [], "ref": []}
        for _ in range(repeats):  # alternately; every run also checks the accuracies agree
            for key, fn in (("ours", main_job), ("ref", plain_loop)):
                start = time.perf_counter()
                results[key] = fn(xd, t, xtd, tt, iters)
                times[key].append(time.perf_counter() - start)
            assert results["ours"] == results["ref"], "the two runs differ"
        row(
            f"main job, {iters} iterations, {np.dtype(dtype).name} data",
            statistics.median(times["ours"]),
            statistics.median(times["ref"]),
            f"same {len(results['ours'])} test accuracies (last {results['ours'][-1]}); peak "
            f"memory allocated {mem_ours:.0f} MB vs {mem_ref:.0f} MB (first 601 iterations)",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and iterations")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats (5; quick 1)")
    parser.add_argument("--iters", type=int, default=None, help="main-job iterations (10000)")
    parser.add_argument(
        "--only", choices=("numerical", "sparsity", "layers", "backprop", "main"), default=None
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)
    iters = args.iters or (2000 if args.quick else 10000)
    print(
        f"tinynn speed: Python {platform.python_version()}, NumPy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} cores, median of {repeats} alternated repeats"
    )
    print(f"{'operation':<46} {'tinynn':>12} {'reference':>12} {'ratio':>7}")
    if args.only in (None, "numerical"):
        bench_numerical(repeats)
    if args.only in (None, "sparsity"):
        bench_sparsity(repeats)
    if args.only in (None, "layers"):
        bench_layers(repeats)
    if args.only in (None, "backprop"):
        bench_backprop(repeats)
    if args.only in (None, "main"):
        bench_main_job(repeats, iters)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
