"""Gradient checking: one estimator against another, per parameter.

Book section
------------
5.7.3 (gradient check)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from ..base import GradientEstimator, Model
from ..typing import ArrayLike
from ..utils.validation import describe_value
from .backprop import Backprop
from .model import training
from .numerical import NumericalDiff

__all__ = ["GradientDifference", "gradient_check"]


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
    TypeError
        If ``model.params`` or an estimator's result is not a dict of arrays by name
        (a list of arrays, say).
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
    if not isinstance(model.params, Mapping):
        raise TypeError(
            "model.params must be a dict of parameter arrays by name (as the book's "
            f"params['W1']), got {describe_value(model.params)}"
        )
    with training(model):  # one training step: both see the same dropout masks
        a = _gradient("estimate", Backprop() if estimate is None else estimate, model, x, t)
        b = _gradient("reference", NumericalDiff() if reference is None else reference, model, x, t)
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


def _gradient(
    role: str, estimator: GradientEstimator, model: Model, x: ArrayLike, t: ArrayLike
) -> Mapping[str, Any]:
    """``estimator.gradient(model, x, t)``, or a ``TypeError`` if it is not a dict by name."""
    grads: object = estimator.gradient(model, x, t)
    if not isinstance(grads, Mapping):
        raise TypeError(
            f"the {role} {type(estimator).__name__}().gradient(model, x, t) returned "
            f"{describe_value(grads)}; a gradient estimator must return a dict of arrays "
            f"keyed as model.params ({', '.join(map(repr, model.params))})"
        )
    return grads
