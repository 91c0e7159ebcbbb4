"""Softmax cross-entropy of many slightly perturbed score arrays, for structured differences.

The structured rule of :class:`~tinynn.SoftmaxWithLoss` uses this to evaluate, for every
perturbation ``p`` of a :class:`~tinynn.estimators.numerical.RankOneChange`, the loss of the scores
``a + d[p, n] * w`` without forming them: sample ``n``'s loss is a function of
the one number ``d[p, n]``,

.. math::

   \\ell_n(d) = -\\log\\bigl(\\operatorname{softmax}(a_n + d\\,w)_{t_n} + \\delta\\bigr)
             = \\log B_n(d) - \\log\\bigl(y_{n t_n} + \\delta\\, B_n(d)\\bigr),
   \\qquad B_n(d) = \\sum_k y_{nk}\\, e^{d (w_k - w_{t_n})},

with :math:`y_n = \\operatorname{softmax}(a_n)`. Its Taylor polynomial
:math:`\\ell_n(d) - \\ell_n(0) \\approx \\sum_{m=1}^{K} c_{nm} d^m` has
coefficients that depend on ``n`` and ``w`` only, so they are computed once per
direction ``w``; each perturbed sample then costs ``K`` multiply-adds instead of
an ``exp`` per class and a ``log``.

The polynomial is used only when its remainder is proven negligible. On the
complex disk :math:`|d| \\le \\rho` with :math:`\\rho\\,(\\max w - \\min w) = a`,
:math:`|B_n - 1| \\le u = e^a - 1`, so :math:`|\\ell_n(d) - \\ell_n(0)| \\le M =
-2\\log(1 - u)`, and by Cauchy's estimate :math:`|c_{nm}| \\le M / \\rho^m`. For
:math:`|d| \\le D = q\\rho` the remainder after order ``K`` is then at most
:math:`M q^{K+1} / (1 - q)`. That bound must be below :math:`2^{-60}` times the
mean per-sample loss (the loop's own rounding is about :math:`2^{-53}` times
it); otherwise, or when more than eight terms would be needed, every perturbed
loss is computed directly, one ``exp`` per class.

Book section
------------
4.2.2 (cross-entropy error), 4.4.2 (the gradient of a network, by central differences)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from ...typing import FloatArray, IntArray
from .changes import Samples

__all__ = ["loss_changes", "series_order"]

#: Highest order of the Taylor polynomial; beyond it the losses are computed directly.
MAX_ORDER = 8
#: Remainder allowed, relative to the mean per-sample loss.
TOLERANCE = 2.0**-60
#: Radii tried for Cauchy's estimate, as ``a = rho * (max w - min w)``.
_RADII = (0.1, 0.25, 0.5, 0.65)


def series_order(reach: float, tolerance: float) -> int | None:
    """The lowest order whose proven remainder is at most ``tolerance``, or ``None``.

    Parameters
    ----------
    reach : float
        ``max |d| * (max w - min w)``: how far the perturbed scores move, in the
        units of the direction's spread.
    tolerance : float
        The largest remainder allowed for one sample's loss.

    Examples
    --------
    >>> series_order(1e-6, 2.0**-60)
    3
    >>> series_order(0.5, 2.0**-60) is None
    True
    """
    best: int | None = None
    for a in _RADII:
        q = reach / a
        if q >= 0.5:
            continue
        bound = -2.0 * math.log(2.0 - math.exp(a)) * q / (1.0 - q)
        for order in range(1, MAX_ORDER + 1):
            bound *= q
            if bound <= tolerance:
                best = order if best is None else min(best, order)
                break
    return best


def _coefficients(
    y: FloatArray, labels: NDArray[np.intp], w: FloatArray, delta: float, order: int
) -> list[FloatArray]:
    """``c_1 ... c_K`` of the module's series, each of shape ``(N,)``.

    ``log B`` and ``log(y_t + delta * B)`` are expanded with the recurrence for the
    logarithm of a power series, :math:`F_m = (g_m - \\frac1m \\sum_{j<m} j F_j g_{m-j}) / g_0`.
    """
    spread = w - w[labels][:, np.newaxis]  # (N, C): w_k - w_t
    moment = y.copy()
    b: list[FloatArray] = [np.ones(y.shape[0])]  # b_m = sum_k y_k spread_k^m / m!
    for m in range(1, order + 1):
        moment *= spread
        b.append(moment.sum(axis=1) / math.factorial(m))
    log_b: list[FloatArray] = [np.zeros(y.shape[0])]
    for m in range(1, order + 1):
        acc = b[m].copy()
        for j in range(1, m):
            acc -= (j / m) * log_b[j] * b[m - j]
        log_b.append(acc)
    if not delta:
        return log_b[1:]
    g0 = y[np.arange(y.shape[0]), labels] + delta
    log_g: list[FloatArray] = [np.zeros(y.shape[0])]
    for m in range(1, order + 1):
        acc = delta * b[m]
        for j in range(1, m):
            acc -= (j / m) * log_g[j] * (delta * b[m - j])
        log_g.append(acc / g0)
    return [log_b[m] - log_g[m] for m in range(1, order + 1)]


def loss_changes(
    y: FloatArray,
    labels: NDArray[np.intp],
    per_sample: FloatArray,
    d: FloatArray,
    w: FloatArray,
    delta: float,
    *,
    samples: Samples | None = None,
) -> FloatArray:
    """``sum_n (loss_n(a_n + d[p, n] w) - loss_n(a_n))`` for every perturbation ``p``.

    Parameters
    ----------
    y : ndarray
        Shape ``(N, C)``. The unperturbed softmax.
    labels : ndarray of int
        Shape ``(N,)``. Each sample's class.
    per_sample : ndarray
        Shape ``(N,)``. Each sample's unperturbed loss, ``-log(y[n, t] + delta)``.
    d : ndarray
        Shape ``(P, N)``; or ``(E,)`` with ``samples`` naming each value's
        perturbation and sample (a sparse change: every other ``d`` is 0).
    w : ndarray
        Shape ``(C,)``. The direction of the change of the scores.
    delta : float
        The cross-entropy's ``delta``.

    Returns
    -------
    ndarray
        Shape ``(P,)``.
    """
    width = float(w.max() - w.min())
    reach = float(np.abs(d).max(initial=0.0)) * width
    if reach == 0.0:  # no sample moves, or all scores move together: softmax is unchanged
        return np.zeros(d.shape[0] if samples is None else samples.count)
    order = series_order(reach, TOLERANCE * float(np.mean(np.abs(per_sample))))
    if order is not None:
        coeffs = _coefficients(y, labels, w, delta, order)
        if samples is not None:
            coeffs = [np.take(c, samples.sample) for c in coeffs]
        change = d * coeffs[-1]
        for c in reversed(coeffs[:-1]):
            change += c
            change *= d
    else:
        change = _direct(y, labels, per_sample, d, w, delta,
                         None if samples is None else samples.sample)
    if samples is not None:
        return samples.totals(change)
    total: FloatArray = change.sum(axis=1)
    return total


def _direct(
    y: FloatArray,
    labels: NDArray[np.intp],
    per_sample: FloatArray,
    d: FloatArray,
    w: FloatArray,
    delta: float,
    samples: IntArray | None,
) -> FloatArray:
    """Each perturbed sample's loss change, from its scores: one ``exp`` per class.

    The scores are taken as ``log y + d * w`` (the same softmax as ``a + d * w``),
    shifted by their largest value, class by class: no ``(P, N, C)`` array.
    """
    shape = d.shape
    if samples is None:
        samples = np.tile(np.arange(y.shape[0]), shape[0])
        d = d.reshape(-1)
    with np.errstate(divide="ignore"):  # a softmax that underflowed to 0: score -inf
        log_y = np.log(y)
    columns = [np.ascontiguousarray(log_y[:, k]) for k in range(w.size)]
    top = np.full_like(d, -np.inf)
    for k, column in enumerate(columns):  # two passes over the classes, none kept
        np.maximum(top, column[samples] + d * w[k], out=top)
    total = np.zeros_like(d)
    for k, column in enumerate(columns):
        total += np.exp(column[samples] + d * w[k] - top)
    picked = log_y[np.arange(y.shape[0]), labels][samples] + d * w[labels][samples]
    p = np.exp(picked - top) / total
    result: FloatArray = -np.log(p + delta) - per_sample[samples]
    return result.reshape(shape)
