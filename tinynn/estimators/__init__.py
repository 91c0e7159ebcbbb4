"""Gradient estimators: numerical, analytic (backpropagation), complex step and SPSA.

Each is a small class behind the :class:`~tinynn.base.GradientEstimator`
protocol, re-exported here and from :mod:`tinynn`: one module each, or a package for
an estimator that keeps per-layer rules (``numerical``, ``complex_step``). Such an
estimator owns its rules, in tables keyed by the layer's exact class; the layers know
nothing of them.

Book section
------------
4.4.2 (numerical gradient of a network), 5.7.3 (gradient check)
"""

from .backprop import Backprop as Backprop
from .check import GradientCheck as GradientCheck
from .check import GradientDifference as GradientDifference
from .check import gradient_check as gradient_check
from .complex_step import ComplexStep as ComplexStep
from .numerical import NumericalDiff as NumericalDiff
from .numerical import PerformanceWarning as PerformanceWarning
from .registry import RuleError as RuleError
from .spsa import SPSA as SPSA

__all__ = [
    "SPSA",
    "Backprop",
    "ComplexStep",
    "GradientCheck",
    "GradientDifference",
    "NumericalDiff",
    "PerformanceWarning",
    "RuleError",
    "gradient_check",
]
