"""The gradient method's divergence warning (issue 8): the book's results stay as printed."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynn import PrecisionWarning, gradient_descent, gradient_descent_path


def function_2(x: np.ndarray[Any, Any]) -> float:
    return float(x[0] ** 2 + x[1] ** 2)


def test_book_lr_10_keeps_its_result_and_warns_once_that_it_diverged() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = gradient_descent(function_2, [-3.0, 4.0], lr=10.0, step_num=100)
    np.testing.assert_allclose(x, [-2.58983747e13, -1.29524862e12], rtol=1e-8)  # book 4.4.1
    assert [w.category for w in caught] == [PrecisionWarning]
    text = str(caught[0].message)
    assert "diverged" in text and "f rose from 25" in text and "smaller learning rate" in text
    assert "lr=1)" in text  # a tenth of lr is suggested


@pytest.mark.parametrize(("lr", "expected"), [(0.1, [-6.11110793e-10, 8.14814391e-10]),
                                               (1e-10, [-2.99999994, 3.99999992])])
def test_book_good_and_tiny_learning_rates_do_not_warn(lr: float, expected: list[float]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = gradient_descent(function_2, [-3.0, 4.0], lr=lr, step_num=100)
    np.testing.assert_allclose(x, expected, rtol=1e-8)


def test_path_warns_too() -> None:
    with pytest.warns(PrecisionWarning, match="diverged"):
        path = gradient_descent_path(function_2, [1.0, 1.0], lr=1.5, step_num=5)
    # each step multiplies x by (1 - 2 lr) = -2: |x| doubles, f quadruples
    np.testing.assert_allclose(path[-1], [(-2.0) ** 5] * 2, rtol=1e-6)


@given(st.floats(0.001, 0.99), st.floats(-10, 10), st.floats(-10, 10))
def test_no_warning_exactly_when_lr_is_below_the_stability_limit(
    lr: float, a: float, b: float
) -> None:
    # for x0^2 + x1^2 a step multiplies x by (1 - 2 lr): |1 - 2 lr| < 1 converges
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradient_descent(function_2, [a, b], lr=lr, step_num=20)


@given(st.floats(1.01, 5.0), st.floats(0.5, 10), st.floats(0.5, 10))
def test_warning_when_lr_is_above_the_stability_limit(lr: float, a: float, b: float) -> None:
    with pytest.warns(PrecisionWarning, match="diverged"):
        gradient_descent(function_2, [a, b], lr=lr, step_num=20)


def test_overflow_is_an_error_naming_lr() -> None:
    with pytest.raises(ValueError, match=r"diverged at lr=1e\+308"):
        gradient_descent(function_2, [1.0, 1.0], lr=1e308, step_num=20)


def test_rounding_during_a_descent_that_does_not_diverge_is_reported_once() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gradient_descent(lambda x: float(np.sum(np.abs(x))), [1e13], lr=1e-3, step_num=5)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and messages[0].startswith("at step 0, rounding in float64")
