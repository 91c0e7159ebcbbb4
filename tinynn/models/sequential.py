"""A network as a composition of layers: ``Sequential``.

Book section
------------
4.5.1 (a network as a composition of layers), 5.7.2 (``OrderedDict`` of layers)
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..base import Layer, LossLayer
from ..layers import SoftmaxWithLoss
from ..typing import ArrayLike, FloatArray, FloatDType, Params
from ..utils.validation import check_nonnegative
from .checks import Checked, Trusted, check_layers, model_dtype
from .mode import Mode
from .parameters import Parameters
from .precision import Converted
from .summary import Summarized

__all__ = ["Sequential"]


class Sequential(Summarized, Converted):
    """A network made of any list of layers followed by a loss layer.

    Parameters
    ----------
    layers : sequence of Layer
        Applied in order by ``predict``; anything with ``params``, ``grads``,
        ``forward`` and ``backward`` fits (see :class:`tinynn.base.Layer`).
    loss : LossLayer, optional
        Defaults to :class:`~tinynn.SoftmaxWithLoss`.
    weight_decay_lambda : float, default 0
        The book's weight decay: the loss adds :math:`\\frac{\\lambda}{2}\\sum W^2` over
        the weights ``W`` of every layer (not biases, not Batch Normalization's
        ``gamma`` and ``beta``), and their gradients :math:`\\lambda W`.
    dtype : {np.float64, np.float32}, optional
        That of the layers' parameters, which share one (else refused); float64 without any.

    Notes
    -----
    Parameters are named as the book names them: the local name (``'W'``,
    ``'b'``, ``'gamma'``) followed by a number, which goes up at each layer that would
    repeat a name of the current number (a new weight layer's ``'W'``). So ``[Affine,
    Sigmoid, Affine]`` has ``W1 b1 W2 b2``, and ``[Affine, BatchNormalization, Relu,
    Affine]`` has ``W1 b1 gamma1 beta1 W2 b2``, as the book's ``MultiLayerNetExtend``.
    ``params`` shares its arrays with the layers (see :class:`Parameters`).

    A layer whose ``forward`` takes the book's ``train_flg`` (Dropout, Batch
    Normalization) trains only within :meth:`training` (the gradient and every estimator
    enter it); ``predict`` and ``accuracy`` always evaluate, ``loss`` follows the mode. See
    :mod:`tinynn.models.mode`. Every public method checks its inputs first
    (:mod:`tinynn.models.checks`); every forward pass goes through :meth:`activations`.

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

    def __init__(
        self,
        layers: Sequence[Layer],
        loss: LossLayer | None = None,
        *,
        weight_decay_lambda: float = 0.0,
        dtype: FloatDType | None = None,
    ) -> None:
        loss_layer = SoftmaxWithLoss() if loss is None else loss
        check_layers(layers, loss_layer)
        check_nonnegative(weight_decay_lambda, "weight_decay_lambda")
        self.dtype: np.dtype[np.floating[Any]] = model_dtype(layers, dtype)
        self.layers: list[Layer] = list(layers)
        self.loss_layer: LossLayer = loss_layer
        self.weight_decay_lambda = float(weight_decay_lambda)
        self._slots = _numbered(self.layers, self._param_name)
        self._params = Parameters({name: layer.params[key] for name, layer, key in self._slots})
        first = self.layers[0].params.get("W")  # an Affine's W: (features, units)
        self.input_size = int(first.shape[0]) if first is not None and first.ndim == 2 else None
        #: The shape of one sample, where the model fixes it (``(C, H, W)`` for a
        #: convolutional network); else inputs are checked by their feature count.
        self.input_shape: tuple[int, ...] | None = None
        # a first layer whose backward can skip dL/dx (its largest product, never needed)
        self._skip_input_grad = _takes_input_grad(self.layers[0])
        self._checks: Checked = Checked(self.layers, self._slots)  # see for_checked_data
        self._mode = Mode(self.layers)
        #: The parameters that weight decay applies to: every layer's ``W``.
        self.decayed_params = tuple(name for name, _, key in self._slots if key == "W")

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
    def activations(self, x: FloatArray, *, train_flg: bool | None = None) -> list[FloatArray]:
        """``x`` and each layer's output, for a checked batch: the one place the layers run
        forward (the public methods and the estimators all come here). ``train_flg``:
        ``None`` trains within :meth:`training` and evaluates outside it.

        Book section
        ------------
        4.5.1 (``TwoLayerNet.predict``: ``a1 = np.dot(x, W1) + b1``, ``z1 = sigmoid(a1)``, ...)
        """
        mode = self._mode
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite result is explained
            return mode.forward(x, mode.training if train_flg is None else train_flg)

    def forward(self, x: FloatArray, *, train_flg: bool | None = None) -> FloatArray:
        """The last layer's output (the scores) for a batch: ``activations(x)[-1]``."""
        return self.activations(x, train_flg=train_flg)[-1]

    def training(self) -> Mode:
        """A context in which the network trains, its layers' state held for one gradient
        estimate: ``with net.training(): net.loss(x, t)`` (:mod:`tinynn.models.mode`).

        Book section
        ------------
        6.3.1, 6.4.3 (``train_flg=True`` in ``gradient`` and ``numerical_gradient``)
        """
        return self._mode.step()

    def state_dict(self) -> dict[str, Any]:
        """The state of the layers that have one (not the parameters), by position."""
        return self._mode.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`; a state that does not fit changes nothing."""
        self._mode.load_state_dict(state)

    def weight_decay(self) -> float:
        """The book's weight-decay term, :math:`\\frac{\\lambda}{2}\\sum W^2` (0 without)."""
        lam, params = self.weight_decay_lambda, self._params
        terms = (0.5 * lam * float(np.sum(params[n] ** 2)) for n in self.decayed_params)
        return sum(terms) if lam else 0.0

    # -- the model --------------------------------------------------------------------
    def predict(self, x: ArrayLike) -> FloatArray:
        """The output (softmax probabilities by default) for one sample or a batch.

        Book section
        ------------
        4.5.1 (``TwoLayerNet.predict``)
        """
        xb, single = self._checks.batch(self, x)
        y = self.loss_layer.activation(self.forward(xb, train_flg=False))
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
        return self._checks.loss(self, value + self.weight_decay(), xb)

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        """The fraction of samples whose largest output is the labelled class.

        Book section
        ------------
        4.5.3 (``TwoLayerNet.accuracy``)
        """
        xb, single = self._checks.batch(self, x)
        scores = self.forward(xb, train_flg=False)
        scores = self._checks.output(self, scores, xb, "the last layer's output")
        targets = self._checks.targets(t, scores, single)
        labels = np.argmax(targets, axis=1) if targets.ndim == 2 else targets
        return float(np.sum(np.argmax(scores, axis=1) == labels) / float(xb.shape[0]))

    def gradient(self, x: ArrayLike, t: ArrayLike) -> Params:
        """The gradient of ``loss(x, t)`` by backpropagation, in training mode, keyed as ``params``.

        The loss layer's ``forward_for_gradient`` stands in for its ``forward`` (the loss
        value is not needed); a first layer whose ``backward`` takes ``input_grad=False``
        (:class:`~tinynn.Affine`) skips the gradient of ``x``, its largest product.

        Book section
        ------------
        4.5.1 (``TwoLayerNet.gradient``, the fast analytic version), 5.7.2
        """
        checks = self._checks
        with self._mode.step():  # training mode (book: self.loss(x, t, train_flg=True))
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
            lam = self.weight_decay_lambda
            for name in self.decayed_params if lam else ():  # the book's dW + lambda * W
                grads[name] = grads[name] + lam * self._params[name]
            checks.gradients(grads)
        return grads

    # -- checked inputs, for the estimators and the Trainer -----------------------------
    def bind_loss(self, x: ArrayLike, t: ArrayLike) -> Callable[[], float]:
        """Check ``x`` and ``t`` once; return ``loss(x, t)`` of the current parameters as a
        function (the numerical loop evaluates it twice per weight: no repeated checks).

        Book section
        ------------
        4.5.1 (``loss_W = lambda W: self.loss(x, t)``)
        """
        xb, targets = self._checks.loss_inputs(self, x, t)  # NaN weights fail here

        def loss() -> float:
            value = self.loss_layer.forward(self.forward(xb), targets) + self.weight_decay()
            return self._checks.loss(self, value, xb)

        return loss

    def check_batch(
        self, x: ArrayLike, t: ArrayLike, *, purpose: str = "the gradient"
    ) -> tuple[FloatArray, NDArray[Any]]:
        """Check a mini-batch as :meth:`loss` does, and every parameter (a ``ValueError``
        naming ``purpose``); return it as the layers take it, for an estimator that
        evaluates the loss its own way (the structured NumericalDiff, ComplexStep).

        Book section
        ------------
        4.5.1 (the inputs of ``TwoLayerNet.loss``)
        """
        return self._checks.loss_inputs(self, x, t, purpose=purpose)

    def for_checked_data(
        self, x: ArrayLike, t: ArrayLike
    ) -> tuple[Sequential, FloatArray, NDArray[Any]]:
        """Check a whole data set once (as :meth:`loss`); return ``(view, x, t)``: the data
        as the layers take it, and a view of this network (the same layers, parameters
        and mode) that trusts batches drawn from it. The Trainer calls it once per fit.

        Book section
        ------------
        4.5.2 (the mini-batches of the training loop)
        """
        xb, targets = self._checks.data_set(self, x, t)
        view = copy.copy(self)  # shares layers, parameters and mode; only the checks differ
        view._checks = Trusted()
        return view, xb, targets



def _numbered(
    layers: list[Layer], name: Callable[[str, int], str]
) -> list[tuple[str, Layer, str]]:
    """Every parameter's ``(name, layer, key)``, numbered as the book numbers them."""
    slots: list[tuple[str, Layer, str]] = []
    index, taken = 1, set[str]()  # the current number, and the local names it has
    for layer in layers:
        keys = set(layer.params)
        if keys & taken:  # a new weight layer (its "W" is taken), or a name would repeat
            index, taken = index + 1, set()
        taken |= keys
        slots.extend((name(key, index), layer, key) for key in layer.params)
    names = [n for n, _, _ in slots]
    if len(set(names)) != len(names):
        raise ValueError(f"parameter names collide: {names}")
    return slots


def _takes_input_grad(layer: Layer) -> bool:
    """Whether ``layer.backward`` takes ``input_grad=False`` (to skip dL/dx, as Affine's does)."""
    try:
        return "input_grad" in inspect.signature(layer.backward).parameters
    except (TypeError, ValueError):  # no signature to read: call it plainly
        return False
