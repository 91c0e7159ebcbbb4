"""The cross-entropy of perturbed scores by its Taylor polynomial: the same losses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynn.estimators.numerical import Samples
from tinynn.estimators.numerical.series import (
    MAX_ORDER,
    TOLERANCE,
    _direct,
    loss_changes,
    series_order,
)
from tinynn.functions import softmax_unchecked


def exact_changes(scores: np.ndarray, labels: np.ndarray, d: np.ndarray, w: np.ndarray,
                  delta: float) -> np.ndarray:  # fmt: skip
    """Sum over samples of loss(scores + d w) - loss(scores), the long way, per perturbation."""
    n = scores.shape[0]

    def loss(a: np.ndarray) -> np.ndarray:
        y = softmax_unchecked(a)
        out: np.ndarray = -np.log(y[np.arange(n), labels] + delta)
        return out

    base = loss(scores)
    return np.array([np.sum(loss(scores + dp[:, None] * w) - base) for dp in d])


def test_series_order_grows_with_the_reach_and_gives_up() -> None:
    found = [series_order(r, 2.0**-60) for r in (1e-9, 1e-6, 1e-4, 1e-3, 3e-3)]
    orders = [o for o in found if o is not None]
    assert len(orders) == len(found) and orders == sorted(orders)
    assert orders[0] == 2 and orders[-1] == MAX_ORDER
    assert series_order(1e-2, 2.0**-60) is None  # more than MAX_ORDER terms: directly
    assert series_order(0.4, 2.0**-60) is None  # past the radius: directly
    assert series_order(1e-4, 0.0) is None  # nothing is below 0


@given(
    reach=st.floats(1e-9, 0.3),
    classes=st.integers(2, 12),
    batch=st.integers(1, 8),
    delta=st.sampled_from([0.0, 1e-7, 0.01]),
    spread=st.floats(0.1, 30.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_series_and_direct_give_the_losses_of_the_scores(
    reach: float, classes: int, batch: int, delta: float, spread: float, seed: int
) -> None:
    """Whichever way each loss is computed (series of the proven order, or directly), the
    changes are those of the perturbed scores, to rounding."""
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((batch, classes)) * spread
    labels = rng.integers(0, classes, batch)
    w = rng.standard_normal(classes)
    width = float(w.max() - w.min())
    d = rng.uniform(-1, 1, (5, batch)) * reach / width
    y = softmax_unchecked(scores)
    per_sample = -np.log(y[np.arange(batch), labels] + delta)
    got = loss_changes(y, labels, per_sample, d, w, delta)
    want = exact_changes(scores, labels, d, w, delta)
    # the long way's own rounding: a few ulps of each sample's loss, or of log(y) ~ 1
    slack = 64 * np.finfo(float).eps * float(np.sum(1.0 + np.abs(per_sample)))
    np.testing.assert_allclose(got, want, rtol=0, atol=slack)
    # and the direct way agrees with the series where both apply
    direct = _direct(y, labels, per_sample, d, w, delta, None).sum(axis=1)
    np.testing.assert_allclose(direct, want, rtol=0, atol=slack)


def test_the_series_remainder_is_below_the_tolerance() -> None:
    """At the largest reach the series accepts, its error is still far below 2**-60 relative:
    measured against the direct sum in higher precision (longdouble where it is wider)."""
    rng = np.random.default_rng(1)
    scores = rng.standard_normal((50, 10))
    labels = rng.integers(0, 10, 50)
    w = rng.standard_normal(10)
    y = softmax_unchecked(scores)
    per_sample = -np.log(y[np.arange(50), labels])
    tolerance = TOLERANCE * float(np.mean(np.abs(per_sample)))
    reach = 1e-6
    while series_order(reach * 1.5, tolerance) is not None:
        reach *= 1.5
    d = np.full((1, 50), reach / float(w.max() - w.min()))
    got = loss_changes(y, labels, per_sample, d, w, 0.0)[0]
    # exact in float64 pieces: log-sum-exp differences summed by math.fsum
    terms = []
    for n in range(50):
        a0 = scores[n] - scores[n].max()
        a1 = a0 + d[0, n] * w
        terms.append(
            math.log(math.fsum(math.exp(v) for v in a1)) - a1[labels[n]]
            - math.log(math.fsum(math.exp(v) for v in a0)) + a0[labels[n]]
        )
    want = math.fsum(terms)
    assert abs(got - want) <= 1e-12 * max(abs(want), 1e-300) + 50 * 1e-16


def test_sparse_pairs_sum_like_full_arrays() -> None:
    rng = np.random.default_rng(2)
    scores = rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, 6)
    y = softmax_unchecked(scores)
    per_sample = -np.log(y[np.arange(6), labels] + 1e-7)
    w = rng.standard_normal(4)
    full = np.zeros((3, 6))
    pairs = Samples(np.array([0, 2, 2, 5]), np.array([0, 4, 1, 2, 5]))
    values = rng.uniform(-1e-3, 1e-3, 5)
    full[pairs.perturbation(), pairs.sample] = values
    sparse = loss_changes(y, labels, per_sample, values, w, 1e-7, samples=pairs)
    dense = loss_changes(y, labels, per_sample, full, w, 1e-7)
    np.testing.assert_allclose(sparse, dense, rtol=1e-15, atol=1e-20)
    assert sparse[1] == 0.0


@pytest.mark.parametrize("w", [np.zeros(3), np.full(3, 2.5)])
def test_a_shift_of_every_score_changes_nothing(w: np.ndarray) -> None:
    y = softmax_unchecked(np.array([[1.0, 2.0, 3.0]]))
    out = loss_changes(y, np.array([1]), -np.log(y[:, 1]), np.array([[0.5]]), w, 0.0)
    np.testing.assert_array_equal(out, [0.0])
