"""RMSprop: AdaGrad with a memory that fades, so that the steps do not die out.

Book section
------------
6.1.5 (RMSProp, the note after AdaGrad)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..typing import Params
from ..utils.validation import check_fraction, check_positive
from .schedules import Schedule, check_learning_rate
from .state import SlotState

__all__ = ["RMSprop"]


@dataclass(frozen=True)
class RMSprop:
    """RMSprop: divide each step by the root of a moving average of squared gradients.

    Parameters
    ----------
    lr : float or Schedule, default 0.01
        The learning rate :math:`\\eta`.
    decay_rate : float, default 0.99
        The fraction :math:`\\rho` of :math:`h` kept at each step, in ``[0, 1)``.
    eps : float, default 1e-7
        Added to :math:`\\sqrt{h}` (the book's ``1e-7``).

    Notes
    -----
    .. math::

        h \\leftarrow \\rho h + (1 - \\rho) \\frac{\\partial L}{\\partial W} \\odot
        \\frac{\\partial L}{\\partial W}, \\qquad
        W \\leftarrow W - \\eta \\frac{1}{\\sqrt{h} + \\epsilon} \\frac{\\partial L}{\\partial W}

    An exponential moving average forgets old gradients, so unlike
    :class:`AdaGrad` the steps do not shrink to 0. ``state_dict()`` returns
    ``{"optimizer": "RMSprop", "h": {name: array}}``.

    Raises
    ------
    ValueError
        If ``lr`` or ``eps`` is not a finite positive number, or
        ``decay_rate`` is not in ``[0, 1)``.

    Book section
    ------------
    6.1.5 (RMSProp, ``common/optimizer.py``)

    Examples
    --------
    With :math:`\\rho = 0.75` and gradients 2, then 1: :math:`h = 1`, the step
    :math:`-0.5 \\times 2 / 1 = -1`; then :math:`h = 0.75 + 0.25 = 1`, the
    step :math:`-0.5`.

    >>> import numpy as np
    >>> opt, params = RMSprop(lr=0.5, decay_rate=0.75), {"W": np.array([1.0])}
    >>> opt.update(params, {"W": np.array([2.0])})
    >>> opt.update(params, {"W": np.array([1.0])})
    >>> params["W"], opt.state_dict()["h"]
    (array([-0.5]), {'W': array([1.])})
    """

    lr: float | Schedule = 0.01
    decay_rate: float = 0.99
    eps: float = 1e-7
    _state: SlotState = field(
        default_factory=lambda: SlotState("RMSprop", ("h",), nonnegative=("h",)),
        init=False,
        repr=False,
        compare=False,
    )

    def __post_init__(self) -> None:
        check_learning_rate(self.lr)
        check_fraction(self.decay_rate, "decay_rate")
        check_positive(self.eps, "eps")

    def update(self, params: Params, grads: Params) -> None:
        """Decay ``h``, add the squared gradient, then step; in place, all or nothing."""
        grads = self._state.prepare(params, grads)
        lr, h = self._state.next_step(self.lr), self._state["h"]
        decay, eps = float(self.decay_rate), float(self.eps)  # float32 stays float32
        for key, p in params.items():
            h[key] *= decay
            h[key] += (1 - decay) * grads[key] * grads[key]
            p -= lr * grads[key] / (np.sqrt(h[key]) + eps)

    def state_dict(self) -> dict[str, Any]:
        """``{"optimizer": "RMSprop", "h": {name: moving average}}``, copies of plain arrays."""
        return self._state.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``, checked and copied.

        See :meth:`~tinynn.optimizers.SlotState.load_state_dict` for the checks.
        """
        self._state.load_state_dict(state)
