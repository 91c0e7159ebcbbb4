"""Momentum: SGD with a velocity that keeps a fraction of the previous step.

Book section
------------
6.1.4 (Momentum)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..typing import Params
from ..utils.validation import check_fraction
from .schedules import Schedule, check_learning_rate
from .state import SlotState

__all__ = ["Momentum"]


@dataclass(frozen=True)
class Momentum:
    """Momentum SGD: the step is a velocity that the gradient accelerates and friction slows.

    Parameters
    ----------
    lr : float or Schedule, default 0.01
        The learning rate :math:`\\eta`.
    momentum : float, default 0.9
        The fraction :math:`\\alpha` of the velocity kept from one step to
        the next, in ``[0, 1)`` (0 is plain SGD).

    Notes
    -----
    .. math::

        v \\leftarrow \\alpha v - \\eta \\frac{\\partial L}{\\partial W}, \\qquad
        W \\leftarrow W + v

    The velocity :math:`v` starts at 0 for each parameter, at the first
    update. ``state_dict()`` returns ``{"optimizer": "Momentum", "v": {name:
    array}}``.

    Raises
    ------
    ValueError
        If ``lr`` is not a finite positive number or ``momentum`` is not in
        ``[0, 1)``.

    Book section
    ------------
    6.1.4 (Momentum, ``common/optimizer.py``)

    Examples
    --------
    With a constant gradient of 1 the velocity grows: steps of -0.1, then
    :math:`0.9 \\times (-0.1) - 0.1 = -0.19`.

    >>> import numpy as np
    >>> opt, params = Momentum(lr=0.1, momentum=0.9), {"W": np.array([1.0])}
    >>> opt.update(params, {"W": np.array([1.0])})
    >>> opt.update(params, {"W": np.array([1.0])})
    >>> params["W"], opt.state_dict()["v"]
    (array([0.71]), {'W': array([-0.19])})
    """

    lr: float | Schedule = 0.01
    momentum: float = 0.9
    _state: SlotState = field(
        default_factory=lambda: SlotState("Momentum", ("v",)),
        init=False,
        repr=False,
        compare=False,
    )

    def __post_init__(self) -> None:
        check_learning_rate(self.lr)
        check_fraction(self.momentum, "momentum")

    def update(self, params: Params, grads: Params) -> None:
        """Update the velocity, then add it to each parameter; in place, all or nothing."""
        grads = self._state.prepare(params, grads)  # checks everything; v = 0 at the first call
        lr, v = self._state.next_step(self.lr), self._state["v"]
        momentum = float(self.momentum)  # a Python float: float32 stays float32
        for key, p in params.items():
            v[key] *= momentum
            v[key] -= lr * grads[key]
            p += v[key]

    def state_dict(self) -> dict[str, Any]:
        """``{"optimizer": "Momentum", "v": {name: velocity}}``, copies of plain arrays."""
        return self._state.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``, checked and copied.

        See :meth:`~tinynn.optimizers.SlotState.load_state_dict` for the checks.
        """
        self._state.load_state_dict(state)
