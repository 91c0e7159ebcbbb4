"""Optimizers: rules that update parameters from their gradients.

Book section
------------
4.5.2 (stochastic gradient descent), 6.1 (more optimizers)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_positive
from .typing import Params

__all__ = ["SGD", "check_update"]


def check_update(params: Params, grads: Params) -> None:
    """Raise ``ValueError`` unless ``grads`` has the keys and shapes of ``params`` and is finite.

    Optimizers call this before changing anything, so a bad gradient leaves
    every parameter as it was.

    Book section
    ------------
    4.5.2 (the update step)
    """
    if set(params) != set(grads):
        missing, extra = sorted(set(params) - set(grads)), sorted(set(grads) - set(params))
        raise ValueError(
            f"grads must have the keys of params; missing {missing}, unexpected {extra}"
        )
    for key, p in params.items():
        g = grads[key]
        if np.shape(g) != p.shape:
            raise ValueError(f"grads[{key!r}] has shape {np.shape(g)}, params[{key!r}] {p.shape}")
        if not np.all(np.isfinite(g)):
            raise ValueError(
                f"grads[{key!r}] holds NaN or infinity; the update was not applied "
                "(is the learning rate too large?)"
            )


@dataclass(frozen=True)
class SGD:
    """Stochastic gradient descent: ``W <- W - lr * dL/dW`` for every parameter.

    Parameters
    ----------
    lr : float, default 0.01
        The learning rate :math:`\\eta` (the book trains ``TwoLayerNet`` with 0.1).

    Notes
    -----
    .. math:: W \\leftarrow W - \\eta \\frac{\\partial L}{\\partial W}

    Parameters are updated in place, so layers that share them see the change.

    Raises
    ------
    ValueError
        If ``lr`` is not a finite positive number.

    Book section
    ------------
    4.5.2 (``network.params[key] -= learning_rate * grad[key]``), 6.1.2 (SGD)

    Examples
    --------
    >>> params = {"W": np.array([1.0, 2.0])}
    >>> SGD(lr=0.5).update(params, {"W": np.array([2.0, 2.0])})
    >>> params["W"]
    array([0., 1.])
    """

    lr: float = 0.01

    def __post_init__(self) -> None:
        check_positive(self.lr, "lr")

    def update(self, params: Params, grads: Params) -> None:
        """Subtract ``lr * grads[key]`` from each ``params[key]``, in place."""
        check_update(params, grads)
        for key in params:
            params[key] -= self.lr * grads[key]
