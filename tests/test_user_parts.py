"""The contract for a user's part (docs/extending.rst, ARCHITECTURE.md), held by the framework.

A user's estimator trains in training mode; state that decides a resumed run is saved
through one mechanism (``Stateful``) for layers, optimizers, estimators and callbacks, or
named in a warning when a checkpoint is written; an interrupted step puts back everything
it touched; a layer's mode flag is taken as the book's ``train_flg`` or refused.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinynn as nn
from tinynn.typing import FloatArray, Params

RNG = np.random.default_rng(0)
X = RNG.standard_normal((60, 4))
T = np.argmax(X[:, :3] + 0.1 * RNG.standard_normal((60, 3)), axis=1)


@dataclass(frozen=True)
class ForwardDiff:
    """The extending page's estimator: forward differences, one extra loss per weight."""

    h: float = 1e-4

    def gradient(self, model: nn.Model, x: Any, t: Any) -> Params:
        base = model.loss(x, t)
        grads: Params = {}
        for name, p in model.params.items():
            g = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + self.h
                try:
                    g[idx] = (model.loss(x, t) - base) / self.h
                finally:
                    p[idx] = old
            grads[name] = g
        return grads


class FlagRecorder:
    """A layer that passes its input through and records the mode it was called in while
    ``watching`` (set by :class:`Watched` during a gradient)."""

    def __init__(self) -> None:
        self.flags: list[bool] = []
        self.watching = False
        self._empty: Params = {}

    @property
    def params(self) -> Params:
        return self._empty

    @property
    def grads(self) -> Params:
        return self._empty

    def forward(self, x: FloatArray, train_flg: bool = True) -> FloatArray:
        if self.watching:
            self.flags.append(train_flg)
        return x

    def backward(self, dout: FloatArray) -> FloatArray:
        return dout


@dataclass
class Watched:
    """An estimator that tells ``recorder`` to record while ``inner`` computes a gradient."""

    inner: Any
    recorder: FlagRecorder

    def gradient(self, model: nn.Model, x: Any, t: Any) -> Params:
        self.recorder.watching = True
        try:
            grads: Params = self.inner.gradient(model, x, t)
            return grads
        finally:
            self.recorder.watching = False


def _net_with(layer: object, *, dropout: bool = False, seed: int = 1) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    layers: list[Any] = [nn.Affine.random(4, 6, weight_init_std=0.5, rng=rng), nn.Relu(), layer]
    if dropout:
        layers.append(nn.Dropout(0.3, rng=seed + 10))
    layers.append(nn.Affine.random(6, 3, weight_init_std=0.5, rng=rng))
    return nn.Sequential(layers)


# -- 1. every estimator, built-in or not, trains in training mode ----------------------
def test_a_users_estimator_trains_in_training_mode() -> None:
    recorder = FlagRecorder()
    net = _net_with(recorder, dropout=True)
    dropout = net.layers[3]
    assert isinstance(dropout, nn.Dropout)
    before = dict(dropout.rng.bit_generator.state)
    estimator = Watched(ForwardDiff(), recorder)
    nn.Trainer(net, nn.SGD(lr=0.1), estimator, batch_size=10, rng=2).fit(X, T, iters=2)
    # every loss the estimator evaluated saw the training network (dropout on)...
    entries = sum(p.size for p in net.params.values())
    assert recorder.flags.count(True) == 2 * (1 + entries), recorder.flags.count(False)
    # ... with one mask per gradient: the generator moved twice, once per iteration
    moved = np.random.Generator(np.random.PCG64())
    moved.bit_generator.state = before
    moved.random((10, 6))
    moved.random((10, 6))
    assert dropout.rng.bit_generator.state == moved.bit_generator.state


def test_the_model_protocol_names_training_mode() -> None:
    assert "training" in (nn.Model.__doc__ or "")
    assert "training()" in Path("docs/extending.rst").read_text(encoding="utf-8")


# -- 8. an interrupted step puts back everything it touched, the layers' state included ---
def _chapter6_net(seed: int = 1) -> nn.MultiLayerNetExtend:
    return nn.MultiLayerNetExtend(4, [6, 6], 3, use_dropout=True, dropout_ratio=0.2,
                                  use_batchnorm=True, rng=seed)  # fmt: skip


class InterruptAt:
    """An optimizer that raises KeyboardInterrupt inside its ``k``-th update (0-based), after
    the gradient (the layers' state has moved by then), and otherwise is ``inner``."""

    def __init__(self, inner: Any, k: int) -> None:
        self.inner, self.k, self.calls = inner, k, 0
        self.lr = inner.lr

    def update(self, params: Params, grads: Params) -> None:
        self.calls += 1
        if self.calls - 1 == self.k:
            raise KeyboardInterrupt
        self.inner.update(params, grads)

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = self.inner.state_dict()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.inner.load_state_dict(state)


@pytest.mark.parametrize("where", ["optimizer", "estimator"])
def test_ctrl_c_inside_a_step_of_a_dropout_batchnorm_network_resumes_exactly(
    tmp_path: Path, where: str
) -> None:
    def trainer(optimizer: Any, estimator: Any = None) -> nn.Trainer:
        ckpt = nn.Checkpoint(tmp_path / "run.npz", every_epochs=0)
        return nn.Trainer(_chapter6_net(), optimizer, estimator, batch_size=10,
                          callbacks=[ckpt], rng=2)  # fmt: skip

    reference = trainer(nn.Adam(lr=0.01))
    reference.fit(X, T, iters=9)
    adam = nn.Adam(lr=0.01)
    if where == "optimizer":

        class Adam(InterruptAt):  # named as the optimizer whose state it keeps
            pass

        first = trainer(Adam(adam, 4))
    else:  # inside the gradient, after the forward pass drew its masks and moved the statistics

        class Interrupting:
            calls = 0

            def gradient(self, model: nn.Model, x: Any, t: Any) -> Params:
                grads: Params = nn.Backprop().gradient(model, x, t)
                Interrupting.calls += 1
                if Interrupting.calls == 5:
                    raise KeyboardInterrupt
                return grads

        first = trainer(adam, Interrupting())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first.fit(X, T, iters=9)
    assert first.interrupted and first.iterations_done == 4
    second = trainer(nn.Adam(lr=0.01))
    second.fit(X, T, iters=9, resume=tmp_path / "run.npz")
    for name, p in reference.model.params.items():
        np.testing.assert_array_equal(second.model.params[name], p, strict=True)
    ref_state, state = reference.model.state_dict(), second.model.state_dict()  # type: ignore[attr-defined]
    assert repr(state) == repr(ref_state)


# -- 3. an estimator's state is saved like every other part's ----------------------------
def test_spsa_with_its_generator_resumes_bit_for_bit(tmp_path: Path) -> None:
    def trainer() -> nn.Trainer:
        net = nn.TwoLayerNet(4, 5, 3, weight_init_std=0.5, rng=1)
        ckpt = nn.Checkpoint(tmp_path / "run.npz", every_iters=5)
        return nn.Trainer(net, nn.SGD(lr=0.01), nn.SPSA(rng=4), batch_size=10,
                          callbacks=[ckpt], rng=2)  # fmt: skip

    whole = trainer()
    whole.fit(X, T, iters=10)
    first = trainer()
    first.fit(X, T, iters=5)
    second = trainer()
    second.fit(X, T, iters=10, resume=tmp_path / "run.npz")
    for name, p in whole.model.params.items():
        np.testing.assert_array_equal(second.model.params[name], p, strict=True)
    assert isinstance(nn.SPSA(), nn.Stateful)


# -- 9. a refused update leaves a state that loads -----------------------------------------
def test_adam_whose_schedule_gives_nan_at_the_first_update_keeps_a_loadable_state() -> None:
    adam = nn.Adam(lr=lambda step: float("nan"))
    params = {"W": np.ones(3)}
    with pytest.raises(ValueError, match="lr=nan at step 0"):
        adam.update(params, {"W": np.ones(3)})
    np.testing.assert_array_equal(params["W"], np.ones(3))
    state = adam.state_dict()
    nn.Adam().load_state_dict(state)  # today: refused (step 0 with slots)
    assert state["t"] == 0 and state["m"] == {} and state["v"] == {}


# -- 10. a checkpoint is a model file too: load_model takes the layers' state from it ------
def test_load_model_on_a_checkpoint_takes_the_running_statistics(tmp_path: Path) -> None:
    net = _chapter6_net()
    trainer = nn.Trainer(net, nn.SGD(lr=0.1), batch_size=10,
                         callbacks=[nn.Checkpoint(tmp_path / "run.npz")], rng=2)  # fmt: skip
    trainer.fit(X, T, iters=12)
    loaded = nn.load_model(tmp_path / "run.npz")
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X), strict=True)


# -- 12. resume into another architecture of the same shapes is refused -----------------
def test_resume_into_another_activation_is_refused_naming_the_difference(tmp_path: Path) -> None:
    def trainer(activation: str) -> nn.Trainer:
        net = nn.MultiLayerNet(4, [6], 3, activation=activation, rng=1)
        return nn.Trainer(net, nn.SGD(lr=0.1), batch_size=10,
                          callbacks=[nn.Checkpoint(tmp_path / "run.npz")], rng=2)  # fmt: skip

    trainer("relu").fit(X, T, iters=3)
    other = trainer("sigmoid")
    before = {k: v.copy() for k, v in other.model.params.items()}
    with pytest.raises(ValueError, match=r"Relu.*Sigmoid|Sigmoid.*Relu"):
        other.fit(X, T, iters=6, resume=tmp_path / "run.npz")
    for name, p in before.items():
        np.testing.assert_array_equal(other.model.params[name], p)


# -- 2. state a part cannot save is named when a checkpoint is written -------------------
class NoisyLayer:
    """A user layer that adds noise from its own generator while training."""

    def __init__(self, *, rng: int, saves: bool) -> None:
        self.rng = np.random.default_rng(rng)
        self.saves = saves
        self._empty: Params = {}

    @property
    def params(self) -> Params:
        return self._empty

    @property
    def grads(self) -> Params:
        return self._empty

    def forward(self, x: FloatArray, train_flg: bool = True) -> FloatArray:
        return x + 0.1 * self.rng.standard_normal(x.shape) if train_flg else x

    def backward(self, dout: FloatArray) -> FloatArray:
        return dout


class SavingNoisyLayer(NoisyLayer):
    def state_dict(self) -> dict[str, Any]:
        return {"rng": dict(self.rng.bit_generator.state)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.rng.bit_generator.state = dict(state["rng"])


def _noisy_trainer(folder: Path, layer: object, optimizer: Any = None) -> nn.Trainer:
    net = _net_with(layer)
    ckpt = nn.Checkpoint(folder / "run.npz", every_iters=4)
    return nn.Trainer(net, optimizer or nn.SGD(lr=0.1), batch_size=10, callbacks=[ckpt], rng=2)


def test_a_user_layer_with_a_generator_and_state_dict_resumes_bit_for_bit(tmp_path: Path) -> None:
    whole = _noisy_trainer(tmp_path, SavingNoisyLayer(rng=5, saves=True))
    whole.fit(X, T, iters=8)
    first = _noisy_trainer(tmp_path, SavingNoisyLayer(rng=5, saves=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about
        first.fit(X, T, iters=4)
    second = _noisy_trainer(tmp_path, SavingNoisyLayer(rng=99, saves=True))
    second.fit(X, T, iters=8, resume=tmp_path / "run.npz")
    for name, p in whole.model.params.items():
        np.testing.assert_array_equal(second.model.params[name], p, strict=True)


def test_a_user_layer_with_a_generator_but_no_state_dict_is_named_at_the_checkpoint(
    tmp_path: Path,
) -> None:
    trainer = _noisy_trainer(tmp_path, NoisyLayer(rng=5, saves=False))
    with pytest.warns(nn.UnsavedStateWarning, match=r"layer 2 \(NoisyLayer\).*\.rng") as caught:
        trainer.fit(X, T, iters=8)
    assert len(caught) == 1  # once per run, not at every checkpoint
    assert "state_dict" in str(caught[0].message)


@dataclass
class PlainMomentum:
    """A user optimizer with velocity, and no state_dict."""

    lr: float = 0.1
    v: dict[str, FloatArray] = field(default_factory=dict)

    def update(self, params: Params, grads: Params) -> None:
        for key, p in params.items():
            v = self.v.setdefault(key, np.zeros_like(p))
            v *= 0.9
            v -= self.lr * grads[key]
            p += v


def test_an_optimizer_without_state_dict_that_keeps_arrays_is_named(tmp_path: Path) -> None:
    trainer = _noisy_trainer(tmp_path, FlagRecorder(), PlainMomentum())
    with pytest.warns(nn.UnsavedStateWarning, match=r"optimizer \(PlainMomentum\).*\.v"):
        trainer.fit(X, T, iters=4)


def test_an_estimator_with_a_generator_and_no_state_dict_is_named(tmp_path: Path) -> None:
    @dataclass
    class Noisy:
        rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(1))

        def gradient(self, model: nn.Model, x: Any, t: Any) -> Params:
            grads: Params = nn.Backprop().gradient(model, x, t)
            return {k: g + 1e-3 * self.rng.standard_normal(g.shape) for k, g in grads.items()}

    net = nn.TwoLayerNet(4, 5, 3, rng=1)
    trainer = nn.Trainer(net, nn.SGD(lr=0.1), Noisy(), batch_size=10,
                         callbacks=[nn.Checkpoint(tmp_path / "run.npz")], rng=2)  # fmt: skip
    with pytest.warns(nn.UnsavedStateWarning, match=r"estimator \(Noisy\).*\.rng"):
        trainer.fit(X, T, iters=4)


def _rate(value: float) -> Any:
    return lambda step: value  # the same name whatever the value


@dataclass
class CountingSGD:
    """A user optimizer with a schedule and a step counter named ``steps``."""

    lr: Any
    steps: int = 0

    def update(self, params: Params, grads: Params) -> None:
        rate = self.lr(self.steps)
        for key, p in params.items():
            p -= rate * grads[key]
        self.steps += 1

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self.steps}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.steps = int(state["steps"])


def test_a_changed_schedule_is_noticed_whatever_the_step_counter_is_called(
    tmp_path: Path,
) -> None:
    _noisy_trainer(tmp_path, FlagRecorder(), CountingSGD(_rate(0.1))).fit(X, T, iters=4)
    again = _noisy_trainer(tmp_path, FlagRecorder(), CountingSGD(_rate(0.2)))
    with pytest.warns(UserWarning, match="will not match an uninterrupted one"):
        again.fit(X, T, iters=8, resume=tmp_path / "run.npz")


# -- 5. a layer's mode flag: the book's train_flg, keyword-only too; any other is refused --
class KeywordDropout(FlagRecorder):
    def forward(self, x: FloatArray, *, train_flg: bool = True) -> FloatArray:  # type: ignore[override]
        if self.watching:
            self.flags.append(train_flg)
        return x


class TrainingNamed(FlagRecorder):
    def forward(self, x: FloatArray, training: bool = True) -> FloatArray:  # type: ignore[override]
        return x


def test_a_keyword_only_train_flg_is_given_by_keyword() -> None:
    layer = KeywordDropout()
    net = _net_with(layer)
    layer.watching = True
    net.predict(X[:3])
    with net.training():
        net.loss(X[:3], T[:3])
    assert layer.flags == [False, True]


def test_a_mode_flag_of_another_name_is_refused_naming_it() -> None:
    with pytest.raises(TypeError, match=r"layers\[2\] \(TrainingNamed\).*'training'.*train_flg"):
        _net_with(TrainingNamed())


def test_a_forward_with_a_required_extra_argument_is_refused() -> None:
    class Needy(FlagRecorder):
        def forward(self, x: FloatArray, scale: float) -> FloatArray:  # type: ignore[override]
            return x * scale

    with pytest.raises(TypeError, match=r"layers\[2\] \(Needy\).*'scale'"):
        _net_with(Needy())


# -- 7. what a user meets first: hook signatures, 'he' for Affine, readable reprs -------------
def test_a_hook_with_the_wrong_signature_is_refused_when_the_trainer_is_made() -> None:
    class Early(nn.Callback):
        def on_train_begin(self) -> None:  # type: ignore[override]
            pass

    with pytest.raises(TypeError, match=r"callbacks\[0\] \(Early\)\.on_train_begin.*"
                       r"on_train_begin\(self, logs\)"):  # fmt: skip
        nn.Trainer(nn.TwoLayerNet(4, 5, 3, rng=1), nn.SGD(), callbacks=[Early()])


def test_the_hooks_signatures_are_on_the_extending_page() -> None:
    page = Path("docs/extending.rst").read_text(encoding="utf-8")
    for hook in ("on_train_begin(self, logs)", "on_iteration_end(self, iteration, logs)",
                 "on_epoch_end(self, epoch, logs)", "on_train_end(self, logs)"):  # fmt: skip
        assert hook in page


def test_affine_random_takes_the_rules_multi_layer_net_takes() -> None:
    he = nn.Affine.random(200, 50, rng=0, weight_init_std="he")
    xavier = nn.Affine.random(200, 50, rng=0, weight_init_std="xavier")
    np.testing.assert_allclose(he.W, np.sqrt(2.0) * xavier.W)
    assert abs(float(he.W.std()) - np.sqrt(2 / 200)) < 0.005
    with pytest.raises(ValueError, match="'he'"):
        nn.Affine.random(2, 2, rng=0, weight_init_std="kaiming")


def test_a_user_layer_shows_in_a_sequential_by_name_and_shapes() -> None:
    class Scale:
        def __init__(self) -> None:
            self.params: Params = {"s": np.ones(6)}
            self.grads: Params = {"s": np.zeros(6)}

        def forward(self, x: FloatArray) -> FloatArray:
            return x * self.params["s"]

        def backward(self, dout: FloatArray) -> FloatArray:
            return dout * self.params["s"]

    text = repr(_net_with(Scale()))
    assert "Scale(s: 6)" in text and "object at 0x" not in text


def test_fit_returns_a_history_that_reads_at_the_prompt() -> None:
    net = nn.TwoLayerNet(4, 5, 3, weight_init_std=0.5, rng=1)
    accuracy = nn.EpochAccuracy(train=(X, T), test=(X, T))
    history = nn.Trainer(net, nn.SGD(lr=0.5), batch_size=10, callbacks=[accuracy],
                         rng=2).fit(X, T, iters=13)  # fmt: skip
    text = repr(history)
    assert text.startswith("History(13 iterations, loss ") and "3 epoch records" in text
    assert f"test_acc {history.test_acc_list[-1]:.4g}" in text and "object at" not in text
