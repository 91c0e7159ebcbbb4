"""SGD, stochastic gradient descent: the book's update rule, and the simplest optimizer.

Book section
------------
4.5.2 (stochastic gradient descent), 6.1.2 (SGD)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..typing import Params
from .schedules import Schedule, check_learning_rate
from .state import SlotState

__all__ = ["SGD"]


@dataclass(frozen=True)
class SGD:
    """Stochastic gradient descent: ``W <- W - lr * dL/dW`` for every parameter.

    Parameters
    ----------
    lr : float or Schedule, default 0.01
        The learning rate :math:`\\eta` (the book trains ``TwoLayerNet`` with 0.1).

    Notes
    -----
    .. math:: W \\leftarrow W - \\eta \\frac{\\partial L}{\\partial W}

    Parameters are updated in place, so layers that share them see the change.
    SGD keeps no arrays: its ``state_dict()`` names it and counts its updates (the step
    of a learning-rate schedule, see :class:`~tinynn.Schedule`).

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
    {'optimizer': 'SGD', 't': 0}
    """

    lr: float | Schedule = 0.01
    _state: SlotState = field(
        default_factory=lambda: SlotState("SGD", ()), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        check_learning_rate(self.lr)

    def update(self, params: Params, grads: Params) -> None:
        """Subtract ``lr * grads[key]`` from each ``params[key]``, in place."""
        grads = self._state.prepare(params, grads)  # checks everything
        lr = self._state.next_step(self.lr)
        for key, p in params.items():
            p -= lr * grads[key]

    def state_dict(self) -> dict[str, Any]:
        """``{"optimizer": "SGD", "t": updates}``: SGD keeps no arrays."""
        return self._state.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Accept only ``{"optimizer": "SGD", "t": updates}`` (``ValueError`` for another)."""
        self._state.load_state_dict(state)

