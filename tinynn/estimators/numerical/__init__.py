"""The numerical gradient: the book's loop, and the structured path with its per-layer rules.

:class:`~tinynn.NumericalDiff` keeps the book's algorithm (perturb one entry in place, run the
network, restore) as its reference, and computes the same differences hundreds of times
faster for a stack of layers that each have a *rule*: how a change of the layer's input
(or of its parameters) changes its output. Everything the fast path knows about layers
is here, not in the layers:

* ``estimator``: :class:`~tinynn.NumericalDiff`, its rule registration
  (:meth:`~tinynn.NumericalDiff.rule_for`), the loop, :class:`~tinynn.PerformanceWarning`;
* :mod:`~tinynn.estimators.numerical.rules`: what a rule is (:class:`LayerRule`,
  :class:`ParameterRule`, :class:`LossRule`), :class:`ElementwiseRule`, the tables;
* :mod:`~tinynn.estimators.numerical.changes`: the changes rules pass on;
* ``engine``: the engine that runs the rules
  (:func:`~tinynn.estimators.numerical.engine.structured_gradient`);
* :mod:`~tinynn.estimators.numerical.rule_check`: a rule against its layer, at a rule's
  first use and by :meth:`~tinynn.NumericalDiff.check_rule`, and the kind and shape of
  what a rule returns, at every call;
* :mod:`~tinynn.estimators.numerical.series`: the cross-entropy of perturbed scores;
* the built-in rules, one module per layer module: ``affine`` (:class:`AffineRule`,
  ``SPARSE_FRACTION``), ``activations`` (:class:`SigmoidRule`, :class:`ReluRule`) and
  ``softmax_with_loss`` (:class:`SoftmaxWithLossRule`), ``dropout`` (:class:`DropoutRule`)
  and ``batch_normalization`` (:class:`BatchNormalizationRule`), ``convolution``
  (:class:`ConvolutionRule`) and ``pooling`` (:class:`PoolingRule`).

Book section
------------
4.4.2 (numerical gradient of a network)
"""

# importing the built-in rules (activations, affine, softmax_with_loss) registers them,
# with NumericalDiff.rule_for, as a user's rules are registered
from .activations import ReluRule as ReluRule
from .activations import SigmoidRule as SigmoidRule
from .affine import AffineRule as AffineRule
from .batch_normalization import BatchNormalizationRule as BatchNormalizationRule
from .changes import Change as Change
from .changes import ColumnChange as ColumnChange
from .changes import DenseChange as DenseChange
from .changes import RankOneChange as RankOneChange
from .changes import Samples as Samples
from .convolution import ConvolutionRule as ConvolutionRule
from .dropout import DropoutRule as DropoutRule
from .estimator import NumericalDiff as NumericalDiff
from .estimator import PerformanceWarning as PerformanceWarning
from .pooling import PoolingRule as PoolingRule
from .rules import ElementwiseRule as ElementwiseRule
from .rules import LayerRule as LayerRule
from .rules import LossRule as LossRule
from .rules import ParameterRule as ParameterRule
from .softmax_with_loss import SoftmaxWithLossRule as SoftmaxWithLossRule

__all__ = [
    "AffineRule",
    "BatchNormalizationRule",
    "Change",
    "ColumnChange",
    "ConvolutionRule",
    "DenseChange",
    "DropoutRule",
    "ElementwiseRule",
    "LayerRule",
    "LossRule",
    "NumericalDiff",
    "ParameterRule",
    "PerformanceWarning",
    "PoolingRule",
    "RankOneChange",
    "ReluRule",
    "Samples",
    "SigmoidRule",
    "SoftmaxWithLossRule",
]
