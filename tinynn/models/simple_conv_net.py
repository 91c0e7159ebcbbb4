"""The book's ``SimpleConvNet``: conv - ReLU - pool - affine - ReLU - affine - softmax.

Book section
------------
7.5 (implementing a CNN)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..im2col import output_positions
from ..layers import Affine, Convolution, Pooling, Relu, SoftmaxWithLoss
from ..typing import ArrayLike, FloatArray
from ..utils.validation import (
    as_generator,
    check_nonnegative_int,
    check_positive,
    check_positive_int,
)
from .sequential import Sequential

__all__ = ["SimpleConvNet"]

#: Images per forward pass in ``predict`` and ``accuracy`` (the book's ``accuracy`` takes 100 at
#: a time): the layers' arrays take about 0.39 MB per MNIST image (tracemalloc: 39 MB for 100
#: images, 390 MB for 1,000), so the 10,000 test images at once would take about 4 GB.
EVAL_BATCH = 100

#: The book's ``conv_param``.
DEFAULT_CONV_PARAM: Mapping[str, int] = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}


def _conv_param(conv_param: Mapping[str, int]) -> dict[str, int]:
    if not isinstance(conv_param, Mapping):
        raise TypeError(
            "conv_param must be a dict with keys 'filter_num', 'filter_size', 'pad' and "
            f"'stride', got {type(conv_param).__name__}"
        )
    missing = sorted(set(DEFAULT_CONV_PARAM) - set(conv_param))
    unknown = sorted(set(conv_param) - set(DEFAULT_CONV_PARAM), key=str)
    if missing or unknown:
        raise ValueError(
            f"conv_param must have exactly the keys {sorted(DEFAULT_CONV_PARAM)}; missing "
            f"{missing}, unknown {unknown}"
        )
    for key in ("filter_num", "filter_size", "stride"):
        check_positive_int(conv_param[key], f"conv_param['{key}']")
    check_nonnegative_int(conv_param["pad"], "conv_param['pad']")
    return {key: int(conv_param[key]) for key in DEFAULT_CONV_PARAM}


class SimpleConvNet(Sequential):
    """The book's convolutional network for MNIST.

    ``Convolution - ReLU - Pooling(2x2, stride 2) - Affine - ReLU - Affine - Softmax``,
    with the parameters named as the book names them: ``W1, b1`` (the filters),
    ``W2, b2`` and ``W3, b3`` (the two affine layers).

    Parameters
    ----------
    input_dim : tuple of 3 ints, default (1, 28, 28)
        ``(C, H, W)`` of one input image.
    conv_param : dict, default ``{'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1}``
        The convolution layer: ``filter_num`` square filters of side ``filter_size``.
    hidden_size : int, default 100
    output_size : int, default 10
    weight_init_std : float, default 0.01
        Standard deviation of the Gaussian initial weights; biases start at 0.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights, drawn in the book's order: ``W1``, ``W2``, ``W3``.

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong type or range, naming them; and when the
        filters do not fit the image (a filter larger than the padded image, a
        stride that does not divide ``H + 2P - FH``) or the convolution's output
        has an odd side, which 2x2 pooling with stride 2 cannot tile.

    Notes
    -----
    With ``OH = (H + 2P - FH) / S + 1`` (equation 7.1; ``OW`` likewise) the
    shapes are ``W1: (FN, C, FH, FH)``, ``W2: (FN * OH/2 * OW/2, hidden_size)`` and
    ``W3: (hidden_size, output_size)``; for MNIST ``(30, 1, 5, 5)``, ``(4320, 100)``
    and ``(100, 10)``. Inputs are images of shape ``(N, C, H, W)`` (MNIST as
    ``load_mnist(flatten=False)`` gives it) or one image ``(C, H, W)``.

    ``predict`` and ``accuracy`` run the network on 100 images at a time, as the
    book's ``accuracy(x, t, batch_size=100)`` does: the activations of a whole test
    set at once would take gigabytes. The book trains it with Adam (``lr=0.001``)
    for 20 epochs of mini-batches of 100, reaching a test accuracy of about 0.99
    (``examples/train_convnet.py``).

    Book section
    ------------
    7.5 (implementing a CNN: ``SimpleConvNet``)

    Examples
    --------
    >>> net = SimpleConvNet(rng=0)
    >>> {k: v.shape for k, v in net.params.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'W1': (30, 1, 5, 5), 'b1': (30,), 'W2': (4320, 100), 'b2': (100,),
     'W3': (100, 10), 'b3': (10,)}
    >>> x = np.random.default_rng(1).random((2, 1, 28, 28))
    >>> net.predict(x).shape
    (2, 10)
    """

    def __init__(
        self,
        input_dim: tuple[int, int, int] = (1, 28, 28),
        conv_param: Mapping[str, int] = DEFAULT_CONV_PARAM,
        hidden_size: int = 100,
        output_size: int = 10,
        weight_init_std: float = 0.01,
        *,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        if not isinstance(input_dim, (tuple, list)) or len(input_dim) != 3:
            raise ValueError(f"input_dim must be 3 sizes (C, H, W), got {input_dim!r}")
        for name, size in zip(("C", "H", "W"), input_dim, strict=True):
            check_positive_int(size, f"input_dim's {name}")
        channels, height, width = (int(s) for s in input_dim)
        param = _conv_param(conv_param)
        check_positive_int(hidden_size, "hidden_size")
        check_positive_int(output_size, "output_size")
        check_positive(weight_init_std, "weight_init_std")
        gen = as_generator(rng)
        fn, fs, pad, stride = (param[k] for k in ("filter_num", "filter_size", "pad", "stride"))
        sides = []
        for axis, size in (("height", height), ("width", width)):
            try:
                side = output_positions(size, fs, stride, pad, True, axis[0].upper())
            except ValueError as exc:
                raise ValueError(
                    f"SimpleConvNet: conv_param does not fit the image {axis}: {exc}"
                ) from None
            if side % 2:
                raise ValueError(
                    f"SimpleConvNet: the convolution's output {axis} is {side} = ({size} + 2*{pad} "
                    f"- {fs}) / {stride} + 1, which 2x2 pooling with stride 2 cannot tile: choose "
                    "input_dim and conv_param so that it is even"
                )
            sides.append(side // 2)
        pool_output_size = fn * sides[0] * sides[1]
        W1 = weight_init_std * gen.standard_normal((fn, channels, fs, fs))
        W2 = weight_init_std * gen.standard_normal((pool_output_size, hidden_size))
        W3 = weight_init_std * gen.standard_normal((hidden_size, output_size))
        super().__init__(
            [
                Convolution(W1, np.zeros(fn), stride, pad),
                Relu(),
                Pooling(pool_h=2, pool_w=2, stride=2),
                Affine(W2, np.zeros(hidden_size)),
                Relu(),
                Affine(W3, np.zeros(output_size)),
            ],
            SoftmaxWithLoss(),
        )
        self.input_dim: tuple[int, int, int] = (channels, height, width)
        self.input_shape = self.input_dim
        self.conv_param: dict[str, int] = param
        self.hidden_size = hidden_size
        self.output_size = output_size

    def predict(self, x: ArrayLike) -> FloatArray:
        """The softmax probabilities for a batch ``(N, C, H, W)`` or one image ``(C, H, W)``,
        computed 100 images at a time."""
        xb, single = self._checks.batch(self, x)
        if single:
            one: FloatArray = Sequential.predict(self, xb)[0]
            return one
        parts = [Sequential.predict(self, xb[i : i + EVAL_BATCH])
                 for i in range(0, len(xb), EVAL_BATCH)]  # fmt: skip
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def accuracy(self, x: ArrayLike, t: ArrayLike, batch_size: int = EVAL_BATCH) -> float:
        """The fraction of images classified as ``t`` says, ``batch_size`` images at a time.

        Book section
        ------------
        7.5 (``SimpleConvNet.accuracy(x, t, batch_size=100)``)
        """
        check_positive_int(batch_size, "batch_size")
        xb, single = self._checks.batch(self, x)
        if single or len(xb) <= batch_size:
            return Sequential.accuracy(self, xb[0] if single else xb, t)
        targets = self._checks.targets(t, np.empty((len(xb), self.output_size)), False)
        correct = 0
        for i in range(0, len(xb), batch_size):
            n = len(xb[i : i + batch_size])
            correct += round(Sequential.accuracy(self, xb[i : i + n], targets[i : i + n]) * n)
        return correct / float(len(xb))
