"""Telling divergence apart from other failures, and saying so in terms of the learning rate.

Training diverges when a step is too large: the loss or the gradient becomes
NaN or infinite. The trainer raises ``FloatingPointError`` naming the
iteration, the last finite loss and the optimizer's ``lr``, also when the
non-finite values first show as an estimator's or optimizer's ``ValueError``
(which rejects NaN in its input).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .trainer import Trainer

__all__ = ["diverged", "raise_if_diverged"]


def diverged(trainer: Trainer, i: int, what: str) -> FloatingPointError:
    """The error for divergence at iteration ``i``, ``what`` naming the non-finite value."""
    finite = [(k, v) for k, v in enumerate(trainer.history.train_loss_list) if math.isfinite(v)]
    last = f"{finite[-1][1]:.6g} at iteration {finite[-1][0]}" if finite else "none"
    lr = getattr(trainer.optimizer, "lr", None)
    hint = (
        f"the learning rate lr={lr!r} is probably too large"
        if lr is not None
        else "a smaller step size may help"
    )
    return FloatingPointError(
        f"training diverged at iteration {i}: {what} (last finite loss: {last}); {hint}"
    )


def raise_if_diverged(exc: BaseException, trainer: Trainer, i: int, grads: object) -> None:
    """Raise divergence from ``exc`` (an estimator's or optimizer's error) if NaN caused it."""
    if not isinstance(exc, (ValueError, ArithmeticError)) or trainer.batch is None:
        return
    if isinstance(grads, dict) and not all(np.all(np.isfinite(g)) for g in grads.values()):
        raise diverged(trainer, i, "the gradient holds NaN or infinity") from exc
    try:
        loss = trainer.model.loss(*trainer.batch)
    except Exception:
        return
    if not math.isfinite(loss):
        raise diverged(trainer, i, f"the mini-batch loss is {loss} before the update") from exc
