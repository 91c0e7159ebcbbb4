"""The training loop: mini-batch, gradient, update, repeat.

Book section
------------
4.5.2 (mini-batch learning), 4.5.3 (evaluation per epoch)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validation import as_float_input, as_generator, as_real_array, check_positive_int
from .base import GradientEstimator, Model, Optimizer
from .callbacks import Callback, History, Logs
from .estimators import Backprop
from .typing import ArrayLike

__all__ = ["Trainer"]


class Trainer:
    """Train a model by mini-batch gradient descent, as the book's ``train_neuralnet.py``.

    Parameters
    ----------
    model : Model
        E.g. :class:`~tinynn.TwoLayerNet`.
    optimizer : Optimizer
        E.g. ``SGD(lr=0.1)``.
    estimator : GradientEstimator, optional
        How gradients are computed: :class:`~tinynn.Backprop` (default) or
        :class:`~tinynn.NumericalDiff`.
    batch_size : int, default 100
    callbacks : sequence of Callback
        Run at each iteration and epoch boundary (see :mod:`tinynn.callbacks`).
    rng : numpy.random.Generator or int, optional
        Source of the mini-batch indices. The same seed (and the same initial
        model) gives the same run, bit for bit.

    Notes
    -----
    Each iteration follows the book:

    1. draw ``batch_size`` indices *with replacement*
       (``rng.choice(train_size, batch_size)``);
    2. compute the gradient of the loss on that mini-batch;
    3. let the optimizer update the parameters;
    4. record the mini-batch loss (after the update, as the book does).

    An epoch is ``max(train_size // batch_size, 1)`` iterations. At every
    iteration ``i`` with ``i % iters_per_epoch == 0`` (including ``i = 0``)
    the callbacks' ``on_epoch_end`` runs, where ``EpochAccuracy`` records
    accuracies: 17 records for the book's 10,000 iterations of 600.

    Attributes
    ----------
    history : History
        The record of the last ``fit``.
    stop_training : bool
        Set by a callback to stop after the current iteration.

    Book section
    ------------
    4.5.2 (implementing mini-batch learning), 4.5.3 (evaluating with test data)

    Examples
    --------
    >>> from tinynn import SGD, TwoLayerNet
    >>> rng = np.random.default_rng(0)
    >>> x = rng.random((50, 4))
    >>> t = (x[:, 0] > 0.5).astype(int)
    >>> net = TwoLayerNet(4, 8, 2, weight_init_std=1.0, rng=1)
    >>> trainer = Trainer(net, SGD(lr=0.5), batch_size=10, rng=2)
    >>> history = trainer.fit(x, t, iters=20)
    >>> len(history.train_loss_list), trainer.iters_per_epoch
    (20, 5)
    """

    def __init__(
        self,
        model: Model,
        optimizer: Optimizer,
        estimator: GradientEstimator | None = None,
        *,
        batch_size: int = 100,
        callbacks: Sequence[Callback] = (),
        rng: np.random.Generator | int | None = None,
    ) -> None:
        check_positive_int(batch_size, "batch_size")
        for name, obj, proto in (
            ("model", model, Model),
            ("optimizer", optimizer, Optimizer),
            ("estimator", estimator, GradientEstimator),
        ):
            if obj is not None and not isinstance(obj, proto):
                raise TypeError(
                    f"{name} is a {type(obj).__name__}, which does not have the methods of "
                    f"{proto.__name__}"
                )
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {type(cb).__name__}")
        self.model = model
        self.optimizer = optimizer
        self.estimator: GradientEstimator = Backprop() if estimator is None else estimator
        self.batch_size = batch_size
        self.rng = as_generator(rng)
        self.history = History()
        user = [cb for cb in callbacks if not isinstance(cb, History)]
        self.callbacks: list[Callback] = sorted([*user, self.history], key=lambda cb: cb.order)
        self.stop_training = False
        self.iteration = 0
        self.total_iters = 0
        self.iters_per_epoch = 1

    def fit(
        self, x: ArrayLike, t: ArrayLike, *, iters: int | None = None, epochs: int | None = None
    ) -> History:
        """Train on ``(x, t)`` for ``iters`` iterations (or ``epochs`` epochs).

        Parameters
        ----------
        x : array_like, shape (N, ...)
            Training inputs.
        t : array_like, shape (N,) or (N, C)
            Labels or one-hot rows.
        iters : int, optional
            Number of parameter updates (the book's ``iters_num = 10000``).
        epochs : int, optional
            Alternatively, ``epochs * iters_per_epoch`` iterations.

        Returns
        -------
        History
            Also kept as ``self.history``.

        Raises
        ------
        ValueError
            If ``x`` and ``t`` differ in length, hold NaN or infinity, do not
            fit the model, or neither/both of ``iters`` and ``epochs`` are given.
        """
        # checked and converted to float64 once per fit: mini-batches are then float64
        # already, where the book's loop converts float32 data inside every product
        xa = np.ascontiguousarray(as_float_input(x, "x"), dtype=np.float64)
        ta = as_real_array(t, "t")
        if xa.ndim < 2 or len(xa) == 0:
            raise ValueError(f"x must be a non-empty batch of shape (N, ...), got {xa.shape}")
        if ta.ndim not in (1, 2) or len(ta) != len(xa):
            raise ValueError(
                f"t must hold one label (or one-hot row) per sample of x: x has {len(xa)} "
                f"samples, t has shape {ta.shape}"
            )
        n = len(xa)
        self.iters_per_epoch = max(n // self.batch_size, 1)
        if (iters is None) == (epochs is None):
            raise ValueError("give exactly one of iters= and epochs=")
        if epochs is not None:
            check_positive_int(epochs, "epochs")
            iters = epochs * self.iters_per_epoch
        assert iters is not None
        check_positive_int(iters, "iters")
        self.model.loss(xa[:1], ta[:1])  # model-specific checks before any update
        self.total_iters = iters
        self.stop_training = False
        for cb in self.callbacks:
            cb.set_trainer(self)
        self._call("on_train_begin", {})
        logs: Logs = {}
        for i in range(iters):
            self.iteration = i
            batch_mask = self.rng.choice(n, self.batch_size)
            x_batch, t_batch = xa[batch_mask], ta[batch_mask]
            grads = self.estimator.gradient(self.model, x_batch, t_batch)
            self.optimizer.update(self.model.params, grads)
            logs = {"loss": self.model.loss(x_batch, t_batch)}
            for cb in self.callbacks:
                cb.on_iteration_end(i, logs)
            if i % self.iters_per_epoch == 0:
                epoch_logs: Logs = {"iteration": float(i)}
                for cb in self.callbacks:
                    cb.on_epoch_end(i // self.iters_per_epoch, epoch_logs)
            if self.stop_training:
                break
        self._call("on_train_end", logs)
        return self.history

    def _call(self, hook: str, logs: Logs) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(logs)
