"""The analytic gradient of a model, by backpropagation through its layers.

Book section
------------
4.5.1 (``TwoLayerNet.gradient``), 5.7 (backpropagation)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..base import Model
from ..typing import ArrayLike, Params

__all__ = ["Backprop"]


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
    >>> import numpy as np
    >>> from tinynn import TwoLayerNet
    >>> net = TwoLayerNet(3, 4, 2, rng=0)
    >>> sorted(Backprop().gradient(net, np.ones((5, 3)), np.zeros(5, dtype=int)))
    ['W1', 'W2', 'b1', 'b2']
    """

    def gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        """Return ``model.gradient(x, t)``."""
        # a plain attribute look-up: a runtime Protocol check here would cost more than a
        # small network's whole backward pass, on every iteration
        gradient = getattr(model, "gradient", None)
        if not callable(gradient):
            raise TypeError(
                f"Backprop needs a model with an analytic gradient(x, t) method; "
                f"{type(model).__name__} has none. Use NumericalDiff() instead."
            )
        grads: Params = gradient(x, t)
        return grads
