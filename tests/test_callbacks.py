"""The callbacks of issue 10: EarlyStopping, CSVLogger, GradientAgreement, and their order."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn import (
    SGD,
    Affine,
    Backprop,
    Callback,
    Checkpoint,
    CSVLogger,
    EarlyStopping,
    EpochAccuracy,
    GradientAgreement,
    History,
    NumericalDiff,
    ProgressPrinter,
    Sequential,
    Sigmoid,
    SoftmaxWithLoss,
    Trainer,
    TwoLayerNet,
)
from tinynn.base import Model
from tinynn.callbacks import Logs
from tinynn.typing import ArrayLike, Params

R = np.random.default_rng(0)
X = R.random((60, 6))
T = np.argmax(X[:, :3], axis=1)


class Feed(Callback):
    """Writes a scripted value of 'score' into each epoch's logs."""

    order = -20

    def __init__(self, values: list[float]) -> None:
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        logs["score"] = self.values[epoch]


def _fit(callbacks: list[Callback], iters: int, **kw: Any) -> Trainer:
    net = TwoLayerNet(6, 5, 3, weight_init_std=0.5, rng=1)
    trainer = Trainer(net, SGD(lr=0.5), batch_size=10, callbacks=callbacks, rng=2, **kw)
    trainer.fit(X, T, iters=iters)
    return trainer


@pytest.mark.parametrize(
    ("mode", "values", "patience", "min_delta", "stop_epoch"),
    [
        ("max", [0.1, 0.2, 0.2, 0.2, 0.3, 0.4, 0.5], 2, 0.0, 3),
        ("max", [0.1, 0.2, 0.25, 0.29, 0.3, 0.4, 0.5], 2, 0.1, 4),  # 0.25 > 0.1 + 0.1
        ("min", [5.0, 4.0, 4.5, 3.0, 3.5, 3.6, 3.7], 3, 0.0, 6),
        ("min", [5.0, 4.0, math.nan, math.nan, 1.0, 1.0, 1.0], 1, 0.0, 2),
        ("max", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], 1, 0.0, None),
    ],
)
def test_early_stopping_stops_after_patience(
    mode: str, values: list[float], patience: int, min_delta: float, stop_epoch: int | None
) -> None:
    stop = EarlyStopping("score", mode, patience=patience, min_delta=min_delta)
    trainer = _fit([Feed(values), stop], iters=len(values) * 6)
    if stop_epoch is None:
        assert stop.stopped_epoch == -1 and trainer.iterations_done == 42
    else:
        assert stop.stopped_epoch == stop_epoch
        assert trainer.iterations_done == stop_epoch * 6 + 1  # epoch e is recorded at 6e
    assert trainer.history.history["score"] == values[: len(trainer.history.history["score"])]


def test_early_stopping_restores_the_best_parameters() -> None:
    snapshots: dict[int, dict[str, Any]] = {}

    class Snap(Callback):
        def on_epoch_end(self, epoch: int, logs: Logs) -> None:
            snapshots[epoch] = {k: v.copy() for k, v in self.trainer.model.params.items()}

    stop = EarlyStopping("score", "max", patience=2, restore_best=True)
    trainer = _fit([Feed([0.1, 0.5, 0.2, 0.3, 0.9]), stop, Snap()], iters=30)
    assert stop.best_epoch == 1 and stop.stopped_epoch == 3
    for name, p in trainer.model.params.items():
        np.testing.assert_array_equal(p, snapshots[1][name])


def test_early_stopping_needs_its_monitor() -> None:
    with pytest.raises(ValueError, match=r"monitor 'test_acc' is not in the epoch logs.*EpochAcc"):
        _fit([EarlyStopping()], iters=3)
    with pytest.raises(ValueError, match="mode must be 'max' or 'min'"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="min_delta must be a finite number >= 0"):
        EarlyStopping(min_delta=-1.0)
    with pytest.raises(TypeError, match="patience must be an int"):
        EarlyStopping(patience=1.5)  # type: ignore[arg-type]


def test_csv_logger_writes_one_row_per_epoch_with_every_log(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    acc = EpochAccuracy(train=(X, T))
    trainer = _fit([CSVLogger(path), acc], iters=13)
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "iteration", "train_acc"]
    assert [r[:2] for r in rows[1:]] == [["0", "0"], ["1", "6"], ["2", "12"]]
    assert [float(r[2]) for r in rows[1:]] == trainer.history.train_acc_list  # exact
    _fit([CSVLogger(path), acc], iters=7)  # a fresh run starts the file again
    assert len(path.read_text().splitlines()) == 3


def test_csv_logger_resumes_without_duplicate_rows(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    log = CSVLogger(path)
    log.on_train_begin({})
    for epoch in range(3):
        log.on_epoch_end(epoch, {"iteration": 6.0 * epoch, "loss": 0.5})
    state = log.state_dict()
    log.on_epoch_end(3, {"iteration": 18.0, "loss": 0.25})  # written after the checkpoint
    log.on_train_end({})
    again = CSVLogger(path)
    again.on_train_begin({})
    again.load_state_dict(state)
    again.on_epoch_end(3, {"iteration": 18.0, "loss": 0.125})
    again.on_train_end({})
    lines = path.read_text().splitlines()
    assert lines == ["epoch,iteration,loss", "0,0,0.5", "1,6,0.5", "2,12,0.5", "3,18,0.125"]


class WrongBackward:
    """Backprop with the gradient of b2 doubled: a bug that GradientAgreement must see."""

    def gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        grads = dict(Backprop().gradient(model, x, t))
        grads["b2"] = 2 * grads["b2"]
        return grads


def _agreement_run(estimator: Any, coordinates: int) -> tuple[Trainer, GradientAgreement]:
    check = GradientAgreement(every=3, coordinates=coordinates, rng=5)
    net = Sequential(
        [
            Affine.random(6, 5, rng=np.random.default_rng(1), weight_init_std=0.5),
            Sigmoid(),
            Affine.random(5, 3, rng=np.random.default_rng(2), weight_init_std=0.5),
        ],
        SoftmaxWithLoss(delta=0.0),
    )
    trainer = Trainer(net, SGD(lr=0.5), estimator, batch_size=10, callbacks=[check], rng=2)
    trainer.fit(X, T, iters=13)
    return trainer, check


def test_gradient_agreement_records_small_disagreement_for_backprop() -> None:
    trainer, _ = _agreement_run(Backprop(), coordinates=10)
    values = trainer.history.history["grad_disagreement"]
    assert len(values) == 3 and max(values) < 1e-6


def test_gradient_agreement_catches_a_wrong_backward_pass() -> None:
    trainer, _ = _agreement_run(WrongBackward(), coordinates=48)  # every entry: b2 included
    assert min(trainer.history.history["grad_disagreement"]) > 0.3  # |2g - g| / 3|g| = 1/3


def test_gradient_agreement_computes_only_the_sampled_entries() -> None:
    net = TwoLayerNet(6, 5, 3, weight_init_std=0.5, rng=1)
    trainer = Trainer(net, SGD(lr=0.5), batch_size=10, rng=2)
    check = GradientAgreement(coordinates=4, rng=0)
    check.set_trainer(trainer)
    calls = [0]
    bound = net.bind_loss

    def counting(x: ArrayLike, t: ArrayLike) -> Any:
        inner = bound(x, t)

        def loss() -> float:
            calls[0] += 1
            return inner()

        return loss

    net.bind_loss = counting  # type: ignore[method-assign]
    before = {k: v.copy() for k, v in net.params.items()}
    rel = check.check(X[:10], T[:10])
    assert calls[0] == 2 * 4  # a central difference on each of the 4 entries, nothing else
    assert rel < 1e-5
    for k, v in before.items():
        np.testing.assert_array_equal(net.params[k], v)  # every entry restored exactly


def test_gradient_agreement_with_a_full_reference_estimator() -> None:
    check = GradientAgreement(NumericalDiff(h=1e-5), every=5, coordinates=3)
    assert isinstance(check.reference, NumericalDiff)
    full = GradientAgreement(Backprop(), every=5, coordinates=3)
    trainer = _fit([full], iters=11)
    assert trainer.history.history["grad_disagreement"] == [0.0, 0.0]  # same estimator
    # without a check since the last epoch boundary the log is NaN
    sparse = GradientAgreement(Backprop(), every=7, coordinates=3)
    values = _fit([sparse], iters=13).history.history["grad_disagreement"]
    assert values[0] == 0.0 and math.isnan(values[1]) and values[2] == 0.0
    with pytest.raises(TypeError, match="not a GradientEstimator"):
        GradientAgreement("numerical")  # type: ignore[arg-type]


def test_built_in_callbacks_run_writers_before_readers_whatever_the_list_order(
    tmp_path: Path,
) -> None:
    calls: list[str] = []

    def spy(cb: Callback) -> Callback:
        hook = cb.on_epoch_end

        def recorded(epoch: int, logs: Logs) -> None:
            calls.append(f"{type(cb).__name__}:{','.join(sorted(logs))}")
            hook(epoch, logs)

        cb.on_epoch_end = recorded  # type: ignore[method-assign]
        return cb

    callbacks = [
        spy(Checkpoint(tmp_path / "c.npz")),
        spy(CSVLogger(tmp_path / "log.csv")),
        spy(ProgressPrinter(stream=io.StringIO())),
        spy(EarlyStopping(patience=5)),
        spy(GradientAgreement(every=100)),
        spy(EpochAccuracy(test=(X, T))),
    ]
    trainer = _fit(callbacks, iters=1)
    history = next(cb for cb in trainer.callbacks if isinstance(cb, History))
    assert [type(cb).__name__ for cb in trainer.callbacks] == [
        "EpochAccuracy",
        "GradientAgreement",
        "EarlyStopping",
        "ProgressPrinter",
        "History",
        "CSVLogger",
        "Checkpoint",
    ]
    assert trainer.callbacks.index(history) == 4
    full = "grad_disagreement,iteration,test_acc"
    assert calls == [
        "EpochAccuracy:iteration",
        "GradientAgreement:iteration,test_acc",
        f"EarlyStopping:{full}",
        f"ProgressPrinter:{full}",
        f"CSVLogger:{full}",
        f"Checkpoint:{full}",
    ]
    assert (tmp_path / "log.csv").read_text().splitlines()[0] == (
        "epoch,iteration,test_acc,grad_disagreement"
    )


def test_callbacks_with_state_are_stateful_and_round_trip(tmp_path: Path) -> None:
    from tinynn import Stateful

    stateful = [
        EarlyStopping(),
        CSVLogger(tmp_path / "log.csv"),
        GradientAgreement(),
        Checkpoint(tmp_path / "c.npz"),
        History(),
    ]
    assert all(isinstance(cb, Stateful) for cb in stateful)
    assert not isinstance(EpochAccuracy(test=(X, T)), Stateful)  # nothing to keep
    trainer = _fit([*stateful[:4], EpochAccuracy(test=(X, T))], iters=13)
    for cb in [*stateful[:4], trainer.history]:
        again = type(cb).__new__(type(cb))
        again.__dict__.update(cb.__dict__)
        state = cb.state_dict()  # type: ignore[attr-defined]
        again.load_state_dict(state)  # type: ignore[attr-defined]
        after = again.state_dict()  # type: ignore[attr-defined]
        assert after.keys() == state.keys()
        for key in state:
            if isinstance(state[key], np.ndarray):
                np.testing.assert_array_equal(after[key], state[key])
            elif key != "best_params" and key != "rng":
                assert after[key] == state[key] or (
                    isinstance(state[key], float) and math.isnan(state[key])
                )
    with pytest.raises(ValueError, match="not an EarlyStopping state"):
        EarlyStopping().load_state_dict({"best": 1.0})
    with pytest.raises(ValueError, match="not a CSVLogger state"):
        CSVLogger(tmp_path / "x.csv").load_state_dict({"rows": "3"})
    with pytest.raises(ValueError, match="not a GradientAgreement state"):
        GradientAgreement().load_state_dict({})
    with pytest.raises(ValueError, match="needs a number 'best'"):
        Checkpoint(tmp_path / "c.npz").load_state_dict({"best": "x"})
