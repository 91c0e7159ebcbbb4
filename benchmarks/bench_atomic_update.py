"""What the all-or-nothing step costs on the book's main job, measured in one run.

The trainer makes each step all or nothing (``tinynn.training.step.Step``: it copies the
parameters, and the state of the Stateful parts (the model's layers, the optimizer, the
estimator), before the gradient and the update, to put them back if the step raises, e.g.
on a KeyboardInterrupt), and computes the gradient in the model's training mode. This
times the book's run (TwoLayerNet 784-50-10, SGD lr 0.1, batch 100, EpochAccuracy on train
and test every epoch) with it and with a plain ``optimizer.update(params,
estimator.gradient(...))``, in alternate runs of one epoch (600 iterations and one
evaluation, the book's proportion), and reports the medians and the median of the ratios of
each pair (above 1: what the copies cost). Both give the same parameters, bit for bit
(checked). On a shared machine, one BLAS thread keeps the noise down:

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_atomic_update.py            # ~1-2 minutes
    python benchmarks/bench_atomic_update.py --iters 10000 --repeats 3   # the whole book's run

Needs MNIST (``TINYNN_DATA`` or the user cache).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tinynn import SGD, EpochAccuracy, Trainer, TwoLayerNet
from tinynn.base import GradientEstimator, Model, Optimizer
from tinynn.datasets import load_mnist
from tinynn.estimators import Backprop
from tinynn.training.step import Step
from tinynn.typing import ArrayLike, Params


class Plain:
    """The step without undo, for comparison."""

    grads: Params | None = None

    def __call__(
        self, estimator: GradientEstimator, model: Model, optimizer: Optimizer, x: ArrayLike,
        t: ArrayLike,
    ) -> Params:
        grads = estimator.gradient(model, x, t)
        optimizer.update(model.params, grads)
        return grads


def run(data: Any, iters: int, undo: bool) -> tuple[float, dict[str, Any]]:
    """Seconds of ``fit`` for the book's run, and the parameters it ends with."""
    (x, t), (xt, tt) = data
    net = TwoLayerNet(784, 50, 10, rng=0)
    trainer = Trainer(net, SGD(lr=0.1), callbacks=[EpochAccuracy(train=(x, t), test=(xt, tt))],
                      batch_size=100, rng=1)  # fmt: skip
    if not undo:
        trainer._step = Plain()  # type: ignore[assignment]
    start = time.perf_counter()
    trainer.fit(x, t, iters=iters)
    seconds = time.perf_counter() - start
    return seconds, {k: v.copy() for k, v in net.params.items()}


def step_alone(repeats: int = 2000) -> tuple[float, float]:
    """Median microseconds of one step (backprop, SGD) of the book's network on a batch of
    100, with and without undo."""
    net = TwoLayerNet(784, 50, 10, rng=0)
    x = np.random.default_rng(1).random((100, 784))
    t = np.arange(100) % 10
    sgd = SGD(lr=1e-12)
    steps = {True: Step(), False: Plain()}
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(repeats):
        for undo in (True, False):
            start = time.perf_counter()
            steps[undo](Backprop(), net, sgd, x, t)
            times[undo].append((time.perf_counter() - start) * 1e6)
    return statistics.median(times[True]), statistics.median(times[False])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--iters", type=int, default=600, help="iterations per run (600)")
    p.add_argument("--repeats", type=int, default=10, help="runs of each, alternately (10)")
    args = p.parse_args(argv)
    data = load_mnist(normalize=True, one_hot_label=True, download=False)
    times: dict[bool, list[float]] = {True: [], False: []}
    ends: dict[bool, dict[str, Any]] = {}
    run(data, 200, True)  # warm-up
    for k in range(args.repeats):
        for undo in (True, False) if k % 2 == 0 else (False, True):  # who goes first alternates
            seconds, ends[undo] = run(data, args.iters, undo)
            times[undo].append(seconds)
    for name in ends[True]:
        np.testing.assert_array_equal(ends[True][name], ends[False][name])
    with_undo, without = statistics.median(times[True]), statistics.median(times[False])
    ratio = statistics.median(a / b for a, b in zip(times[True], times[False], strict=True))
    per_iter = (with_undo - without) / args.iters * 1e6
    print(f"main job, {args.iters} iterations, {args.repeats} alternate runs each (medians):")
    print(f"  all-or-nothing update {with_undo:8.3f} s   {[round(s, 3) for s in times[True]]}")
    print(f"  plain update          {without:8.3f} s   {[round(s, 3) for s in times[False]]}")
    print(f"  ratio {ratio:.3f} (median of the pairs' ratios; medians differ by {per_iter:+.1f} "
          "us per iteration); same parameters: yes")
    undo_us, plain_us = step_alone()
    print(f"  one step alone (backprop + SGD, batch 100): {undo_us:.1f} us with undo, "
          f"{plain_us:.1f} us without")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
