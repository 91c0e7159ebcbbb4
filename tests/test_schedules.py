"""Learning-rate schedules: their values, their checks, and every optimizer following them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from tinynn import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop
from tinynn.optimizers.schedules import (
    CosineDecay,
    ExponentialDecay,
    LinearWarmup,
    Schedule,
    StepDecay,
)

OPTIMIZERS = [SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam]


def test_step_decay() -> None:
    s = StepDecay(0.2, step_size=3, gamma=0.5)
    assert [s(t) for t in range(7)] == [0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05]


def test_exponential_decay() -> None:
    s = ExponentialDecay(0.2, decay_steps=10, decay_rate=0.25)
    assert s(0) == 0.2
    assert s(10) == pytest.approx(0.05, rel=1e-15)
    assert s(5) == pytest.approx(0.1, rel=1e-15)  # 0.25 ** 0.5 = 0.5


def test_cosine_decay() -> None:
    s = CosineDecay(1.0, decay_steps=4, alpha=0.2)
    expected = [0.2 + 0.8 * 0.5 * (1 + math.cos(math.pi * t / 4)) for t in range(5)]
    assert [s(t) for t in range(5)] == pytest.approx(expected, rel=1e-15)
    assert s(4) == s(100) == pytest.approx(0.2)


def test_linear_warmup_of_a_number_and_of_a_schedule() -> None:
    assert [LinearWarmup(0.4, 4)(t) for t in range(6)] == [0.1, 0.2, 0.30000000000000004, 0.4,
                                                          0.4, 0.4]  # fmt: skip
    decay = StepDecay(1.0, step_size=2, gamma=0.5)
    warm = LinearWarmup(decay, 4)
    assert [warm(t) for t in range(6)] == [0.25, 0.5, 0.375, 0.5, 0.25, 0.25]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: StepDecay(0.0, 10), ValueError, "lr must be a finite number > 0"),
        (lambda: StepDecay(0.1, 0), ValueError, "step_size must be an int >= 1"),
        (lambda: StepDecay(0.1, 2.5), TypeError, "step_size must be an int"),
        (lambda: StepDecay(0.1, 10, gamma=1.5), ValueError, r"gamma must be in \(0, 1\]"),
        (lambda: ExponentialDecay(0.1, 10, decay_rate=0.0), ValueError, "decay_rate"),
        (lambda: CosineDecay(float("nan"), 10), ValueError, "lr must be a finite"),
        (lambda: CosineDecay(0.1, 10, alpha=1.0), ValueError, r"alpha must be a number in \["),
        (lambda: LinearWarmup(-1.0, 10), ValueError, "after must be a finite number > 0"),
        (lambda: LinearWarmup(0.1, 0), ValueError, "warmup_steps"),
        (lambda: SGD(lr="0.1"), TypeError, "a number > 0 or a schedule"),  # type: ignore[arg-type]
        (lambda: Adam(lr=-0.1), ValueError, "lr must be a finite number > 0"),
    ],
)
def test_bad_arguments_are_refused(make: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make()


def test_schedules_are_schedules_and_compare_by_value() -> None:
    for s in (StepDecay(0.1, 5), ExponentialDecay(0.1, 5, 0.5), CosineDecay(0.1, 5),
              LinearWarmup(0.1, 5)):  # fmt: skip
        assert isinstance(s, Schedule)
    assert StepDecay(0.1, 5) == StepDecay(0.1, 5) != StepDecay(0.1, 6)
    assert repr(StepDecay(0.1, 5)) == "StepDecay(lr=0.1, step_size=5, gamma=0.1)"


def sgd_path(lr: Any, steps: int) -> np.ndarray:
    params = {"W": np.zeros(1)}
    opt = SGD(lr=lr)
    for _ in range(steps):
        opt.update(params, {"W": np.ones(1)})
    return params["W"]


def test_sgd_takes_each_step_with_the_schedule_s_rate() -> None:
    schedule = StepDecay(0.5, step_size=2, gamma=0.1)
    # updates 1-2 at 0.5, updates 3-4 at 0.05, update 5 at 0.005
    assert sgd_path(schedule, 5)[0] == pytest.approx(-(0.5 + 0.5 + 0.05 + 0.05 + 0.005))


def test_a_plain_function_is_a_schedule() -> None:
    def halving(step: int) -> float:
        return 0.8 * 0.5**step

    assert sgd_path(halving, 3)[0] == pytest.approx(-(0.8 + 0.4 + 0.2))


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_every_optimizer_equals_a_fixed_rate_while_the_schedule_is_flat(make: Any) -> None:
    """A schedule that gives the same number is the number, bit for bit."""
    rng = np.random.default_rng(0)
    grads = [{"W": rng.standard_normal(3)} for _ in range(4)]
    a, b = {"W": np.ones(3)}, {"W": np.ones(3)}
    fixed, scheduled = make(lr=0.01), make(lr=LinearWarmup(0.01, 1))
    for g in grads:
        fixed.update(a, g)
        scheduled.update(b, g)
    assert np.array_equal(a["W"], b["W"])


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_every_optimizer_changes_its_step_with_the_rate(make: Any) -> None:
    """A schedule that halves the rate after the first update halves the second step
    compared with a fixed rate (for all six, whatever they do with the gradient)."""
    g = {"W": np.array([1.0, -2.0])}

    def second_step(lr: Any) -> np.ndarray:
        p = {"W": np.zeros(2)}
        opt = make(lr=lr)
        opt.update(p, g)
        before = p["W"].copy()
        opt.update(p, g)
        return p["W"] - before

    fixed = second_step(0.1)
    halved = second_step(lambda step: 0.1 if step == 0 else 0.05)
    if make in (Momentum, Nesterov):  # the velocity carries the first step's rate
        assert not np.allclose(halved, fixed)
        assert np.all(np.abs(halved) < np.abs(fixed))
    else:
        assert halved == pytest.approx(fixed / 2, rel=1e-12)


@pytest.mark.parametrize("value", [0.0, -0.1, float("nan"), float("inf")])
def test_a_bad_value_from_a_schedule_is_refused_and_changes_nothing(value: float) -> None:
    def bad(step: int) -> float:
        return 0.1 if step < 2 else value

    params = {"W": np.zeros(2)}
    opt = Adam(lr=bad)
    for _ in range(2):
        opt.update(params, {"W": np.ones(2)})
    before, state = params["W"].copy(), opt.state_dict()
    with pytest.raises(ValueError, match=r"schedule .*bad.* gave lr=.* at step 2: expected a fini"):
        opt.update(params, {"W": np.ones(2)})
    assert np.array_equal(params["W"], before)
    assert opt.state_dict()["t"] == state["t"] == 2


def test_a_schedule_returning_something_else_is_a_type_error() -> None:
    opt = SGD(lr=lambda step: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="gave None at step 0: expected a number"):
        opt.update({"W": np.zeros(1)}, {"W": np.ones(1)})


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_a_loaded_state_continues_the_schedule_where_it_stopped(make: Any) -> None:
    schedule = CosineDecay(0.1, decay_steps=6, alpha=0.1)
    rng = np.random.default_rng(1)
    grads = [{"W": rng.standard_normal(4)} for _ in range(6)]
    whole, opt = {"W": np.ones(4)}, make(lr=schedule)
    for g in grads:
        opt.update(whole, g)
    part, first = {"W": np.ones(4)}, make(lr=schedule)
    for g in grads[:3]:
        first.update(part, g)
    second = make(lr=schedule)
    second.load_state_dict(first.state_dict())
    for g in grads[3:]:
        second.update(part, g)
    assert np.array_equal(part["W"], whole["W"])
