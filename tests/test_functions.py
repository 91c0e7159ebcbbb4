"""Activation functions: values, derivatives, overflow safety, input checks."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tinynn import (
    identity_function,
    numerical_diff,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    step_function,
)

from . import book_reference as book

finite = st.floats(-50, 50, allow_nan=False)


def test_step_function_is_one_only_for_positive() -> None:
    np.testing.assert_array_equal(step_function([-1.0, 0.0, 1e-12, 5.0]), [0, 0, 1, 1])


def test_identity_returns_a_float_copy() -> None:
    x = np.array([1.0, 2.0])
    y = identity_function(x)
    y[0] = 9.0
    assert x[0] == 1.0


def test_sigmoid_values_and_extremes_without_warnings() -> None:
    np.testing.assert_allclose(sigmoid([0.0]), [0.5])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = sigmoid([-1000.0, 1000.0])
    np.testing.assert_array_equal(out, [0.0, 1.0])


@pytest.mark.parametrize("x", [-3.0, -0.5, 0.0, 0.7, 4.0])
def test_sigmoid_grad_matches_numerical_derivative(x: float) -> None:
    num = numerical_diff(lambda v: float(sigmoid(v)), x)
    assert sigmoid_grad(x) == pytest.approx(num, abs=1e-9)


def test_relu_and_its_grad() -> None:
    np.testing.assert_array_equal(relu([-2.0, 0.0, 3.0]), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(relu_grad([-2.0, 0.0, 3.0]), [0.0, 0.0, 1.0])


def test_softmax_is_overflow_safe() -> None:
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = softmax([1000.0, 1001.0])
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, [1 / (1 + np.e), np.e / (1 + np.e)])


def test_softmax_book_example() -> None:
    # book 3.5.1: a = [0.3, 2.9, 4.0] -> [0.01821127, 0.24519181, 0.73659691]
    np.testing.assert_allclose(
        softmax([0.3, 2.9, 4.0]), [0.01821127, 0.24519181, 0.73659691], atol=1e-8
    )


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=finite))
def test_softmax_rows_are_distributions_and_match_the_book_bitwise(a: np.ndarray) -> None:
    y = softmax(a)
    assert np.all(y >= 0)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(y, book.softmax(a))
    np.testing.assert_array_equal(softmax(a[0]), book.softmax(a[0]))


@given(arrays(np.float64, st.integers(1, 8), elements=finite), finite)
def test_softmax_is_invariant_to_a_constant_shift(a: np.ndarray, c: float) -> None:
    np.testing.assert_allclose(softmax(a + c), softmax(a), atol=1e-12)


@pytest.mark.parametrize("bad", [np.zeros((2, 2, 2)), np.zeros(0), np.float64(1.0)])
def test_softmax_rejects_bad_shapes(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="shape"):
        softmax(bad)


@pytest.mark.parametrize("fn", [sigmoid, relu, softmax, step_function, identity_function])
def test_functions_reject_non_numeric_input(fn: object) -> None:
    with pytest.raises(TypeError, match="real numbers"):
        fn(np.array(["a", "b"]))  # type: ignore[operator]


# -- NaN and infinity (issue 8) ---------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_softmax_rejects_non_finite_scores_without_numpy_warnings(
    bad: float, shape: tuple[int, ...]
) -> None:
    x = np.zeros(shape)
    x.flat[1] = bad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"NaN|softmax needs finite scores"):
            softmax(x)


def test_softmax_of_far_apart_finite_scores_is_exact_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(softmax([1e308, -1e308]), [1.0, 0.0])


ELEMENTWISE = [identity_function, step_function, sigmoid, sigmoid_grad, relu, relu_grad]


@pytest.mark.parametrize("f", ELEMENTWISE)
def test_elementwise_functions_reject_nan_naming_its_index(f: Any) -> None:
    message = r"x contains 1 NaN value\(s\), the first at index \(1, 0\)"
    with pytest.raises(ValueError, match=message):
        f(np.array([[0.0], [np.nan]]))


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (identity_function, [np.inf, -np.inf]),
        (step_function, [1.0, 0.0]),
        (sigmoid, [1.0, 0.0]),
        (sigmoid_grad, [0.0, 0.0]),
        (relu, [np.inf, 0.0]),
        (relu_grad, [1.0, 0.0]),
    ],
)
def test_elementwise_functions_take_their_limits_at_infinity(f: Any, expected: list[float]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(f([np.inf, -np.inf]), expected)
