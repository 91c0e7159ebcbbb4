"""The training loop: mini-batch, gradient, update, repeat; stoppable and resumable.

Book section
------------
4.5.2 (mini-batch learning), 4.5.3 (evaluation per epoch)
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _trainer_state
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
        Run at each iteration and epoch boundary, in order of their ``order``
        (see :mod:`tinynn.callbacks`).
    rng : numpy.random.Generator or int, optional
        Source of the mini-batch indices (and nothing else). The same seed
        (and the same initial model) gives the same run, bit for bit.

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

    **Stopping.** Ctrl-C during ``fit`` finishes the current iteration,
    runs ``on_train_end`` (so a :class:`~tinynn.Checkpoint` saves), prints
    that it stopped and returns the history, with ``interrupted`` set;
    parameters, optimizer state and history then agree (one loss per
    update). A second Ctrl-C aborts at once. A ``KeyboardInterrupt`` raised
    by the estimator or the optimizer undoes that iteration (its mini-batch
    is kept, in ``pending_batch``, for the next one); one raised by a
    callback stops after the other callbacks of the iteration have run.
    An exception from a callback propagates with the history complete.

    **Divergence.** If the mini-batch loss becomes NaN or infinite after an
    update (or the gradient does), ``fit`` raises ``FloatingPointError``
    naming the iteration, the last finite loss and the optimizer's ``lr``.

    **Resuming.** ``fit(x, t, iters=N, resume=path)`` continues the run saved
    in a checkpoint (by :class:`~tinynn.Checkpoint` or :meth:`save_checkpoint`)
    up to iteration ``N`` of the whole run, bit for bit as if it had never
    stopped: same parameters, optimizer state, mini-batches, history and
    callback states. It needs the same training data size, batch size,
    optimizer class and stateful callbacks. ``on_train_begin`` runs first, as
    for a fresh run; then the callbacks' states are restored.

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
        ``(x, x_float64)``: the training inputs as given to ``fit`` and as the
        trainer uses them, converted once, so that callbacks evaluating the same
        data (``EpochAccuracy(train=...)``) need not convert them again.

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
        self.interrupted = False
        self.iteration = 0
        self.iterations_done = 0
        self.start_iteration = 0
        self.total_iters = 0
        self.iters_per_epoch = 1
        self.train_size = 0
        self.pending_batch: NDArray[np.intp] | None = None
        self.batch: tuple[NDArray[Any], NDArray[Any]] | None = None
        self.train_data: tuple[object, NDArray[np.float64]] | None = None
        self._stop_requested = False

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
            If ``x`` and ``t`` differ in length, hold NaN or infinity, do not
            fit the model, neither/both of ``iters`` and ``epochs`` are given,
            or the checkpoint does not fit this trainer and data.
        FloatingPointError
            If the loss or the gradient becomes NaN or infinite.
        """
        # checked and converted to float64 once per fit: mini-batches are then float64
        # already, where the book's loop converts float32 data inside every product
        xa = np.ascontiguousarray(as_float_input(x, "x"), dtype=np.float64)
        self.train_data = (x, xa)
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
        # a model that can check the whole data set once (Sequential) skips its per-batch
        # checks for batches drawn from it: checked once per fit, not once per batch
        model: Model = self.model
        prepare = getattr(self.model, "for_checked_data", None)
        if callable(prepare):
            model, xa, ta = prepare(xa, ta)
        restored = None if resume is None else _trainer_state.read_checkpoint(self, resume, n)
        self.train_size, self.total_iters = n, iters
        self.stop_training = self.interrupted = self._stop_requested = False
        self.iterations_done, self.pending_batch = 0, None
        if restored is not None:
            restored.apply_training_state(self)
        self.start_iteration = self.iterations_done
        for cb in self.callbacks:
            cb.set_trainer(self)
        with self._ctrl_c_stops_at_iteration_boundary():
            self._call("on_train_begin", {})
            if restored is not None:
                restored.apply_callback_state(self)
            end = self.start_iteration if self.stop_training else iters  # resumed after a stop
            for i in range(self.start_iteration, end):
                self.iteration = i
                if self.pending_batch is None:  # 1. draw a mini-batch
                    batch_mask = self.rng.choice(n, self.batch_size)
                else:  # drawn by an iteration that was interrupted
                    batch_mask, self.pending_batch = self.pending_batch, None
                x_batch, t_batch = xa[batch_mask], ta[batch_mask]
                self.batch = (x_batch, t_batch)
                grads = None
                try:
                    grads = self.estimator.gradient(model, x_batch, t_batch)  # 2. gradient
                    self.optimizer.update(model.params, grads)  # 3. update
                except BaseException as exc:
                    self.pending_batch = batch_mask  # this iteration did not happen
                    if self._stopping_on(exc):
                        break
                    self._raise_if_diverged(exc, i, grads, x_batch, t_batch)
                    raise
                loss = model.loss(x_batch, t_batch)  # 4. the loss, after the update
                self.history.record_loss(loss)
                self.iterations_done = i + 1
                if not math.isfinite(loss):
                    raise self._diverged(i, f"the mini-batch loss is {loss}")
                self._end_of_iteration(i, loss)  # 5. callbacks
                if self.stop_training or self._stop_requested:
                    break
            if self._stop_requested:
                self.interrupted = True
                print(
                    f"tinynn: interrupted (Ctrl-C); training stopped after iteration "
                    f"{self.iterations_done} of {iters}, with parameters, optimizer state and "
                    "history consistent",
                    file=sys.stderr,
                )
            losses = self.history.train_loss_list
            self._call("on_train_end", {"loss": losses[-1]} if losses else {})
        return self.history

    def save_checkpoint(self, path: str | os.PathLike[str]) -> Path:
        """Write everything needed to resume this run exactly to ``path`` (atomically).

        Parameters, optimizer state, position, the generator's state, the
        history and the stateful callbacks' states; see :class:`~tinynn.Checkpoint`.

        Returns
        -------
        pathlib.Path
        """
        return _trainer_state.write_checkpoint(self, path)

    # -- the parts of the loop ---------------------------------------------------------
    def _end_of_iteration(self, i: int, loss: float) -> None:
        """Run the callbacks of iteration ``i``; a KeyboardInterrupt stops after all have run."""
        logs: Logs = {"loss": loss}
        for cb in self.callbacks:
            try:
                cb.on_iteration_end(i, logs)
            except KeyboardInterrupt as exc:
                if not self._stopping_on(exc):
                    raise
        if i % self.iters_per_epoch == 0:
            epoch_logs: Logs = {"iteration": float(i)}
            for cb in self.callbacks:
                try:
                    cb.on_epoch_end(i // self.iters_per_epoch, epoch_logs)
                except KeyboardInterrupt as exc:
                    if not self._stopping_on(exc):
                        raise

    def _stopping_on(self, exc: BaseException) -> bool:
        """A first KeyboardInterrupt asks to stop at the iteration boundary; a second aborts."""
        if not isinstance(exc, KeyboardInterrupt) or self._stop_requested:
            return False
        self._stop_requested = True
        return True

    def _diverged(self, i: int, what: str) -> FloatingPointError:
        losses = self.history.train_loss_list
        finite = [(k, v) for k, v in enumerate(losses) if math.isfinite(v)]
        last = f"{finite[-1][1]:.6g} at iteration {finite[-1][0]}" if finite else "none"
        lr = getattr(self.optimizer, "lr", None)
        hint = (
            f"the learning rate lr={lr!r} is probably too large"
            if lr is not None
            else ("a smaller step size may help")
        )
        return FloatingPointError(
            f"training diverged at iteration {i}: {what} (last finite loss: {last}); {hint}"
        )

    def _raise_if_diverged(
        self, exc: BaseException, i: int, grads: object, x_batch: ArrayLike, t_batch: ArrayLike
    ) -> None:
        """Explain an estimator or optimizer error that non-finite values caused as divergence."""
        if not isinstance(exc, (ValueError, ArithmeticError)):
            return
        if isinstance(grads, dict) and not all(np.all(np.isfinite(g)) for g in grads.values()):
            raise self._diverged(i, "the gradient holds NaN or infinity") from exc
        try:
            loss = self.model.loss(x_batch, t_batch)
        except Exception:
            return
        if not math.isfinite(loss):
            raise self._diverged(i, f"the mini-batch loss is {loss} before the update") from exc

    @contextmanager
    def _ctrl_c_stops_at_iteration_boundary(self) -> Iterator[None]:
        """While training, a first Ctrl-C sets a flag; a second raises KeyboardInterrupt."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: FrameType | None) -> None:
            if self._stop_requested:
                raise KeyboardInterrupt
            self._stop_requested = True
            print(
                "\ntinynn: Ctrl-C: stopping after this iteration (Ctrl-C again aborts at once)",
                file=sys.stderr,
            )

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _call(self, hook: str, logs: Logs) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(logs)
