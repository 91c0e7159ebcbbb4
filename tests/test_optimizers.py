"""SGD: the update rule, in place, all or nothing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tinynn import SGD


def test_sgd_updates_in_place() -> None:
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    params = {"W": W, "b": np.zeros(2)}
    SGD(lr=0.1).update(params, {"W": np.ones((2, 2)), "b": np.array([1.0, -1.0])})
    assert params["W"] is W
    np.testing.assert_allclose(W, [[0.9, 1.9], [2.9, 3.9]])
    np.testing.assert_allclose(params["b"], [-0.1, 0.1])


def test_sgd_is_a_frozen_dataclass_with_the_books_default() -> None:
    opt = SGD()
    assert opt.lr == 0.01
    with pytest.raises(dataclasses.FrozenInstanceError):
        opt.lr = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan"), float("inf")])
def test_sgd_rejects_bad_learning_rates(lr: float) -> None:
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        SGD(lr=lr)


def test_bad_gradients_change_nothing() -> None:
    params = {"W": np.ones(2), "b": np.ones(2)}
    opt = SGD(lr=1.0)
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        opt.update(params, {"W": np.ones(2)})
    with pytest.raises(ValueError, match=r"unexpected \['c'\]"):
        opt.update(params, {"W": np.ones(2), "b": np.ones(2), "c": np.ones(2)})
    with pytest.raises(ValueError, match=r"grads\['b'\] has shape \(3,\)"):
        opt.update(params, {"W": np.ones(2), "b": np.ones(3)})
    with pytest.raises(ValueError, match="NaN or infinity; the update was not applied"):
        opt.update(params, {"W": np.ones(2), "b": np.array([1.0, np.nan])})
    np.testing.assert_array_equal(params["W"], 1.0)  # W untouched although it came first
    np.testing.assert_array_equal(params["b"], 1.0)
