"""Gradient estimators: numerical, analytic (backpropagation), complex step and SPSA.

Each is a small class behind the :class:`~tinynn.base.GradientEstimator`
protocol, one module each, re-exported here and from :mod:`tinynn`.

Book section
------------
4.4.2 (numerical gradient of a network), 5.7.3 (gradient check)
"""

from .backprop import Backprop as Backprop
from .check import GradientDifference as GradientDifference
from .check import gradient_check as gradient_check
from .complex_step import ComplexStep as ComplexStep
from .numerical import NumericalDiff as NumericalDiff
from .spsa import SPSA as SPSA

__all__ = [
    "SPSA",
    "Backprop",
    "ComplexStep",
    "GradientDifference",
    "NumericalDiff",
    "gradient_check",
]
