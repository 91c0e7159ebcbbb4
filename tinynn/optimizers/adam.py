"""Adam: Momentum and RMSprop together, with their start-up bias corrected.

Book section
------------
6.1.6 (Adam)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..typing import Params
from ..utils.validation import check_fraction, check_positive
from .schedules import Schedule, check_learning_rate
from .state import SlotState

__all__ = ["Adam"]


@dataclass(frozen=True)
class Adam:
    """Adam: a moving average of gradients, divided by the root of that of their squares.

    Parameters
    ----------
    lr : float or Schedule, default 0.001
        The learning rate :math:`\\eta`.
    beta1 : float, default 0.9
        Decay :math:`\\beta_1` of the first moment :math:`m`, in ``[0, 1)``.
    beta2 : float, default 0.999
        Decay :math:`\\beta_2` of the second moment :math:`v`, in ``[0, 1)``.
    eps : float, default 1e-7
        Added to :math:`\\sqrt{v}` (the book's ``1e-7``).

    Notes
    -----
    At step :math:`t = 1, 2, \\ldots`, with :math:`g = \\partial L / \\partial W`:

    .. math::

        m \\leftarrow m + (1 - \\beta_1)(g - m), \\qquad
        v \\leftarrow v + (1 - \\beta_2)(g \\odot g - v),

        \\eta_t = \\eta \\frac{\\sqrt{1 - \\beta_2^t}}{1 - \\beta_1^t}, \\qquad
        W \\leftarrow W - \\eta_t \\frac{m}{\\sqrt{v} + \\epsilon}

    :math:`\\eta_t` corrects the bias of :math:`m` and :math:`v` towards their
    start at 0 (Kingma and Ba, arXiv:1412.6980). ``state_dict()`` returns
    ``{"optimizer": "Adam", "t": steps, "m": {name: array}, "v": {name: array}}``.

    Raises
    ------
    ValueError
        If ``lr`` or ``eps`` is not a finite positive number, or ``beta1`` or
        ``beta2`` is not in ``[0, 1)``.

    Book section
    ------------
    6.1.6 (Adam, ``common/optimizer.py``)

    Examples
    --------
    The first step of Adam is :math:`\\eta` times the sign of the gradient
    (up to :math:`\\epsilon`), whatever the gradient's size:

    >>> import numpy as np
    >>> opt, params = Adam(lr=0.1), {"W": np.array([1.0, 1.0])}
    >>> opt.update(params, {"W": np.array([5.0, -0.01])})
    >>> params["W"]
    array([0.9, 1.1])
    >>> opt.state_dict()["t"]
    1
    """

    lr: float | Schedule = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-7
    _state: SlotState = field(
        default_factory=lambda: SlotState(
            "Adam", ("m", "v"), nonnegative=("v",),
        ),
        init=False,
        repr=False,
        compare=False,
    )

    def __post_init__(self) -> None:
        check_learning_rate(self.lr)
        check_fraction(self.beta1, "beta1")
        check_fraction(self.beta2, "beta2")
        check_positive(self.eps, "eps")

    def update(self, params: Params, grads: Params) -> None:
        """Update both moments, then step with the corrected rate; in place, all or nothing."""
        grads = self._state.prepare(params, grads)
        m, v = self._state["m"], self._state["v"]
        lr = self._state.next_step(self.lr)
        t = self._state.t
        # Python floats (not NumPy float64 scalars): float32 slots and parameters stay float32
        b1, b2, eps = float(self.beta1), float(self.beta2), float(self.eps)
        lr_t = lr * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        for key, p in params.items():
            m[key] += (1 - b1) * (grads[key] - m[key])
            v[key] += (1 - b2) * (grads[key] ** 2 - v[key])
            p -= lr_t * m[key] / (np.sqrt(v[key]) + eps)

    def state_dict(self) -> dict[str, Any]:
        """``{"optimizer": "Adam", "t": steps, "m": {...}, "v": {...}}``, copies of plain arrays."""
        return self._state.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``, checked and copied.

        See :meth:`~tinynn.optimizers.SlotState.load_state_dict` for the checks.
        """
        self._state.load_state_dict(state)
