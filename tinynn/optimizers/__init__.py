"""Optimizers: rules that update parameters in place from their gradients.

Each optimizer fits :class:`tinynn.Optimizer` (``update(params, grads) -> None``)
and :class:`tinynn.Stateful` (``state_dict()``, ``load_state_dict(state)``),
checks everything with :func:`check_update` before it changes anything, and
keeps its per-parameter arrays in a :class:`SlotState`. One module each:
``sgd``, ``momentum``, ``nesterov``, ``adagrad``, ``rmsprop``, ``adam``.

Book section
------------
4.5.2 (stochastic gradient descent), 6.1 (more optimizers)
"""

from .adagrad import AdaGrad as AdaGrad
from .adam import Adam as Adam
from .check import check_update as check_update
from .momentum import Momentum as Momentum
from .nesterov import Nesterov as Nesterov
from .rmsprop import RMSprop as RMSprop
from .sgd import SGD as SGD
from .state import SlotState as SlotState

__all__ = [
    "SGD",
    "AdaGrad",
    "Adam",
    "Momentum",
    "Nesterov",
    "RMSprop",
    "SlotState",
    "check_update",
]
