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

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..base import GradientEstimator, Model, Optimizer, Stateful
from ..estimators.model import training
from ..typing import ArrayLike, Params

__all__ = ["Step"]


class Step:
    """The gradient and the update of one iteration; if either raises, nothing changed.

    Attributes
    ----------
    grads : dict or None
        The gradients of the last step, ``None`` if it failed before they were computed
        (an interrupt inside the estimator rather than the optimizer).

    Book section
    ------------
    4.5.2 (``grad = network.gradient(x_batch, t_batch)``, then the update)
    """

    def __init__(self) -> None:
        self._saved: dict[str, NDArray[Any]] = {}
        self.grads: Params | None = None

    def __call__(
        self,
        estimator: GradientEstimator,
        model: Model,
        optimizer: Optimizer,
        x: ArrayLike,
        t: ArrayLike,
    ) -> Params:
        """``optimizer.update(params, estimator.gradient(model, x, t))``, undone if it raises."""
        params = model.params
        self._copy(params)
        states = [(part, part.state_dict()) for part in (model, optimizer, estimator)
                  if isinstance(part, Stateful)]  # fmt: skip
        self.grads = None
        try:
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
