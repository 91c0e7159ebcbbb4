"""Telling divergence apart from other failures, and saying so in terms of the learning rate.

Training diverges when a step is too large: the loss or the gradient becomes
NaN or infinite. The trainer raises ``FloatingPointError`` naming the
iteration, the last finite loss and the optimizer's ``lr``, also when the
non-finite values first show as an estimator's or optimizer's ``ValueError``
(which rejects NaN in its input).

Book section
------------
4.4.1 (too large a learning rate diverges), 4.5.2 (the training loop)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["diverged", "raise_if_diverged"]


def diverged(losses: Sequence[float], lr: object, i: int, what: str) -> FloatingPointError:
    """The error for divergence at iteration ``i``, ``what`` naming the non-finite value.

    ``losses`` are the run's mini-batch losses so far, ``lr`` the optimizer's rate.
    """
    finite = [(k, v) for k, v in enumerate(losses) if math.isfinite(v)]
    last = f"{finite[-1][1]:.6g} at iteration {finite[-1][0]}" if finite else "none"
    hint = (
        f"the learning rate lr={lr!r} is probably too large"
        if lr is not None
        else "a smaller step size may help"
    )
    return FloatingPointError(
        f"training diverged at iteration {i}: {what} (last finite loss: {last}); {hint}"
    )


def raise_if_diverged(
    exc: BaseException,
    i: int,
    grads: object,
    batch_loss: Callable[[], float] | None,
    losses: Sequence[float],
    lr: object,
) -> None:
    """Raise divergence from ``exc`` (an estimator's or optimizer's error) if NaN caused it.

    ``batch_loss`` computes the loss of the iteration's mini-batch (``None``: no batch).
    """
    if not isinstance(exc, (ValueError, ArithmeticError)) or batch_loss is None:
        return
    if isinstance(grads, dict) and not all(np.all(np.isfinite(g)) for g in grads.values()):
        raise diverged(losses, lr, i, "the gradient holds NaN or infinity") from exc
    try:
        loss = batch_loss()
    except Exception:
        return
    if not math.isfinite(loss):
        raise diverged(losses, lr, i, f"the mini-batch loss is {loss} before the update") from exc
