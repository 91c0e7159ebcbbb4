"""The book's ``SimpleConvNet``: conv - ReLU - pool - affine - ReLU - affine - softmax.

Book section
------------
7.5 (implementing a CNN)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..layers import Affine, Convolution, Pooling, Relu, SoftmaxWithLoss
from ..typing import FloatDType
from ..utils.validation import as_float_dtype, as_generator, check_positive, check_positive_int
from .images import EVAL_BATCH, ImageNetwork, image_dim, pooled_side
from .images import conv_param as checked_conv_param

__all__ = ["EVAL_BATCH", "SimpleConvNet"]

#: The book's ``conv_param``.
DEFAULT_CONV_PARAM: Mapping[str, int] = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}


class SimpleConvNet(ImageNetwork):
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
    dtype : {np.float64, np.float32}, default np.float64
        The dtype of the parameters, activations and gradients (``'float32'`` and
        ``np.dtype`` too); the weights are drawn in float64, then rounded to it, so a
        float32 network is the float64 one rounded. Input is converted to it once.

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
        dtype: FloatDType = np.float64,
    ) -> None:
        channels, height, width = image_dim(input_dim)
        param = checked_conv_param(conv_param)
        check_positive_int(hidden_size, "hidden_size")
        check_positive_int(output_size, "output_size")
        check_positive(weight_init_std, "weight_init_std")
        kind = as_float_dtype(dtype)
        gen = as_generator(rng)
        fn, fs, pad, stride = (param[k] for k in ("filter_num", "filter_size", "pad", "stride"))
        sides = [pooled_side(size, param, "SimpleConvNet", axis, "conv_param")
                 for axis, size in (("height", height), ("width", width))]  # fmt: skip
        pool_output_size = fn * sides[0] * sides[1]
        conv = Convolution.random(fn, channels, fs, rng=gen, weight_init_std=weight_init_std,
                                  stride=stride, pad=pad, dtype=kind)  # fmt: skip
        W2 = weight_init_std * gen.standard_normal((pool_output_size, hidden_size))
        W3 = weight_init_std * gen.standard_normal((hidden_size, output_size))
        super().__init__(
            [
                conv,
                Relu(),
                Pooling(pool_h=2, pool_w=2, stride=2),
                Affine(W2, np.zeros(hidden_size), dtype=kind),
                Relu(),
                Affine(W3, np.zeros(output_size), dtype=kind),
            ],
            SoftmaxWithLoss(),
        )
        self.input_dim: tuple[int, int, int] = (channels, height, width)
        self.input_shape = self.input_dim
        self.conv_param: dict[str, int] = param
        self.hidden_size = hidden_size
        self.output_size = output_size
