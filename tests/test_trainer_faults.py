"""Faults during training leave a consistent state: Ctrl-C, raising callbacks, divergence."""

from __future__ import annotations

import signal
import warnings
from typing import Any

import numpy as np
import pytest

from tinynn import (
    SGD,
    Backprop,
    Callback,
    EpochAccuracy,
    NumericalDiff,
    Trainer,
    TwoLayerNet,
)
from tinynn.base import Model
from tinynn.callbacks import Logs
from tinynn.typing import ArrayLike, FloatArray, Params

R = np.random.default_rng(0)
X = R.random((60, 6))
T = np.argmax(X[:, :3], axis=1)


def _trainer(callbacks: list[Callback], **kw: Any) -> Trainer:
    net = TwoLayerNet(6, 5, 3, weight_init_std=0.5, rng=1)
    return Trainer(net, SGD(lr=0.5), batch_size=10, callbacks=callbacks, rng=2, **kw)


def _updates_applied(trainer: Trainer, iters: int) -> dict[str, FloatArray]:
    """The parameters after ``iters`` updates of an uninterrupted run of the same trainer."""
    ref = _trainer([])
    ref.fit(X, T, iters=iters)
    return dict(ref.model.params)


class Raise(Callback):
    def __init__(self, at: int, error: type[BaseException], times: int = 1) -> None:
        super().__init__()
        self.at, self.error, self.times = at, error, times

    def on_iteration_end(self, iteration: int, logs: Logs) -> None:
        if iteration == self.at and self.times > 0:
            self.times -= 1
            raise self.error("from a callback")


def test_a_raising_callback_leaves_history_consistent_with_the_updates() -> None:
    trainer = _trainer([Raise(4, ValueError)])
    with pytest.raises(ValueError, match="from a callback"):
        trainer.fit(X, T, iters=10)
    assert trainer.iterations_done == 5 == len(trainer.history.train_loss_list)
    for name, p in _updates_applied(trainer, 5).items():
        np.testing.assert_array_equal(trainer.model.params[name], p)


def test_keyboard_interrupt_from_a_callback_stops_at_the_boundary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen: list[int] = []

    class Later(Callback):
        order = 20  # after the raising one: still runs for the interrupted iteration

        def on_iteration_end(self, iteration: int, logs: Logs) -> None:
            seen.append(iteration)

    trainer = _trainer([Raise(3, KeyboardInterrupt), Later()])
    history = trainer.fit(X, T, iters=10)
    assert trainer.interrupted and trainer.iterations_done == 4
    assert seen == [0, 1, 2, 3]
    assert len(history.train_loss_list) == 4
    assert "stopped after iteration 4 of 10" in capsys.readouterr().err
    for name, p in _updates_applied(trainer, 4).items():
        np.testing.assert_array_equal(trainer.model.params[name], p)


def test_keyboard_interrupt_from_estimator_or_optimizer_applies_no_half_update() -> None:
    class Failing:
        def __init__(self, inner: Any, at: int) -> None:
            self.inner, self.at, self.calls = inner, at, 0

        def gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
            self.calls += 1
            if self.calls == self.at:
                raise KeyboardInterrupt
            return dict(self.inner.gradient(model, x, t))

        def update(self, params: Params, grads: Params) -> None:
            self.calls += 1
            if self.calls == self.at:
                raise KeyboardInterrupt
            self.inner.update(params, grads)

    for where in ("estimator", "optimizer"):
        trainer = _trainer([])
        if where == "estimator":
            trainer.estimator = Failing(Backprop(), 4)
        else:
            trainer.optimizer = Failing(SGD(lr=0.5), 4)
        trainer.fit(X, T, iters=10)
        assert trainer.interrupted and trainer.iterations_done == 3, where
        assert len(trainer.history.train_loss_list) == 3
        for name, p in _updates_applied(trainer, 3).items():
            np.testing.assert_array_equal(trainer.model.params[name], p)


def test_real_ctrl_c_stops_after_the_iteration_and_a_second_aborts() -> None:
    before = signal.getsignal(signal.SIGINT)

    class CtrlC(Callback):
        def __init__(self, at: int, presses: int) -> None:
            super().__init__()
            self.at, self.presses = at, presses

        def on_iteration_end(self, iteration: int, logs: Logs) -> None:
            if iteration == self.at:
                for _ in range(self.presses):
                    signal.raise_signal(signal.SIGINT)

    once = _trainer([CtrlC(2, 1)])
    once.fit(X, T, iters=10)
    assert once.interrupted and once.iterations_done == 3
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back
    twice = _trainer([CtrlC(2, 2)])
    with pytest.raises(KeyboardInterrupt):
        twice.fit(X, T, iters=10)
    assert not twice.interrupted and twice.iterations_done == 3
    assert signal.getsignal(signal.SIGINT) is before


class Exploding:
    """Least squares on huge inputs: with lr=0.1 the loss overflows at the second iteration."""

    def __init__(self) -> None:
        self.params: Params = {"w": np.ones(3)}

    def predict(self, x: ArrayLike) -> FloatArray:
        return np.asarray(x, dtype=np.float64) @ self.params["w"]

    def loss(self, x: ArrayLike, t: ArrayLike) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.mean((self.predict(x) - np.asarray(t)) ** 2))

    def gradient(self, x: ArrayLike, t: ArrayLike) -> Params:
        xa = np.asarray(x, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            return {"w": 2 * xa.T @ (self.predict(xa) - np.asarray(t)) / len(xa)}

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        return 0.0


# inputs of 1e30 overflow the loss at the second update; of 1e60 at the first (NumericalDiff's
# step is lost to rounding once w is ~1e59, so it needs to overflow at once)
@pytest.mark.parametrize(("estimator", "scale"), [(Backprop(), 1e30), (NumericalDiff(), 1e60)])
def test_divergence_names_iteration_last_finite_loss_and_lr(estimator: Any, scale: float) -> None:
    x = np.random.default_rng(0).random((20, 3)) * scale
    t = np.zeros(20)
    trainer = Trainer(Exploding(), SGD(lr=0.1), estimator, batch_size=5, rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumericalDiff warns about rounding at such sizes
        with pytest.raises(FloatingPointError) as info:
            trainer.fit(x, t, iters=10)
    message = str(info.value)
    assert "training diverged at iteration" in message
    assert "lr=0.1 is probably too large" in message
    losses = trainer.history.train_loss_list
    finite = [v for v in losses if np.isfinite(v)]
    last = f"{finite[-1]:.6g} at iteration {len(finite) - 1}" if finite else "none"
    assert f"training diverged at iteration {len(losses) - 1}: " in message
    assert f"(last finite loss: {last})" in message
    assert not np.isfinite(losses[-1]) and len(losses) == trainer.iterations_done


def test_a_built_in_network_that_overflows_after_an_update_diverges() -> None:
    """A Sequential's checked loss raises ValueError naming the layer that overflowed; after an
    update that is divergence (FloatingPointError with the iteration, last loss and lr), as for
    a NaN loss (before: the bare ValueError, which told the user to scale the input down)."""
    from tinynn import MultiLayerNet

    rng = np.random.default_rng(0)
    x, t = rng.random((50, 20)), rng.integers(0, 3, 50)
    net = MultiLayerNet(20, [20] * 5, 3, weight_init_std=1.0, rng=0)
    trainer = Trainer(net, SGD(lr=10.0), batch_size=10, rng=1)
    with pytest.raises(FloatingPointError) as info:
        trainer.fit(x, t, iters=50)
    message = str(info.value)
    assert message.startswith(f"training diverged at iteration {trainer.iterations_done}: ")
    assert "after the update, the loss (nan) is not finite: layers[" in message
    assert "overflowed float64" in message and "lr=10.0 is probably too large" in message
    assert isinstance(info.value.__cause__, ValueError)
    # the same network on input that overflows before any update: the input's fault, as before
    with pytest.raises(ValueError, match="scale the input down"):
        Trainer(MultiLayerNet(20, [20] * 5, 3, weight_init_std=1.0, rng=0), SGD(lr=0.1),
                batch_size=10, rng=1).fit(x * 1e306, t, iters=5)  # fmt: skip


def test_epoch_accuracy_names_the_bad_set_before_the_first_update() -> None:
    bad_x = X[:10].copy()
    bad_x[3, 2] = np.nan
    with pytest.raises(
        ValueError, match=r"^test: x contains 1 non-finite value\(s\); the first is"
    ):
        EpochAccuracy(train=(X, T), test=(bad_x, T[:10]))
    with pytest.raises(ValueError, match=r"^test: t holds label 7, outside the 3 classes"):
        trainer = _trainer([EpochAccuracy(train=(X, T), test=(X[:10], np.full(10, 7)))])
        before = trainer.model.params["W1"].copy()
        trainer.fit(X, T, iters=3)
    np.testing.assert_array_equal(trainer.model.params["W1"], before)  # no update happened
    with pytest.raises(ValueError, match=r"^val: x has shape \(1, 4\)"):
        _trainer([EpochAccuracy(val=(np.ones((5, 4)), np.zeros(5, int)))]).fit(X, T, iters=3)
    with pytest.raises(TypeError, match=r"^val: t must be an array of real numbers"):
        EpochAccuracy(val=(X[:2], np.array(["a", "b"])))
    with pytest.raises(ValueError, match=r"^val: x and t must hold the same number"):
        EpochAccuracy(val=(X[:2], T[:3]))


class HalfUpdating:
    """Momentum written here, whose ``at``-th update is interrupted after changing W1, b1 and
    their velocities: a ``KeyboardInterrupt`` raised in the middle of an optimizer's update."""

    def __init__(self, at: int, stateful: bool = True) -> None:
        self.lr, self.at, self.calls, self.stateful = 0.5, at, 0, stateful
        self.v: dict[str, FloatArray] = {}

    def update(self, params: Params, grads: Params) -> None:
        self.calls += 1
        for k, key in enumerate(params):
            self.v[key] = 0.9 * self.v.get(key, np.zeros_like(params[key])) - self.lr * grads[key]
            params[key] += self.v[key]
            if self.calls == self.at and k == 1:
                raise KeyboardInterrupt

    def state_dict(self) -> dict[str, Any]:
        return {"v": {k: v.copy() for k, v in self.v.items()}}

    def load_state_dict(self, state: Any) -> None:
        self.v = {k: np.array(v) for k, v in state["v"].items()}


class HalfUpdatingNoState:
    """The same, but without state_dict: its velocities cannot be restored."""

    def __init__(self, at: int) -> None:
        self.inner = HalfUpdating(at)
        self.lr = 0.5

    def update(self, params: Params, grads: Params) -> None:
        self.inner.update(params, grads)


def _momentum_run(optimizer: Any, iters: int) -> Trainer:
    net = TwoLayerNet(6, 5, 3, weight_init_std=0.5, rng=1)
    trainer = Trainer(net, optimizer, batch_size=10, rng=2)
    trainer.fit(X, T, iters=iters)
    return trainer


@pytest.mark.parametrize("thread", [False, True], ids=["main thread", "other thread"])
def test_an_update_interrupted_half_way_is_undone(
    thread: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    reference = _momentum_run(HalfUpdating(at=0), 3)
    if thread:  # no deferred Ctrl-C handler there: the KeyboardInterrupt reaches the loop as is
        box: list[Trainer] = []
        worker = threading.Thread(target=lambda: box.append(_momentum_run(HalfUpdating(4), 10)))
        worker.start()
        worker.join()
        (trainer,) = box
    else:
        trainer = _momentum_run(HalfUpdating(at=4), 10)
    assert trainer.interrupted and trainer.iterations_done == 3
    assert "optimizer state and history consistent" in capsys.readouterr().err
    for name, p in reference.model.params.items():
        np.testing.assert_array_equal(trainer.model.params[name], p)
    opt, ref_opt = trainer.optimizer, reference.optimizer
    assert isinstance(opt, HalfUpdating) and isinstance(ref_opt, HalfUpdating)
    np.testing.assert_equal(opt.state_dict(), ref_opt.state_dict())


def test_an_optimizer_without_state_dict_is_told_truthfully(
    capsys: pytest.CaptureFixture[str],
) -> None:
    reference = _momentum_run(HalfUpdating(at=0), 3)
    trainer = _momentum_run(HalfUpdatingNoState(at=4), 10)
    assert trainer.interrupted and trainer.iterations_done == 3
    for name, p in reference.model.params.items():  # the parameters are restored
        np.testing.assert_array_equal(trainer.model.params[name], p)
    err = capsys.readouterr().err
    assert "with parameters and history consistent (the update was undone)" in err
    assert "HalfUpdatingNoState has no state_dict(), so any state it keeps may include" in err
