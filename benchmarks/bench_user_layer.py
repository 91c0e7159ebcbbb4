"""A user's layer and NumericalDiff: the loop without a rule, the structured path with one.

The extending page's ``Tanh`` (``forward`` and ``backward`` only) in a 784-50-10 network
at batch 100: one gradient by ``NumericalDiff()`` before its rule is registered (the book's
loop, with a ``PerformanceWarning`` that says so) and after (``@NumericalDiff.rule_for``,
one method), against the same network with the built-in ``Sigmoid`` measured in the same
run (its rule ships with tinynn), with the largest difference between the two estimates.

    python benchmarks/bench_user_layer.py              # about a minute on 2 cores
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinynn as nn
from tinynn.estimators.numerical import ElementwiseRule


class Tanh:
    """The extending page's layer: its maths and nothing else."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self.grads: dict[str, Any] = {}
        self.out: Any = None

    def forward(self, x: Any) -> Any:
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout: Any) -> Any:
        return dout * (1.0 - self.out**2)


def network(activation: Any) -> nn.Sequential:
    rng = np.random.default_rng(0)
    return nn.Sequential([nn.Affine.random(784, 50, rng=rng), activation,
                          nn.Affine.random(50, 10, rng=rng)])  # fmt: skip


def timed(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    rng = np.random.default_rng(1)
    x, t = rng.random((100, 784)), rng.integers(0, 10, 100)
    tanh, sigmoid = network(Tanh()), network(nn.Sigmoid())
    nd = nn.NumericalDiff()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        loop = nd.gradient(tanh, x, t)
        slow = time.perf_counter() - start
    said = [str(w.message).split(":")[0] for w in caught if w.category is nn.PerformanceWarning]
    print(f"no rule: {slow:.2f} s per gradient (the loop); warned: {said}")

    @nn.NumericalDiff.rule_for(Tanh)
    class TanhRule(ElementwiseRule[Tanh]):
        def apply(self, values: Any) -> Any:
            return np.tanh(values)

    fast = nd.gradient(tanh, x, t)
    diff = max(float(np.max(np.abs(fast[k] - loop[k]))) for k in fast)
    ours = theirs = 0.0
    pairs = []
    for _ in range(7):  # alternated: the user's rule, then the built-in Sigmoid's
        ours = timed(lambda: nd.gradient(tanh, x, t), 1)
        theirs = timed(lambda: nd.gradient(sigmoid, x, t), 1)
        pairs.append((ours, theirs))
    ours = statistics.median(p[0] for p in pairs)
    theirs = statistics.median(p[1] for p in pairs)
    print(f"with its rule: {ours:.4f} s per gradient ({slow / ours:.0f}x faster than without), "
          f"max |diff| from the loop {diff:.1e}; the built-in Sigmoid's network {theirs:.4f} s "
          f"(ratio {ours / theirs:.2f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
