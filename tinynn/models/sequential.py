"""A network as a composition of layers: ``Sequential``.

Book section
------------
4.5.1 (a network as a composition of layers), 5.7.2 (``OrderedDict`` of layers)
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._finite import all_finite, check_params_finite, explain_nonfinite, finite_here
from .._validation import (
    as_float_input,
    check_finite,
)
from ..base import ComplexLayer, ComplexLossLayer, Layer, LossLayer
from ..estimators import NumericalDiff
from ..layers import SoftmaxWithLoss
from ..losses import as_targets
from ..parameters import Parameters
from ..typing import ArrayLike, ComplexArray, FloatArray, Params

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
    inputs first: non-finite values, a feature count that does not fit the
    first layer, labels of the wrong shape or out of range.

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
        if not isinstance(layers, (list, tuple)):
            raise TypeError(f"layers must be a list of layers, got {type(layers).__name__}")
        if len(layers) == 0:
            raise ValueError("Sequential needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"layers[{i}] is a {type(layer).__name__}, which lacks the Layer methods "
                    "(params, grads, forward, backward)"
                )
        loss_layer = SoftmaxWithLoss() if loss is None else loss
        if not isinstance(loss_layer, LossLayer):
            raise TypeError(
                f"loss is a {type(loss_layer).__name__}, which lacks the LossLayer methods "
                "(activation, forward, backward)"
            )
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
        # a first layer that can fill its grads without dL/dx saves its largest product
        self._first_backward = getattr(self.layers[0], "param_backward", None)
        self._trusted = False  # see for_checked_data
        # layers whose output shows a NaN or infinity of their input or parameters
        self._revealing = [bool(getattr(layer, "reveals_nonfinite", False)) for layer in layers]
        self._unrevealed = [
            name for name, layer, _ in self._slots if not getattr(layer, "reveals_nonfinite", False)
        ]

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

    def check_batch(self, x: ArrayLike, t: ArrayLike) -> tuple[FloatArray, NDArray[Any]]:
        """Check a mini-batch as :meth:`loss` does; return it as the layers take it.

        Returns
        -------
        x : ndarray of float64, shape (N, ...)
        t : ndarray
            Class indices ``(N,)`` or one-hot / soft rows ``(N, C)``, checked.

        Raises
        ------
        ValueError, TypeError
            As :meth:`loss`; also ``ValueError`` naming a parameter that holds NaN or
            infinity (a numerical gradient would spread it silently).

        Book section
        ------------
        4.5.1 (the inputs of ``TwoLayerNet.loss``)
        """
        xb, single = self._batch(x)
        check_params_finite("the numerical gradient", self._params)  # one pass, per gradient
        scores = self._forward(xb)
        targets = self._targets(t, scores, single)
        self._finite_loss(self.loss_layer.forward(scores, targets), xb)  # overflow fails here
        return xb, targets

    # -- input checks ---------------------------------------------------------------
    def for_checked_data(
        self, x: ArrayLike, t: ArrayLike
    ) -> tuple[Sequential, FloatArray, NDArray[Any]]:
        """Check a whole data set once; return a view of this model that trusts batches of it.

        The :class:`~tinynn.Trainer` calls this once per ``fit``, so that the
        mini-batches of the training loop are not checked again and again.

        Parameters
        ----------
        x, t : array_like
            The data set, checked as :meth:`loss` checks a batch.

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
        xb, single = self._batch(x)
        if single:
            raise ValueError(f"x must be a data set of shape (N, ...), got shape {xb.shape[1:]}")
        n_classes = int(self._forward(xb[:1]).shape[1])
        targets = as_targets(t, xb.shape[0], n_classes)
        view = copy.copy(self)  # shares layers and parameters; only the flag differs
        view._trusted = True
        return view, xb, targets

    def _batch(self, x: ArrayLike, *, finite: bool = True) -> tuple[FloatArray, bool]:
        """``x`` as a float64 batch, and whether it was a single 1-D sample.

        ``finite=False``: the caller checks NaN and infinity itself (see :meth:`gradient`).
        """
        if self._trusted:  # a batch of data that for_checked_data checked
            return x, False  # type: ignore[return-value]
        xa = as_float_input(x, "x", finite=finite)
        single = xa.ndim == 1
        if xa.ndim == 0 or xa.shape[0] == 0:
            raise ValueError(f"x must be one sample or a non-empty batch, got shape {xa.shape}")
        xb = np.asarray(xa.reshape(1, -1) if single else xa, dtype=np.float64)
        if self.input_size is not None:
            features = math.prod(xb.shape[1:])
            if features != self.input_size:
                raise ValueError(
                    f"x has shape {xa.shape}: {features} features per sample, but the first "
                    f"layer expects {self.input_size}"
                )
        return xb, single

    def _targets(self, t: ArrayLike, scores: FloatArray, single: bool) -> NDArray[Any]:
        if self._trusted:
            return t  # type: ignore[return-value]
        return as_targets(t, scores.shape[0], scores.shape[1], single=single)

    def _finite(self, y: FloatArray, x: FloatArray, what: str) -> FloatArray:
        """``y`` if finite (one cheap reduction), else a ``ValueError`` naming the cause."""
        if not all_finite(y):
            explain_nonfinite(what, self._params, self.layers, self.loss_layer, x)
        return y

    def _finite_loss(self, value: float, x: FloatArray) -> float:
        if not math.isfinite(value):
            explain_nonfinite(f"the loss ({value})", self._params, self.layers, self.loss_layer, x)
        return value

    # -- the model --------------------------------------------------------------------
    def _forward(self, x: FloatArray) -> FloatArray:
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite result is explained
            for layer in self.layers:
                x = layer.forward(x)
        return x

    def predict(self, x: ArrayLike) -> FloatArray:
        """The output (softmax probabilities by default) for one sample or a batch.

        Book section
        ------------
        4.5.1 (``TwoLayerNet.predict``)
        """
        xb, single = self._batch(x)
        y = self._finite(self.loss_layer.activation(self._forward(xb)), xb, "predict's output")
        return y[0] if single else y

    def loss(self, x: ArrayLike, t: ArrayLike) -> float:
        """The loss on ``x`` against ``t`` (class indices or one-hot rows).

        Book section
        ------------
        4.5.1 (``TwoLayerNet.loss``)
        """
        xb, single = self._batch(x)
        scores = self._forward(xb)
        value = self.loss_layer.forward(scores, self._targets(t, scores, single))
        return self._finite_loss(value, xb)

    def bind_loss(self, x: ArrayLike, t: ArrayLike) -> Callable[[], float]:
        """Check ``x`` and ``t`` once; return a function computing ``loss(x, t)`` from the
        current parameters.

        :class:`~tinynn.NumericalDiff` evaluates the loss twice per weight on
        one mini-batch; binding it skips thousands of repeated input checks.
        The numbers are those of :meth:`loss`.

        Book section
        ------------
        4.5.1 (``loss_W = lambda W: self.loss(x, t)``)
        """
        xb, single = self._batch(x)
        scores = self._forward(xb)
        targets = self._targets(t, scores, single)
        self._finite_loss(self.loss_layer.forward(scores, targets), xb)  # NaN weights fail here

        def loss() -> float:
            return self._finite_loss(self.loss_layer.forward(self._forward(xb), targets), xb)

        return loss

    def bind_complex_loss(
        self, x: ArrayLike, t: ArrayLike
    ) -> Callable[[Mapping[str, ComplexArray]], complex]:
        """Check ``x`` and ``t`` once; return ``params -> loss`` at complex parameters.

        For :class:`~tinynn.ComplexStep`. The returned function takes complex
        arrays keyed and shaped as :attr:`params` and passes each layer its
        own (``forward_complex(x, {'W': ..., 'b': ...})``). Calling it never
        touches the model's real parameters or the layers' caches (binding
        runs one real forward pass, as :meth:`bind_loss` does, to check ``t``).

        Raises
        ------
        TypeError
            Before anything is computed, if a layer is not a
            :class:`~tinynn.ComplexLayer` or the loss layer not a
            :class:`~tinynn.ComplexLossLayer` (such as :class:`~tinynn.Relu`,
            whose kink at 0 is not complex-analytic).

        Book section
        ------------
        4.4.2 (the gradient of a network, here by the complex step)
        """
        complex_layers: list[ComplexLayer] = []
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, ComplexLayer):
                raise TypeError(
                    f"layers[{i}] ({type(layer).__name__}) does not declare complex input (it has "
                    "no forward_complex; see tinynn.ComplexLayer). The complex step needs every "
                    "layer to be complex-analytic, and max, abs, comparisons or a kink such as "
                    "Relu's are not: use Backprop or NumericalDiff for this model"
                )
            complex_layers.append(layer)
        loss_layer = self.loss_layer
        if not isinstance(loss_layer, ComplexLossLayer):
            raise TypeError(
                f"the loss layer ({type(loss_layer).__name__}) does not declare complex input "
                "(it has no loss_complex; see tinynn.ComplexLossLayer): use Backprop or "
                "NumericalDiff"
            )
        xb, single = self._batch(x)
        check_params_finite("the complex-step gradient", self._params)  # one pass
        scores = self._forward(xb)
        targets = self._targets(t, scores, single)
        self._finite_loss(self.loss_layer.forward(scores, targets), xb)  # overflow fails here
        xc = xb.astype(np.complex128)
        keys = [
            {key: name for name, owner, key in self._slots if owner is layer}
            for layer in self.layers
        ]

        def loss(params: Mapping[str, ComplexArray]) -> complex:
            h = xc
            for layer, names in zip(complex_layers, keys, strict=True):
                h = layer.forward_complex(h, {key: params[name] for key, name in names.items()})
            return loss_layer.loss_complex(h, targets)

        return loss

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        """The fraction of samples whose largest output is the labelled class.

        Book section
        ------------
        4.5.3 (``TwoLayerNet.accuracy``)
        """
        xb, single = self._batch(x)
        scores = self._finite(self._forward(xb), xb, "the last layer's output")
        targets = self._targets(t, scores, single)
        labels = np.argmax(targets, axis=1) if targets.ndim == 2 else targets
        return float(np.sum(np.argmax(scores, axis=1) == labels) / float(xb.shape[0]))

    def gradient(self, x: ArrayLike, t: ArrayLike) -> Params:
        """The gradient of ``loss(x, t)`` by backpropagation through the layers.

        Returns
        -------
        dict of str to ndarray
            Keyed and shaped as ``params``.

        Book section
        ------------
        4.5.1 (``TwoLayerNet.gradient``, the fast analytic version), 5.7.2
        """
        if self._trusted:
            xb, targets = x, t
            scores = self._forward(xb)  # type: ignore[arg-type]
            finite = all_finite(scores)
        else:
            xb, targets, scores, finite = self._checked_forward(x, t)
        prepare = getattr(self.loss_layer, "forward_for_gradient", None)
        if prepare is not None and finite:
            prepare(scores, targets)  # softmax for backward; the loss value is not needed
        else:  # the loss, and its non-finite value explained
            self._finite_loss(self.loss_layer.forward(scores, targets), xb)  # type: ignore[arg-type]
        with np.errstate(invalid="ignore", over="ignore"):  # diagnosed just below
            dout = self.loss_layer.backward(1.0)
            for layer in reversed(self.layers[1:]):
                dout = layer.backward(dout)
            if self._first_backward is not None:
                self._first_backward(dout)  # dL/dx of the input is never needed
            else:
                self.layers[0].backward(dout)
            grads = {name: layer.grads[key] for name, layer, key in self._slots}
            if not self._trusted:  # (the Trainer's optimizer checks every gradient anyway)
                for name, g in grads.items():
                    if not finite_here(g):
                        raise ValueError(
                            f"the gradient of {name} holds NaN or infinity although every "
                            "parameter is finite: a layer overflowed in backward"
                        )
        return grads

    def _checked_forward(
        self, x: ArrayLike, t: ArrayLike
    ) -> tuple[FloatArray, NDArray[Any], FloatArray, bool]:
        """``x`` and ``t`` checked, the scores, and whether they are finite; every input and
        weight checked for NaN and infinity, cheaply.

        An infinite weight can leave the loss finite (behind a saturated sigmoid) but
        not its gradient, so :meth:`gradient` must not trust a finite loss. Checking
        ``x`` and every weight costs a pass over each; instead, a layer that declares
        ``reveals_nonfinite`` (:class:`~tinynn.Affine`: a NaN or infinity in its input
        or parameters reaches its output) has its much smaller output checked, and
        only when that is not finite are ``x`` and the parameters searched, with the
        messages of the full checks. Parameters of other layers, and ``x`` when the
        first layer does not declare it, are checked in full as before.
        """
        xb, single = self._batch(x, finite=not self._revealing[0])
        if self._unrevealed:
            check_params_finite("the gradient", {n: self._params[n] for n in self._unrevealed})
        scores = xb
        suspect = False
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite result is explained
            for layer, reveals in zip(self.layers, self._revealing, strict=True):
                scores = layer.forward(scores)
                if reveals and not suspect:
                    suspect = not finite_here(scores)
            finite = not suspect and (self._revealing[-1] or finite_here(scores))
        if suspect:  # the full checks, in the usual order; if they pass, an overflow
            check_params_finite("the gradient", self._params)
            check_finite(xb, "x")
        return xb, self._targets(t, scores, single), scores, finite

    def numerical_gradient(self, x: ArrayLike, t: ArrayLike) -> Params:
        """The gradient of ``loss(x, t)`` by central differences over every parameter.

        The book's algorithm, ``NumericalDiff(method="loop").gradient(self, x, t)``:
        slow (two forward passes per parameter entry) but obviously right, and equal
        bit for bit to the book's ``TwoLayerNet.numerical_gradient``. ``NumericalDiff()``
        computes the same differences hundreds of times faster (to within 1e-11).

        Book section
        ------------
        4.4.2, 4.5.1 (``TwoLayerNet.numerical_gradient``)
        """
        return NumericalDiff(method="loop").gradient(self, x, t)

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"{type(self).__name__}([{inner}], loss={self.loss_layer!r})"
