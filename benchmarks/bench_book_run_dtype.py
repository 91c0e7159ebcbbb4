"""The book's Chapter 4 run in float64 and in float32: final accuracies and training time.

The run of ``tinynn train`` with its defaults (``TwoLayerNet`` 784-50-10, SGD lr 0.1, batch
100, 10,000 iterations, accuracy on both sets at every epoch, seed 0), once with the
default ``--dtype float64`` and once with ``--dtype float32`` (issue 24: the float32 run must
end within 0.005 of the float64 accuracies). Both are :class:`tinynn.cli.book_run.BookRun`,
as the command runs them, with the BLAS threads it chooses, one after the other in this
process; the order alternates over ``--repeats``, and the table gives each run's final
accuracies (the network after the 10,000th iteration, on all 60,000 training and 10,000
test images), the largest difference of any mini-batch loss between the two, and the wall
time of the training (with the per-epoch evaluations) and its ratio. Absolute times vary by
up to 3x between sessions on shared machines; compare the ratio.

    TINYNN_DATA=... python benchmarks/bench_book_run_dtype.py       # about 1.5 minutes
    TINYNN_DATA=... python benchmarks/bench_book_run_dtype.py --iters 2000 --repeats 3

Needs MNIST on disk (``TINYNN_DATA`` or the user cache); never downloads. The slow test
``tests/test_dtype_book_run.py`` asserts the accuracies of the whole run.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinynn.cli.book_run import BookRun
from tinynn.cli.options import RunOptions
from tinynn.datasets import load_mnist


def run(dtype: str, iters: int, data: Any) -> tuple[dict[str, float], list[float], float]:
    """One run: final accuracies, the mini-batch losses and the wall time of ``fit``."""
    book = BookRun(RunOptions.make(dtype=dtype, iters=iters), *data, stream=io.StringIO())
    start = time.perf_counter()
    book.fit()
    seconds = time.perf_counter() - start
    assert all(p.dtype == np.dtype(dtype) for p in book.net.params.values())
    return book.final_accuracies(), list(book.trainer.history.train_loss_list), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--iters", type=int, default=10000, help="iterations of each run")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each dtype")
    args = parser.parse_args(argv)
    data = load_mnist(normalize=True, one_hot_label=True, download=False)
    print(f"The book's Chapter 4 run, {args.iters} iterations, seed 0, float64 and float32, "
          f"{args.repeats} run(s) each; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    results: dict[str, list[tuple[dict[str, float], list[float], float]]] = {
        "float64": [], "float32": []
    }  # fmt: skip
    for r in range(args.repeats):
        for dtype in ("float64", "float32") if r % 2 == 0 else ("float32", "float64"):
            results[dtype].append(run(dtype, args.iters, data))
    losses = [np.array(results[d][0][1]) for d in ("float64", "float32")]
    times = {d: statistics.median(s for *_, s in results[d]) for d in results}
    for dtype in ("float64", "float32"):
        final = results[dtype][0][0]
        print(f"  {dtype}: train acc {final['train']:.4f}, test acc {final['test']:.4f}, "
              f"training {times[dtype]:.1f} s (median)")  # fmt: skip
    a, b = results["float64"][0][0], results["float32"][0][0]
    print(f"  float32 - float64: train {b['train'] - a['train']:+.4f}, test "
          f"{b['test'] - a['test']:+.4f}; mini-batch losses within "
          f"{np.max(np.abs(losses[1] - losses[0])):.1e}; time ratio "
          f"{times['float32'] / times['float64']:.2f}")  # fmt: skip
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
