"""A network as a composition of layers: ``Sequential``.

Book section
------------
4.5.1 (a network as a composition of layers), 5.7.2 (``OrderedDict`` of layers)
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..base import Layer, LossLayer
from ..layers import SoftmaxWithLoss
from ..parameters import Parameters
from ..typing import ArrayLike, FloatArray, Params
from .checks import Checked, Trusted, check_layers

__all__ = ["Sequential"]


class Sequential:
    """A network made of any list of layers followed by a loss layer.

    Parameters
    ----------
    layers : sequence of Layer
        Applied in order by ``predict``; anything with ``params``, ``grads``,
        ``forward`` and ``backward`` fits (see :class:`tinynn.base.Layer`).
    loss : LossLayer, optional
        Defaults to :class:`~tinynn.SoftmaxWithLoss`.

    Notes
    -----
    Parameters are named as the book names them: the local name (``'W'``,
    ``'b'``) followed by the 1-based position among the layers that have
    parameters, so ``[Affine, Sigmoid, Affine]`` has ``W1 b1 W2 b2``.
    ``params`` shares its arrays with the layers (see :class:`Parameters`).

    Inputs may be one sample (1-D) or a batch (2-D, or N-D images that a
    first :class:`~tinynn.Affine` flattens). Every public method checks its
    inputs first (:mod:`tinynn.models.checks`): non-finite values, a feature
    count that does not fit the first layer, labels of the wrong shape or out
    of range. Every forward pass, the estimators' too, goes through
    :meth:`activations`.

    Book section
    ------------
    4.5.1 (a network as a composition of layers), 5.7.2 (``OrderedDict`` of layers)

    Examples
    --------
    >>> from tinynn import Affine, Sigmoid
    >>> rng = np.random.default_rng(0)
    >>> net = Sequential([Affine.random(4, 5, rng=rng), Sigmoid(), Affine.random(5, 3, rng=rng)])
    >>> sorted(net.params)
    ['W1', 'W2', 'b1', 'b2']
    >>> net.predict(np.ones((2, 4))).shape
    (2, 3)
    """

    def __init__(self, layers: Sequence[Layer], loss: LossLayer | None = None) -> None:
        loss_layer = SoftmaxWithLoss() if loss is None else loss
        check_layers(layers, loss_layer)
        self.layers: list[Layer] = list(layers)
        self.loss_layer: LossLayer = loss_layer
        self._slots: list[tuple[str, Layer, str]] = []
        index = 0
        for layer in self.layers:
            if layer.params:
                index += 1
                for key in layer.params:
                    self._slots.append((self._param_name(key, index), layer, key))
        names = [name for name, _, _ in self._slots]
        if len(set(names)) != len(names):
            raise ValueError(f"parameter names collide: {names}")
        self._params = Parameters({name: layer.params[key] for name, layer, key in self._slots})
        first = self.layers[0].params.get("W")
        if first is not None and first.ndim != 2:  # a Convolution's W (FN, C, FH, FW): no
            first = None  # feature count to check; the layer checks its input's shape itself
        self.input_size: int | None = int(first.shape[0]) if first is not None else None
        #: The shape of one sample, where the model fixes it (``(C, H, W)`` for a
        #: convolutional network); else inputs are checked by their feature count.
        self.input_shape: tuple[int, ...] | None = None
        # a first layer whose backward can skip dL/dx (its largest product, never needed)
        self._skip_input_grad = _takes_input_grad(self.layers[0])
        self._checks: Checked = Checked(self.layers, self._slots)  # see for_checked_data

    @staticmethod
    def _param_name(key: str, index: int) -> str:
        return f"{key}{index}"

    @property
    def params(self) -> Parameters:
        """Parameters by name (``'W1'``, ``'b1'``, ...), shared with the layers."""
        return self._params

    @property
    def param_slots(self) -> list[tuple[str, Layer, str]]:
        """``(name, layer, key)`` for every parameter: ``params[name] is layer.params[key]``."""
        return list(self._slots)

    # -- the forward pass: every one goes through here -----------------------------------
    def activations(self, x: FloatArray) -> list[FloatArray]:
        """``x`` and each layer's output in turn, for a batch as the layers take it.

        The one place where the layers run forward: :meth:`predict`, :meth:`loss`,
        :meth:`accuracy`, :meth:`gradient` and the estimators (the structured numerical
        gradient reads every activation) all come here. No input checks: the public
        methods check first.

        Book section
        ------------
        4.5.1 (``TwoLayerNet.predict``: ``a1 = np.dot(x, W1) + b1``, ``z1 = sigmoid(a1)``, ...)
        """
        acts = [x]
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite result is explained
            for layer in self.layers:
                acts.append(layer.forward(acts[-1]))
        return acts

    def forward(self, x: FloatArray) -> FloatArray:
        """The last layer's output (the scores) for a batch: ``activations(x)[-1]``."""
        return self.activations(x)[-1]

    # -- the model --------------------------------------------------------------------
    def predict(self, x: ArrayLike) -> FloatArray:
        """The output (softmax probabilities by default) for one sample or a batch.

        Book section
        ------------
        4.5.1 (``TwoLayerNet.predict``)
        """
        xb, single = self._checks.batch(self, x)
        y = self.loss_layer.activation(self.forward(xb))
        y = self._checks.output(self, y, xb, "predict's output")
        return y[0] if single else y

    def loss(self, x: ArrayLike, t: ArrayLike) -> float:
        """The loss on ``x`` against ``t`` (class indices or one-hot rows).

        Book section
        ------------
        4.5.1 (``TwoLayerNet.loss``)
        """
        xb, single = self._checks.batch(self, x)
        scores = self.forward(xb)
        value = self.loss_layer.forward(scores, self._checks.targets(t, scores, single))
        return self._checks.loss(self, value, xb)

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        """The fraction of samples whose largest output is the labelled class.

        Book section
        ------------
        4.5.3 (``TwoLayerNet.accuracy``)
        """
        xb, single = self._checks.batch(self, x)
        scores = self._checks.output(self, self.forward(xb), xb, "the last layer's output")
        targets = self._checks.targets(t, scores, single)
        labels = np.argmax(targets, axis=1) if targets.ndim == 2 else targets
        return float(np.sum(np.argmax(scores, axis=1) == labels) / float(xb.shape[0]))

    def gradient(self, x: ArrayLike, t: ArrayLike) -> Params:
        """The gradient of ``loss(x, t)`` by backpropagation through the layers.

        The loss layer's ``forward_for_gradient`` (if it has one) stands in for its
        ``forward`` when the scores are finite, since the gradient does not need the loss
        value; a first layer whose ``backward`` takes ``input_grad=False``
        (:class:`~tinynn.Affine`) skips the gradient of ``x``, its largest product.

        Returns
        -------
        dict of str to ndarray
            Keyed and shaped as ``params``.

        Book section
        ------------
        4.5.1 (``TwoLayerNet.gradient``, the fast analytic version), 5.7.2
        """
        checks = self._checks
        xb, targets, scores, finite = checks.gradient_inputs(self, x, t)
        prepare = getattr(self.loss_layer, "forward_for_gradient", None)
        if prepare is not None and finite:
            prepare(scores, targets)  # softmax for backward; the loss value is not needed
        else:  # the loss, and its non-finite value explained
            checks.loss(self, self.loss_layer.forward(scores, targets), xb)
        with np.errstate(invalid="ignore", over="ignore"):  # diagnosed just below
            dout = self.loss_layer.backward(1.0)
            for layer in reversed(self.layers[1:]):
                dout = layer.backward(dout)
            if self._skip_input_grad:
                self.layers[0].backward(dout, input_grad=False)  # type: ignore[call-arg]
            else:
                self.layers[0].backward(dout)
            grads = {name: layer.grads[key] for name, layer, key in self._slots}
            checks.gradients(grads)
        return grads

    # -- checked inputs, for the estimators and the Trainer -----------------------------
    def bind_loss(self, x: ArrayLike, t: ArrayLike) -> Callable[[], float]:
        """Check ``x`` and ``t`` once; return a function computing ``loss(x, t)`` from the
        current parameters.

        :class:`~tinynn.NumericalDiff`'s loop evaluates the loss twice per weight on
        one mini-batch; binding it skips thousands of repeated input checks.
        The numbers are those of :meth:`loss`.

        Book section
        ------------
        4.5.1 (``loss_W = lambda W: self.loss(x, t)``)
        """
        xb, targets = self._checks.loss_inputs(self, x, t)  # NaN weights fail here

        def loss() -> float:
            return self._checks.loss(self, self.loss_layer.forward(self.forward(xb), targets), xb)

        return loss

    def check_batch(
        self, x: ArrayLike, t: ArrayLike, *, purpose: str = "the gradient"
    ) -> tuple[FloatArray, NDArray[Any]]:
        """Check a mini-batch as :meth:`loss` does, and every parameter; return the batch
        as the layers take it (``x`` as float64 ``(N, ...)``; ``t`` as class indices or rows).

        For an estimator that evaluates the loss its own way (the structured
        :class:`~tinynn.NumericalDiff`, :class:`~tinynn.ComplexStep`): a parameter holding
        NaN or infinity is a ``ValueError`` naming it and ``purpose``, since such an
        estimate would spread it silently.

        Book section
        ------------
        4.5.1 (the inputs of ``TwoLayerNet.loss``)
        """
        return self._checks.loss_inputs(self, x, t, purpose=purpose)

    def for_checked_data(
        self, x: ArrayLike, t: ArrayLike
    ) -> tuple[Sequential, FloatArray, NDArray[Any]]:
        """Check a whole data set once; return a view of this model that trusts batches of it.

        The :class:`~tinynn.Trainer` calls this once per ``fit``, so that the
        mini-batches of the training loop are not checked again and again.

        Returns
        -------
        view : Sequential
            The same network (same layers, same parameters) whose ``loss``,
            ``gradient`` and ``predict`` skip the input checks. Give it only
            batches drawn from the two arrays below.
        x : ndarray of float64
        t : ndarray
            The data set as the layers take it: class indices, or one-hot or
            soft rows as float64.

        Raises
        ------
        ValueError, TypeError
            As :meth:`loss`.

        Book section
        ------------
        4.5.2 (the mini-batches of the training loop)
        """
        xb, targets = self._checks.data_set(self, x, t)
        view = copy.copy(self)  # shares layers and parameters; only the checks differ
        view._checks = Trusted()
        return view, xb, targets

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"{type(self).__name__}([{inner}], loss={self.loss_layer!r})"


def _takes_input_grad(layer: Layer) -> bool:
    """Whether ``layer.backward`` takes ``input_grad=False`` (to skip dL/dx, as Affine's does)."""
    try:
        return "input_grad" in inspect.signature(layer.backward).parameters
    except (TypeError, ValueError):  # no signature to read: call it plainly
        return False
