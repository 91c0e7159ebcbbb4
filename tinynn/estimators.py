"""Gradient estimators: numerical (central difference) and analytic (backpropagation).

Book section
------------
4.4.2 (numerical gradient of a network), 5.7.3 (gradient check)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._validation import check_positive
from .base import BindsLoss, DifferentiableModel, GradientEstimator, Model
from .calculus import DEFAULT_H, numerical_gradient
from .typing import ArrayLike, Params

__all__ = ["Backprop", "GradientDifference", "NumericalDiff", "gradient_check"]


@dataclass(frozen=True)
class NumericalDiff:
    """Numerical gradient of a model's loss: the book's central difference over every entry.

    Parameters
    ----------
    h : float, default 1e-4
        The step.

    Notes
    -----
    For every parameter array and every entry ``w`` of it, the loss is
    evaluated at ``w + h`` and ``w - h`` (in place; the entry is restored
    even if the loss raises):

    .. math:: \\frac{\\partial L}{\\partial w} \\approx \\frac{L(w + h) - L(w - h)}{2h}

    That is two forward passes per weight: about 80,000 for the book's
    784-50-10 network, which is why the book switches to backpropagation.

    Book section
    ------------
    4.4.2 (gradient of a network), 4.5.1 (``TwoLayerNet.numerical_gradient``)

    Examples
    --------
    >>> from tinynn import SimpleNet
    >>> net = SimpleNet(rng=0)
    >>> grads = NumericalDiff().gradient(net, [0.6, 0.9], [0, 0, 1])
    >>> grads["W"].shape
    (2, 3)
    """

    h: float = DEFAULT_H

    def __post_init__(self) -> None:
        check_positive(self.h, "h")

    def gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        """Return ``{name: dL/dparam}`` for every entry of ``model.params``."""
        if isinstance(model, BindsLoss):
            bound = model.bind_loss(x, t)  # checks x and t once, not per evaluation
        else:
            model.loss(x, t)  # fail early, before thousands of evaluations

            def bound() -> float:
                return model.loss(x, t)

        def loss(_: object) -> float:
            return bound()

        return {name: numerical_gradient(loss, p, self.h) for name, p in model.params.items()}


@dataclass(frozen=True)
class Backprop:
    """Analytic gradient by backpropagation, through the model's own ``gradient``.

    Works with any :class:`~tinynn.base.DifferentiableModel`, such as
    :class:`~tinynn.Sequential` and :class:`~tinynn.TwoLayerNet`, whose layers
    each provide ``backward``.

    Book section
    ------------
    4.5.1 (``TwoLayerNet.gradient``), 5.7 (backpropagation)

    Examples
    --------
    >>> from tinynn import TwoLayerNet
    >>> net = TwoLayerNet(3, 4, 2, rng=0)
    >>> sorted(Backprop().gradient(net, np.ones((5, 3)), np.zeros(5, dtype=int)))
    ['W1', 'W2', 'b1', 'b2']
    """

    def gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        """Return ``model.gradient(x, t)``."""
        if not isinstance(model, DifferentiableModel):
            raise TypeError(
                f"Backprop needs a model with an analytic gradient(x, t) method; "
                f"{type(model).__name__} has none. Use NumericalDiff() instead."
            )
        return model.gradient(x, t)


class GradientDifference(NamedTuple):
    """How far two gradient estimates of one parameter are apart.

    Book section
    ------------
    5.7.3 (gradient check)
    """

    max_abs: float
    """Largest absolute difference of any entry."""
    max_rel: float
    """Largest ``|a - b| / max(|a| + |b|, 1e-8)`` of any entry."""
    mean_abs: float
    """Mean absolute difference (what the book prints)."""


def gradient_check(
    model: Model,
    x: ArrayLike,
    t: ArrayLike,
    *,
    estimate: GradientEstimator | None = None,
    reference: GradientEstimator | None = None,
) -> dict[str, GradientDifference]:
    """Compare two gradient estimators on one mini-batch, per parameter.

    Parameters
    ----------
    model : Model
    x, t : array_like
        A (small) mini-batch.
    estimate : GradientEstimator, optional
        The estimator under test; :class:`Backprop` by default.
    reference : GradientEstimator, optional
        The trusted one; :class:`NumericalDiff` by default.

    Returns
    -------
    dict of str to GradientDifference
        One entry per parameter name.

    Raises
    ------
    ValueError
        If the two estimators return different keys or shapes, or non-finite values.

    Notes
    -----
    Expect a relative difference of about 1e-7 with the default losses, not
    less: backpropagation differentiates the cross-entropy without its
    ``delta = 1e-7``, the numerical gradient differentiates the loss as
    computed. Build the loss with ``SoftmaxWithLoss(delta=0.0)`` to see the
    two agree to about 1e-10.

    Book section
    ------------
    5.7.3 (gradient check: backpropagation against the numerical gradient)

    Examples
    --------
    >>> from tinynn import TwoLayerNet
    >>> rng = np.random.default_rng(0)
    >>> net = TwoLayerNet(4, 5, 3, rng=rng)
    >>> diff = gradient_check(net, rng.random((2, 4)), np.array([0, 2]))
    >>> all(d.max_rel < 1e-6 for d in diff.values())
    True
    >>> sorted(diff)
    ['W1', 'W2', 'b1', 'b2']
    """
    a = (Backprop() if estimate is None else estimate).gradient(model, x, t)
    b = (NumericalDiff() if reference is None else reference).gradient(model, x, t)
    if set(a) != set(b) or set(a) != set(model.params):
        raise ValueError(
            f"estimators returned different parameter names: {sorted(a)} vs {sorted(b)} "
            f"(the model has {sorted(model.params)})"
        )
    out: dict[str, GradientDifference] = {}
    for name in model.params:
        ga, gb = np.asarray(a[name], dtype=np.float64), np.asarray(b[name], dtype=np.float64)
        if ga.shape != gb.shape:
            raise ValueError(f"gradient {name!r} has shape {ga.shape} vs {gb.shape}")
        if not (np.all(np.isfinite(ga)) and np.all(np.isfinite(gb))):
            raise ValueError(f"gradient {name!r} holds NaN or infinity")
        diff = np.abs(ga - gb)
        rel = diff / np.maximum(np.abs(ga) + np.abs(gb), 1e-8)
        out[name] = GradientDifference(
            float(diff.max(initial=0.0)), float(rel.max(initial=0.0)), float(np.mean(diff))
        )
    return out
