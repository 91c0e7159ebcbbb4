"""Messages name their subject, and a NumPy scalar is a number (issue 23, item 14).

``Dropout(np.float32(0.5))`` was refused as "not a number"; a model file with a negative
running variance or a NaN running mean was refused without naming the file or the layer;
``SGD(lr=StepDecay)`` (the class) and ``SGD(lr=lambda: 0.1)`` were accepted and failed at
the first update without naming ``lr`` or the schedule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinynn as nn
from tinynn.saving.archive import read_archive, write_archive

F32, F64, I64 = np.float32, np.float64, np.int64

#: Every public call that takes a number, given NumPy scalars.
NUMPY_SCALARS: dict[str, Callable[[], object]] = {
    "Dropout": lambda: nn.Dropout(F32(0.25)),
    "BatchNormalization": lambda: nn.BatchNormalization(np.ones(2), np.zeros(2), F32(0.5)),
    "MultiLayerNetExtend": lambda: nn.MultiLayerNetExtend(
        I64(4), [I64(3)], I64(2), use_dropout=True, dropout_ratio=F32(0.25), rng=I64(0)
    ),
    "Convolution": lambda: nn.Convolution(np.zeros((1, 1, 3, 3)), np.zeros(1), I64(1), I64(1)),
    "Pooling": lambda: nn.Pooling(I64(2), I64(2), I64(2), I64(0)),
    "SoftmaxWithLoss": lambda: nn.SoftmaxWithLoss(F32(1e-7)),
    "SGD": lambda: nn.SGD(lr=F32(0.1)),
    "Adam": lambda: nn.Adam(lr=F32(0.1), beta1=F32(0.9), beta2=F64(0.999)),
    "StepDecay": lambda: nn.StepDecay(F32(0.1), I64(10), F32(0.5)),
    "LinearWarmup": lambda: nn.LinearWarmup(F32(0.1), I64(10)),
    "EarlyStopping": lambda: nn.EarlyStopping(patience=I64(2), min_delta=F32(0.01)),
    "Checkpoint": lambda: nn.Checkpoint("unused.npz", every_iters=I64(3), min_delta=F32(0.1)),
    "NumericalDiff": lambda: nn.NumericalDiff(h=F32(1e-4)),
    "SPSA": lambda: nn.SPSA(F32(1e-3), I64(2), rng=I64(0)),
    "Trainer": lambda: nn.Trainer(nn.TwoLayerNet(4, 3, 2, rng=0), nn.SGD(), batch_size=I64(2)),
}


@pytest.mark.parametrize("name", sorted(NUMPY_SCALARS))
def test_a_numpy_scalar_is_taken_wherever_a_number_is(name: str) -> None:
    made = NUMPY_SCALARS[name]()
    assert made is not None


def test_dropout_keeps_the_numpy_ratio_as_a_float_and_still_refuses_a_bool() -> None:
    layer = nn.Dropout(F32(0.25))
    assert type(layer.dropout_ratio) is float and layer.dropout_ratio == 0.25
    for bad in (np.bool_(True), True, "0.5", F32(np.nan), F32(1.0)):
        with pytest.raises((TypeError, ValueError), match="dropout_ratio"):
            nn.Dropout(bad)  # type: ignore[arg-type]


def test_plot_arguments_take_numpy_integers() -> None:
    pytest.importorskip("matplotlib")
    from tinynn.plot import misclassified_figure

    images = np.zeros((3, 784))
    fig = misclassified_figure(images, np.array([1, 2, 3]), np.array([2, 3, 4]),
                               columns=I64(2))  # fmt: skip
    assert fig is not None


def _file_with_state(tmp_path: Path, key: str, value: np.ndarray) -> Path:
    net = nn.MultiLayerNetExtend(4, [5, 5], 3, use_batchnorm=True, rng=0)
    good = nn.save_model(net, tmp_path / "good.npz")
    meta, arrays = read_archive(good, ("model",))
    meta.pop("format_version")
    return write_archive(tmp_path / "bad.npz", meta, {**arrays, key: value})


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("model_state/4/running_var", -np.ones(5), "running_var must be >= 0"),
        ("model_state/1/running_mean", np.array([0, np.nan, 0, 0, 0.0]), "running_mean contains"),
    ],
)
def test_a_model_file_with_a_bad_running_statistic_names_the_file_and_the_layer(
    tmp_path: Path, key: str, value: np.ndarray, problem: str
) -> None:
    path = _file_with_state(tmp_path, key, value)
    position = key.split("/")[1]
    with pytest.raises(ValueError) as info:
        nn.load_model(path)
    message = str(info.value)
    assert str(path) in message and f"layers[{position}] (BatchNormalization)" in message
    assert problem in message
    net = nn.MultiLayerNetExtend(4, [5, 5], 3, use_batchnorm=True, rng=1)
    before = {k: v.copy() for k, v in net.params.items()}, net.state_dict()
    with pytest.raises(ValueError, match=re.escape(f"layers[{position}] (BatchNormalization)")):
        nn.load_model(path, model=net)
    assert all(np.array_equal(v, before[0][k]) for k, v in net.params.items())
    for i, state in before[1].items():  # every layer as it was
        for name, array in state.items():
            np.testing.assert_array_equal(net.state_dict()[i][name], array)


@pytest.mark.parametrize(
    ("cls", "example"),
    [
        (nn.StepDecay, "StepDecay(0.1, 100)"),
        (nn.ExponentialDecay, "ExponentialDecay(0.1, 1000, 0.5)"),
        (nn.CosineDecay, "CosineDecay(0.1, 10000)"),
        (nn.LinearWarmup, "LinearWarmup(0.1, 500)"),
    ],
)
def test_a_schedule_class_instead_of_a_schedule_is_refused_at_construction(
    cls: type, example: str
) -> None:
    for make in (nn.SGD, nn.Momentum, nn.AdaGrad, nn.RMSprop, nn.Adam, nn.Nesterov):
        with pytest.raises(TypeError) as info:
            make(lr=cls)
        message = str(info.value)
        assert message.startswith(f"lr is the class {cls.__name__}"), message
        assert f"give an instance, e.g. {example}" in message
    eval(example, vars(nn))  # the example given is a schedule


def test_a_callable_that_cannot_take_one_step_is_refused_at_construction() -> None:
    def two(step: int, epoch: int) -> float:
        return 0.1

    for bad, shown in ((lambda: 0.1, "()"), (two, "(step, epoch)")):
        with pytest.raises(TypeError) as info:
            nn.SGD(lr=bad)
        message = str(info.value)
        assert message.startswith("lr is a callable that cannot be called with one int step"), (
            message
        )
        assert shown in message and "schedule(step) -> lr" in message
    with pytest.raises(TypeError, match=r"^after is the class StepDecay"):
        nn.LinearWarmup(nn.StepDecay, 10)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^after is a callable that cannot be called"):
        nn.LinearWarmup(lambda: 0.1, 10)  # type: ignore[arg-type]


def test_schedules_that_can_take_one_step_are_taken_and_not_called_early() -> None:
    calls: list[Any] = []

    def counted(step: int) -> float:
        calls.append(step)
        return 0.1

    for good in (counted, lambda step, scale=1.0: 0.1 * scale, lambda *steps: 0.1,
                 nn.StepDecay(0.1, 100), nn.LinearWarmup(counted, 5), np.exp):  # fmt: skip
        nn.SGD(lr=good)
    assert calls == []  # a user's schedule is called at the updates only (no side effects)
