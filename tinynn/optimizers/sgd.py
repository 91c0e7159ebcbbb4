"""SGD, stochastic gradient descent: the book's update rule, and the simplest optimizer.

Book section
------------
4.5.2 (stochastic gradient descent), 6.1.2 (SGD)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._validation import check_positive
from ..typing import Params
from .check import check_update
from .state import SlotState

__all__ = ["SGD"]


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
    SGD keeps no state; its ``state_dict()`` only names it, so that code which
    saves any optimizer's state treats it like the others.

    Raises
    ------
    ValueError
        If ``lr`` is not a finite positive number.

    Book section
    ------------
    4.5.2 (``network.params[key] -= learning_rate * grad[key]``), 6.1.2 (SGD)

    Examples
    --------
    >>> import numpy as np
    >>> params = {"W": np.array([1.0, 2.0])}
    >>> SGD(lr=0.5).update(params, {"W": np.array([2.0, 2.0])})
    >>> params["W"]
    array([0., 1.])
    >>> SGD().state_dict()
    {'optimizer': 'SGD'}
    """

    lr: float = 0.01
    _state: SlotState = field(
        default_factory=lambda: SlotState("SGD", ()), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        check_positive(self.lr, "lr")

    def update(self, params: Params, grads: Params) -> None:
        """Subtract ``lr * grads[key]`` from each ``params[key]``, in place."""
        check_update(params, grads)
        for key, p in params.items():
            p -= self.lr * grads[key]

    def state_dict(self) -> dict[str, Any]:
        """``{"optimizer": "SGD"}``: SGD has no state to save."""
        return self._state.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Accept only ``{"optimizer": "SGD"}`` (raise ``ValueError`` for another state)."""
        self._state.load_state_dict(state)

