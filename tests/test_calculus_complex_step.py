"""complex_step_diff: the derivative of f(x) from Im f(x + ih) / h (appended to tinynn.calculus)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynn import complex_step_diff, numerical_diff

xs = st.floats(-5.0, 5.0, allow_nan=False)


@given(xs)
def test_exact_for_known_derivatives(x: float) -> None:
    assert complex_step_diff(np.sin, x) == pytest.approx(math.cos(x), rel=1e-15, abs=1e-16)
    assert complex_step_diff(np.exp, x) == pytest.approx(math.exp(x), rel=1e-15)
    assert complex_step_diff(lambda z: z**3 - 2 * z, x) == pytest.approx(3 * x * x - 2,
                                                                         rel=1e-14, abs=1e-14)


def test_the_books_function_exactly_where_the_central_difference_is_off() -> None:
    def function_1(x: Any) -> Any:
        return 0.01 * x**2 + 0.1 * x

    # within one rounding of 0.2 and 0.3 (0.01 itself is not exact in binary)
    assert abs(complex_step_diff(function_1, 5.0) - 0.2) <= math.ulp(0.2)
    assert abs(complex_step_diff(function_1, 10.0) - 0.3) <= math.ulp(0.3)
    assert abs(numerical_diff(function_1, 5.0) - 0.2) > 1000 * math.ulp(0.2)  # the book's


def test_any_tiny_step_gives_the_same_digits() -> None:
    values = {complex_step_diff(np.sin, 1.0, h) for h in (1e-10, 1e-20, 1e-100, 1e-300)}
    assert values == {math.cos(1.0)}


def test_a_function_that_rejects_complex_input_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"complex number.*np\.sin, not math\.sin"):
        complex_step_diff(math.sin, 1.0)  # type: ignore[arg-type]


def test_a_function_returning_no_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="f must return a number, got str"):
        complex_step_diff(lambda z: "x", 1.0)  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize("h", [0.0, -1e-20, float("inf")])
def test_bad_step(h: float) -> None:
    with pytest.raises(ValueError, match="h must be"):
        complex_step_diff(np.sin, 1.0, h)


def test_bad_point_and_non_finite_value() -> None:
    with pytest.raises(ValueError, match="x must be finite, got nan"):
        complex_step_diff(np.sin, float("nan"))
    with pytest.raises(ValueError, match="finite values"):
        with np.errstate(over="ignore", invalid="ignore"):
            complex_step_diff(lambda z: np.exp(1000 * z), 1.0)
