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


def test_backward_after_an_evaluation_forward_is_the_evaluation_s_derivative() -> None:
    """After a training forward, an evaluation forward's backward is (1 - r) dout (the
    derivative of y = (1 - r) x, checked numerically), not the old training mask's."""
    from tinynn.calculus import numerical_gradient

    rng = np.random.default_rng(5)
    layer = Dropout(0.3, rng=1)
    layer.forward(np.ones((3, 4)))  # a training mask, which must not be used below
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    layer.forward(x, train_flg=False)
    dx = layer.backward(dout)
    numerical = numerical_gradient(lambda _: float(np.sum(layer.forward(x, False) * dout)), x)
    np.testing.assert_allclose(dx, numerical, atol=1e-8)
    np.testing.assert_array_equal(dx, 0.7 * dout)
    layer.forward(x)  # and a training forward's backward is its own mask again
    assert layer.mask is not None
    np.testing.assert_array_equal(layer.backward(dout), dout * layer.mask)


def test_backward_before_any_forward_is_an_error() -> None:
    with pytest.raises(RuntimeError, match=r"Dropout\.backward called before forward"):
        Dropout().backward(np.ones((1, 2)))
