"""The training loop: mini-batch, gradient, update, repeat; stoppable and resumable.

Book section
------------
4.5.2 (mini-batch learning), 4.5.3 (evaluation per epoch)
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..base import GradientEstimator, Model, Optimizer
from ..callbacks import Callback, History
from ..callbacks import callback_list as hooks
from ..estimators import Backprop
from ..models.checks import in_range
from ..saving.checkpoint_file import write_checkpoint
from ..typing import ArrayLike, FloatArray
from ..utils.validation import (
    as_float_dtype,
    as_float_input,
    as_generator,
    as_real_array,
    check_positive_int,
)
from . import divergence
from .interruption import StopRequest, stopped_message
from .state import Parts, Restored, callback_keys, sections
from .step import Augment, Step
from .unsaved import watch

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
        Run at each iteration and epoch boundary, in order of their ``order``
        (see :mod:`tinynn.callbacks`).
    rng : numpy.random.Generator or int, optional
        Source of the mini-batch indices (and nothing else). The same seed
        (and the same initial model) gives the same run, bit for bit.
    augment : callable, optional
        Applied to each training mini-batch's inputs before its gradient, e.g.
        :class:`~tinynn.Augmentation` (section 8.1.3's shifts and rotations); it must
        return an array of the batch's shape and dtype. Its state, if it is
        :class:`~tinynn.Stateful`, goes into a checkpoint; an interrupted iteration
        puts it back, so that the retried batch is moved as the first try moved it.

    Notes
    -----
    Each iteration follows the book:

    1. draw ``batch_size`` indices *with replacement*
       (``rng.choice(train_size, batch_size)``);
    2. compute the gradient of the loss on that mini-batch;
    3. let the optimizer update the parameters;
    4. record the mini-batch loss (after the update, as the book does) in
       ``history``;
    5. run the callbacks' ``on_iteration_end``, and at every iteration ``i``
       with ``i % iters_per_epoch == 0`` (including ``i = 0``) their
       ``on_epoch_end``, where ``EpochAccuracy`` records accuracies: 17
       records for the book's 10,000 iterations of 600.

    **Stopping.** Ctrl-C finishes the current iteration, runs ``on_train_end``
    (a :class:`~tinynn.Checkpoint` saves), and ``fit`` returns with
    ``interrupted`` set: parameters, optimizer state and history agree, one
    loss per update. A second Ctrl-C aborts at once. The update is all or
    nothing: if the optimizer raises (``KeyboardInterrupt`` too), the
    parameters and a :class:`~tinynn.Stateful` optimizer's state are put back,
    and the iteration is undone (its mini-batch kept in ``pending_batch``).
    A ``KeyboardInterrupt`` from a callback stops once the iteration's other
    callbacks have run. A loss or gradient that becomes NaN or infinite raises
    ``FloatingPointError`` naming the iteration, the last finite loss and ``lr``.

    **Resuming.** ``fit(x, t, iters=N, resume=path)`` continues a checkpoint
    (:class:`~tinynn.Checkpoint`, :meth:`save_checkpoint`) up to iteration
    ``N`` of the whole run, bit for bit as if it had never stopped. It needs
    the same data size, batch size, optimizer class and stateful callbacks;
    the file is checked completely before anything changes. ``on_train_begin``
    runs first, as for a fresh run; then the callbacks' states are restored.

    Attributes
    ----------
    history : History
        The record of the last ``fit``.
    stop_training : bool
        Set by a callback to stop after the current iteration.
    iteration : int
        Index of the current (or last) iteration.
    iterations_done : int
        Updates applied so far in this run; ``len(history.train_loss_list)``.
    interrupted : bool
        Whether the last ``fit`` was stopped by Ctrl-C.
    batch : tuple of ndarray
        The current mini-batch ``(x_batch, t_batch)``, for callbacks.
    train_data : tuple of arrays
        ``(x, x_converted)``: the inputs as given to ``fit`` and as converted once to the
        model's dtype (so that ``EpochAccuracy(train=...)`` need not convert them again).

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
        augment: Augment | None = None,
    ) -> None:
        _check_parts(model, optimizer, estimator, batch_size, callbacks)
        if augment is not None and not callable(augment):
            raise TypeError(f"augment must be callable (e.g. Augmentation), got {augment!r}")
        self.augment = augment
        self.model = model
        self.optimizer = optimizer
        self.estimator: GradientEstimator = Backprop() if estimator is None else estimator
        self.batch_size = batch_size
        self.rng = as_generator(rng)
        self.history = History()
        user = [cb for cb in callbacks if not isinstance(cb, History)]
        self.callbacks: list[Callback] = hooks.in_order([*user, self.history])
        self.stop_training = self.interrupted = False
        self.iteration = self.iterations_done = self.start_iteration = self.total_iters = 0
        self.iters_per_epoch = 1
        self.train_size = 0
        self.pending_batch: NDArray[np.intp] | None = None
        self.batch: tuple[NDArray[Any], NDArray[Any]] | None = None
        self.train_data: tuple[object, NDArray[np.float64]] | None = None
        self._stop, self._step = StopRequest(), Step()
        self._watch = watch(model, optimizer, self.estimator, self.callbacks, augment)

    def fit(
        self,
        x: ArrayLike,
        t: ArrayLike,
        *,
        iters: int | None = None,
        epochs: int | None = None,
        resume: str | os.PathLike[str] | None = None,
    ) -> History:
        """Train on ``(x, t)`` for ``iters`` iterations (or ``epochs`` epochs) in all.

        Parameters
        ----------
        x : array_like, shape (N, ...)
            Training inputs.
        t : array_like, shape (N,) or (N, C)
            Labels or one-hot rows.
        iters : int, optional
            Number of parameter updates of the whole run (the book's
            ``iters_num = 10000``), counting those before a resume.
        epochs : int, optional
            Alternatively, ``epochs * iters_per_epoch`` iterations.
        resume : path, optional
            A checkpoint to continue from (see the class notes).

        Returns
        -------
        History
            Also kept as ``self.history``.

        Raises
        ------
        ValueError
            Before any change, if ``x`` and ``t`` differ in length, hold NaN or
            infinity, do not fit the model, neither/both of ``iters`` and
            ``epochs`` are given, or the checkpoint does not fit (or is past ``iters``).
        FloatingPointError
            If the loss or the gradient becomes NaN or infinite.
        """
        model, xa, ta, iters = _checked(self.model, self.batch_size, x, t, iters, epochs)
        restored = None
        if resume is not None:
            restored = Restored(self._parts(), resume, batch_size=self.batch_size,
                                train_size=len(xa), iters=iters)  # fmt: skip
        self._begin(x, xa, iters, restored)
        with self._stop.deferred_ctrl_c():
            hooks.call(self.callbacks, "on_train_begin", {})
            if restored is not None:
                restored.apply_callback_state()
            end = self.start_iteration if self.stop_training else iters  # resumed after a stop
            for i in range(self.start_iteration, end):
                self.iteration = i
                if self.pending_batch is None:  # 1. draw a mini-batch
                    batch_mask = self.rng.choice(len(xa), self.batch_size)
                else:  # drawn by an iteration that was interrupted
                    batch_mask, self.pending_batch = self.pending_batch, None
                x_batch, t_batch = xa[batch_mask], ta[batch_mask]
                self.batch = (x_batch, t_batch)
                try:  # 2. the gradient (in training mode), 3. the update: all or nothing
                    self._step(self.estimator, model, self.optimizer, x_batch, t_batch,
                               self.augment)  # fmt: skip
                except BaseException as exc:
                    self.pending_batch = batch_mask  # the iteration did not happen
                    self._stopped_in_update = _step_failed(self, exc, i, x_batch, t_batch)
                    break
                if self._step.inputs is not None:  # as the gradient saw it (augmented)
                    x_batch = self._step.inputs
                    self.batch = (x_batch, t_batch)
                loss = _loss_after_update(self, model, i, x_batch, t_batch)  # 4. the loss
                per_epoch, stop = self.iters_per_epoch, self._stop.catch
                hooks.end_of_iteration(self.callbacks, i, loss, per_epoch, stop)  # 5. callbacks
                if self.stop_training or self._stop.requested:
                    break
            if self._stop.requested:
                self.interrupted = True
                print(stopped_message(self, self._stopped_in_update), file=sys.stderr)
            losses = self.history.train_loss_list
            hooks.call(self.callbacks, "on_train_end", {"loss": losses[-1]} if losses else {})
        return self.history

    def save_checkpoint(
        self, path: str | os.PathLike[str], *, info: Mapping[str, Any] | None = None
    ) -> Path:
        """Write everything needed to resume this run exactly to ``path`` (atomically); return it.

        Parameters, optimizer state, position, the generator's state, the history and the
        stateful callbacks' states (see :class:`~tinynn.Checkpoint`), with ``info``: plain
        JSON data (e.g. the options of the program that runs this trainer).
        """
        state, meta = sections(self._parts(), _position(self))
        self._watch.warn()  # state that the file cannot hold: named, once per run
        return write_checkpoint(path, self.model, state, meta, info)

    def _parts(self) -> Parts:
        """The parts of this run whose state a checkpoint keeps."""
        stateful = callback_keys(self.callbacks, self.history)
        return Parts(self.model, self.optimizer, self.estimator, self.rng, self.history, stateful,
                     self.augment)  # fmt: skip

    def _diverged(self, i: int, what: str) -> FloatingPointError:
        lr = getattr(self.optimizer, "lr", None)
        return divergence.diverged(self.history.train_loss_list, lr, i, what)

    # -- the parts of the loop ---------------------------------------------------------
    def _begin(
        self, x: object, xa: NDArray[np.float64], iters: int, restored: Restored | None
    ) -> None:
        """Set the position for a fresh run, or the checkpoint's; attach the callbacks."""
        self.train_data = (x, xa)
        self.train_size, self.total_iters = len(xa), iters
        self.iters_per_epoch = max(len(xa) // self.batch_size, 1)
        self.stop_training = self.interrupted = self._stopped_in_update = False
        self._stop = StopRequest()
        self.iterations_done, self.pending_batch = 0, None
        if restored is not None:
            position = restored.apply_training_state()
            self.iterations_done, self.stop_training, self.pending_batch = position
        self.start_iteration = self.iterations_done
        hooks.attach(self.callbacks, self)
        self._watch = watch(self.model, self.optimizer, self.estimator, self.callbacks,
                            self.augment)  # fmt: skip


def _step_failed(
    trainer: Trainer, exc: BaseException, i: int, x_batch: NDArray[Any], t_batch: NDArray[Any]
) -> bool:
    """After the gradient or the update of iteration ``i`` raised ``exc`` (and undid itself):
    ``True`` or ``False`` (whether it was in the update) for a Ctrl-C the trainer stops on;
    otherwise ``exc`` again, or the divergence it shows."""
    grads = trainer._step.grads
    if not trainer._stop.catch(exc):
        loss_now = partial(trainer.model.loss, x_batch, t_batch)
        lr = getattr(trainer.optimizer, "lr", None)
        losses = trainer.history.train_loss_list
        divergence.raise_if_diverged(exc, i, grads, loss_now, losses, lr)
        raise exc
    return grads is not None


def _loss_after_update(
    trainer: Trainer, model: Model, i: int, x_batch: NDArray[Any], t_batch: NDArray[Any]
) -> float:
    """The mini-batch loss after the update of iteration ``i``, recorded (the iteration is
    done); ``FloatingPointError`` if the update made it uncomputable or not finite."""
    try:
        loss = model.loss(x_batch, t_batch)
    except (ValueError, ArithmeticError) as exc:
        what = str(exc).split(";")[0]
        raise trainer._diverged(i, f"after the update, {what}") from exc
    trainer.history.record_loss(loss)
    trainer.iterations_done = i + 1
    if not math.isfinite(loss):
        raise trainer._diverged(i, f"the mini-batch loss is {loss}")
    return float(loss)


def _position(trainer: Trainer) -> dict[str, Any]:
    """Where ``trainer`` is in its run, as a checkpoint records it."""
    names = ("iterations_done", "iters_per_epoch", "total_iters", "batch_size", "train_size")
    position: dict[str, Any] = {name: getattr(trainer, name) for name in names}
    position.update(rng=trainer.rng.bit_generator.state, stop_training=trainer.stop_training)
    if trainer.pending_batch is not None:
        position["pending_batch"] = trainer.pending_batch
    return position


def _checked(
    model: Model, batch_size: int, x: ArrayLike, t: ArrayLike, iters: int | None, epochs: int | None
) -> tuple[Model, NDArray[np.float64], FloatArray, int]:
    """The model to train (a checked view), the data and ``iters``, checked; nothing changes."""
    # checked and converted to the model's dtype (float64 unless it says otherwise) once per
    # fit: mini-batches are then of its dtype already, where the book's loop converts float32
    # data inside every product; the labels are left as they are
    xf = as_float_input(x, "x")
    xa = np.ascontiguousarray(in_range(xf, _data_dtype(model)))
    ta = as_real_array(t, "t")
    if xa.ndim < 2 or len(xa) == 0:
        raise ValueError(f"x must be a non-empty batch of shape (N, ...), got {xa.shape}")
    if ta.ndim not in (1, 2) or len(ta) != len(xa):
        raise ValueError(
            f"t must hold one label (or one-hot row) per sample of x: x has {len(xa)} "
            f"samples, t has shape {ta.shape}"
        )
    if (iters is None) == (epochs is None):
        raise ValueError("give exactly one of iters= and epochs=")
    if epochs is not None:
        check_positive_int(epochs, "epochs")
        iters = epochs * max(len(xa) // batch_size, 1)
    assert iters is not None
    check_positive_int(iters, "iters")
    model.loss(xa[:1], ta[:1])  # model-specific checks before any update
    # a model that can check the whole data set once (Sequential) skips its per-batch
    # checks for batches drawn from it: checked once per fit, not once per batch
    prepare = getattr(model, "for_checked_data", None)
    if callable(prepare):
        view, xa, ta = prepare(xa, ta)
        return view, xa, ta, iters
    return model, xa, ta, iters


def _data_dtype(model: Model) -> np.dtype[Any]:
    """The dtype the data is converted to: the model's ``dtype``, float64 for a model without."""
    dtype = getattr(model, "dtype", None)
    return np.dtype(np.float64) if dtype is None else as_float_dtype(dtype, "model.dtype")


def _check_parts(
    model: Model,
    optimizer: Optimizer,
    estimator: GradientEstimator | None,
    batch_size: int,
    callbacks: Sequence[Callback],
) -> None:
    """Raise ``TypeError``/``ValueError`` unless each part is of its kind."""
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
    hooks.check_hooks(callbacks)
