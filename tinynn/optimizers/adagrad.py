"""AdaGrad: a learning rate per weight that decays with the gradients it has seen.

Book section
------------
6.1.5 (AdaGrad)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..typing import Params
from ..utils.validation import check_positive
from .schedules import Schedule, check_learning_rate
from .state import SlotState

__all__ = ["AdaGrad"]


@dataclass(frozen=True)
class AdaGrad:
    """AdaGrad: divide each step by the root of the sum of that weight's squared gradients.

    Parameters
    ----------
    lr : float or Schedule, default 0.01
        The learning rate :math:`\\eta`.
    eps : float, default 1e-7
        Added to :math:`\\sqrt{h}` so that a weight whose gradients were all 0
        is not divided by 0 (the book's ``1e-7``).

    Notes
    -----
    .. math::

        h \\leftarrow h + \\frac{\\partial L}{\\partial W} \\odot \\frac{\\partial L}{\\partial W},
        \\qquad
        W \\leftarrow W - \\eta \\frac{1}{\\sqrt{h} + \\epsilon} \\frac{\\partial L}{\\partial W}

    :math:`h` only grows, so the steps shrink and eventually stop: see
    :class:`RMSprop` for the remedy. ``state_dict()`` returns
    ``{"optimizer": "AdaGrad", "h": {name: array}}``.

    Raises
    ------
    ValueError
        If ``lr`` or ``eps`` is not a finite positive number.

    Book section
    ------------
    6.1.5 (AdaGrad, ``common/optimizer.py``)

    Examples
    --------
    With gradients 2, then 1: :math:`h = 4`, the step
    :math:`-0.5 \\times 2 / 2 = -0.5`; then :math:`h = 5`, the step
    :math:`-0.5 / \\sqrt{5} = -0.2236...` (up to :math:`\\epsilon`).

    >>> import numpy as np
    >>> opt, params = AdaGrad(lr=0.5), {"W": np.array([1.0])}
    >>> opt.update(params, {"W": np.array([2.0])})
    >>> opt.update(params, {"W": np.array([1.0])})
    >>> params["W"], opt.state_dict()["h"]
    (array([0.27639]), {'W': array([5.])})
    """

    lr: float | Schedule = 0.01
    eps: float = 1e-7
    _state: SlotState = field(
        default_factory=lambda: SlotState("AdaGrad", ("h",), nonnegative=("h",)),
        init=False,
        repr=False,
        compare=False,
    )

    def __post_init__(self) -> None:
        check_learning_rate(self.lr)
        check_positive(self.eps, "eps")

    def update(self, params: Params, grads: Params) -> None:
        """Add the squared gradient to ``h``, then step; in place, all or nothing."""
        grads = self._state.prepare(params, grads)
        lr, h = self._state.next_step(self.lr), self._state["h"]
        for key, p in params.items():
            h[key] += grads[key] * grads[key]
            p -= lr * grads[key] / (np.sqrt(h[key]) + float(self.eps))

    def state_dict(self) -> dict[str, Any]:
        """``{"optimizer": "AdaGrad", "h": {name: sum of squares}}``, copies of plain arrays."""
        return self._state.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``, checked and copied.

        See :meth:`~tinynn.optimizers.SlotState.load_state_dict` for the checks.
        """
        self._state.load_state_dict(state)
