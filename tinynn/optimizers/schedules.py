"""Learning-rate schedules: the learning rate as a function of the step.

Any optimizer takes a schedule where it takes a number: ``SGD(lr=StepDecay(0.1, 3000))``.
A schedule is anything callable as ``schedule(step) -> lr``, where ``step`` counts the
updates made before this one (0 for the first); the optimizer counts its updates in its
state, so a checkpoint that saves the optimizer's state resumes the schedule exactly. Your
own schedule is a function::

    def halving(step: int) -> float:
        return 0.1 * 0.5 ** (step // 1000)

    opt = SGD(lr=halving)

The optimizer refuses at construction what cannot be a schedule (the class
``StepDecay`` where an instance is meant, a function that takes no step), and checks every
value it gets (a finite number > 0), naming the schedule and the step when one is not.
The classes here are frozen dataclasses, so two equal schedules compare equal and print
the same, which is how a resumed run knows it has the same one.

Book section
------------
6.1 (the learning rate :math:`\\eta` of every update rule; the book keeps it fixed)
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..utils.validation import check_fraction, check_positive, check_positive_int, is_number

__all__ = [
    "CosineDecay",
    "ExponentialDecay",
    "LinearWarmup",
    "Schedule",
    "StepDecay",
    "check_learning_rate",
    "check_schedule",
]


@runtime_checkable
class Schedule(Protocol):
    """A learning rate that depends on the step: ``schedule(step) -> lr``.

    ``step`` is the number of updates made before the current one (0, 1, 2, ...).
    A plain function fits.

    Book section
    ------------
    6.1 (the learning rate of the update rules)
    """

    def __call__(self, step: int, /) -> float:
        """The learning rate of update number ``step + 1``."""
        ...


@dataclass(frozen=True)
class StepDecay:
    """The rate multiplied by ``gamma`` every ``step_size`` updates.

    Parameters
    ----------
    lr : float
        The initial learning rate.
    step_size : int
        Updates between two decays.
    gamma : float, default 0.1
        The factor, in ``(0, 1]``.

    Notes
    -----
    .. math:: \\eta_t = \\eta_0 \\, \\gamma^{\\lfloor t / s \\rfloor}

    Book section
    ------------
    6.1 (the learning rate)

    Examples
    --------
    >>> schedule = StepDecay(0.1, step_size=100, gamma=0.5)
    >>> schedule(0), schedule(99), schedule(100), schedule(250)
    (0.1, 0.1, 0.05, 0.025)
    """

    lr: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        check_positive(self.lr, "lr")
        check_positive_int(self.step_size, "step_size")
        _check_factor(self.gamma, "gamma")

    def __call__(self, step: int) -> float:
        """``lr * gamma ** (step // step_size)``."""
        return float(self.lr * self.gamma ** (step // self.step_size))


@dataclass(frozen=True)
class ExponentialDecay:
    """The rate multiplied by ``decay_rate`` every ``decay_steps`` updates, smoothly.

    Parameters
    ----------
    lr : float
        The initial learning rate.
    decay_steps : int
        Updates over which the rate is multiplied by ``decay_rate``.
    decay_rate : float
        The factor, in ``(0, 1]``.

    Notes
    -----
    .. math:: \\eta_t = \\eta_0 \\, r^{t / s}

    Book section
    ------------
    6.1 (the learning rate)

    Examples
    --------
    >>> schedule = ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.5)
    >>> schedule(0), schedule(500), schedule(1000)
    (0.1, 0.07071067811865477, 0.05)
    """

    lr: float
    decay_steps: int
    decay_rate: float

    def __post_init__(self) -> None:
        check_positive(self.lr, "lr")
        check_positive_int(self.decay_steps, "decay_steps")
        _check_factor(self.decay_rate, "decay_rate")

    def __call__(self, step: int) -> float:
        """``lr * decay_rate ** (step / decay_steps)``."""
        return float(self.lr * self.decay_rate ** (step / self.decay_steps))


@dataclass(frozen=True)
class CosineDecay:
    """Half a cosine from ``lr`` down to ``alpha * lr`` over ``decay_steps``, then flat.

    Parameters
    ----------
    lr : float
        The initial learning rate.
    decay_steps : int
        Updates over which the rate falls.
    alpha : float, default 0.0
        The final rate as a fraction of ``lr``, in ``[0, 1)``. With 0 the last
        steps' rate approaches 0 but stays positive until ``decay_steps`` (where it is
        0, which the optimizer refuses: give ``decay_steps`` at least the number of
        updates, or ``alpha > 0``).

    Notes
    -----
    .. math:: \\eta_t = \\eta_0 \\left(\\alpha + (1 - \\alpha)
              \\frac{1 + \\cos(\\pi \\min(t, s) / s)}{2}\\right)

    (Loshchilov and Hutter, "SGDR", arXiv:1608.03983, without restarts.)

    Book section
    ------------
    6.1 (the learning rate)

    Examples
    --------
    >>> schedule = CosineDecay(0.1, decay_steps=100, alpha=0.1)
    >>> schedule(0), round(schedule(50), 12), schedule(100), schedule(500)
    (0.1, 0.055, 0.01, 0.01)
    """

    lr: float
    decay_steps: int
    alpha: float = 0.0

    def __post_init__(self) -> None:
        check_positive(self.lr, "lr")
        check_positive_int(self.decay_steps, "decay_steps")
        check_fraction(self.alpha, "alpha")

    def __call__(self, step: int) -> float:
        """The cosine between ``lr`` and ``alpha * lr``; see the notes."""
        progress = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return float(self.lr * (self.alpha + (1.0 - self.alpha) * cosine))


@dataclass(frozen=True)
class LinearWarmup:
    """A rate that rises linearly over the first ``warmup_steps`` updates, then follows ``after``.

    Parameters
    ----------
    after : float or Schedule
        The rate (or schedule) from step ``warmup_steps`` on; during the warm-up
        it is scaled by ``(step + 1) / warmup_steps``.
    warmup_steps : int
        The length of the warm-up.

    Notes
    -----
    .. math:: \\eta_t = \\eta^{\\text{after}}_t \\min\\left(1, \\frac{t + 1}{w}\\right)

    The first update uses ``after(0) / warmup_steps`` (never 0, which no update
    rule can use). Wrapping a decay, the decay runs from step 0: ``LinearWarmup(
    CosineDecay(0.1, 10000), 500)`` warms up to the cosine's value at step 499.

    Book section
    ------------
    6.1 (the learning rate)

    Examples
    --------
    >>> schedule = LinearWarmup(0.1, warmup_steps=4)
    >>> [schedule(t) for t in range(6)]
    [0.025, 0.05, 0.075, 0.1, 0.1, 0.1]
    """

    after: float | Schedule
    warmup_steps: int

    def __post_init__(self) -> None:
        if callable(self.after):
            check_schedule(self.after, "after")
        else:
            check_positive(self.after, "after")
        check_positive_int(self.warmup_steps, "warmup_steps")

    def __call__(self, step: int) -> float:
        """``after(step) * min(1, (step + 1) / warmup_steps)``."""
        rate = self.after(step) if callable(self.after) else self.after
        if step + 1 >= self.warmup_steps:
            return float(rate)
        return float(rate * (step + 1) / self.warmup_steps)


def _check_factor(value: float, name: str) -> None:
    check_positive(value, name)
    if value > 1.0:
        raise ValueError(f"{name} must be in (0, 1] (a decay), got {value!r}")


#: What an instance of each schedule class looks like, for a message that got the class.
_EXAMPLES = {
    "StepDecay": "StepDecay(0.1, 100)",
    "ExponentialDecay": "ExponentialDecay(0.1, 1000, 0.5)",
    "CosineDecay": "CosineDecay(0.1, 10000)",
    "LinearWarmup": "LinearWarmup(0.1, 500)",
}


def check_schedule(schedule: object, name: str = "lr") -> None:
    """Raise ``TypeError`` unless ``schedule`` can be called as ``schedule(step)``.

    A class (``SGD(lr=StepDecay)``) is refused with an example of an instance; a
    callable whose signature cannot take one positional ``int`` (``lambda: 0.1``) is
    refused showing its signature. A callable without a signature to read (a NumPy
    ufunc) is taken. The schedule is not called here: a function of yours may count its
    calls or print, so it is called at the updates only, where every value it gives is
    checked (a finite number > 0), naming it and the step.

    Book section
    ------------
    6.1 (the learning rate of the update rules)
    """
    if isinstance(schedule, type):
        example = _EXAMPLES.get(schedule.__name__, f"{schedule.__name__}(...)")
        raise TypeError(
            f"{name} is the class {schedule.__name__}, not a schedule: give an instance, e.g. "
            f"{example} (a schedule is called as schedule(step) -> lr)"
        )
    try:
        signature = inspect.signature(schedule)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # no signature to read (a builtin, a ufunc): trusted
        return
    try:
        signature.bind(0)
    except TypeError:
        empty = inspect.Parameter.empty  # the names are what a reader needs, not the types
        bare = [p.replace(annotation=empty) for p in signature.parameters.values()]
        shown = signature.replace(parameters=bare, return_annotation=empty)
        raise TypeError(
            f"{name} is a callable that cannot be called with one int step: its signature is "
            f"{shown}, and a schedule is called as schedule(step) -> lr, with step the "
            "number of updates made before this one (0 for the first)"
        ) from None


def check_learning_rate(lr: object) -> None:
    """Raise unless ``lr`` is a finite number > 0 or a schedule (a callable ``step -> lr``,
    see :func:`check_schedule`)."""
    if callable(lr):
        check_schedule(lr, "lr")
        return
    if not is_number(lr):
        raise TypeError(
            f"lr must be a number > 0 or a schedule (a callable step -> lr), got {lr!r}"
        )
    check_positive(float(lr), "lr")  # type: ignore[arg-type]
