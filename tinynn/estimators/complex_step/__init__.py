"""The complex-step gradient, with its per-layer rules and their interpreter.

* ``estimator``: :class:`~tinynn.ComplexStep` and its rule registration
  (:meth:`~tinynn.ComplexStep.rule_for`);
* ``rules``: what a rule is (:class:`ComplexRule`, :class:`ComplexLossRule`), the tables;
* ``interpreter``: :func:`bind_complex_loss`, which runs a stack of layers at complex
  parameters;
* :mod:`~tinynn.estimators.complex_step.rule_check`: a rule against its layer (its value
  and its derivative), at a rule's first use and by
  :meth:`~tinynn.ComplexStep.check_rule`;
* ``builtin``: the rules of the built-in layers (:func:`affine_complex`,
  :func:`sigmoid_complex`, :func:`softmax_with_loss_complex`).

Book section
------------
4.4.2 (the gradient of a network, here by the complex step)
"""

# importing builtin registers the rules of the built-in layers, with ComplexStep.rule_for
from .builtin import affine_complex as affine_complex
from .builtin import batch_normalization_complex as batch_normalization_complex
from .builtin import dropout_complex as dropout_complex
from .builtin import sigmoid_complex as sigmoid_complex
from .builtin import softmax_with_loss_complex as softmax_with_loss_complex
from .estimator import COMPLEX_STEP_H as COMPLEX_STEP_H
from .estimator import ComplexStep as ComplexStep
from .interpreter import bind_complex_loss as bind_complex_loss
from .rules import ComplexLossRule as ComplexLossRule
from .rules import ComplexRule as ComplexRule

__all__ = [
    "COMPLEX_STEP_H",
    "ComplexLossRule",
    "ComplexRule",
    "ComplexStep",
    "affine_complex",
    "batch_normalization_complex",
    "bind_complex_loss",
    "dropout_complex",
    "sigmoid_complex",
    "softmax_with_loss_complex",
]
