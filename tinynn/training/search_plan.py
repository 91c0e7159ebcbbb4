"""What a search is made of: its plan, its trials and their results, as plain data.

A :class:`SearchPlan` decides everything (the trials' hyper-parameters are drawn from it up
front, each from its own ``SeedSequence``); a :class:`Trial` is one draw, a
:class:`TrialResult` what its training gave, as one JSON object of the search's log.

Book section
------------
6.5.2 (random search), 6.5.3 (``__train(lr, weight_decay)``, ``results_val``)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = ["FREE", "SPLIT", "TRIALS", "SearchPlan", "Trial", "TrialResult"]

#: The first ``spawn_key`` entry of the validation split's and of the trials' SeedSequences.
SPLIT, TRIALS = 0, 1
#: Plan fields that a resumed search may change: they change no trial's result.
FREE = ("trials",)


def _check_range(value: object, name: str) -> tuple[float, float]:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        try:
            low, high = (float(v) for v in value)
        except (TypeError, ValueError):
            low = high = math.nan
        if all(math.isfinite(v) and v > 0 for v in (low, high)) and low <= high:
            return low, high
    raise ValueError(f"{name} must be a pair (low, high) with 0 < low <= high, got {value!r}")


def _check_int(value: object, name: str, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an int >= {least}, got {value!r}")


@dataclass(frozen=True)
class SearchPlan:
    """Everything that decides a search's results (the book's search by default).

    Parameters
    ----------
    trials : int, default 100
        How many random trials.
    epochs : int, default 50
        Epochs of training per trial.
    train_size : int, default 500
        How many of MNIST's training images (the first ones) to split.
    lr, weight_decay : (float, float)
        The ranges, drawn log-uniformly: ``10 ** uniform(log10(low), log10(high))``.
    seed : int, default 0
        The seed of the split and of every trial.
    validation : float, default 0.2
        The share of the images kept for validation.
    batch_size : int, default 100
        Mini-batch size.
    hidden : tuple of int
        The hidden layers' sizes (the book's six of 100).

    Raises
    ------
    ValueError
        If a count is not a positive int, a range is not ``0 < low <= high``, or the
        validation share leaves no image on either side.

    Book section
    ------------
    6.5.2 (the ranges: learning rate 1e-6 to 1e-2, weight decay 1e-8 to 1e-4)

    Examples
    --------
    >>> plan = SearchPlan(trials=3, seed=1)
    >>> [t.index for t in plan.planned()]
    [0, 1, 2]
    >>> SearchPlan(trials=5).planned()[:3] == SearchPlan(trials=3).planned()
    True
    >>> SearchPlan(lr=(0.1, 0.01))
    Traceback (most recent call last):
    ...
    ValueError: lr must be a pair (low, high) with 0 < low <= high, got (0.1, 0.01)
    """

    trials: int = 100
    epochs: int = 50
    train_size: int = 500
    lr: tuple[float, float] = (1e-6, 1e-2)
    weight_decay: tuple[float, float] = (1e-8, 1e-4)
    seed: int = 0
    validation: float = 0.2
    batch_size: int = 100
    hidden: tuple[int, ...] = field(default=(100,) * 6)

    def __post_init__(self) -> None:
        for name in ("trials", "epochs", "train_size", "batch_size"):
            _check_int(getattr(self, name), name, 1)
        _check_int(self.seed, "seed", 0)
        object.__setattr__(self, "lr", _check_range(self.lr, "lr"))
        object.__setattr__(self, "weight_decay", _check_range(self.weight_decay, "weight_decay"))
        if not isinstance(self.hidden, (tuple, list)) or not self.hidden:
            raise ValueError(f"hidden must be a tuple of layer sizes, got {self.hidden!r}")
        for size in self.hidden:
            _check_int(size, "each hidden size", 1)
        object.__setattr__(self, "hidden", tuple(self.hidden))
        n_val = int(self.train_size * float(self.validation))
        if not 0 < n_val < self.train_size:
            raise ValueError(
                f"validation={self.validation!r} of train_size={self.train_size} leaves "
                f"{n_val} validation and {self.train_size - n_val} training images; both must "
                "be at least 1"
            )

    def planned(self) -> list[Trial]:
        """Every trial's hyper-parameters, drawn up front: trial ``i`` from its own
        ``SeedSequence(seed, spawn_key=(1, i))``, weight decay first (as the book)."""
        out = []
        for i in range(self.trials):
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(TRIALS, i)))
            decay = 10 ** rng.uniform(*np.log10(self.weight_decay))
            lr = 10 ** rng.uniform(*np.log10(self.lr))
            out.append(Trial(i, float(lr), float(decay), self.seed))
        return out

    def as_dict(self) -> dict[str, Any]:
        """The plan as JSON values (lists for the tuples)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchPlan:
        """The plan that :meth:`as_dict` gave (its checks run again)."""
        names = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown search plan fields {unknown}; known: {sorted(names)}")
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                  for k, v in data.items()}  # fmt: skip
        return cls(**values)


@dataclass(frozen=True)
class Trial:
    """One trial's hyper-parameters, and where its generators come from.

    Book section
    ------------
    6.5.3 (one trial: ``__train(lr, weight_decay)``)
    """

    index: int
    lr: float
    weight_decay: float
    seed: int

    def seeds(self) -> list[np.random.SeedSequence]:
        """The generators of the weights and of the mini-batches."""
        seq = np.random.SeedSequence(self.seed, spawn_key=(TRIALS, self.index))
        return seq.spawn(2)

    @property
    def key(self) -> str:
        """The book's key of the trial's results: ``"lr:..., weight decay:..."``."""
        return f"lr:{self.lr}, weight decay:{self.weight_decay}"


@dataclass(frozen=True)
class TrialResult:
    """What one trial gave: the accuracies after every epoch, and its time.

    ``diverged`` holds the trainer's message when training went to NaN (the curves then
    stop where it did). ``seconds`` is the trial's own time, wherever it ran.

    Book section
    ------------
    6.5.3 (``results_val``, ``results_train``)
    """

    trial: Trial
    val_acc: tuple[float, ...]
    train_acc: tuple[float, ...]
    seconds: float = 0.0
    diverged: str | None = None

    def record(self) -> dict[str, Any]:
        """The trial as one JSON object (a line of the log)."""
        return {
            "trial": self.trial.index, "lr": self.trial.lr,
            "weight_decay": self.trial.weight_decay, "seed": self.trial.seed,
            "val_acc": list(self.val_acc), "train_acc": list(self.train_acc),
            "seconds": self.seconds, "diverged": self.diverged,
        }  # fmt: skip

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> TrialResult:
        trial = Trial(int(data["trial"]), float(data["lr"]), float(data["weight_decay"]),
                      int(data["seed"]))  # fmt: skip
        val, train = tuple(map(float, data["val_acc"])), tuple(map(float, data["train_acc"]))
        return cls(trial, val, train, float(data["seconds"]), data.get("diverged"))
