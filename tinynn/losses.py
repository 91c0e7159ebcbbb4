"""Loss functions (book section 4.2).

A loss measures how bad the network's output ``y`` is against the teacher
data ``t``. Labels may be given as one-hot rows (the book's
``one_hot_label=True``) or as class indices.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .typing import ArrayLike, FloatArray
from .utils.validation import as_real_array, check_finite, describe

__all__ = ["CROSS_ENTROPY_DELTA", "cross_entropy_error", "sum_squared_error"]

#: The small constant the book adds inside the logarithm so that ``log(0)`` never happens.
CROSS_ENTROPY_DELTA = 1e-7


def sum_squared_error(y: ArrayLike, t: ArrayLike) -> float:
    """Sum of squared errors, halved.

    .. math:: E = \\frac{1}{2} \\sum_k (y_k - t_k)^2

    Parameters
    ----------
    y : array_like
        Network output, any shape.
    t : array_like
        Teacher data of the same shape (one-hot for classification).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes differ, an input holds NaN or infinity, or the sum
        overflows float64.
    TypeError
        If an input is not an array of real numbers.

    Book section
    ------------
    4.2.1 (sum of squared error)

    Examples
    --------
    >>> t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    >>> y = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
    >>> round(sum_squared_error(y, t), 10)
    0.0975
    """
    ya = np.asarray(as_real_array(y, "y"), dtype=np.float64)
    ta = np.asarray(as_real_array(t, "t"), dtype=np.float64)
    if ya.shape != ta.shape:
        raise ValueError(
            f"sum_squared_error needs y and t of the same shape, got y {ya.shape} and t {ta.shape}"
        )
    check_finite(ya, "y")
    check_finite(ta, "t")
    with np.errstate(over="ignore"):
        loss = float(0.5 * np.sum((ya - ta) ** 2))
    if not math.isfinite(loss):
        raise ValueError(
            f"sum_squared_error overflows float64 (|y - t| up to {np.max(np.abs(ya - ta)):.3g}); "
            "scale y and t down"
        )
    return loss


def cross_entropy_error(y: ArrayLike, t: ArrayLike, *, delta: float = CROSS_ENTROPY_DELTA) -> float:
    """Cross-entropy error, averaged over the mini-batch.

    .. math:: E = -\\frac{1}{N} \\sum_n \\sum_k t_{nk} \\log(y_{nk} + \\delta),
              \\quad \\delta = 10^{-7}

    Parameters
    ----------
    y : array_like
        Probabilities: shape ``(C,)`` for one sample or ``(N, C)`` for a batch
        (the softmax output).
    t : array_like
        Teacher data: one-hot rows of the same shape as ``y``, or class
        indices of shape ``()`` / ``(N,)`` in ``[0, C)``. Rows that are not
        one-hot (soft targets) use the full sum.
    delta : float, default 1e-7
        Added inside the logarithm, as the book does. ``delta=0`` gives the
        exact cross-entropy, whose gradient is what backpropagation computes.

    Returns
    -------
    float
        The mean loss per sample.

    Raises
    ------
    ValueError
        If the shapes do not match, a label is outside ``[0, C)``, ``y`` lies
        outside ``[0, 1]`` (raw scores: apply softmax first), a one-hot or
        soft target row does not sum to 1, an input holds NaN or infinity, or
        the loss is infinite (``delta=0`` and a zero probability).
    TypeError
        If class indices are not integers, or an input is not an array of
        real numbers.

    Notes
    -----
    One-hot rows are turned into indices before the sum, as in the book's
    ``common/functions.py``, so the result matches the book bit for bit.
    The delta keeps ``log(0) = -inf`` out: a confident wrong answer costs
    ``-log(1e-7) = 16.1``, not infinity. It also shifts the loss by about
    ``delta / y``: the values printed in the book's 4.4.2 (loss
    0.92806853663411326 and its gradient) were computed without it, and
    come out with ``delta=0`` (see :class:`~tinynn.SimpleNet`).

    Book section
    ------------
    4.2.2 (cross entropy error), 4.2.4 (mini-batch version)

    Examples
    --------
    >>> t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    >>> y = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
    >>> round(cross_entropy_error(y, t), 10)
    0.5108254571
    >>> round(cross_entropy_error([[0.1, 0.9], [0.8, 0.2]], [1, 0]), 10)
    0.1642519154
    """
    ya = np.asarray(as_real_array(y, "y"), dtype=np.float64)
    if ya.ndim not in (1, 2) or ya.size == 0:
        raise ValueError(f"y must have shape (C,) or (N, C), got shape {ya.shape}")
    check_finite(ya, "y")
    check_delta(delta)
    check_probabilities(ya, "y")
    y2 = ya.reshape(1, ya.size) if ya.ndim == 1 else ya
    targets = as_targets(t, y2.shape[0], y2.shape[1], single=ya.ndim == 1)
    loss = cross_entropy_unchecked(y2, targets, delta)
    if not math.isfinite(loss):
        raise ValueError(
            "cross_entropy_error is infinite: y gives probability 0 to a target class and "
            f"delta={delta!r}; use delta > 0 (the book's 1e-7) to keep log(0) out"
        )
    return loss


def check_probabilities(y: FloatArray, name: str) -> None:
    """Raise ``ValueError`` unless every entry of ``y`` lies in [0, 1], suggesting softmax."""
    low, high = float(np.min(y)), float(np.max(y))
    if low < 0 or high > 1:
        bad = np.argwhere((y < 0) | (y > 1))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], got {float(y[where])!r} at index "
            f"{where} (values from {low:.4g} to {high:.4g}): are these raw scores? "
            "Apply softmax first"
        )


def check_delta(delta: float) -> None:
    """Raise ``ValueError`` unless ``delta`` is a finite number >= 0."""
    if isinstance(delta, bool) or not isinstance(delta, (int, float, np.integer, np.floating)):
        raise TypeError(f"delta must be a number >= 0, got {delta!r}")
    if not np.isfinite(delta) or delta < 0:
        raise ValueError(f"delta must be a finite number >= 0, got {delta!r}")


def as_targets(
    t: ArrayLike, n_samples: int, n_classes: int, *, single: bool = False, name: str = "t"
) -> NDArray[Any]:
    """Check teacher data against a batch of ``n_samples`` outputs over ``n_classes``.

    Returns class indices as an ``intp`` array of shape ``(N,)``, or one-hot /
    soft targets as a float64 array of shape ``(N, C)``. ``single`` means the
    batch came from one 1-D sample, whose label is a scalar or a ``(C,)`` row.
    """
    ta = as_real_array(t, name)
    if single and ta.ndim in (0, 1):
        ta = ta.reshape(1) if ta.ndim == 0 else ta.reshape(1, ta.size)
    if ta.ndim == 2 and ta.shape == (n_samples, n_classes):
        tf = np.asarray(ta, dtype=np.float64)
        if tf.size and _is_one_hot(tf):  # the usual case, checked cheaply
            return tf
        check_finite(tf, name)
        _check_distributions(tf, name)
        return tf
    if ta.ndim == 1 and ta.shape[0] == n_samples:
        if not np.issubdtype(ta.dtype, np.integer):
            if not (
                np.issubdtype(ta.dtype, np.floating)
                and np.all(np.isfinite(ta))
                and np.all(ta == np.round(ta))
            ):
                raise TypeError(f"{name} as class indices must be integers, got {describe(ta)}")
        if ta.size and (ta.min() < 0 or ta.max() >= n_classes):  # before any cast to intp
            bad = int(ta[(ta < 0) | (ta >= n_classes)][0])
            raise ValueError(
                f"{name} holds label {bad}, outside the {n_classes} classes [0, {n_classes - 1}]"
            )
        return np.asarray(ta, dtype=np.intp)
    expected = (
        f"({n_classes},) one-hot or a scalar label"
        if single
        else (f"({n_samples},) class indices or ({n_samples}, {n_classes}) one-hot rows")
    )
    raise ValueError(f"{name} has shape {np.shape(t)}; expected {expected}")


#: How far a one-hot or soft target row's sum may be from 1 (rounding of soft targets).
TARGET_SUM_TOLERANCE = 1e-6


def _check_distributions(t: FloatArray, name: str) -> None:
    """Raise ``ValueError`` unless each row of ``t`` lies in [0, 1] and sums to 1."""
    if t.size == 0:
        return
    if float(np.min(t)) < 0 or float(np.max(t)) > 1:
        where = tuple(int(i) for i in np.argwhere((t < 0) | (t > 1))[0])
        raise ValueError(
            f"{name} as one-hot (or soft) target rows must lie in [0, 1], got "
            f"{float(t[where])!r} at index {where}"
        )
    sums = np.sum(t, axis=1)
    off = np.abs(sums - 1.0) > TARGET_SUM_TOLERANCE * t.shape[1]
    if off.any():
        row = int(np.argmax(off))
        raise ValueError(
            f"{name} row {row} sums to {float(sums[row]):.6g} ({int(np.count_nonzero(off))} of "
            f"{t.shape[0]} rows do not sum to 1); one-hot or soft target rows must each be a "
            "probability distribution (sum 1): a row of zeros drops its sample from the loss, "
            "a row with two ones counts it twice"
        )


def cross_entropy_unchecked(
    y: FloatArray, t: NDArray[Any], delta: float = CROSS_ENTROPY_DELTA
) -> float:
    """Cross-entropy of a checked ``(N, C)`` batch; ``t`` from :func:`as_targets`."""
    n = y.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) with delta=0: callers check
        if t.ndim == 2:
            labels = one_hot_indices(t)
            if labels is None:
                terms = np.where(t > 0, t * np.log(y + delta), 0.0)  # 0 log 0 = 0
                return float(-np.sum(terms) / n)
            t = labels
        return float(-np.sum(np.log(y[np.arange(n), t] + delta)) / n)


def _is_one_hot(t: FloatArray) -> bool:
    """Whether every row of ``t`` is one-hot: ``N`` non-zeros, and each row sums to exactly 1
    (so each row has exactly one non-zero, and it is 1; NaN and infinity fail)."""
    return bool(np.count_nonzero(t) == t.shape[0] and (t @ np.ones(t.shape[1]) == 1.0).all())


def one_hot_indices(t: FloatArray) -> NDArray[np.intp] | None:
    """Indices of the ones if every row of ``t`` is one-hot, else ``None``."""
    if not _is_one_hot(t):
        return None
    labels: NDArray[np.intp] = np.argmax(t, axis=1)
    return labels
