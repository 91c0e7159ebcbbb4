"""Nesterov's accelerated gradient as the book's code computes it: a variant of NAG.

Book section
------------
6.1.4 (a variant of Momentum, in the book's ``common/optimizer.py``)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..typing import Params
from ..utils.validation import check_fraction
from .schedules import Schedule, check_learning_rate
from .state import SlotState

__all__ = ["Nesterov"]


@dataclass(frozen=True)
class Nesterov:
    """Nesterov's accelerated gradient (NAG) in the book's variant, not Bengio et al.'s rule.

    Parameters
    ----------
    lr : float or Schedule, default 0.01
        The learning rate :math:`\\eta`.
    momentum : float, default 0.9
        The fraction :math:`\\alpha` of the velocity kept, in ``[0, 1)``.

    Notes
    -----
    NAG takes the gradient :math:`g` at the point the velocity is about to
    reach, :math:`W + \\alpha v`. Bengio et al. (2012, arXiv:1212.0901), whom
    the book's ``common/optimizer.py`` cites, rewrite it so that only the
    gradient at the stored point is needed; their step uses the *old*
    velocity (PyTorch's ``SGD(nesterov=True)`` computes the same):

    .. math::

        W \\leftarrow W + \\alpha^2 v - (1 + \\alpha)\\, \\eta g, \\qquad
        v \\leftarrow \\alpha v - \\eta g.

    The book's code, which tinynn follows operation for operation, updates
    the velocity first and steps with the *new* one:

    .. math::

        v \\leftarrow \\alpha v - \\eta g, \\qquad
        W \\leftarrow W + \\alpha^2 v - (1 + \\alpha)\\, \\eta g
        \\;=\\; W + \\alpha^3 v_{\\text{old}} - (1 + \\alpha + \\alpha^2)\\, \\eta g.

    So the old velocity counts :math:`\\alpha^3` instead of :math:`\\alpha^2`
    times, and the gradient :math:`(1 + \\alpha + \\alpha^2)\\,\\eta` (2.71
    :math:`\\eta` for :math:`\\alpha = 0.9`) instead of :math:`(1 + \\alpha)\\,\\eta`
    (1.9 :math:`\\eta`). On the book's test function :math:`f(x, y) = x^2/20 +
    y^2`, 30 steps from (-7, 2) with :math:`\\eta = 0.1` end at (0.5264,
    0.0002) here and at (0.6896, -0.0007) with Bengio et al.'s rule (and with
    PyTorch 2.13's ``SGD(nesterov=True)``); the two paths differ by up to 0.37
    (in :math:`y`, at step 6). The :doc:`optimizers` page computes both.
    ``state_dict()`` returns ``{"optimizer": "Nesterov", "v": {name: array}}``.

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
        momentum = float(self.momentum)  # a Python float: float32 stays float32
        for key, p in params.items():
            v[key] *= momentum
            v[key] -= lr * grads[key]
            p += momentum * momentum * v[key]
            p -= (1 + momentum) * lr * grads[key]

    def state_dict(self) -> dict[str, Any]:
        """``{"optimizer": "Nesterov", "v": {name: velocity}}``, copies of plain arrays."""
        return self._state.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``, checked and copied.

        See :meth:`~tinynn.optimizers.SlotState.load_state_dict` for the checks.
        """
        self._state.load_state_dict(state)
