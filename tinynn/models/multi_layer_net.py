"""The book's Chapter 6 networks: ``MultiLayerNet`` and ``MultiLayerNetExtend``.

Book section
------------
6.2.4, 6.4.2 (``common/multi_layer_net.py``), 6.3.2, 6.4.3 (``common/multi_layer_net_extend.py``)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ..calculus import numerical_gradient
from ..initialization import WeightInit, weight_scale
from ..layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid, SoftmaxWithLoss
from ..typing import ArrayLike, FloatDType, Params
from ..utils.validation import (
    as_float_dtype,
    as_generator,
    check_fraction,
    check_positive_int,
)
from .sequential import Sequential

__all__ = ["MultiLayerNet", "MultiLayerNetExtend"]

Activation = Literal["relu", "sigmoid"]
_ACTIVATIONS: dict[str, type[Relu] | type[Sigmoid]] = {"relu": Relu, "sigmoid": Sigmoid}


class MultiLayerNet(Sequential):
    """The book's fully connected network of any depth, with weight decay.

    Parameters
    ----------
    input_size : int
        784 for MNIST.
    hidden_size_list : sequence of int
        The sizes of the hidden layers, e.g. ``[100, 100, 100]``.
    output_size : int
        10 for MNIST.
    activation : {'relu', 'sigmoid'}, default 'relu'
    weight_init_std : float or str, default 'relu'
        A standard deviation, or ``'relu'``/``'he'`` (He) or ``'sigmoid'``/``'xavier'``
        (Xavier), per layer from its number of inputs (:func:`~tinynn.weight_scale`).
    weight_decay_lambda : float, default 0
        The weight decay :math:`\\lambda` (see :class:`~tinynn.Sequential`).
    rng : numpy.random.Generator or int, optional
        The source of the initial weights (``W1`` first, as the book draws them).
    dtype : {np.float64, np.float32}, default np.float64
        The dtype of the parameters, activations and gradients (``'float32'`` and
        ``np.dtype`` too); the weights are drawn in float64, then rounded to it, so a
        float32 network is the float64 one rounded. Input is converted to it once.

    Notes
    -----
    Affine - activation, once per hidden layer, then Affine and softmax with
    cross-entropy; parameters ``W1 b1 ... W{L} b{L}``. ``numerical_gradient`` is the
    book's, on :func:`tinynn.numerical_gradient`.

    Book section
    ------------
    6.2.4 (figure 6-15, weight initialisation on MNIST), 6.4.1 (overfitting), 6.4.2
    (weight decay)

    Examples
    --------
    >>> net = MultiLayerNet(784, [100, 100], 10, weight_decay_lambda=0.1, rng=0)
    >>> list(net.params)
    ['W1', 'b1', 'W2', 'b2', 'W3', 'b3']
    >>> bool(abs(net.params["W1"].std() / np.sqrt(2 / 784) - 1) < 0.01)  # He: sqrt(2/n)
    True
    """

    def __init__(
        self,
        input_size: int,
        hidden_size_list: Sequence[int],
        output_size: int,
        activation: Activation = "relu",
        weight_init_std: WeightInit = "relu",
        weight_decay_lambda: float = 0.0,
        *,
        rng: np.random.Generator | int | None = None,
        dtype: FloatDType = np.float64,
    ) -> None:
        self._build(input_size, hidden_size_list, output_size, activation, weight_init_std,
                    weight_decay_lambda, rng, {"dtype": dtype})  # fmt: skip

    def _build(
        self,
        input_size: int,
        hidden_size_list: Sequence[int],
        output_size: int,
        activation: Activation,
        weight_init_std: WeightInit,
        weight_decay_lambda: float,
        rng: np.random.Generator | int | None,
        options: dict[str, Any],
    ) -> None:
        layers = _book_layers(input_size, hidden_size_list, output_size, activation,
                              weight_init_std, rng, options)  # fmt: skip
        super().__init__(layers, SoftmaxWithLoss(), weight_decay_lambda=weight_decay_lambda)
        self.input_size = input_size
        self.hidden_size_list = [int(n) for n in hidden_size_list]
        self.output_size = output_size
        self.activation = activation

    def numerical_gradient(self, x: ArrayLike, t: ArrayLike) -> Params:
        """The gradient of ``loss(x, t)`` by central differences, as the book computes it.

        Every entry of every parameter moved in place and the loss evaluated, in training
        mode with the dropout masks held (the book's ``loss(X, T, train_flg=True)``, whose
        masks it redraws at every evaluation). Slow: :class:`~tinynn.NumericalDiff`
        computes the same numbers faster. A float32 network is differentiated in float64, on
        its copy (:meth:`~tinynn.Sequential.astype`), the gradients rounded to float32.

        Book section
        ------------
        6.4.2, 6.4.3 (``numerical_gradient`` of the Chapter 6 networks)
        """
        if self.dtype != np.float64:
            with self.training():
                twin = self.astype(np.float64)
                grads = twin.numerical_gradient(x, t)
                self.follow(twin)
            return {k: np.asarray(g, dtype=self.dtype) for k, g in grads.items()}
        with self.training():
            self.check_batch(x, t, purpose="the numerical gradient")  # x, t and weights, once
            loss_W = lambda W: self.loss(x, t)  # noqa: E731 (the book's line)
            return {name: numerical_gradient(loss_W, p) for name, p in self.params.items()}


class MultiLayerNetExtend(MultiLayerNet):
    """:class:`MultiLayerNet` with the book's Dropout and Batch Normalization.

    Parameters
    ----------
    input_size, hidden_size_list, output_size, activation, weight_init_std, \
weight_decay_lambda
        As :class:`MultiLayerNet`.
    use_dropout : bool, default False
        A :class:`~tinynn.Dropout` after each hidden activation.
    dropout_ratio : float, default 0.5
        Its ratio, in ``[0, 1)``, checked even with ``use_dropout=False`` (the book spells
        the argument ``dropout_ration``, which is accepted too).
    use_batchnorm : bool, default False
        A :class:`~tinynn.BatchNormalization` between each hidden Affine and its
        activation (``gamma`` starting at 1, ``beta`` at 0).
    rng : numpy.random.Generator or int, optional
        The source of the initial weights, then of the dropout masks (each Dropout
        layer draws from its own generator, spawned from it after the weights).
    dtype : {np.float64, np.float32}, default np.float64
        As :class:`MultiLayerNet`.

    Notes
    -----
    Per hidden layer: Affine, [BatchNormalization], activation, [Dropout]; then Affine
    and softmax with cross-entropy. Parameters ``W1 b1 gamma1 beta1 ...``, as the book
    names them. Dropout and Batch Normalization train within
    :meth:`~tinynn.Sequential.training` (the gradient, every estimator, the
    :class:`~tinynn.Trainer`) and evaluate everywhere else.

    Book section
    ------------
    6.3.2 (figures 6-18, 6-19), 6.4.3 (figures 6-22, 6-23)

    Examples
    --------
    >>> net = MultiLayerNetExtend(4, [5, 5], 3, use_batchnorm=True, use_dropout=True, rng=0)
    >>> list(net.params)[:6]
    ['W1', 'b1', 'gamma1', 'beta1', 'W2', 'b2']
    >>> [type(layer).__name__ for layer in net.layers[:4]]
    ['Affine', 'BatchNormalization', 'Relu', 'Dropout']
    """

    def __init__(
        self,
        input_size: int,
        hidden_size_list: Sequence[int],
        output_size: int,
        activation: Activation = "relu",
        weight_init_std: WeightInit = "relu",
        weight_decay_lambda: float = 0.0,
        use_dropout: bool = False,
        dropout_ratio: float = 0.5,
        use_batchnorm: bool = False,
        *,
        rng: np.random.Generator | int | None = None,
        dtype: FloatDType = np.float64,
        **book_spelling: Any,
    ) -> None:
        dropout_ratio = _dropout_ratio(dropout_ratio, book_spelling)
        check_fraction(dropout_ratio, "dropout_ratio")  # checked even with dropout off
        dropout_ratio = float(dropout_ratio)
        for value, name in ((use_dropout, "use_dropout"), (use_batchnorm, "use_batchnorm")):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {value!r}")
        options = {"dropout": dropout_ratio if use_dropout else None, "batchnorm": use_batchnorm,
                   "dtype": dtype}  # fmt: skip
        self._build(input_size, hidden_size_list, output_size, activation, weight_init_std,
                    weight_decay_lambda, rng, options)  # fmt: skip
        self.use_dropout = bool(use_dropout)
        self.dropout_ratio = dropout_ratio
        self.use_batchnorm = bool(use_batchnorm)


def _dropout_ratio(dropout_ratio: float, book_spelling: dict[str, Any]) -> float:
    """``dropout_ratio``, or the book's ``dropout_ration`` (not both, unless equal)."""
    unknown = sorted(set(book_spelling) - {"dropout_ration"})
    if unknown:
        raise TypeError(f"MultiLayerNetExtend got unexpected arguments {unknown}")
    if "dropout_ration" in book_spelling:
        ration = book_spelling["dropout_ration"]
        if dropout_ratio != 0.5 and dropout_ratio != ration:
            raise TypeError(
                f"give dropout_ratio ({dropout_ratio!r}) or the book's dropout_ration "
                f"({ration!r}), not both"
            )
        dropout_ratio = ration
    return dropout_ratio


def _book_layers(
    input_size: int,
    hidden_size_list: Sequence[int],
    output_size: int,
    activation: str,
    weight_init_std: WeightInit,
    rng: np.random.Generator | int | None,
    options: dict[str, Any],
) -> list[Any]:
    """The layers of the book's ``__init__``: all weights drawn first, in order."""
    check_positive_int(input_size, "input_size")
    check_positive_int(output_size, "output_size")
    if isinstance(hidden_size_list, (str, bytes)) or not isinstance(hidden_size_list, Sequence):
        raise TypeError(f"hidden_size_list must be a list of ints, got {hidden_size_list!r}")
    for i, size in enumerate(hidden_size_list):
        check_positive_int(size, f"hidden_size_list[{i}]")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be 'relu' or 'sigmoid', got {activation!r}")
    sizes = [input_size, *hidden_size_list, output_size]
    kind = as_float_dtype(options["dtype"])
    gen = as_generator(rng)
    weights = [
        weight_scale(weight_init_std, sizes[i - 1]) * gen.standard_normal((sizes[i - 1], sizes[i]))
        for i in range(1, len(sizes))
    ]
    ratio = options.get("dropout")
    dropout_rngs = iter(gen.spawn(len(hidden_size_list)) if ratio is not None else [])
    layers: list[Any] = []
    for W, size in zip(weights, hidden_size_list, strict=False):
        layers.append(Affine(W, np.zeros(size), dtype=kind))
        if options.get("batchnorm"):
            layers.append(BatchNormalization(np.ones(size), np.zeros(size), dtype=kind))
        layers.append(_ACTIVATIONS[activation]())
        if ratio is not None:
            layers.append(Dropout(ratio, rng=next(dropout_rngs)))
    layers.append(Affine(weights[-1], np.zeros(output_size), dtype=kind))
    return layers
