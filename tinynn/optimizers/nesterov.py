"""Nesterov's accelerated gradient: Momentum that looks ahead before it steps.

Book section
------------
6.1.4 (a variant of Momentum, in the book's ``common/optimizer.py``)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._validation import check_fraction
from ..schedules import Schedule, check_learning_rate
from ..typing import Params
from .state import SlotState

__all__ = ["Nesterov"]


@dataclass(frozen=True)
class Nesterov:
    """Nesterov's accelerated gradient (NAG), in the book's rearranged form.

    Parameters
    ----------
    lr : float or Schedule, default 0.01
        The learning rate :math:`\\eta`.
    momentum : float, default 0.9
        The fraction :math:`\\alpha` of the velocity kept, in ``[0, 1)``.

    Notes
    -----
    NAG takes the gradient at the point the velocity is about to reach,
    :math:`W + \\alpha v`. Rewritten so that only the gradient at the stored
    point is needed (Bengio et al., 2012, arXiv:1212.0901), the update is

    .. math::

        v \\leftarrow \\alpha v - \\eta \\frac{\\partial L}{\\partial W}, \\qquad
        W \\leftarrow W + \\alpha^2 v - (1 + \\alpha)\\, \\eta \\frac{\\partial L}{\\partial W}

    with the new :math:`v`. ``state_dict()`` returns ``{"optimizer":
    "Nesterov", "v": {name: array}}``.

    Raises
    ------
    ValueError
        If ``lr`` is not a finite positive number or ``momentum`` is not in
        ``[0, 1)``.

    Book section
    ------------
    6.1.4 (a variant of Momentum; ``Nesterov`` in ``common/optimizer.py``)

    Examples
    --------
    With a constant gradient of 1: :math:`v = -0.1`, the step
    :math:`0.81 \\times (-0.1) - 1.9 \\times 0.1 = -0.271`; then :math:`v =
    -0.19`, the step :math:`0.81 \\times (-0.19) - 0.19 = -0.3439`.

    >>> import numpy as np
    >>> opt, params = Nesterov(lr=0.1, momentum=0.9), {"W": np.array([1.0])}
    >>> opt.update(params, {"W": np.array([1.0])})
    >>> params["W"]
    array([0.729])
    >>> opt.update(params, {"W": np.array([1.0])})
    >>> params["W"]
    array([0.3851])
    """

    lr: float | Schedule = 0.01
    momentum: float = 0.9
    _state: SlotState = field(
        default_factory=lambda: SlotState("Nesterov", ("v",)),
        init=False,
        repr=False,
        compare=False,
    )

    def __post_init__(self) -> None:
        check_learning_rate(self.lr)
        check_fraction(self.momentum, "momentum")

    def update(self, params: Params, grads: Params) -> None:
        """Update the velocity, then step each parameter; in place, all or nothing."""
        grads = self._state.prepare(params, grads)
        lr, v = self._state.next_step(self.lr), self._state["v"]
        for key, p in params.items():
            v[key] *= self.momentum
            v[key] -= lr * grads[key]
            p += self.momentum * self.momentum * v[key]
            p -= (1 + self.momentum) * lr * grads[key]

    def state_dict(self) -> dict[str, Any]:
        """``{"optimizer": "Nesterov", "v": {name: velocity}}``, copies of plain arrays."""
        return self._state.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``, checked and copied.

        See :meth:`~tinynn.optimizers.SlotState.load_state_dict` for the checks.
        """
        self._state.load_state_dict(state)
