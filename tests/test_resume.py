"""Resume is exact: a run stopped at iteration k and resumed equals the uninterrupted run, bit
for bit (parameters, optimizer state, history, CSV log), however it was stopped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn import (
    SGD,
    Backprop,
    Callback,
    Checkpoint,
    CSVLogger,
    EarlyStopping,
    EpochAccuracy,
    GradientAgreement,
    History,
    Stateful,
    Trainer,
    TwoLayerNet,
    load_model,
)
from tinynn.base import Model
from tinynn.callbacks import Logs
from tinynn.typing import ArrayLike, FloatArray, Params

ITERS = 20  # 60 samples / batch 10: 6 iterations per epoch, boundaries at 0, 6, 12, 18


@dataclass
class Momentum:
    """A stateful optimizer written here: v <- 0.9 v - lr g; W <- W + v."""

    lr: float = 0.1
    momentum: float = 0.9
    v: dict[str, FloatArray] = field(default_factory=dict)

    def update(self, params: Params, grads: Params) -> None:
        for key in params:
            if key not in self.v:
                self.v[key] = np.zeros_like(params[key])
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]

    def state_dict(self) -> dict[str, Any]:
        return {"v": {k: v.copy() for k, v in self.v.items()}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.v = {k: np.array(v) for k, v in state["v"].items()}


def _data(n: int, seed: int) -> tuple[FloatArray, Any]:
    r = np.random.default_rng(seed)
    x = r.random((n, 6))
    return x, np.argmax(x[:, :3], axis=1)


X, T = _data(60, 0)
X_TEST, T_TEST = _data(30, 1)


def _optimizer(kind: str) -> Any:
    return SGD(lr=0.5) if kind == "sgd" else Momentum(lr=0.2)


def _trainer(kind: str, folder: Path, extra: list[Callback], *, init: int = 1) -> Trainer:
    callbacks = [
        *extra,
        EpochAccuracy(train=(X, T), test=(X_TEST, T_TEST)),
        GradientAgreement(every=4, coordinates=5, rng=3),
        EarlyStopping(patience=100),
        CSVLogger(folder / "log.csv"),
        Checkpoint(folder / "ckpt.npz", every_iters=4, best_path=folder / "best.npz"),
    ]
    net = TwoLayerNet(6, 5, 3, weight_init_std=0.5, rng=init)
    return Trainer(net, _optimizer(kind), batch_size=10, callbacks=callbacks, rng=2)


def _assert_same_run(a: Trainer, b: Trainer, folder_a: Path, folder_b: Path) -> None:
    for name in a.model.params:
        np.testing.assert_array_equal(a.model.params[name], b.model.params[name], strict=True)
    if isinstance(a.optimizer, Momentum):
        assert isinstance(b.optimizer, Momentum)
        assert a.optimizer.v.keys() == b.optimizer.v.keys()
        for name in a.optimizer.v:
            np.testing.assert_array_equal(a.optimizer.v[name], b.optimizer.v[name], strict=True)
    ha, hb = a.history.history, b.history.history
    assert ha.keys() == hb.keys()
    for key in ha:  # array_equal: NaN (an epoch without a gradient check) equals NaN
        np.testing.assert_array_equal(np.array(ha[key]), np.array(hb[key]), strict=True)
    assert len(ha["loss"]) == ITERS
    assert (folder_a / "log.csv").read_text() == (folder_b / "log.csv").read_text()
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


@pytest.fixture(scope="module", params=["sgd", "momentum"])
def reference(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp(f"ref-{request.param}")
    trainer = _trainer(request.param, folder, [])
    trainer.fit(X, T, iters=ITERS)
    return request.param, trainer, folder


class InterruptAt(Callback):
    """Raises KeyboardInterrupt (as Ctrl-C would) in a hook at iteration k."""

    def __init__(self, k: int, hook: str) -> None:
        super().__init__()
        self.k, self.hook = k, hook

    def on_iteration_end(self, iteration: int, logs: Logs) -> None:
        if self.hook == "iteration" and iteration == self.k:
            raise KeyboardInterrupt

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        if self.hook == "epoch" and self.trainer.iteration == self.k:
            raise KeyboardInterrupt


class InterruptingEstimator:
    """Backprop, but the trainer's gradient of iteration k raises KeyboardInterrupt (once)."""

    def __init__(self, k: int, trainer: Trainer) -> None:
        self.k, self.trainer, self.raised = k, trainer, False

    def gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        # in step 2 of iteration k, k updates are done (GradientAgreement calls it later)
        position = (self.trainer.iteration, self.trainer.iterations_done)
        if position == (self.k, self.k) and not self.raised:
            self.raised = True
            raise KeyboardInterrupt
        return Backprop().gradient(model, x, t)


def _resume(kind: str, folder: Path, *, from_file: str = "ckpt.npz") -> Trainer:
    resumed = _trainer(kind, folder, [], init=99)  # other initial weights: the file decides
    resumed.fit(X, T, iters=ITERS, resume=folder / from_file)
    return resumed


# k: mid-epoch (3, 10), on an epoch boundary (6, 12), the first (0) and the last (19) iteration;
# raised in on_iteration_end, or in on_epoch_end (which runs at epoch boundaries only)
CALLBACK_CASES = [(k, "iteration") for k in (0, 3, 6, 10, 12, 19)] + [
    (k, "epoch") for k in (0, 6, 12, 18)
]


@pytest.mark.parametrize(("k", "hook"), CALLBACK_CASES)
def test_ctrl_c_in_a_callback_then_resume_is_exact(
    reference: Any, tmp_path: Path, k: int, hook: str, capsys: pytest.CaptureFixture[str]
) -> None:
    kind, ref, ref_folder = reference
    first = _trainer(kind, tmp_path, [InterruptAt(k, hook)])
    first.fit(X, T, iters=ITERS)
    assert first.interrupted and first.iterations_done == k + 1
    assert len(first.history.train_loss_list) == k + 1  # one loss per update applied
    assert "interrupted (Ctrl-C)" in capsys.readouterr().err
    _assert_same_run(ref, _resume(kind, tmp_path), ref_folder, tmp_path)


@pytest.mark.parametrize("k", [0, 5, 6, 13])
def test_ctrl_c_in_the_estimator_undoes_the_iteration_and_resume_is_exact(
    reference: Any, tmp_path: Path, k: int
) -> None:
    kind, ref, ref_folder = reference
    first = _trainer(kind, tmp_path, [])
    first.estimator = InterruptingEstimator(k, first)
    before = {name: p.copy() for name, p in first.model.params.items()}
    first.fit(X, T, iters=ITERS)
    assert first.interrupted and first.iterations_done == k
    assert len(first.history.train_loss_list) == k
    assert first.pending_batch is not None and first.pending_batch.shape == (10,)
    if k == 0:
        for name, p in before.items():
            np.testing.assert_array_equal(first.model.params[name], p)
    _assert_same_run(ref, _resume(kind, tmp_path), ref_folder, tmp_path)


@pytest.mark.parametrize("k", [4, 6, 7])
def test_ctrl_c_in_the_optimizer_then_resume_is_exact(
    reference: Any, tmp_path: Path, k: int
) -> None:
    kind, ref, ref_folder = reference
    first = _trainer(kind, tmp_path, [])
    inner = first.optimizer
    calls = [0]

    class Interrupting:
        lr = getattr(inner, "lr", None)

        def update(self, params: Params, grads: Params) -> None:
            calls[0] += 1
            if calls[0] - 1 == k:
                raise KeyboardInterrupt
            inner.update(params, grads)

        def state_dict(self) -> dict[str, Any]:
            return inner.state_dict() if isinstance(inner, Stateful) else {}

        def load_state_dict(self, state: Mapping[str, Any]) -> None:  # the undone update's
            assert isinstance(inner, Stateful)
            inner.load_state_dict(state)

        def __repr__(self) -> str:
            return repr(inner)

    Interrupting.__name__ = type(inner).__name__
    first.optimizer = Interrupting()
    first.fit(X, T, iters=ITERS)
    assert first.interrupted and first.iterations_done == k
    _assert_same_run(ref, _resume(kind, tmp_path), ref_folder, tmp_path)


@pytest.mark.parametrize("k", [5, 6, 12])
def test_a_run_of_k_iterations_continued_to_the_end_is_exact(
    reference: Any, tmp_path: Path, k: int
) -> None:
    kind, ref, ref_folder = reference
    first = _trainer(kind, tmp_path, [])
    first.fit(X, T, iters=k)
    assert not first.interrupted
    _assert_same_run(ref, _resume(kind, tmp_path), ref_folder, tmp_path)


def test_resume_twice_and_the_best_checkpoint(reference: Any, tmp_path: Path) -> None:
    kind, ref, ref_folder = reference
    _trainer(kind, tmp_path, [InterruptAt(4, "iteration")]).fit(X, T, iters=ITERS)
    second = _trainer(kind, tmp_path, [InterruptAt(9, "iteration")], init=7)
    second.fit(X, T, iters=ITERS, resume=tmp_path / "ckpt.npz")
    assert second.interrupted and second.iterations_done == 10
    _assert_same_run(ref, _resume(kind, tmp_path), ref_folder, tmp_path)
    best = load_model(ref_folder / "best.npz")
    accs = ref.history.test_acc_list
    assert best.accuracy(X_TEST, T_TEST) == max(accs)


def test_checkpoint_schedule_and_contents(tmp_path: Path) -> None:
    saved: list[int] = []
    trainer = _trainer("momentum", tmp_path, [])
    original = trainer.save_checkpoint

    def spy(path: Any, **kw: Any) -> Path:
        if Path(path).name == "ckpt.npz":
            saved.append(trainer.iterations_done)
        return original(path, **kw)

    trainer.save_checkpoint = spy  # type: ignore[method-assign]
    trainer.fit(X, T, iters=ITERS)
    assert saved == [4, 8, 12, 16, 20]  # every 4 iterations; the end (20) is one of them
    with np.load(tmp_path / "ckpt.npz", allow_pickle=False) as z:
        names = set(z.files)
    assert {"params/W1", "state/optimizer/v/W1", "state/history/loss"} <= names
    assert "state/callbacks/EarlyStopping/best_params" not in names  # restore_best is off


def test_resume_refuses_what_does_not_fit(tmp_path: Path) -> None:
    trainer = _trainer("momentum", tmp_path, [])
    trainer.fit(X, T, iters=5)
    path = tmp_path / "ckpt.npz"
    other = _trainer("sgd", tmp_path, [])
    with pytest.raises(ValueError, match="optimizer Momentum; this trainer has SGD"):
        other.fit(X, T, iters=10, resume=path)
    with pytest.raises(ValueError, match="train_size=60, this run has train_size=50"):
        _trainer("momentum", tmp_path, []).fit(X[:50], T[:50], iters=10, resume=path)
    bare = Trainer(TwoLayerNet(6, 5, 3, rng=0), Momentum(lr=0.2), batch_size=10, rng=2)
    history = bare.fit(X, T, iters=10, resume=path)  # callbacks' states are not needed
    assert len(history.train_loss_list) == 10
    other_lr = Trainer(TwoLayerNet(6, 5, 3, rng=0), Momentum(lr=0.3), batch_size=10, rng=2)
    with pytest.warns(UserWarning, match=r"written with lr=0\.2\) with lr=0\.3"):
        other_lr.fit(X, T, iters=10, resume=path)
    extra = _trainer("momentum", tmp_path, [EarlyStopping()])
    with pytest.raises(ValueError, match=r"no state for the callbacks \['EarlyStopping-2'\]"):
        extra.fit(X, T, iters=10, resume=path)
    wrong_model = Trainer(TwoLayerNet(6, 4, 3, rng=0), Momentum(0.2), batch_size=10, rng=2)
    with pytest.raises(ValueError, match="does not fit the model"):
        wrong_model.fit(X, T, iters=10, resume=path)
    from tinynn import save_model

    save_model(trainer.model, tmp_path / "model.npz")
    with pytest.raises(ValueError, match="is a tinynn 'model' file, expected a checkpoint"):
        bare.fit(X, T, iters=10, resume=tmp_path / "model.npz")


def test_history_state_round_trip_is_exact() -> None:
    h = History()
    h.on_train_begin({})
    for v in np.random.default_rng(0).random(50):
        h.record_loss(float(v))
    h.on_epoch_end(0, {"iteration": 0.0, "test_acc": 1 / 3})
    again = History()
    again.load_state_dict(h.state_dict())
    assert again.history == h.history
    assert list(again.history) == list(h.history)


def test_checkpoint_info_is_saved_with_the_state_and_only_plain_json(tmp_path: Path) -> None:
    from tinynn.saving.checkpoint_file import read_saved

    info = {"program": "mine", "options": {"lr": 0.2, "layers": [6, 5, 3]}}
    trainer = _trainer("sgd", tmp_path, [Checkpoint(tmp_path / "i.npz", every_epochs=0,
                                                    info=info)])  # fmt: skip
    trainer.fit(X, T, iters=5)
    saved = read_saved(tmp_path / "i.npz")
    assert saved.info == info and saved.iterations_done == 5
    trainer.save_checkpoint(tmp_path / "j.npz", info={"note": "by hand"})
    assert read_saved(tmp_path / "j.npz").info == {"note": "by hand"}
    for bad in ({"x": object()}, {"x": float("nan")}, ["not", "a", "mapping"]):
        with pytest.raises(TypeError, match="info must"):
            Checkpoint(tmp_path / "k.npz", info=bad)  # type: ignore[arg-type]


def test_a_checkpoint_with_every_epochs_0_saves_only_at_the_end(tmp_path: Path) -> None:
    saved: list[int] = []
    trainer = _trainer("sgd", tmp_path, [])
    trainer.callbacks = [cb for cb in trainer.callbacks if not isinstance(cb, Checkpoint)]
    end_only = Checkpoint(tmp_path / "end.npz", every_epochs=0)
    trainer.callbacks.append(end_only)
    original = trainer.save_checkpoint

    def spy(path: Any, **kw: Any) -> Path:
        saved.append(trainer.iterations_done)
        return original(path, **kw)

    trainer.save_checkpoint = spy  # type: ignore[method-assign]
    trainer.fit(X, T, iters=ITERS)
    assert saved == [ITERS] and end_only.saves == 1
    with pytest.raises(ValueError, match="every_epochs must be an int >= 0"):
        Checkpoint(tmp_path / "x.npz", every_epochs=-1)
