"""What the automatic check of a rule costs: a gradient that checks its rules, and a later one.

The first time ``NumericalDiff`` (or ``ComplexStep``) uses a rule in a process, it checks
the rule against its layer on the layer's input in that gradient (a few dozen forward
passes of one layer). This measures the book's TwoLayerNet (784-50-10, batch 100, MNIST-like
input: 80% zeros) by ``NumericalDiff()``: a gradient whose rules are checked first (each
built-in rule registered again with ``replace=True`` before it, as a new process would
find them) against the next gradient (nothing left to check), alternated, medians. The
complex step's check is measured the same way on a small network (its gradient of the
book's network takes minutes).

    python benchmarks/bench_rule_check.py            # about a minute on 2 cores
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinynn as nn
from tinynn.estimators.complex_step.rule_check import check_new_rules as complex_checks
from tinynn.estimators.numerical.rule_check import check_new_rules as numerical_checks


def unchecked(estimator: Any, model: nn.Sequential) -> None:
    """Register each rule of ``model``'s layers again: its next use checks it."""
    for layer in model.layers:
        estimator.rule_for(type(layer), replace=True)(estimator.rules[type(layer)])
    loss = type(model.loss_layer)
    estimator.loss_rule_for(loss, replace=True)(estimator.loss_rules[loss])


def compare(estimator: Any, model: nn.Sequential, x: Any, t: Any, repeats: int) -> None:
    checks = numerical_checks if isinstance(estimator, nn.NumericalDiff) else complex_checks
    with model.training():
        acts = model.activations(x)
    rows = []
    for _ in range(repeats):
        unchecked(type(estimator), model)
        start = time.perf_counter()
        estimator.gradient(model, x, t)  # checks every rule first
        first = time.perf_counter() - start
        start = time.perf_counter()
        estimator.gradient(model, x, t)
        later = time.perf_counter() - start
        unchecked(type(estimator), model)
        start = time.perf_counter()
        checks(list(model.layers), acts, model.loss_layer, t)  # the check alone
        check = time.perf_counter() - start
        rows.append((first, later, check))
    first, later, check = (statistics.median(r[i] for r in rows) for i in range(3))
    ratio = statistics.median(r[0] / r[1] for r in rows)
    share = statistics.median(r[2] / r[1] for r in rows)
    print(f"{type(estimator).__name__} on {model!r}: first gradient (rules checked) "
          f"{first:.4f} s, later gradients {later:.4f} s, first / later = {ratio:.3f}; "
          f"the check alone {check:.4f} s, {share:.3f} of a later gradient "
          "(once per process)")  # fmt: skip


def main() -> int:
    rng = np.random.default_rng(1)
    x = rng.random((100, 784)) * (rng.random((100, 784)) < 0.2)
    t = rng.integers(0, 10, 100)
    compare(nn.NumericalDiff(), nn.TwoLayerNet(784, 50, 10, rng=0), x, t, 9)
    small = nn.TwoLayerNet(20, 10, 5, weight_init_std=0.5, rng=0)
    compare(nn.ComplexStep(), small, rng.random((10, 20)), rng.integers(0, 5, 10), 9)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
