"""One iteration's step, all or nothing: the gradient in training mode, then the update.

Steps 2 and 3 of the book's loop (section 4.5.2) as one unit. The gradient is computed
inside the model's training mode (``model.training()``, where a model has one), whatever
the estimator: a built-in one or a learner's own sees the network that learns (Dropout
drops, Batch Normalization uses the batch's statistics), so the trainer, not each
estimator, keeps that promise. And the step is all or nothing: before it, the parameters
are copied (into buffers kept from one step to the next) and the state of every part that
is :class:`~tinynn.Stateful` is taken (the model's layers, the optimizer, the estimator);
if anything raises, a ``KeyboardInterrupt`` too, all of them are put back before the
exception goes on. So an interrupted iteration did not happen: retried from the same
mini-batch, it draws the same dropout masks and the same random directions.

Book section
------------
4.5.2 (steps 2 and 3 of learning: the gradient, then the update)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..base import GradientEstimator, Model, Optimizer, Stateful
from ..estimators.model import training
from ..typing import ArrayLike, Params

__all__ = ["Augment", "Step", "augmented"]

#: What the trainer's ``augment=`` takes: inputs of a mini-batch in, the same shape out.
Augment = Callable[[NDArray[Any]], NDArray[Any]]


def augmented(augment: Augment, x: NDArray[Any]) -> NDArray[Any]:
    """``augment(x)``, checked to be an array of ``x``'s shape and dtype (the model trusts
    the batches of checked data, so what replaces one is checked here)."""
    moved = augment(x)
    if not isinstance(moved, np.ndarray) or moved.shape != x.shape or moved.dtype != x.dtype:
        got = (f"{moved.dtype} {moved.shape}" if isinstance(moved, np.ndarray)
               else type(moved).__name__)  # fmt: skip
        raise ValueError(
            f"augment={augment!r} must return the batch's shape and dtype, {x.dtype} "
            f"{x.shape}, got {got}"
        )
    return moved


class Step:
    """The gradient and the update of one iteration; if either raises, nothing changed.

    Attributes
    ----------
    grads : dict or None
        The gradients of the last step, ``None`` if it failed before they were computed
        (an interrupt inside the estimator rather than the optimizer).
    inputs : ndarray or None
        The inputs of the last step as the gradient saw them (after ``augment``).

    Book section
    ------------
    4.5.2 (``grad = network.gradient(x_batch, t_batch)``, then the update)
    """

    def __init__(self) -> None:
        self._saved: dict[str, NDArray[Any]] = {}
        self.grads: Params | None = None
        self.inputs: NDArray[Any] | None = None

    def __call__(
        self,
        estimator: GradientEstimator,
        model: Model,
        optimizer: Optimizer,
        x: NDArray[Any],
        t: ArrayLike,
        augment: Augment | None = None,
    ) -> Params:
        """``optimizer.update(params, estimator.gradient(model, augment(x), t))``, undone if
        it raises (the augmentation's state too: a retried batch is moved as the first try
        moved it)."""
        params = model.params
        self._copy(params)
        parts: tuple[object, ...] = (model, optimizer, estimator, augment)
        states: list[tuple[Stateful, dict[str, Any]]] = [
            (part, part.state_dict()) for part in parts if isinstance(part, Stateful)
        ]
        self.grads = None
        self.inputs = x
        try:
            if augment is not None:
                x = self.inputs = augmented(augment, x)
            with training(model):
                grads = estimator.gradient(model, x, t)
            self.grads = grads
            optimizer.update(params, grads)
        except BaseException:
            for name, p in params.items():
                np.copyto(p, self._saved[name])
            for part, state in states:
                part.load_state_dict(state)
            raise
        return grads

    def _copy(self, params: Params) -> None:
        saved = self._saved
        for name, p in params.items():
            copy = saved.get(name)
            if copy is None or copy.shape != p.shape or copy.dtype != p.dtype:
                copy = saved[name] = np.empty_like(p)
            np.copyto(copy, p)
