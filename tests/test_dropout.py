"""Dropout (6.4.3): the book's masks from the layer's own generator, and its state."""

from __future__ import annotations

import numpy as np
import pytest

from tinynn.layers.dropout import Dropout


def test_training_forward_draws_the_book_s_mask_from_the_generator() -> None:
    x = np.arange(1.0, 13.0).reshape(3, 4)
    layer = Dropout(0.3, rng=7)
    mask = np.random.default_rng(7).random((3, 4)) > 0.3  # the book: np.random.rand(...) > r
    assert np.array_equal(layer.forward(x), x * mask)
    assert layer.mask is not None and np.array_equal(layer.mask, mask)
    dout = np.full((3, 4), 2.5)
    assert np.array_equal(layer.backward(dout), dout * mask)


def test_each_training_forward_draws_a_new_mask() -> None:
    layer = Dropout(0.5, rng=1)
    a, b = layer.forward(np.ones((20, 20))), layer.forward(np.ones((20, 20)))
    assert not np.array_equal(a, b)
    assert 0.35 < a.mean() < 0.65  # about half the units are kept


def test_evaluation_keeps_every_unit_scaled_by_the_keep_probability() -> None:
    layer = Dropout(0.2, rng=0)
    state = layer.state_dict()
    out = layer.forward(np.full((2, 3), 5.0), train_flg=False)
    assert np.array_equal(out, np.full((2, 3), 4.0))
    assert layer.state_dict() == state  # evaluation draws nothing


def test_ratio_zero_keeps_everything() -> None:
    x = np.random.default_rng(0).random((4, 5))
    assert np.array_equal(Dropout(0.0, rng=0).forward(x), x)


def test_the_state_decides_the_next_mask() -> None:
    layer = Dropout(0.5, rng=3)
    layer.forward(np.ones((4, 4)))
    state = layer.state_dict()
    first = layer.forward(np.ones((4, 4)))
    other = Dropout(0.5, rng=99)
    other.load_state_dict(state)
    assert np.array_equal(other.forward(np.ones((4, 4))), first)


@pytest.mark.parametrize(
    ("state", "match"),
    [
        ({}, r"a Dropout state is \{'rng'"),
        ({"rng": {"bit_generator": "MT19937", "state": {}}}, "'MT19937' generator, this one is"),
        ({"rng": {"bit_generator": "PCG64", "state": {"state": "x"}}}, "cannot be restored"),
        ({"rng": [1, 2]}, "must be a dict"),
    ],
)
def test_a_state_that_does_not_fit_changes_nothing(state: dict[str, object], match: str) -> None:
    layer = Dropout(0.5, rng=3)
    before = layer.state_dict()
    with pytest.raises(ValueError, match=match):
        layer.load_state_dict(state)
    assert layer.state_dict() == before


@pytest.mark.parametrize(("ratio", "error"), [(1.0, ValueError), (-0.1, ValueError),
                                              (True, TypeError), ("0.5", TypeError)])  # fmt: skip
def test_bad_ratio(ratio: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="dropout_ratio"):
        Dropout(ratio)  # type: ignore[arg-type]


def test_backward_before_a_training_forward_is_an_error() -> None:
    layer = Dropout()
    layer.forward(np.ones((1, 2)), train_flg=False)
    with pytest.raises(RuntimeError, match="before a training forward"):
        layer.backward(np.ones((1, 2)))
