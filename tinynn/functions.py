"""Activation functions and their derivatives (book sections 3.2, 3.5, 4.5.1).

Each function takes an array of real numbers and returns a new float array of
the same shape. They are the plain functions of the book's
``common/functions.py``; the layers in :mod:`tinynn.layers` wrap them with a
``backward``.

Bad inputs: NaN is rejected everywhere (``ValueError`` naming the first NaN),
since it would only come out again as a silent NaN. Infinity is accepted where
the function has a limit there (``sigmoid(inf) = 1``, ``relu(-inf) = 0``,
``step_function(inf) = 1``, ``identity_function(inf) = inf``) and rejected by
``softmax``, whose shift by the maximum would compute ``inf - inf``.
"""

from __future__ import annotations

import numpy as np

from .typing import ArrayLike, FloatArray
from .utils.validation import as_real_array, check_finite

__all__ = [
    "identity_function",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "step_function",
]


def _floats(x: ArrayLike, name: str = "x") -> FloatArray:
    """``x`` as float64; ``ValueError`` naming the first NaN (infinity is allowed)."""
    a = np.asarray(as_real_array(x, name), dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        total = np.sum(a)  # one cheap pass: NaN only if some entry is NaN (or inf - inf)
    if np.isnan(total) and np.isnan(a).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(a))[0])
        raise ValueError(
            f"{name} contains {int(np.count_nonzero(np.isnan(a)))} NaN value(s), the first at "
            f"index {where}; the result would be NaN there"
        )
    return a


def identity_function(x: ArrayLike) -> FloatArray:
    """Return the input unchanged, as a float array: the output layer for regression.

    Parameters
    ----------
    x : array_like
        Real numbers of any shape.

    Returns
    -------
    ndarray of float64
        A copy of ``x``.

    Raises
    ------
    ValueError
        If ``x`` holds NaN.
    TypeError
        If ``x`` is not an array of real numbers.

    Book section
    ------------
    3.5 (output layer: the identity function)

    Examples
    --------
    >>> identity_function([1, -2])
    array([ 1., -2.])
    """
    return np.array(_floats(x), dtype=np.float64, copy=True)


def step_function(x: ArrayLike) -> FloatArray:
    """Heaviside step: 1 where ``x > 0``, else 0.

    .. math:: h(x) = \\begin{cases} 1 & x > 0 \\\\ 0 & x \\le 0 \\end{cases}

    Parameters
    ----------
    x : array_like
        Real numbers of any shape.

    Returns
    -------
    ndarray of float64
        0.0 or 1.0 for each entry.

    Raises
    ------
    ValueError
        If ``x`` holds NaN.
    TypeError
        If ``x`` is not an array of real numbers.

    Book section
    ------------
    3.2.2 (the step function); 4.2.5 explains why its zero derivative makes it
    useless for learning.

    Examples
    --------
    >>> step_function([-1.0, 0.0, 2.0])
    array([0., 0., 1.])
    """
    return (_floats(x) > 0).astype(np.float64)


def sigmoid(x: ArrayLike) -> FloatArray:
    """Logistic sigmoid, the book's hidden-layer activation.

    .. math:: \\sigma(x) = \\frac{1}{1 + e^{-x}}

    Parameters
    ----------
    x : array_like
        Real numbers of any shape.

    Returns
    -------
    ndarray of float64
        Values in [0, 1]. Large negative inputs give exactly 0 without an
        overflow warning.

    Raises
    ------
    ValueError
        If ``x`` holds NaN.
    TypeError
        If ``x`` is not an array of real numbers.

    Book section
    ------------
    3.2.4 (the sigmoid function); used by ``TwoLayerNet`` in 4.5.1.

    Examples
    --------
    >>> sigmoid([-1.0, 0.0, 1.0])
    array([0.26894142, 0.5       , 0.73105858])
    """
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-_floats(x)))


def sigmoid_grad(x: ArrayLike) -> FloatArray:
    """Derivative of :func:`sigmoid` at ``x``.

    .. math:: \\sigma'(x) = (1 - \\sigma(x))\\,\\sigma(x)

    Parameters
    ----------
    x : array_like
        The sigmoid's *input* (not its output).

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        If ``x`` holds NaN.
    TypeError
        If ``x`` is not an array of real numbers.

    Book section
    ------------
    4.5.1 (``sigmoid_grad`` in the book's ``TwoLayerNet.gradient``); derived in 5.5.2.

    Examples
    --------
    >>> sigmoid_grad([0.0])
    array([0.25])
    """
    s = sigmoid(x)
    return (1.0 - s) * s


def relu(x: ArrayLike) -> FloatArray:
    """Rectified linear unit, ``max(0, x)``.

    Parameters
    ----------
    x : array_like
        Real numbers of any shape.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        If ``x`` holds NaN.
    TypeError
        If ``x`` is not an array of real numbers.

    Book section
    ------------
    3.2.7 (the ReLU function)

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0])
    array([0., 0., 3.])
    """
    return np.maximum(0.0, _floats(x))


def relu_grad(x: ArrayLike) -> FloatArray:
    """Derivative of :func:`relu`: 1 where ``x > 0``, else 0 (0 at ``x = 0``, as the book).

    Parameters
    ----------
    x : array_like
        ReLU's input.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        If ``x`` holds NaN.
    TypeError
        If ``x`` is not an array of real numbers.

    Book section
    ------------
    5.5.1 (ReLU layer backward), previewed by the pluggable layers of 4.5.1.

    Examples
    --------
    >>> relu_grad([-1.0, 0.0, 2.0])
    array([0., 0., 1.])
    """
    return (_floats(x) > 0).astype(np.float64)


def softmax(x: ArrayLike) -> FloatArray:
    """Softmax over the last axis, shifted by the maximum so that it cannot overflow.

    .. math:: y_k = \\frac{\\exp(a_k - \\max_j a_j)}{\\sum_i \\exp(a_i - \\max_j a_j)}

    Parameters
    ----------
    x : array_like
        Scores: one sample of shape ``(C,)`` or a batch of shape ``(N, C)``.

    Returns
    -------
    ndarray of float64
        Probabilities of the same shape; each row sums to 1.

    Raises
    ------
    ValueError
        If ``x`` is not 1-D or 2-D, is empty, or holds NaN or infinity.
    TypeError
        If ``x`` is not an array of real numbers.

    Notes
    -----
    Subtracting the maximum does not change the result (it cancels in the
    ratio) but keeps ``exp`` finite: ``softmax([1000, 1001])`` is
    ``[0.269, 0.731]``, where the naive formula gives ``nan``. The batch case
    reduces over the transposed array exactly as the book's
    ``common/functions.py`` does, so the results agree bit for bit.

    Book section
    ------------
    3.5.1 (softmax), 3.5.2 (the overflow fix)

    Examples
    --------
    >>> softmax([0.3, 2.9, 4.0])
    array([0.01821127, 0.24519181, 0.73659691])
    >>> softmax([1000.0, 1001.0])
    array([0.26894142, 0.73105858])
    """
    a = _floats(x)
    if a.ndim not in (1, 2) or a.size == 0:
        raise ValueError(
            f"softmax expects scores of shape (C,) or (N, C) with C >= 1, got shape {a.shape}"
        )
    try:
        check_finite(a, "x")
    except ValueError as exc:
        raise ValueError(
            f"softmax needs finite scores: {exc} (shifting by the maximum would compute "
            "inf - inf = NaN); clip the scores or find where they overflowed"
        ) from None
    return softmax_unchecked(a)


def softmax_unchecked(a: FloatArray) -> FloatArray:
    """Softmax without input checks (the book's algorithm), for the layers.

    A finite score so far below the maximum that the shift overflows to ``-inf`` gets
    probability 0, as it should; NumPy's overflow warning for it is silenced. An infinite
    score gives NaN without a warning: :func:`softmax` rejects such input, and models
    explain a non-finite result.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # callers check the result
        if a.ndim == 2:  # in one buffer: the same operations, the same bits
            e = a.T - np.max(a.T, axis=0)
            np.exp(e, out=e)
            e /= np.sum(e, axis=0)
            y: FloatArray = e.T
            return y
        shifted = a - np.max(a)
        e1 = np.exp(shifted)
        y1: FloatArray = e1 / np.sum(e1)
        return y1


def sigmoid_unchecked(x: FloatArray) -> FloatArray:
    """``1 / (1 + exp(-x))`` without input checks, for the layers and their rules.

    In one buffer: the operations of :func:`sigmoid`, so the same bits, with one array
    instead of four. ``exp`` overflows to ``inf`` for ``x < -709``, which gives 0, as it
    should; NumPy's warning for it is silenced.
    """
    out: FloatArray = np.negative(x)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    np.divide(1, out, out=out)
    return out
