"""Checking the trainer's gradient against a reference on a few entries, during training.

Book section
------------
5.7.3 (gradient check), done while training as in 4.5.2
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..base import BindsLoss, GradientEstimator, Model, Stateful
from ..estimators import NumericalDiff
from ..estimators.model import training
from ..typing import ArrayLike
from ..utils.validation import as_generator, check_positive_int
from .base import Callback, Logs

__all__ = ["GradientAgreement"]

#: Floor of the denominator of the relative difference, as in :func:`~tinynn.gradient_check`.
_FLOOR = 1e-8


def _bound_loss(model: Model, x: ArrayLike, t: ArrayLike) -> Callable[[], float]:
    if isinstance(model, BindsLoss):
        return model.bind_loss(x, t)
    return lambda: model.loss(x, t)


class GradientAgreement(Callback):
    """Compare the trainer's gradient with a reference on ``coordinates`` sampled entries.

    Parameters
    ----------
    reference : GradientEstimator, optional
        The trusted estimator; :class:`~tinynn.NumericalDiff` by default. For
        a ``NumericalDiff``, only the sampled entries are computed (a central
        difference with its ``h`` on each: two loss evaluations per entry),
        so the check stays cheap; any other estimator computes its whole
        gradient, which is then compared on the same entries.
    every : int, default 100
        Check after every this many iterations (and after the first).
    coordinates : int, default 10
        Entries sampled (without replacement, over all parameters) per check.
    rng : numpy.random.Generator or int, default 0
        Source of the sampled entries (not the trainer's generator, so the
        run's mini-batches do not change).

    Notes
    -----
    On the trainer's current mini-batch and parameters, for each sampled
    entry :math:`w` with estimate :math:`a` and reference :math:`b`:

    .. math:: r = \\frac{|a - b|}{\\max(|a| + |b|, 10^{-8})}

    The largest :math:`r` since the previous epoch boundary goes into the
    epoch logs as ``grad_disagreement`` (NaN if no check ran in between).
    Backprop against the default numerical reference gives 1e-7 to 1e-5
    (see :func:`~tinynn.gradient_check` for why not less); a wrong backward
    pass gives ~1.
    Order -5: a writer of the logs. Its generator's state is saved by
    :class:`~tinynn.Checkpoint`.

    Book section
    ------------
    5.7.3 (gradient check), done while training as in 4.5.2

    Examples
    --------
    >>> from tinynn import SGD, Trainer, TwoLayerNet
    >>> x = np.random.default_rng(0).random((40, 4))
    >>> t = (x[:, 0] > 0.5).astype(int)
    >>> check = GradientAgreement(every=5, coordinates=8)
    >>> trainer = Trainer(TwoLayerNet(4, 8, 2, rng=1), SGD(lr=0.5), batch_size=10,
    ...                   callbacks=[check], rng=2)
    >>> history = trainer.fit(x, t, iters=12)
    >>> max(history.history["grad_disagreement"]) < 1e-5
    True
    """

    order: ClassVar[int] = -5

    def __init__(
        self,
        reference: GradientEstimator | None = None,
        *,
        every: int = 100,
        coordinates: int = 10,
        rng: np.random.Generator | int | None = 0,
    ) -> None:
        super().__init__()
        if reference is not None and not isinstance(reference, GradientEstimator):
            raise TypeError(f"reference is a {type(reference).__name__}, not a GradientEstimator")
        check_positive_int(every, "every")
        check_positive_int(coordinates, "coordinates")
        self.reference: GradientEstimator = NumericalDiff() if reference is None else reference
        self.every = every
        self.coordinates = coordinates
        self.rng = as_generator(rng)
        self.worst = math.nan
        self.last: float = math.nan

    def on_train_begin(self, logs: Logs) -> None:
        """Nothing checked yet in this epoch."""
        self.worst = math.nan

    def _sample(self, sizes: list[int]) -> list[tuple[int, int]]:
        total = sum(sizes)
        flat = self.rng.choice(total, size=min(self.coordinates, total), replace=False)
        offsets = np.cumsum([0, *sizes])
        which = np.searchsorted(offsets, flat, side="right") - 1
        return [(int(k), int(j - offsets[k])) for k, j in zip(which, flat, strict=True)]

    def check(self, x: ArrayLike, t: ArrayLike) -> float:
        """The largest relative difference on freshly sampled entries, for batch ``(x, t)``."""
        model = self.trainer.model
        kept = model.state_dict() if isinstance(model, Stateful) else None
        try:  # one training step: the estimate and the reference see the same masks
            with training(model):
                return self._check(model, x, t)
        finally:  # a check does not change the run: its draws are undone
            if kept is not None and isinstance(model, Stateful):
                model.load_state_dict(kept)

    def _check(self, model: Model, x: ArrayLike, t: ArrayLike) -> float:
        names = list(model.params)
        arrays = [model.params[name] for name in names]
        picks = self._sample([a.size for a in arrays])
        estimate = self.trainer.estimator.gradient(model, x, t)
        if isinstance(self.reference, NumericalDiff):
            loss, h = _bound_loss(model, x, t), self.reference.h
            reference = []
            for k, j in picks:
                index = np.unravel_index(j, arrays[k].shape)
                old = arrays[k][index]
                try:
                    arrays[k][index] = old + h
                    f_plus = loss()
                    arrays[k][index] = old - h
                    f_minus = loss()
                finally:
                    arrays[k][index] = old
                reference.append((f_plus - f_minus) / (2 * h))
        else:
            full = self.reference.gradient(model, x, t)
            reference = [float(np.asarray(full[names[k]]).reshape(-1)[j]) for k, j in picks]
        a = np.array([np.asarray(estimate[names[k]]).reshape(-1)[j] for k, j in picks])
        b = np.array(reference, dtype=np.float64)
        rel = np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), _FLOOR)
        return float(np.max(rel))

    def on_iteration_end(self, iteration: int, logs: Logs) -> None:
        """Check on the current mini-batch every ``every`` iterations."""
        if iteration % self.every != 0 or self.trainer.batch is None:
            return
        self.last = self.check(*self.trainer.batch)
        self.worst = self.last if math.isnan(self.worst) else max(self.worst, self.last)

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Write ``grad_disagreement`` and start over."""
        logs["grad_disagreement"] = self.worst
        self.worst = math.nan

    def state_dict(self) -> dict[str, Any]:
        """The sampling generator's state and the largest difference not yet logged."""
        return {"rng": self.rng.bit_generator.state, "worst": self.worst}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state returned by :meth:`state_dict`."""
        try:
            self.rng.bit_generator.state = dict(state["rng"])
            self.worst = float(state["worst"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a GradientAgreement state: {exc!r}") from exc
