"""The numerical gradient of a model: the book's central difference over every entry.

Book section
------------
4.4.2 (numerical gradient of a network)
"""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_positive
from ..base import BindsLoss, Model
from ..calculus import DEFAULT_H, numerical_gradient
from ..typing import ArrayLike, Params

__all__ = ["NumericalDiff"]


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
