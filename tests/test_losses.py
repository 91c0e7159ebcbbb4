"""Loss functions against the book's printed values and their input checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynn import cross_entropy_error, softmax, sum_squared_error

from . import book_reference as book

T = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
Y_GOOD = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
Y_BAD = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]


def test_sum_squared_error_book_values() -> None:
    # book 4.2.1 prints 0.097500000000000031 and 0.59750000000000003
    assert sum_squared_error(Y_GOOD, T) == pytest.approx(0.0975, abs=1e-15)
    assert sum_squared_error(Y_BAD, T) == pytest.approx(0.5975, abs=1e-15)


def test_cross_entropy_error_book_values() -> None:
    # book 4.2.2 prints 0.51082545709933802 and 2.3025840929945458
    assert cross_entropy_error(Y_GOOD, T) == pytest.approx(0.51082545709933802, abs=1e-15)
    assert cross_entropy_error(Y_BAD, T) == pytest.approx(2.3025840929945458, abs=1e-15)


def test_one_hot_and_index_labels_agree_exactly(rng: np.random.Generator) -> None:
    y = softmax(rng.standard_normal((7, 4)))
    labels = rng.integers(0, 4, 7)
    one_hot = np.eye(4)[labels]
    assert cross_entropy_error(y, labels) == cross_entropy_error(y, one_hot)
    assert cross_entropy_error(y, one_hot) == book.cross_entropy_error(y, one_hot)


def test_cross_entropy_is_the_batch_mean(rng: np.random.Generator) -> None:
    y = softmax(rng.standard_normal((5, 3)))
    t = np.array([0, 1, 2, 1, 0])
    each = [cross_entropy_error(y[i], t[i]) for i in range(5)]
    assert cross_entropy_error(y, t) == pytest.approx(np.mean(each), rel=1e-14)


def test_delta_keeps_log_of_zero_finite() -> None:
    assert cross_entropy_error([1.0, 0.0], [0, 1]) == pytest.approx(-np.log(1e-7))
    assert cross_entropy_error([0.5, 0.5], 0, delta=0.0) == pytest.approx(np.log(2), abs=1e-15)


def test_soft_targets_use_the_full_sum() -> None:
    y = np.array([[0.2, 0.8]])
    t = np.array([[0.5, 0.5]])
    expected = -(0.5 * np.log(0.2 + 1e-7) + 0.5 * np.log(0.8 + 1e-7))
    assert cross_entropy_error(y, t) == pytest.approx(expected, rel=1e-14)


@given(st.integers(1, 6), st.integers(2, 5), st.integers(0, 2**32 - 1))
def test_cross_entropy_is_non_negative(n: int, c: int, seed: int) -> None:
    r = np.random.default_rng(seed)
    y = softmax(r.standard_normal((n, c)))
    assert cross_entropy_error(y, r.integers(0, c, n)) >= 0


@pytest.mark.parametrize(
    ("y", "t", "error", "match"),
    [
        (np.full((2, 3), 1 / 3), np.array([0, 3]), ValueError, "label 3, outside the 3 classes"),
        (np.full((2, 3), 1 / 3), np.array([0, -1]), ValueError, "label -1"),
        (np.full((2, 3), 1 / 3), np.array([0, 1, 2]), ValueError, r"expected \(2,\) class"),
        (np.full((2, 3), 1 / 3), np.zeros((2, 4)), ValueError, r"\(2, 3\) one-hot"),
        (np.full((2, 3), 1 / 3), np.array([0.5, 1.0]), TypeError, "must be integers"),
        (np.array([[np.nan, 0.5, 0.5]]), np.array([0]), ValueError, "NaN at index"),
        (np.array([[-0.1, 0.6, 0.5]]), np.array([0]), ValueError, "probabilities"),
        (np.zeros((2, 2, 2)), np.array([0]), ValueError, r"\(C,\) or \(N, C\)"),
    ],
)
def test_cross_entropy_rejects_bad_input(
    y: np.ndarray, t: np.ndarray, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        cross_entropy_error(y, t)


def test_negative_delta_is_rejected() -> None:
    with pytest.raises(ValueError, match="delta"):
        cross_entropy_error([0.5, 0.5], 0, delta=-1e-7)


def test_sum_squared_error_rejects_mismatched_shapes_and_nan() -> None:
    with pytest.raises(ValueError, match="same shape"):
        sum_squared_error([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="infinite"):
        sum_squared_error([1.0, np.inf], [1.0, 0.0])


# -- targets that are not distributions, scores instead of probabilities (issue 8) --------


@pytest.mark.parametrize(
    ("t", "row", "total"),
    [
        ([[0, 1, 0], [0, 0, 0]], 1, "0"),  # the sample would be dropped from the loss
        ([[1, 1, 0], [0, 0, 1]], 0, "2"),  # counted twice
        ([[0.5, 0.4, 0.0], [0, 0, 1]], 0, "0.9"),  # soft targets that do not add up
        ([[0, 0, 1], [0, 0, 1], [0.3, 0.3, 0.3]], 2, "0.9"),
    ],
)
def test_target_rows_must_sum_to_1_and_the_first_bad_row_is_named(
    t: list[list[float]], row: int, total: str
) -> None:
    y = softmax(np.zeros((len(t), 3)))
    message = rf"t row {row} sums to {total} .*probability distribution"
    with pytest.raises(ValueError, match=message):
        cross_entropy_error(y, t)


def test_rows_summing_to_0_would_silently_break_backprop_against_numerical() -> None:
    # the reason for the check: with a zero row the loss ignores the sample, but Backprop's
    # (y - t) / N does not, so the two gradients would disagree without a word
    from tinynn import TwoLayerNet

    net = TwoLayerNet(3, 4, 2, rng=0)
    with pytest.raises(ValueError, match="t row 0 sums to 0"):
        net.gradient(np.ones((2, 3)), [[0.0, 0.0], [0.0, 1.0]])


@given(
    st.integers(1, 6),
    st.integers(2, 6),
    st.integers(0, 2**32 - 1),
)
def test_soft_targets_summing_to_1_are_allowed_and_match_the_formula(
    n: int, c: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    t = rng.dirichlet(np.ones(c), size=n)  # each row sums to 1 up to rounding
    y = softmax(rng.standard_normal((n, c)))
    expected = -np.sum(t * np.log(y + 1e-7)) / n  # independent
    assert cross_entropy_error(y, t) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("y", "fragment"),
    [
        ([[2.0, -1.0, 0.5]], "got 2.0 at index \\(0, 0\\).*raw scores\\? Apply softmax first"),
        ([[0.2, 0.3, 1.5]], "got 1.5 at index \\(0, 2\\)"),
        ([0.5, -0.1, 0.6], "got -0.1 at index \\(1,\\)"),
    ],
)
def test_y_outside_0_1_is_rejected_with_a_hint_to_use_softmax(
    y: list[float], fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        cross_entropy_error(y, [0, 0, 1] if np.ndim(y) == 1 else [2])


def test_zero_probability_with_delta_0_is_an_error_not_inf() -> None:
    assert cross_entropy_error([1.0, 0.0], [0, 1], delta=1e-7) == pytest.approx(-np.log(1e-7))
    with pytest.raises(ValueError, match=r"infinite: y gives probability 0 .* delta > 0"):
        cross_entropy_error([1.0, 0.0], [0, 1], delta=0.0)
    # soft targets: 0 log 0 counts as 0, as in the formula
    assert cross_entropy_error([[1.0, 0.0]], [[1.0, 0.0]], delta=0.0) == 0.0


def test_sum_squared_error_overflow_is_an_error() -> None:
    assert sum_squared_error([1e150], [0.0]) == pytest.approx(0.5e300)
    with pytest.raises(ValueError, match="overflows float64"):
        sum_squared_error([1e200], [-1e200])
