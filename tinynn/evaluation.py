"""What a trained network gets wrong: the confusion matrix, and precision and recall per class.

The book measures one number on the test data, the accuracy (section 4.5.3).
The confusion matrix splits it by class: which digits are mistaken for which.

Book section
------------
4.5.3 (evaluating with test data)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .typing import ArrayLike, FloatArray
from .utils.validation import as_real_array

__all__ = ["ClassScores", "class_scores", "confusion_matrix"]

IntArray = NDArray[np.int64]


def _labels(value: ArrayLike, name: str) -> NDArray[Any]:
    a = as_real_array(value, name)
    if a.ndim == 2:  # one-hot rows or scores: the class is the largest entry
        a = np.argmax(a, axis=1)
    if a.ndim != 1:
        raise ValueError(f"{name} must be class indices (n,) or one-hot rows (n, k), got {a.shape}")
    if a.size and (np.any(a < 0) or np.any(a != np.round(a))):
        raise ValueError(f"{name} must hold class indices 0, 1, 2, ..., got {a[:5]} ...")
    return a.astype(np.int64)


def confusion_matrix(t: ArrayLike, y: ArrayLike, *, num_classes: int | None = None) -> IntArray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    t : array_like
        True classes: indices ``(n,)`` or one-hot rows ``(n, k)``.
    y : array_like
        Predicted classes: indices ``(n,)``, or the network's outputs ``(n, k)``
        (the largest entry of a row is the prediction, as in ``accuracy``).
    num_classes : int, optional
        ``k``; by default one more than the largest class seen.

    Returns
    -------
    ndarray of int64, shape (k, k)
        ``matrix[i, j]`` is the number of samples of true class ``i``
        predicted as ``j``; the diagonal holds the correct ones, so the
        accuracy is ``trace / sum``.

    Raises
    ------
    ValueError
        If ``t`` and ``y`` differ in length, are not class indices, or hold a
        class ``>= num_classes``.

    Book section
    ------------
    4.5.3 (evaluating with test data)

    Examples
    --------
    >>> confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2])
    array([[1, 0, 0],
           [0, 0, 1],
           [0, 0, 2]])
    """
    ta, ya = _labels(t, "t"), _labels(y, "y")
    if len(ta) != len(ya):
        raise ValueError(f"t and y must have the same length, got {len(ta)} and {len(ya)}")
    seen = int(max(ta.max(initial=-1), ya.max(initial=-1))) + 1
    k = seen if num_classes is None else num_classes
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"num_classes must be an int >= 1, got {num_classes!r}")
    if seen > k:
        raise ValueError(f"found class {seen - 1}, but num_classes is {k}")
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (ta, ya), 1)
    return matrix


class ClassScores(NamedTuple):
    """Precision, recall and support of every class, from a confusion matrix.

    Book section
    ------------
    4.5.3 (evaluating with test data)
    """

    precision: FloatArray
    """Of the samples predicted as class ``j``, the fraction that are ``j`` (NaN if none)."""
    recall: FloatArray
    """Of the samples of class ``i``, the fraction predicted as ``i`` (NaN if none)."""
    support: IntArray
    """How many samples of each class there are."""


def class_scores(matrix: ArrayLike) -> ClassScores:
    """Precision and recall of every class.

    .. math::
        \\mathrm{precision}_j = \\frac{M_{jj}}{\\sum_i M_{ij}}, \\qquad
        \\mathrm{recall}_i = \\frac{M_{ii}}{\\sum_j M_{ij}}

    Parameters
    ----------
    matrix : array_like, shape (k, k)
        A confusion matrix, as from :func:`confusion_matrix`.

    Returns
    -------
    ClassScores
        ``precision``, ``recall`` (float64, NaN for a class never predicted
        or never present) and ``support`` (row sums).

    Raises
    ------
    ValueError
        If ``matrix`` is not square or holds negative or fractional counts.

    Book section
    ------------
    4.5.3 (evaluating with test data)

    Examples
    --------
    >>> scores = class_scores([[1, 0, 0], [0, 0, 1], [0, 0, 2]])
    >>> scores.precision
    array([1.        ,        nan, 0.66666667])
    >>> scores.recall, scores.support
    (array([1., 0., 1.]), array([1, 1, 2]))
    """
    m = as_real_array(matrix, "matrix")
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"matrix must be square (k, k) with k >= 1, got shape {m.shape}")
    if np.any(m < 0) or np.any(m != np.round(m)):
        raise ValueError("matrix must hold counts (integers >= 0)")
    counts = m.astype(np.float64)
    diagonal = np.diag(counts)
    predicted, actual = counts.sum(axis=0), counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, diagonal / predicted, np.nan)
        recall = np.where(actual > 0, diagonal / actual, np.nan)
    return ClassScores(precision, recall, actual.astype(np.int64))
