"""The extension points of tinynn, as :class:`typing.Protocol` classes.

A class fits a protocol by having the right methods; it need not inherit from
it. So a learner's own estimator, optimizer or layer plugs into the
:class:`~tinynn.Trainer` as soon as its methods match, and ``mypy`` checks the
match.

Book section
------------
4.5 (the learning algorithm: mini-batch, gradient, update, repeat)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from numpy.typing import NDArray

from .typing import ArrayLike, FloatArray, Params

__all__ = [
    "BindsLoss",
    "DifferentiableModel",
    "Function",
    "GradientEstimator",
    "Layer",
    "Loss",
    "LossLayer",
    "Model",
    "Optimizer",
    "Stateful",
]


@runtime_checkable
class Function(Protocol):
    """An element-wise (or row-wise) function of an array, such as :func:`~tinynn.sigmoid`.

    Book section
    ------------
    3.2 (activation functions)
    """

    def __call__(self, x: ArrayLike, /) -> FloatArray:
        """Apply the function to ``x``."""
        ...


@runtime_checkable
class Loss(Protocol):
    """A loss function ``loss(y, t) -> float``, such as :func:`~tinynn.cross_entropy_error`.

    Book section
    ------------
    4.2 (loss functions)
    """

    def __call__(self, y: ArrayLike, t: ArrayLike, /) -> float:
        """Return the loss of output ``y`` against teacher data ``t``."""
        ...


@runtime_checkable
class Layer(Protocol):
    """A pluggable layer: ``forward`` computes, ``backward`` propagates the gradient.

    ``params`` maps local names (``'W'``, ``'b'``) to the arrays the layer
    uses, which optimizers update in place; ``grads`` has the same keys and
    holds the gradients of the last ``backward``. Layers without parameters
    return empty dicts.

    Optional: a class attribute ``reveals_nonfinite = True`` promises that a NaN
    or infinity in the input or the parameters always reaches the output (as in
    :class:`~tinynn.Affine`), so that :meth:`tinynn.Sequential.gradient` may check
    the output instead of the input and the weights; a keyword
    ``backward(dout, input_grad=False)`` fills ``grads`` without computing dL/dx,
    which :class:`~tinynn.Sequential` asks of its first layer.

    A layer is its maths only. What an estimator needs to know of it beyond
    ``forward`` and ``backward`` is kept by that estimator, as a rule registered
    for the layer's class (:meth:`tinynn.NumericalDiff.rule_for`,
    :meth:`tinynn.ComplexStep.rule_for`); without one, the layer still works
    everywhere it can (see :doc:`/extending`).

    Book section
    ------------
    5.4-5.6 (layers with forward and backward), previewed in 4.5.1
    """

    @property
    def params(self) -> Params:
        """The layer's parameters by local name."""
        ...

    @property
    def grads(self) -> Params:
        """Gradients of the loss with respect to ``params``, from the last ``backward``."""
        ...

    def forward(self, x: FloatArray) -> FloatArray:
        """Compute the layer's output and remember what ``backward`` needs."""
        ...

    def backward(self, dout: FloatArray) -> FloatArray:
        """Given dL/d(output), fill ``grads`` and return dL/d(input)."""
        ...


@runtime_checkable
class LossLayer(Protocol):
    """The last layer of a network: turns scores into a loss, and back into a gradient.

    Optional: ``forward_for_gradient(x, t)`` does what :meth:`backward` needs without
    computing the loss value, which :meth:`tinynn.Sequential.gradient` then skips (as
    :class:`~tinynn.SoftmaxWithLoss` does).

    Book section
    ------------
    5.6.3 (Softmax-with-Loss layer), previewed in 4.5.1
    """

    def activation(self, x: FloatArray) -> FloatArray:
        """The output function applied by ``predict`` (softmax for classification)."""
        ...

    def forward(self, x: FloatArray, t: NDArray[Any]) -> float:
        """The loss of scores ``x`` against checked targets ``t``."""
        ...

    def backward(self, dout: float = 1.0) -> FloatArray:
        """dL/d(scores) for the last ``forward``."""
        ...


@runtime_checkable
class Model(Protocol):
    """A trainable model: named parameters, predictions, a loss and an accuracy.

    Optional: ``training()``, a context manager within which the model trains (Dropout
    drops, Batch Normalization uses the batch's statistics, each held still within one
    gradient estimate), as :meth:`tinynn.Sequential.training`. The
    :class:`~tinynn.Trainer` enters it around every gradient, whatever the estimator;
    outside it the model evaluates.

    Book section
    ------------
    4.5.1 (the two-layer network class)
    """

    @property
    def params(self) -> Params:
        """Parameters by name (``'W1'``, ``'b1'``, ...), updated in place by optimizers."""
        ...

    def predict(self, x: ArrayLike) -> FloatArray:
        """The network's output for inputs ``x``."""
        ...

    def loss(self, x: ArrayLike, t: ArrayLike) -> float:
        """The loss on inputs ``x`` against teacher data ``t``."""
        ...

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        """The fraction of ``x`` classified as ``t`` says."""
        ...


@runtime_checkable
class DifferentiableModel(Model, Protocol):
    """A model that computes its own analytic gradient (by backpropagation).

    Book section
    ------------
    4.5.1 (``TwoLayerNet.gradient``), 5.7 (backpropagation)
    """

    def gradient(self, x: ArrayLike, t: ArrayLike) -> Params:
        """The gradient of ``loss(x, t)`` for every parameter, keyed as ``params``."""
        ...


@runtime_checkable
class BindsLoss(Protocol):
    """A model that can check a mini-batch once and return its loss as a function.

    Optional: :class:`~tinynn.NumericalDiff` uses it when present and falls
    back to calling ``model.loss(x, t)`` otherwise.

    Book section
    ------------
    4.5.1 (``loss_W = lambda W: self.loss(x, t)``)
    """

    def bind_loss(self, x: ArrayLike, t: ArrayLike) -> Callable[[], float]:
        """Return a function of no arguments computing ``loss(x, t)`` from current params."""
        ...


@runtime_checkable
class GradientEstimator(Protocol):
    """Anything that computes ``d loss / d params`` of a model on a mini-batch.

    Book section
    ------------
    4.4.2 (gradient of a network), 4.5.2 (step 2 of learning: compute the gradient)
    """

    def gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        """Return a dict with the keys and shapes of ``model.params``."""
        ...


@runtime_checkable
class Optimizer(Protocol):
    """Updates parameters in place from their gradients.

    Book section
    ------------
    4.5.2 (step 3 of learning: update the parameters), 6.1 (optimizers)
    """

    def update(self, params: Params, grads: Params) -> None:
        """Change every ``params[key]`` in place using ``grads[key]``."""
        ...


@runtime_checkable
class Stateful(Protocol):
    """Something whose state can be saved and restored exactly: layers, optimizers, estimators,
    callbacks.

    ``state_dict()`` returns a snapshot of plain data only (copies, not live
    arrays): NumPy arrays, ``int``, ``float``, ``bool``, ``str``, and nested
    ``dict`` of these with ``str`` keys (no ``'/'`` in a key), so that a
    checkpoint can store it in an ``.npz`` file without pickle.
    ``load_state_dict(state)`` restores it, and raises ``ValueError`` for a state
    that does not fit (other parameter names or shapes), changing nothing. Layers,
    optimizers, estimators and callbacks may all be Stateful; the trainer saves
    and restores each through this one mechanism.

    Book section
    ------------
    6.1 (optimizers that keep state, such as Momentum's velocity)
    """

    def state_dict(self) -> dict[str, Any]:
        """The object's state as plain data (arrays, numbers, strings, nested dicts)."""
        ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state returned by ``state_dict``."""
        ...
