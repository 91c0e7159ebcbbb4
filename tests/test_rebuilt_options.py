"""A model rebuilt from its file has the saved layers' options; every argument of a book
network is checked whatever its flags (issue 23, item 12).

A Dropout's ``dropout_ratio`` changed after construction was saved in the layer's record,
but ``load_model`` rebuilt the book network from its constructor arguments (0.5);
``MultiLayerNetExtend(dropout_ratio=1.5)`` was accepted while dropout was off.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinynn import (
    BatchNormalization,
    Dropout,
    MultiLayerNetExtend,
    SoftmaxWithLoss,
    load_model,
    save_model,
)


def _of(net: object, kind: type) -> list[object]:
    return [layer for layer in net.layers if isinstance(layer, kind)]  # type: ignore[attr-defined]


def test_options_changed_after_construction_come_back_from_the_file(tmp_path: Path) -> None:
    net = MultiLayerNetExtend(4, [5, 5], 3, use_dropout=True, use_batchnorm=True, rng=0)
    first = _of(net, Dropout)[0]
    first.dropout_ratio = 0.2  # type: ignore[attr-defined]
    _of(net, BatchNormalization)[1].momentum = 0.75  # type: ignore[attr-defined]
    net.loss_layer.delta = 1e-4  # type: ignore[attr-defined]
    again = load_model(save_model(net, tmp_path / "net.npz"))
    assert type(again) is MultiLayerNetExtend
    assert [d.dropout_ratio for d in _of(again, Dropout)] == [0.2, 0.5]  # type: ignore[attr-defined]
    assert [b.momentum for b in _of(again, BatchNormalization)] == [0.9, 0.75]  # type: ignore[attr-defined]
    assert isinstance(again.loss_layer, SoftmaxWithLoss) and again.loss_layer.delta == 1e-4
    x = np.random.default_rng(1).standard_normal((6, 4))
    np.testing.assert_array_equal(again.predict(x), net.predict(x))
    with again.training(), net.training():  # the same masks: the same generators, ratios
        np.testing.assert_array_equal(again.forward(x), net.forward(x))


def test_a_bad_option_in_the_file_is_refused_naming_it(tmp_path: Path) -> None:
    from tinynn.saving.archive import read_archive, write_archive

    net = MultiLayerNetExtend(4, [5], 3, use_dropout=True, rng=0)
    meta, arrays = read_archive(save_model(net, tmp_path / "net.npz"), ("model",))
    meta.pop("format_version")
    meta["model"]["layers"][2]["options"]["dropout_ratio"] = 1.5
    bad = write_archive(tmp_path / "bad.npz", meta, arrays)
    with pytest.raises(ValueError, match=r"bad\.npz.*dropout_ratio"):
        load_model(bad)


@pytest.mark.parametrize(
    ("ratio", "error"),
    [
        (1.5, ValueError),
        (-0.1, ValueError),
        ("0.5", TypeError),
        (True, TypeError),
        (float("nan"), ValueError),
    ],
)
def test_the_dropout_ratio_is_checked_even_with_dropout_off(ratio: object, error: type) -> None:
    for use_dropout in (False, True):
        with pytest.raises(error, match="dropout_ratio"):
            MultiLayerNetExtend(4, [3], 2, use_dropout=use_dropout, dropout_ratio=ratio)  # type: ignore[arg-type]
    with pytest.raises(error, match="dropout_ratio"):
        MultiLayerNetExtend(4, [3], 2, dropout_ration=ratio)
