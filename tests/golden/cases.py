"""The golden-gradient cases: every estimator on the book's networks and a Relu stack.

Recorded once, before the estimators' per-layer rules moved out of the layers (issue 15),
by ``python -m tests.golden.record``; ``tests/test_golden_gradients.py`` computes every case
again and compares it with the recording. A refactoring that moves code must not move a
number: on the machine and NumPy build that recorded them, every entry agrees within 1e-13.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinynn import (
    SPSA,
    Affine,
    Backprop,
    ComplexStep,
    NumericalDiff,
    Relu,
    Sequential,
    Sigmoid,
    SimpleNet,
    SoftmaxWithLoss,
    TwoLayerNet,
)
from tinynn.typing import FloatArray, Params

#: (case name, gradient function); the name says model, input, targets and estimator.
Case = tuple[str, Callable[[], Params]]


def _inputs(rng: np.random.Generator, n: int, d: int, kind: str) -> FloatArray:
    x = rng.random((n, d))
    if kind == "sparse":  # MNIST-like: about 80% zeros and a blank border (the sparse path)
        x[rng.random((n, d)) >= 0.2] = 0.0
        x[:, : max(1, d // 10)] = 0.0
    return x


def _targets(rng: np.random.Generator, n: int, c: int, kind: str) -> Any:
    labels = rng.integers(0, c, n)
    if kind == "class":
        return labels
    if kind == "one-hot":
        return np.eye(c)[labels]
    soft = rng.random((n, c)) + 0.05
    return soft / soft.sum(axis=1, keepdims=True)


def _models(rng: np.random.Generator) -> Iterator[tuple[str, Any, int, int, bool]]:
    """(name, model, input size, classes, complex-analytic)."""
    simple = SimpleNet(rng.standard_normal((2, 3)))
    yield "simplenet", simple, 2, 3, True
    simple0 = SimpleNet(rng.standard_normal((2, 3)), delta=0.0)
    yield "simplenet-delta0", simple0, 2, 3, True
    two = TwoLayerNet(16, 7, 5, weight_init_std=0.5, rng=rng)
    two.params["b1"] = 0.3 * rng.standard_normal(7)
    yield "twolayer", two, 16, 5, True
    book = TwoLayerNet(784, 4, 10, weight_init_std=0.1, rng=rng)
    yield "twolayer-784", book, 784, 10, True
    stack = Sequential(
        [
            Affine(0.5 * rng.standard_normal((16, 6)), 0.2 * rng.standard_normal(6)),
            Relu(),
            Affine(0.5 * rng.standard_normal((6, 5)), 0.2 * rng.standard_normal(5)),
            Sigmoid(),
            Affine(0.7 * rng.standard_normal((5, 4))),
        ],
        SoftmaxWithLoss(),
    )
    yield "relu-sigmoid-stack", stack, 16, 4, False


def _estimators(analytic: bool, big: bool) -> Iterator[tuple[str, Any]]:
    yield "backprop", Backprop()
    yield "numerical-central", NumericalDiff()
    yield "numerical-central-loop", NumericalDiff(method="loop")
    if big:  # the 784-input net: the book's configuration only (the loop is slow)
        return
    yield "numerical-forward", NumericalDiff(scheme="forward")
    yield "numerical-backward", NumericalDiff(scheme="backward")
    yield "numerical-forward-loop", NumericalDiff(scheme="forward", method="loop")
    yield "numerical-backward-loop", NumericalDiff(scheme="backward", method="loop")
    yield "numerical-central-3workers", NumericalDiff(workers=3)
    yield "numerical-central-h1e-2", NumericalDiff(h=1e-2)
    yield "spsa", SPSA(k=3, rng=5)
    if analytic:
        yield "complex-step", ComplexStep()


def cases() -> Iterator[Case]:
    """Every case, built from fixed seeds (the same arrays on every call)."""
    rng = np.random.default_rng(20261205)
    for model_name, model, d, c, analytic in _models(rng):
        big = d == 784
        n = 20 if big else 12
        x_kinds = ("dense",) if d == 2 else ("sparse",) if big else ("sparse", "dense")
        for x_kind in x_kinds:
            x = _inputs(rng, n, d, x_kind)
            for t_kind in ("class", "one-hot") if big else ("class", "one-hot", "soft"):
                t = _targets(rng, n, c, t_kind)
                for est_name, estimator in _estimators(analytic, big):
                    name = f"{model_name}/{x_kind}/{t_kind}/{est_name}"

                    def run(estimator: Any = estimator, model: Any = model, x: Any = x,
                            t: Any = t) -> Params:
                        if isinstance(estimator, SPSA):  # a new generator from its seed
                            estimator = SPSA(k=estimator.k, rng=5)
                        return estimator.gradient(model, x, t)

                    yield name, run
