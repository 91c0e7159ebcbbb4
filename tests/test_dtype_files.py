"""Saved models and checkpoints keep the dtype: a float32 model comes back float32, a file
written before dtypes were recorded comes back float64, and a float32 run resumed after a
real interruption ends bit for bit where the uninterrupted run ends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinynn as nn
from tinynn.callbacks import Logs
from tinynn.saving.archive import read_archive, write_archive

CONV = {"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 1}

BUILDS: list[Callable[..., Any]] = [
    lambda **kw: nn.TwoLayerNet(6, 5, 3, rng=0, **kw),
    lambda **kw: nn.MultiLayerNet(6, [5, 4], 3, weight_decay_lambda=0.1, rng=0, **kw),
    lambda **kw: nn.MultiLayerNetExtend(6, [5, 4], 3, use_batchnorm=True, use_dropout=True,
                                         rng=0, **kw),
    lambda **kw: nn.SimpleConvNet((1, 10, 10), CONV, 8, 3, rng=0, **kw),
    lambda **kw: nn.SimpleNet(rng=0, **kw),
    lambda **kw: nn.Sequential(
        [nn.Affine.random(6, 4, rng=0, **kw), nn.Relu(), nn.Affine.random(4, 3, rng=1, **kw)]
    ),
]
IDS = ["TwoLayerNet", "MultiLayerNet", "MultiLayerNetExtend", "SimpleConvNet", "SimpleNet",
       "Sequential"]  # fmt: skip


def _input(net: Any) -> Any:
    if net.input_shape:
        return np.random.default_rng(2).random((4, *net.input_shape))
    shape = (4, net.layers[0].params["W"].shape[0])
    return np.random.default_rng(2).random(shape)


@pytest.mark.parametrize("build", BUILDS, ids=IDS)
def test_a_float32_model_is_loaded_as_float32(build: Callable[..., Any], tmp_path: Path) -> None:
    net = build(dtype=np.float32)
    x = _input(net)
    with net.training():  # Batch Normalization's running statistics move, in float32
        net.loss(x, [0, 1, 2, 0])
    path = nn.save_model(net, tmp_path / "net.npz")
    again = nn.load_model(path)
    assert type(again) is type(net) and again.dtype == np.float32
    for name, p in net.params.items():
        np.testing.assert_array_equal(again.params[name], p, strict=True)  # dtype too
    assert np.array_equal(again.predict(x), net.predict(x))
    assert again.predict(x).dtype == np.float32
    for layer in again.layers:
        if hasattr(layer, "running_mean"):
            assert layer.running_mean.dtype == np.float32 and layer.running_var.dtype == np.float32
    wide = nn.load_model(path, model=build())  # into a float64 model: its dtype is kept
    assert wide.dtype == np.float64 and all(p.dtype == np.float64 for p in wide.params.values())


def test_a_file_written_before_dtypes_were_recorded_loads_as_float64(tmp_path: Path) -> None:
    path = nn.save_model(nn.TwoLayerNet(6, 5, 3, rng=0), tmp_path / "net.npz")
    meta, arrays = read_archive(path, ("model",))
    assert meta["model"]["dtype"] == "float64"
    del meta["model"]["dtype"]  # as tinynn wrote it before
    meta.pop("format_version")
    write_archive(tmp_path / "old.npz", meta, arrays)
    old = nn.load_model(tmp_path / "old.npz")
    assert old.dtype == np.float64 and old.params["W1"].dtype == np.float64
    meta["model"]["dtype"] = "float16"
    write_archive(tmp_path / "bad.npz", meta, arrays)
    with pytest.raises(ValueError, match=r"bad.npz: the model record has dtype 'float16'"):
        nn.load_model(tmp_path / "bad.npz")


class InterruptAt(nn.Callback):
    """Raises KeyboardInterrupt (as Ctrl-C would) at the end of iteration k."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k

    def on_iteration_end(self, iteration: int, logs: Logs) -> None:
        if iteration == self.k:
            raise KeyboardInterrupt


X = np.random.default_rng(0).random((60, 6))
T = np.argmax(X[:, :3], axis=1)
ITERS = 20


def _trainer(folder: Path, extra: list[nn.Callback], *, init: int = 1, dtype: Any = np.float32
             ) -> nn.Trainer:  # fmt: skip
    folder.mkdir(exist_ok=True)
    net = nn.MultiLayerNetExtend(6, [5, 4], 3, use_batchnorm=True, use_dropout=True,
                                 dropout_ratio=0.2, rng=init, dtype=dtype)  # fmt: skip
    callbacks = [*extra, nn.EpochAccuracy(train=(X, T)),
                 nn.Checkpoint(folder / "ckpt.npz", every_iters=4)]  # fmt: skip
    return nn.Trainer(net, nn.Adam(lr=0.01), batch_size=10, callbacks=callbacks, rng=2)


@pytest.mark.parametrize("k", [3, 10])
def test_a_float32_run_resumed_after_ctrl_c_is_bit_for_bit(
    tmp_path: Path, k: int, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = _trainer(tmp_path / "ref", [])
    ref.fit(X, T, iters=ITERS)
    first = _trainer(tmp_path / "run", [InterruptAt(k)])
    first.fit(X, T, iters=ITERS)
    assert first.interrupted and "interrupted (Ctrl-C)" in capsys.readouterr().err
    resumed = _trainer(tmp_path / "run", [], init=99)  # other weights: the file decides
    resumed.fit(X, T, iters=ITERS, resume=tmp_path / "run" / "ckpt.npz")
    for name, p in ref.model.params.items():
        assert p.dtype == np.float32
        np.testing.assert_array_equal(resumed.model.params[name], p, strict=True)
    a, b = ref.optimizer.state_dict(), resumed.optimizer.state_dict()
    assert a["t"] == b["t"] == ITERS
    for slot in ("m", "v"):
        for name, value in a[slot].items():
            assert value.dtype == np.float32
            np.testing.assert_array_equal(b[slot][name], value, strict=True)
    for la, lb in zip(ref.model.layers, resumed.model.layers, strict=True):
        if hasattr(la, "running_mean"):
            np.testing.assert_array_equal(lb.running_mean, la.running_mean, strict=True)
            np.testing.assert_array_equal(lb.running_var, la.running_var, strict=True)
    for key, values in ref.history.history.items():
        np.testing.assert_array_equal(np.array(resumed.history.history[key]), np.array(values))


def test_a_float32_checkpoint_does_not_resume_a_float64_model(tmp_path: Path) -> None:
    _trainer(tmp_path, [InterruptAt(5)]).fit(X, T, iters=ITERS)
    wide = _trainer(tmp_path, [], dtype=np.float64)
    before = {k: v.copy() for k, v in wide.model.params.items()}
    with pytest.raises(ValueError, match=r"holds a float32 model, the model is float64: build "
                       r"it with dtype=np.float32 \(the command line: --dtype float32\)"):
        wide.fit(X, T, iters=ITERS, resume=tmp_path / "ckpt.npz")
    for name, p in wide.model.params.items():
        np.testing.assert_array_equal(p, before[name], strict=True)  # nothing changed
