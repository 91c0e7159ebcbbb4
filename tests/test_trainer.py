"""The Trainer runs the book's procedure, reproducibly, and its callbacks in order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinynn import (
    SGD,
    Callback,
    EpochAccuracy,
    History,
    NumericalDiff,
    Trainer,
    TwoLayerNet,
)
from tinynn.callbacks import Logs


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A learnable toy problem: the class is which of 3 features is largest."""
    r = np.random.default_rng(seed)
    x = r.random((n, 6))
    return x, np.argmax(x[:, :3], axis=1)


def test_trainer_is_the_books_loop() -> None:
    x, t = _data(600)
    x_test, t_test = _data(100, seed=1)
    one_hot = np.eye(3)[t]
    lr, batch, iters = 0.5, 100, 40

    # the book's train_neuralnet.py, written out, with the same random generator calls
    ref = TwoLayerNet(6, 5, 3, weight_init_std=0.5, rng=1)
    rng = np.random.default_rng(2)
    iter_per_epoch = max(600 // batch, 1)
    loss_list, train_acc, test_acc = [], [], []
    for i in range(iters):
        batch_mask = rng.choice(600, batch)
        grad = ref.gradient(x[batch_mask], one_hot[batch_mask])
        for key in ("W1", "b1", "W2", "b2"):
            ref.params[key] -= lr * grad[key]
        loss_list.append(ref.loss(x[batch_mask], one_hot[batch_mask]))
        if i % iter_per_epoch == 0:
            train_acc.append(ref.accuracy(x, one_hot))
            test_acc.append(ref.accuracy(x_test, t_test))

    net = TwoLayerNet(6, 5, 3, weight_init_std=0.5, rng=1)
    acc = EpochAccuracy(train=(x, one_hot), test=(x_test, t_test))
    history = Trainer(net, SGD(lr=lr), batch_size=batch, callbacks=[acc], rng=2).fit(
        x, one_hot, iters=iters
    )
    for key in ref.params:
        np.testing.assert_array_equal(net.params[key], ref.params[key])
    assert history.train_loss_list == loss_list
    assert history.train_acc_list == train_acc
    assert history.test_acc_list == test_acc
    assert len(test_acc) == 7  # i = 0, 6, ..., 36
    assert history.history["iteration"] == [0.0, 6.0, 12.0, 18.0, 24.0, 30.0, 36.0]
    assert np.mean(loss_list[-5:]) < loss_list[0]  # it learned


def test_book_schedule_gives_17_records_for_10000_iterations_of_600() -> None:
    x, t = _data(60)
    calls: list[int] = []

    class Count(Callback):
        def on_epoch_end(self, epoch: int, logs: Logs) -> None:
            calls.append(int(logs["iteration"]))

    net = TwoLayerNet(6, 2, 3, rng=0)
    # 60 samples / batch 100 -> max(0, 1) = 1 iteration per epoch
    Trainer(net, SGD(0.1), batch_size=100, callbacks=[Count()], rng=0).fit(x, t, iters=3)
    assert calls == [0, 1, 2]
    calls.clear()
    trainer = Trainer(net, SGD(0.1), batch_size=1, callbacks=[Count()], rng=0)
    trainer.fit(x[:6], t[:6], iters=100)  # 6 iterations per epoch, like 60,000 / 100 = 600
    assert calls == list(range(0, 100, 6)) and len(calls) == 17


def test_same_seed_same_run_bit_for_bit() -> None:
    x, t = _data(300)

    def run(seed: int) -> tuple[dict[str, np.ndarray], list[float]]:
        net = TwoLayerNet(6, 4, 3, rng=seed)
        h = Trainer(net, SGD(0.3), batch_size=20, rng=seed + 1).fit(x, t, epochs=2)
        return net.params, h.train_loss_list

    p1, l1 = run(3)
    p2, l2 = run(3)
    _, l3 = run(4)
    assert l1 == l2 and l1 != l3
    for key in p1:
        np.testing.assert_array_equal(p1[key], p2[key])


def test_epochs_and_iters() -> None:
    x, t = _data(50)
    trainer = Trainer(TwoLayerNet(6, 2, 3, rng=0), SGD(0.1), batch_size=10, rng=0)
    assert len(trainer.fit(x, t, epochs=3).train_loss_list) == 15
    with pytest.raises(ValueError, match="exactly one of iters= and epochs="):
        trainer.fit(x, t)
    with pytest.raises(ValueError, match="exactly one"):
        trainer.fit(x, t, iters=1, epochs=1)


def test_a_callback_can_stop_training() -> None:
    x, t = _data(100)

    class StopAt(Callback):
        def on_iteration_end(self, iteration: int, logs: Logs) -> None:
            if iteration == 4:
                self.trainer.stop_training = True

    trainer = Trainer(TwoLayerNet(6, 2, 3, rng=0), SGD(0.1), callbacks=[StopAt()], rng=0)
    history = trainer.fit(x, t, iters=50)
    assert len(history.train_loss_list) == 5
    assert len(trainer.fit(x, t, iters=2).train_loss_list) == 2  # the flag resets


def test_callbacks_run_writers_before_readers_and_in_hook_order() -> None:
    x, t = _data(40)
    seen: list[str] = []

    class Reader(Callback):
        order = 10

        def on_train_begin(self, logs: Logs) -> None:
            seen.append("begin")

        def on_epoch_end(self, epoch: int, logs: Logs) -> None:
            seen.append(f"epoch {epoch} {'test_acc' in logs}")

        def on_train_end(self, logs: Logs) -> None:
            seen.append(f"end {sorted(logs)}")

    # listed before the writer, but runs after it
    callbacks = [Reader(), EpochAccuracy(test=(x, t))]
    Trainer(TwoLayerNet(6, 2, 3, rng=0), SGD(0.1), batch_size=20, callbacks=callbacks, rng=0).fit(
        x, t, iters=3
    )
    assert seen == ["begin", "epoch 0 True", "epoch 1 True", "end ['loss']"]


def test_epoch_accuracy_evaluates_in_chunks_without_changing_the_result() -> None:
    x, t = _data(103)
    net = TwoLayerNet(6, 4, 3, weight_init_std=1.0, rng=0)
    acc = EpochAccuracy(batch_size=10, test=(x, t))
    Trainer(net, SGD(0.1), callbacks=[acc], rng=0)  # attaches nothing until fit
    acc.set_trainer(Trainer(net, SGD(0.1)))
    assert acc.accuracy(x, t) == net.accuracy(x, t)


def test_history_is_the_trainers_and_users_history_is_not_duplicated() -> None:
    x, t = _data(40)
    trainer = Trainer(TwoLayerNet(6, 2, 3, rng=0), SGD(0.1), callbacks=[History()], rng=0)
    history = trainer.fit(x, t, iters=2)
    assert history is trainer.history
    assert sum(isinstance(cb, History) for cb in trainer.callbacks) == 1


def test_trainer_with_numerical_gradients() -> None:
    x, t = _data(30)
    net = TwoLayerNet(6, 3, 3, weight_init_std=0.5, rng=0)
    twin = TwoLayerNet(6, 3, 3, weight_init_std=0.5, rng=0)
    Trainer(net, SGD(0.5), NumericalDiff(), batch_size=10, rng=1).fit(x, t, iters=3)
    Trainer(twin, SGD(0.5), batch_size=10, rng=1).fit(x, t, iters=3)
    for key in net.params:  # numerical and backprop training follow the same path
        np.testing.assert_allclose(net.params[key], twin.params[key], atol=1e-6)
        assert not np.array_equal(net.params[key], twin.params[key])  # by different means


@pytest.mark.parametrize(
    ("x", "t", "kwargs", "error", "match"),
    [
        (np.ones((10, 6)), np.zeros(9, int), {"iters": 1}, ValueError, "x has 10 samples"),
        (np.ones((10, 5)), np.zeros(10, int), {"iters": 1}, ValueError, "first layer expects 6"),
        (np.ones((10, 6)), np.full(10, 3), {"iters": 1}, ValueError, "label 3"),
        (np.full((10, 6), np.nan), np.zeros(10, int), {"iters": 1}, ValueError, "NaN"),
        (np.ones(6), np.zeros(1, int), {"iters": 1}, ValueError, r"shape \(N, \.\.\.\)"),
        (np.ones((10, 6)), np.zeros(10, int), {"iters": 0}, ValueError, "iters must be an int"),
    ],
)
def test_fit_rejects_bad_input_before_training(
    x: np.ndarray, t: np.ndarray, kwargs: dict[str, int], error: type[Exception], match: str
) -> None:
    net = TwoLayerNet(6, 2, 3, rng=0)
    before = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(error, match=match):
        Trainer(net, SGD(0.1), rng=0).fit(x, t, **kwargs)
    for key in before:
        np.testing.assert_array_equal(net.params[key], before[key])


def test_trainer_rejects_bad_parts() -> None:
    net = TwoLayerNet(6, 2, 3, rng=0)
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        Trainer(net, SGD(0.1), batch_size=0)
    with pytest.raises(TypeError, match="optimizer is a str"):
        Trainer(net, "sgd")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="estimator is a SGD"):
        Trainer(net, SGD(), SGD())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callbacks must be Callback"):
        Trainer(net, SGD(), callbacks=[print])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="same number"):
        EpochAccuracy(test=(np.ones((3, 6)), np.zeros(2)))
    with pytest.raises(ValueError, match="needs a data set"):
        EpochAccuracy()
    with pytest.raises(ValueError, match="first layer expects 6"):
        Trainer(
            net, SGD(), callbacks=[EpochAccuracy(test=(np.ones((3, 2)), np.zeros(3, int)))], rng=0
        ).fit(np.ones((3, 6)), np.zeros(3, int), iters=1)


def test_the_training_data_is_checked_once_per_fit_not_per_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sequential checks the whole data set once (for_checked_data); batches skip the checks."""
    import tinynn.models.checks as models_module

    calls = {"x": 0, "t": 0}
    real_input, real_targets = models_module.as_float_input, models_module.as_targets

    def counting_input(*args: Any, **kwargs: Any) -> Any:
        calls["x"] += 1
        return real_input(*args, **kwargs)

    def counting_targets(*args: Any, **kwargs: Any) -> Any:
        calls["t"] += 1
        return real_targets(*args, **kwargs)

    monkeypatch.setattr(models_module, "as_float_input", counting_input)
    monkeypatch.setattr(models_module, "as_targets", counting_targets)
    rng = np.random.default_rng(0)
    x, t = rng.random((60, 4)), rng.integers(0, 3, 60)
    net = TwoLayerNet(4, 5, 3, rng=1)
    Trainer(net, SGD(lr=0.1), batch_size=6, rng=2).fit(x, t, iters=50)
    assert calls["x"] <= 3 and calls["t"] <= 3, calls  # per fit, not 2 x 50 per batch
    # and the same numbers as when every batch is checked (a model without the shortcut)
    class Plain:
        def __init__(self, inner: TwoLayerNet) -> None:
            self.inner, self.params = inner, inner.params

        def predict(self, x: Any) -> Any:
            return self.inner.predict(x)

        def loss(self, x: Any, t: Any) -> float:
            return self.inner.loss(x, t)

        def accuracy(self, x: Any, t: Any) -> float:
            return self.inner.accuracy(x, t)

        def gradient(self, x: Any, t: Any) -> Any:
            return self.inner.gradient(x, t)

    other = TwoLayerNet(4, 5, 3, rng=1)
    Trainer(Plain(other), SGD(lr=0.1), batch_size=6, rng=2).fit(x, t, iters=50)
    for key in net.params:
        np.testing.assert_array_equal(net.params[key], other.params[key])


def test_the_whole_data_set_is_checked_before_the_first_update() -> None:
    rng = np.random.default_rng(0)
    x, t = rng.random((60, 4)), rng.integers(0, 3, 60)
    net = TwoLayerNet(4, 5, 3, rng=1)
    before = net.params["W1"].copy()
    bad_x = x.copy()
    bad_x[-1, 2] = np.inf
    with pytest.raises(ValueError, match=r"x contains 1 non-finite value\(s\); the first is "
                                         r"infinite \(inf\) at index \(59, 2\)"):  # fmt: skip
        Trainer(net, SGD(lr=0.1), rng=2).fit(bad_x, t, iters=5)
    bad_t = t.copy()
    bad_t[-1] = 3
    with pytest.raises(ValueError, match="t holds label 3"):
        Trainer(net, SGD(lr=0.1), rng=2).fit(x, bad_t, iters=5)
    np.testing.assert_array_equal(net.params["W1"], before)
    view, xb, tb = net.for_checked_data(x, t)
    assert view.params is net.params and xb.dtype == np.float64 and tb.dtype == np.intp
