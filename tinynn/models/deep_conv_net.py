"""The book's ``DeepConvNet`` (Chapter 8): six 3x3 convolutions, three poolings, Dropout.

Book section
------------
8.1 (a deeper network: ``ch08/deep_convnet.py``)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..initialization import weight_scale
from ..layers import Affine, Convolution, Dropout, Pooling, Relu, SoftmaxWithLoss
from ..typing import FloatDType
from ..utils.validation import as_float_dtype, as_generator, check_positive_int
from .images import ImageNetwork, conv_side, image_dim, pooled_side
from .images import conv_param as checked_conv_param

__all__ = ["DeepConvNet"]


def _conv(filters: int, pad: int) -> Mapping[str, int]:
    return {"filter_num": filters, "filter_size": 3, "pad": pad, "stride": 1}


#: The book's six ``conv_param`` defaults (``conv_param_4`` pads by 2: 14x14 becomes 16x16).
BOOK_CONV_PARAMS: tuple[Mapping[str, int], ...] = (
    _conv(16, 1), _conv(16, 1), _conv(32, 1), _conv(32, 2), _conv(64, 1), _conv(64, 1)
)  # fmt: skip


class DeepConvNet(ImageNetwork):
    """The book's deep network for MNIST (Chapter 8), about 99.4% on the test set.

    ``conv - relu - conv - relu - pool`` three times, then
    ``affine - relu - dropout - affine - dropout - softmax``, with the parameters named
    as the book names them: ``W1, b1`` to ``W6, b6`` (the six convolutions), ``W7, b7``
    and ``W8, b8`` (the two affine layers).

    Parameters
    ----------
    input_dim : tuple of 3 ints, default (1, 28, 28)
        ``(C, H, W)`` of one input image.
    conv_param_1, ..., conv_param_6 : dict
        The six convolutions, as the book's ``conv_param`` (``filter_num``,
        ``filter_size``, ``pad``, ``stride``); the book's defaults: 16, 16, 32, 32, 64
        and 64 filters of 3x3, stride 1, pad 1 but ``conv_param_4``'s 2.
    hidden_size : int, default 50
    output_size : int, default 10
    dropout_ratio : float, default 0.5
        The ratio of both Dropout layers (the book's 0.5).
    rng : numpy.random.Generator or int, optional
        Source of the initial weights (drawn in the book's order, ``W1`` to ``W8``) and
        of the two Dropout layers' generators (spawned from it after the weights).
    dtype : {np.float64, np.float32}, default np.float64
        The dtype of the parameters, activations and gradients (``'float32'`` and
        ``np.dtype`` too); the weights are drawn in float64, then rounded to it, so a
        float32 network is the float64 one rounded. Input is converted to it once.

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong type or range, naming them; when a convolution does
        not fit its input; when a convolution before a pooling gives an odd side.

    Notes
    -----
    He initialisation as the book computes it: each layer's weights are drawn from a
    Gaussian of standard deviation :math:`\\sqrt{2 / n}`, with :math:`n` the number of
    inputs of one unit: ``C * FH * FW`` of the layer's input for a convolution (the
    book's ``pre_node_nums = [1*3*3, 16*3*3, 16*3*3, 32*3*3, 32*3*3, 64*3*3, 64*4*4,
    hidden_size]``), computed here from the arguments. Biases start at 0. With the
    book's defaults the images go 28x28 (conv 1, 2) -> 14x14 (conv 3) -> 16x16 (conv 4,
    pad 2) -> 8x8 (conv 5, 6) -> 4x4, so ``W7`` is ``(64*4*4, 50)``.

    The second Dropout follows the last affine layer, before the softmax, as in the
    book's code. ``predict`` and ``accuracy`` evaluate 100 images at a time.

    Book section
    ------------
    8.1 (a deeper network: ``DeepConvNet``)

    Examples
    --------
    >>> net = DeepConvNet(rng=0)
    >>> [tuple(net.params[f"W{i}"].shape) for i in (1, 4, 7, 8)]
    [(16, 1, 3, 3), (32, 32, 3, 3), (1024, 50), (50, 10)]
    >>> sum(p.size for p in net.params.values())
    123552
    >>> net.predict(np.zeros((2, 1, 28, 28))).shape
    (2, 10)
    """

    def __init__(
        self,
        input_dim: tuple[int, int, int] = (1, 28, 28),
        conv_param_1: Mapping[str, int] = BOOK_CONV_PARAMS[0],
        conv_param_2: Mapping[str, int] = BOOK_CONV_PARAMS[1],
        conv_param_3: Mapping[str, int] = BOOK_CONV_PARAMS[2],
        conv_param_4: Mapping[str, int] = BOOK_CONV_PARAMS[3],
        conv_param_5: Mapping[str, int] = BOOK_CONV_PARAMS[4],
        conv_param_6: Mapping[str, int] = BOOK_CONV_PARAMS[5],
        hidden_size: int = 50,
        output_size: int = 10,
        *,
        dropout_ratio: float = 0.5,
        rng: np.random.Generator | int | None = None,
        dtype: FloatDType = np.float64,
    ) -> None:
        dims = image_dim(input_dim)
        given = (conv_param_1, conv_param_2, conv_param_3, conv_param_4, conv_param_5,
                 conv_param_6)  # fmt: skip
        params = [checked_conv_param(p, f"conv_param_{i}") for i, p in enumerate(given, 1)]
        check_positive_int(hidden_size, "hidden_size")
        check_positive_int(output_size, "output_size")
        kind = as_float_dtype(dtype)
        gen = as_generator(rng)
        layers: list[object] = []
        channels, sides = dims[0], [dims[1], dims[2]]
        for i, param in enumerate(params, 1):
            what = f"conv_param_{i}"
            axes = zip(("height", "width"), sides, strict=True)
            if i % 2:  # conv 1, 3, 5: the next one is pooled
                sides = [conv_side(size, param, "DeepConvNet", axis, what) for axis, size in axes]
            else:
                sides = [pooled_side(size, param, "DeepConvNet", axis, what)
                         for axis, size in axes]  # fmt: skip
            conv = Convolution.random(
                param["filter_num"], channels, param["filter_size"], rng=gen,
                weight_init_std="he", stride=param["stride"], pad=param["pad"], dtype=kind,
            )  # fmt: skip
            layers += [conv, Relu()]
            if i % 2 == 0:
                layers.append(Pooling(pool_h=2, pool_w=2, stride=2))
            channels = param["filter_num"]
        flat = channels * sides[0] * sides[1]
        W7 = weight_scale("he", flat) * gen.standard_normal((flat, hidden_size))
        W8 = weight_scale("he", hidden_size) * gen.standard_normal((hidden_size, output_size))
        drops = gen.spawn(2)
        layers += [
            Affine(W7, np.zeros(hidden_size), dtype=kind),
            Relu(),
            Dropout(dropout_ratio, rng=drops[0]),
            Affine(W8, np.zeros(output_size), dtype=kind),
            Dropout(dropout_ratio, rng=drops[1]),
        ]
        super().__init__(layers, SoftmaxWithLoss())  # type: ignore[arg-type]
        self.input_dim: tuple[int, int, int] = dims
        self.input_shape = dims
        (self.conv_param_1, self.conv_param_2, self.conv_param_3, self.conv_param_4,
         self.conv_param_5, self.conv_param_6) = params  # fmt: skip
        self.hidden_size = hidden_size
        self.output_size = output_size
        self.dropout_ratio = float(dropout_ratio)
