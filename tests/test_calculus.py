"""Numerical differentiation and gradient descent: the book's printed values, exactly."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tinynn import (
    PrecisionWarning,
    gradient_descent,
    gradient_descent_path,
    numerical_diff,
    numerical_gradient,
    tangent_line,
)

from . import book_reference as book


def function_1(x: float) -> float:
    return 0.01 * x**2 + 0.1 * x


def function_2(x: np.ndarray) -> float:
    return float(x[0] ** 2 + x[1] ** 2)


# -- 4.3 numerical differentiation --------------------------------------------------------
def test_numerical_diff_prints_the_books_values_exactly() -> None:
    assert numerical_diff(function_1, 5.0) == 0.1999999999990898
    assert numerical_diff(function_1, 10.0) == 0.2999999999986347
    assert numerical_diff(function_1, 5) == 0.1999999999990898  # an int x works too


def test_the_notes_bug_would_multiply_by_h() -> None:
    # (f(x+h) - f(x-h)) / 2*h is 2e-9 (as the notes print); the real derivative is 0.2
    h = 1e-4
    buggy = (function_1(5.0 + h) - function_1(5.0 - h)) / 2 * h
    assert buggy == pytest.approx(1.9999999999908982e-09, rel=1e-12)
    assert numerical_diff(function_1, 5.0) == pytest.approx(buggy / h**2, rel=1e-12)


def test_partial_derivatives_book_values() -> None:
    # book 4.3.3: 6.00000000000378 and 7.999999999999119
    assert numerical_diff(lambda x0: x0 * x0 + 4.0**2.0, 3.0) == pytest.approx(
        6.00000000000378, abs=1e-14
    )
    assert numerical_diff(lambda x1: 3.0**2.0 + x1 * x1, 4.0) == pytest.approx(
        7.999999999999119, abs=1e-14
    )


def test_central_difference_beats_forward_difference() -> None:
    exact = 0.02 * 5.0 + 0.1
    central = abs(numerical_diff(function_1, 5.0) - exact)
    forward = abs(numerical_diff(function_1, 5.0, scheme="forward") - exact)
    backward = abs(numerical_diff(function_1, 5.0, scheme="backward") - exact)
    assert forward > 100 * central
    assert backward > 100 * central
    # the forward error is about f''(x) h / 2 = 0.01 * 1e-4
    assert forward == pytest.approx(1e-6, rel=1e-3)


def test_tiny_h_is_rounded_away_and_warned_about() -> None:
    # the book's bad example: h = 1e-50 vanishes next to x = 5.0
    with pytest.warns(PrecisionWarning, match="lost to rounding"):
        assert numerical_diff(function_1, 5.0, 1e-50, scheme="forward") == 0.0
    assert np.float32(1e-50) == 0.0  # and in float32 h itself is zero


def test_numerical_diff_rejects_bad_arguments() -> None:
    for h in (0.0, -1e-4, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="h must be a finite number > 0"):
            numerical_diff(function_1, 5.0, h)
    with pytest.raises(ValueError, match="x must be finite, got nan"):
        numerical_diff(function_1, float("nan"))
    with pytest.raises(ValueError, match="scheme"):
        numerical_diff(function_1, 5.0, scheme="sideways")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="f returned inf"):
        numerical_diff(lambda x: float("inf"), 1.0)
    with pytest.raises(TypeError, match="f must return a scalar"):
        numerical_diff(lambda x: [x, x], 1.0)  # type: ignore[arg-type, return-value]


def test_tangent_line_touches_f_with_slope_f_prime() -> None:
    line = tangent_line(function_1, 5.0)
    assert float(line(5.0)) == pytest.approx(function_1(5.0), abs=1e-12)
    assert float(line(6.0) - line(5.0)) == pytest.approx(0.2, abs=1e-10)
    assert line(np.arange(3.0)).shape == (3,)


# -- 4.4 the gradient -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("point", "expected"),
    [([3.0, 4.0], [6.0, 8.0]), ([0.0, 2.0], [0.0, 4.0]), ([3.0, 0.0], [6.0, 0.0])],
)
def test_numerical_gradient_book_values(point: list[float], expected: list[float]) -> None:
    x = np.array(point)
    grad = numerical_gradient(function_2, x)
    np.testing.assert_allclose(grad, expected, atol=1e-9)
    np.testing.assert_array_equal(grad, book.numerical_gradient(function_2, x.copy()))
    np.testing.assert_array_equal(x, point)  # restored


def test_numerical_gradient_of_any_shape() -> None:
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(
        numerical_gradient(lambda a: float(np.sum(a**2)), x), 2 * x, atol=1e-7
    )
    scalar = np.array(3.0)
    assert numerical_gradient(lambda a: float(a**2), scalar) == pytest.approx(6.0)


def test_numerical_gradient_restores_x_even_if_f_raises() -> None:
    x = np.array([1.0, 2.0, 3.0])
    calls = 0

    def explode(a: np.ndarray) -> float:
        nonlocal calls
        calls += 1
        if calls == 4:  # during the second entry
            raise RuntimeError("boom")
        return float(a.sum())

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(explode, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_numerical_gradient_refuses_integer_arrays() -> None:
    # the book's code silently returns zeros here
    with pytest.raises(TypeError, match="integer array cannot hold x \\+ h"):
        numerical_gradient(function_2, np.array([3, 4]))


def test_numerical_gradient_refuses_lists_and_read_only_and_nan() -> None:
    with pytest.raises(TypeError, match="NumPy float array"):
        numerical_gradient(function_2, [3.0, 4.0])  # type: ignore[arg-type]
    ro = np.array([3.0, 4.0])
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        numerical_gradient(function_2, ro)
    with pytest.raises(ValueError, match="NaN at index \\(1,\\)"):
        numerical_gradient(function_2, np.array([3.0, np.nan]))
    with pytest.raises(ValueError, match="f returned nan"):
        numerical_gradient(lambda a: float("nan"), np.array([1.0]))


def test_precision_warning_where_h_vanishes() -> None:
    with pytest.warns(PrecisionWarning, match="float32 changes the step h=0.0001: at 1 of 2 "):
        numerical_gradient(lambda a: float(np.sum(a)), np.array([1.0, 1e5], dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        numerical_gradient(function_2, np.array([3.0, 4.0]))  # no warning for normal values


@given(arrays(np.float64, st.integers(1, 6), elements=st.floats(-10, 10)))
def test_gradient_of_a_quadratic_is_2x(x: np.ndarray) -> None:
    np.testing.assert_allclose(
        numerical_gradient(lambda a: float(np.sum(a**2)), x), 2 * x, atol=1e-6
    )


# -- 4.4.1 gradient descent -------------------------------------------------------------------
def test_gradient_descent_book_result_and_init_untouched() -> None:
    init_x = np.array([-3.0, 4.0])
    x = gradient_descent(function_2, init_x, lr=0.1, step_num=100)
    # book: [-6.11110793e-10  8.14814391e-10]
    np.testing.assert_allclose(x, [-6.11110793e-10, 8.14814391e-10], rtol=1e-8)
    assert np.all(np.abs(x) < 1e-9)
    np.testing.assert_array_equal(init_x, [-3.0, 4.0])


def test_learning_rate_too_large_and_too_small() -> None:
    # book 4.4.1 prints [-2.58983747e+13 -1.29524862e+12] and [-2.99999994  3.99999992]
    with pytest.warns(PrecisionWarning):
        big = gradient_descent(function_2, [-3.0, 4.0], lr=10.0, step_num=100)
    np.testing.assert_allclose(big, [-2.58983747e13, -1.29524862e12], rtol=1e-8)
    small = gradient_descent(function_2, [-3.0, 4.0], lr=1e-10, step_num=100)
    np.testing.assert_allclose(small, [-2.99999994, 3.99999992], rtol=1e-8)


def test_gradient_descent_path_has_every_point() -> None:
    path = gradient_descent_path(function_2, [-3.0, 4.0], lr=0.1, step_num=20)
    assert path.shape == (21, 2)
    np.testing.assert_array_equal(path[0], [-3.0, 4.0])
    np.testing.assert_array_equal(path[-1], gradient_descent(function_2, [-3.0, 4.0], 0.1, 20))
    # each step shrinks x by (1 - 2 lr) = 0.8 for this function
    np.testing.assert_allclose(path[1:] / path[:-1], 0.8, rtol=1e-7)


def test_gradient_descent_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        gradient_descent(function_2, [1.0, 1.0], lr=0.0)
    with pytest.raises(ValueError, match="step_num must be an int >= 0"):
        gradient_descent(function_2, [1.0, 1.0], step_num=-1)
    with pytest.raises(TypeError, match="step_num"):
        gradient_descent(function_2, [1.0, 1.0], step_num=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="init_x contains 1 non-finite"):
        gradient_descent(function_2, [np.inf, 1.0])
    with pytest.raises(ValueError, match=r"returned inf|diverged"), warnings.catch_warnings():
        warnings.simplefilter("ignore", PrecisionWarning)
        gradient_descent(function_2, [1.0, 1.0], lr=1e308, step_num=3)


# -- rounding of the step (issue 8) ---------------------------------------------------


def test_float32_step_rounded_by_8_percent_warns_and_says_what_to_do() -> None:
    # in float32, 300 + 1e-4 is rounded so coarsely that the step taken is 8.4% short
    x = np.array([300.0], dtype=np.float32)
    taken = (float(np.float32(300.0 + 1e-4)) - float(np.float32(300.0 - 1e-4))) / 2
    assert abs(taken - 1e-4) / 1e-4 == pytest.approx(0.0845, abs=1e-3)  # independent check
    with pytest.warns(PrecisionWarning, match=r"worst 8\.4% .*use float64 .* or a larger h"):
        g = numerical_gradient(lambda v: float(np.sum(v.astype(np.float64) ** 2)), x)
    # the warning is right: the result really is about 8% off the true 600
    assert abs(g[0] - 600.0) / 600.0 > 0.05


def test_float64_large_entry_warns_and_small_entries_do_not() -> None:
    with pytest.warns(PrecisionWarning, match=r"in float64 .* at 1 of 2 entries .*index \(0,\)"):
        numerical_gradient(lambda v: float(np.sum(v**2)), np.array([1e12, 1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = numerical_gradient(lambda v: float(np.sum(v**2)), np.array([3.0, 4.0, 1e3]))
    np.testing.assert_allclose(g, [6.0, 8.0, 2e3], rtol=1e-5)


@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([1e-4, 1e-3, 1e-2]),
    st.sampled_from([np.float32, np.float64]),
)
def test_warning_fires_exactly_when_the_step_is_over_1_percent_off(
    x: float, h: float, dtype: type[np.floating[Any]]
) -> None:
    a = np.array([x], dtype=dtype)
    up, down = float(dtype(float(a[0]) + h)), float(dtype(float(a[0]) - h))
    off = abs((up - down) / 2 - h) / h > 0.01
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        numerical_gradient(lambda v: float(np.sum(v)), a, h)
    assert any(w.category is PrecisionWarning for w in caught) == off


def test_numerical_diff_warns_for_a_large_x_in_float64() -> None:
    with pytest.warns(PrecisionWarning, match="rounding in float64"):
        numerical_diff(lambda v: v * v, 1e13)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: numerical_diff(3, 1.0), "f must be callable .*got int 3"),  # type: ignore[arg-type]
        (lambda: numerical_diff("sin", 1.0), "got str 'sin'"),  # type: ignore[arg-type]
        (lambda: numerical_gradient(None, np.zeros(2)), "got NoneType"),  # type: ignore[arg-type]
        (lambda: tangent_line(2.5, 1.0), "got float 2.5"),  # type: ignore[arg-type]
        (lambda: gradient_descent(3, [1.0]), "got int 3"),  # type: ignore[arg-type]
        (lambda: numerical_diff(abs, "1.0"), "x must be a real number, got str"),  # type: ignore[arg-type]
        (lambda: numerical_diff(abs, True), "x must be a real number, got bool"),
        (lambda: numerical_diff(abs, 1 + 2j), "got complex"),  # type: ignore[arg-type]
        (lambda: tangent_line(abs, None), "got NoneType"),  # type: ignore[arg-type]
        (lambda: gradient_descent(np.sum, [[1.0, 2.0], [3.0]]), "ragged .* lengths 2, 1"),
        (lambda: gradient_descent(np.sum, ["a", "b"]), "init_x must be an array of real"),
        (lambda: gradient_descent(np.sum, [1.0], step_num=True), "step_num must be an int"),
    ],
)
def test_errors_name_what_was_passed(call: Any, message: str) -> None:
    with pytest.raises(TypeError if "ragged" not in message else ValueError, match=message):
        call()
