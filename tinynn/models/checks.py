"""Input checks at a model's public boundary: the one place where inputs are converted and checked.

A :class:`~tinynn.Sequential` passes every input of its public methods through its
checks object: ``Checked`` converts ``x`` to the model's dtype (float64, or float32 for a
model built with ``dtype=np.float32``; labels are left as they are) and checks everything
(one sample or a batch, the feature count, targets of the right shape and range, NaN and
infinity) and explains a non-finite result (a parameter holding NaN, or the layer that
overflowed).
``Trusted`` is the view :meth:`~tinynn.Sequential.for_checked_data` hands the
:class:`~tinynn.Trainer`: its batches were drawn from a data set checked once, so it
converts and checks nothing but the results.

Book section
------------
4.5.1 (the inputs of ``TwoLayerNet.predict``, ``loss``, ``accuracy`` and ``gradient``)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn, Protocol

import numpy as np
from numpy.typing import NDArray

from ..base import Layer, LossLayer
from ..losses import as_targets
from ..typing import ArrayLike, FloatArray, FloatDType, Params
from ..utils.finite import all_finite, check_params_finite, finite_here, params_message
from ..utils.validation import as_float_dtype, as_float_input, check_finite, first_nonfinite

__all__ = [
    "Checked",
    "Network",
    "Trusted",
    "check_layers",
    "explain_nonfinite",
    "in_range",
    "model_dtype",
]


class Network(Protocol):
    """What the checks read of a network (:class:`~tinynn.Sequential` has it all).

    Book section
    ------------
    4.5.1 (a network: its layers, its parameters, its forward pass)
    """

    @property
    def params(self) -> Mapping[str, FloatArray]:
        """Parameters by name."""
        ...

    @property
    def layers(self) -> Sequence[Layer]:
        """The layers, in order."""
        ...

    @property
    def loss_layer(self) -> LossLayer:
        """The last layer, which turns scores into a loss."""
        ...

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        """The shape of one sample, where the network fixes it."""
        ...

    @property
    def input_size(self) -> int | None:
        """The features of one sample, where the first layer fixes them."""
        ...

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype of the parameters: inputs are converted to it."""
        ...

    def activations(self, x: FloatArray, *, train_flg: bool | None = None) -> list[FloatArray]:
        """``x`` and each layer's output."""
        ...

    def forward(self, x: FloatArray, *, train_flg: bool | None = None) -> FloatArray:
        """The last layer's output."""
        ...


def check_layers(layers: object, loss: object) -> None:
    """A ``TypeError`` or ``ValueError`` unless ``layers`` is a non-empty list (or tuple) of
    :class:`~tinynn.base.Layer` and ``loss`` a :class:`~tinynn.base.LossLayer`."""
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
    if not isinstance(loss, LossLayer):
        raise TypeError(
            f"loss is a {type(loss).__name__}, which lacks the LossLayer methods "
            "(activation, forward, backward)"
        )


def model_dtype(layers: Sequence[Layer], dtype: FloatDType | None) -> np.dtype[Any]:
    """The one dtype of the layers' parameters (``dtype``, or float64, without any); a
    ``ValueError`` naming two layers of different dtypes, or a ``dtype`` that is not theirs.

    Book section
    ------------
    4.5.1 (a network's parameters)
    """
    wanted = None if dtype is None else as_float_dtype(dtype)
    first: tuple[str, np.dtype[Any]] | None = None
    for i, layer in enumerate(layers):
        for key, p in layer.params.items():
            where = f"layers[{i}] ({type(layer).__name__})'s {key}"
            if first is None:
                first = (where, p.dtype)
            elif p.dtype != first[1]:
                raise ValueError(
                    f"a model has one dtype, but {first[0]} is {first[1]} and {where} is "
                    f"{p.dtype}: build every layer with the same dtype= (np.float32 or "
                    "np.float64)"
                )
    if first is None:
        return wanted if wanted is not None else np.dtype(np.float64)
    if wanted is not None and first[1] != wanted:
        raise ValueError(
            f"dtype={wanted.name} was asked for, but the layers' parameters are {first[1]} "
            f"({first[0]}): build the layers with dtype={wanted.name}"
        )
    if first[1].name not in ("float32", "float64"):
        raise ValueError(
            f"a model's parameters are float32 or float64, but {first[0]} is {first[1]}"
        )
    return first[1]


def in_range(xa: NDArray[Any], dtype: np.dtype[Any]) -> FloatArray:
    """``xa`` converted to ``dtype`` (no copy if it has it), or a ``ValueError`` if a finite
    value of ``xa`` overflowed it (float64 input beyond float32's range).

    Book section
    ------------
    4.5.1 (the inputs of ``TwoLayerNet.predict``)
    """
    with np.errstate(over="ignore"):
        xb: FloatArray = np.asarray(xa, dtype=dtype)
    narrower = xb.dtype.itemsize < xa.dtype.itemsize
    if narrower and not finite_here(xb) and np.isfinite(xa).all():  # else: a NaN, named later
        largest = float(np.max(np.abs(xa)))
        raise ValueError(
            f"x holds values beyond the range of the model's {xb.dtype} (largest |x| "
            f"{largest:.3g}, {xb.dtype}'s largest {float(np.finfo(xb.dtype).max):.3g}): "
            "scale the input down, or use a float64 model"
        )
    return xb


def _images(
    xa: NDArray[Any], shape: tuple[int, ...], model: str, dtype: np.dtype[Any]
) -> tuple[FloatArray, bool]:
    """``xa`` as a batch of samples of ``shape``: ``(N, *shape)``, or one sample ``shape``."""
    if xa.shape == shape:
        return in_range(xa[np.newaxis], dtype), True
    if xa.shape[1:] == shape and xa.shape[0] > 0:
        return in_range(xa, dtype), False
    dims = ", ".join(map(str, shape))
    raise ValueError(
        f"{model} takes inputs of shape (N, {dims}) or one of shape {shape}, got x of shape "
        f"{xa.shape}: load MNIST with load_mnist(flatten=False), or reshape x to (-1, {dims})"
    )


class Checked:
    """Every input converted and checked, every result checked for NaN and infinity.

    Parameters
    ----------
    layers : list of Layer
        The model's layers, for the cheap checks of :meth:`gradient_inputs`.
    slots : list of (str, Layer, str)
        The model's ``param_slots``.

    Book section
    ------------
    4.5.1 (the inputs of ``TwoLayerNet.loss``)
    """

    def __init__(self, layers: list[Layer], slots: list[tuple[str, Layer, str]]) -> None:
        # layers whose output shows a NaN or infinity of their input or parameters
        self.revealing = [bool(getattr(layer, "reveals_nonfinite", False)) for layer in layers]
        self.unrevealed = [
            name for name, layer, _ in slots if not getattr(layer, "reveals_nonfinite", False)
        ]

    def batch(
        self, model: Network, x: ArrayLike, *, finite: bool = True
    ) -> tuple[FloatArray, bool]:
        """``x`` as a batch of the model's dtype, and whether it was a single 1-D sample.

        ``finite=False``: the caller checks NaN and infinity itself (see
        :meth:`gradient_inputs`).
        """
        xa = as_float_input(x, "x", finite=finite)
        dtype = model.dtype
        if model.input_shape is not None:
            return _images(xa, model.input_shape, type(model).__name__, dtype)
        single = xa.ndim == 1
        if xa.ndim == 0 or xa.shape[0] == 0:
            raise ValueError(f"x must be one sample or a non-empty batch, got shape {xa.shape}")
        xb = in_range(xa.reshape(1, -1) if single else xa, dtype)
        if model.input_size is not None:
            features = math.prod(xb.shape[1:])
            if features != model.input_size:
                raise ValueError(
                    f"x has shape {xa.shape}: {features} features per sample, but the first "
                    f"layer expects {model.input_size}"
                )
        return xb, single

    def targets(self, t: ArrayLike, scores: FloatArray, single: bool) -> NDArray[Any]:
        """``t`` checked against the scores: class indices ``(N,)`` or rows ``(N, C)``."""
        return as_targets(t, scores.shape[0], scores.shape[1], single=single)

    def output(self, model: Network, y: FloatArray, x: FloatArray, what: str) -> FloatArray:
        """``y`` if finite (one cheap reduction), else a ``ValueError`` naming the cause."""
        if not all_finite(y):
            explain_nonfinite(what, model, x)
        return y

    def loss(self, model: Network, value: float, x: FloatArray) -> float:
        """``value`` if finite, else a ``ValueError`` naming the cause."""
        if not math.isfinite(value):
            explain_nonfinite(f"the loss ({value})", model, x)
        return value

    def loss_inputs(
        self, model: Network, x: ArrayLike, t: ArrayLike, *, purpose: str | None = None
    ) -> tuple[FloatArray, NDArray[Any]]:
        """``x`` and ``t`` checked as :meth:`~tinynn.Sequential.loss` checks them.

        The loss is evaluated once, so that a NaN weight or an overflow fails here; with
        a ``purpose``, every parameter is checked first too (one pass), for an estimate
        that would spread a non-finite weight silently.
        """
        xb, single = self.batch(model, x)
        if purpose is not None:
            check_params_finite(purpose, model.params)
        scores = model.forward(xb)
        targets = self.targets(t, scores, single)
        self.loss(model, model.loss_layer.forward(scores, targets), xb)
        return xb, targets

    def data_set(
        self, model: Network, x: ArrayLike, t: ArrayLike
    ) -> tuple[FloatArray, NDArray[Any]]:
        """A whole data set checked once, as :meth:`~tinynn.Sequential.for_checked_data` needs."""
        xb, single = self.batch(model, x)
        if single:
            raise ValueError(f"x must be a data set of shape (N, ...), got shape {xb.shape[1:]}")
        n_classes = int(model.forward(xb[:1]).shape[1])
        return xb, as_targets(t, xb.shape[0], n_classes)

    def gradient_inputs(
        self, model: Network, x: ArrayLike, t: ArrayLike
    ) -> tuple[FloatArray, NDArray[Any], FloatArray, bool]:
        """``x`` and ``t`` checked, the scores, and whether they are finite; every input and
        weight checked for NaN and infinity, cheaply.

        An infinite weight can leave the loss finite (behind a saturated sigmoid) but
        not its gradient, so the gradient must not trust a finite loss. Checking ``x``
        and every weight costs a pass over each; instead, a layer that declares
        ``reveals_nonfinite`` (:class:`~tinynn.Affine`: a NaN or infinity in its input
        or parameters reaches its output) has its much smaller output checked, and
        only when that is not finite are ``x`` and the parameters searched, with the
        messages of the full checks. Parameters of other layers, and ``x`` when the
        first layer does not declare it, are checked in full as before.
        """
        xb, single = self.batch(model, x, finite=not self.revealing[0])
        if self.unrevealed:
            check_params_finite("the gradient", {n: model.params[n] for n in self.unrevealed})
        acts = model.activations(xb)
        scores = acts[-1]
        suspect = False
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite result is explained
            for out, reveals in zip(acts[1:], self.revealing, strict=True):
                if reveals and not finite_here(out):
                    suspect = True
                    break
            finite = not suspect and (self.revealing[-1] or finite_here(scores))
        if suspect:  # the full checks, in the usual order; if they pass, an overflow
            check_params_finite("the gradient", model.params)
            check_finite(xb, "x")
        return xb, self.targets(t, scores, single), scores, finite

    def gradients(self, grads: Params) -> None:
        """A ``ValueError`` if a gradient holds NaN or infinity (an overflow in backward)."""
        for name, g in grads.items():
            if not finite_here(g):
                raise ValueError(
                    f"the gradient of {name} holds NaN or infinity although every "
                    "parameter is finite: a layer overflowed in backward"
                )


class Trusted(Checked):
    """For batches of a data set that :meth:`~tinynn.Sequential.for_checked_data` checked.

    Nothing is converted or checked again; only non-finite results are still explained.
    The :class:`~tinynn.Trainer`'s optimizer checks every gradient anyway.

    Book section
    ------------
    4.5.2 (the mini-batches of the training loop)
    """

    def __init__(self) -> None:
        self.revealing, self.unrevealed = [], []

    def batch(
        self, model: Network, x: ArrayLike, *, finite: bool = True
    ) -> tuple[FloatArray, bool]:
        return x, False  # type: ignore[return-value]

    def targets(self, t: ArrayLike, scores: FloatArray, single: bool) -> NDArray[Any]:
        return t  # type: ignore[return-value]

    def gradient_inputs(
        self, model: Network, x: ArrayLike, t: ArrayLike
    ) -> tuple[FloatArray, NDArray[Any], FloatArray, bool]:
        scores = model.forward(x)  # type: ignore[arg-type]
        return x, t, scores, all_finite(scores)  # type: ignore[return-value]

    def gradients(self, grads: Params) -> None:
        return None


def explain_nonfinite(what: str, model: Network, x: NDArray[Any]) -> NoReturn:
    """Raise ``ValueError`` saying why ``what`` (a model's output or loss on ``x``) is not finite.

    First a parameter holding NaN or infinity (put there in place, or by a diverging
    update), else the first layer whose output overflowed, else the loss layer.

    Book section
    ------------
    4.5.1 (``TwoLayerNet.predict`` and ``loss``; NaN gets there only through the parameters
    or an overflow)
    """
    params = model.params
    for name, p in params.items():
        problem = first_nonfinite(p)
        if problem is not None:
            raise ValueError(params_message(what, name, problem))
    largest_param = max((_largest(p) for p in params.values()), default=0.0)
    with np.errstate(all="ignore"):
        acts = model.activations(x)
        for i, (layer, inp, out) in enumerate(zip(model.layers, acts[:-1], acts[1:], strict=True)):
            if not np.isfinite(out).all():
                raise ValueError(
                    f"{what} is not finite: layers[{i}] ({layer!r}) overflowed {out.dtype} "
                    f"although its input (largest |value| {_largest(inp):.3g}) and every parameter "
                    f"(largest |value| {largest_param:.3g}) are finite; scale the input down, "
                    "or lower the learning rate if training made the weights this large"
                )
    raise ValueError(
        f"{what} is not finite although the scores are (largest |score| {_largest(acts[-1]):.3g}"
        f"): {model.loss_layer!r} gave a probability of 0 to a target class; a delta > 0 (the "
        "book's 1e-7) keeps log(0) out"
    )


def _largest(a: NDArray[Any]) -> float:
    return float(np.max(np.abs(a), initial=0.0))
