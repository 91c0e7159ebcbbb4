"""The speed-up of a random search on 2 worker processes over 1, on this machine.

A search of the book's shape (``tinynn search``'s defaults but shorter: 8 trials of 10
epochs on the first 500 training images, the book's MultiLayerNet of six hidden layers of
100) runs on a ``WorkerPool(1)`` and on a ``WorkerPool(2)``, alternately (1, 2, 2, 1, 1,
2, ...: interleaved, so that a change in the machine's load hits both alike), each time
from the start: the pool's processes start, load MNIST and run the trials. The figure is
the ratio of the medians, time(1 worker) / time(2 workers), and the median of the ratios
of the pairs. ``--serial`` also times the search in this process (no pool; NumPy's BLAS
with its own threads), the default of ``tinynn search``.

The machine may be shared: the script prints the load average before and after, whether
the results were the same table every time (they must be), and, as the reference measured
in the same run, what 2 processes give over 1 for work that needs no memory and no library
at all (a pure-Python loop, 8 tasks; each run interleaved with the searches'): the most a
search could gain on this machine at this moment.

    TINYNN_DATA=/path/to/datasets python benchmarks/bench_search.py [--repeats 5] [--serial]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from tinynn.training.search import SearchPlan, SearchResult, load_split, random_search
from tinynn.training.workers import WorkerPool


def spin(n: int) -> int:
    """Pure-Python work: the reference for what two processes can give here."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def timed_spin(workers: int, tasks: int = 8, n: int = 2_000_000) -> float:
    start = time.perf_counter()
    with WorkerPool(workers) as pool:
        list(pool.map(spin, [n] * tasks))
    return time.perf_counter() - start


def timed_search(plan: SearchPlan, workers: int | None) -> tuple[float, SearchResult]:
    start = time.perf_counter()
    if workers is None:
        result = random_search(plan)
    else:
        with WorkerPool(workers) as pool:
            result = random_search(plan, executor=pool)
    return time.perf_counter() - start, result


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--repeats", type=int, default=5, help="pairs of runs (5)")
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--train-size", type=int, default=500)
    p.add_argument("--serial", action="store_true", help="also time the in-process search")
    args = p.parse_args()
    plan = SearchPlan(trials=args.trials, epochs=args.epochs, train_size=args.train_size)
    load_split((plan.train_size, plan.validation, plan.seed), None)  # the npz cache, warm
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()}")
    print(f"search: {plan.trials} trials of {plan.epochs} epochs on {plan.train_size} images")
    kinds: list[int | None] = [1, 2, *([None] if args.serial else [])]
    times: dict[int | None, list[float]] = {k: [] for k in kinds}
    tables = set()
    spins: dict[int, list[float]] = {1: [], 2: []}
    for rep in range(args.repeats):
        for workers in kinds if rep % 2 == 0 else kinds[::-1]:
            seconds, result = timed_search(plan, workers)
            times[workers].append(seconds)
            tables.add(repr(result.table()))
            name = "in-process" if workers is None else f"{workers} worker(s)"
            print(f"  repeat {rep + 1}: {name:>12}: {seconds:6.2f} s", flush=True)
            if workers is not None:
                spins[workers].append(timed_spin(workers))
                print(f"  repeat {rep + 1}: {'loop':>12}: {spins[workers][-1]:6.2f} s "
                      f"({workers} worker(s))", flush=True)  # fmt: skip
    print(f"load average after: {os.getloadavg()}")
    print(f"the same table every time: {len(tables) == 1}")
    one, two = statistics.median(times[1]), statistics.median(times[2])
    pairs = statistics.median(a / b for a, b in zip(times[1], times[2], strict=True))
    print(f"median: 1 worker {one:.2f} s, 2 workers {two:.2f} s")
    print(f"speed-up of 2 workers over 1: {one / two:.2f}x (median of the pairs' ratios "
          f"{pairs:.2f}x)")  # fmt: skip
    loop = statistics.median(spins[1]) / statistics.median(spins[2])
    print(f"reference: 2 processes over 1 for a pure-Python loop: {loop:.2f}x")
    if args.serial:
        serial = statistics.median(times[None])
        print(f"in this process (no pool): {serial:.2f} s, {serial / two:.2f}x the 2 workers' time")


if __name__ == "__main__":
    main()
