"""What the book's convolutional networks share: images in, evaluated 100 at a time.

Book section
------------
7.5 (``SimpleConvNet``), 8.1 (``DeepConvNet``)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..im2col import output_positions
from ..typing import ArrayLike, FloatArray
from ..utils.validation import check_nonnegative_int, check_positive_int
from .sequential import Sequential

__all__ = ["EVAL_BATCH", "ImageNetwork", "conv_param", "image_dim", "pooled_side"]

#: Images per forward pass in ``predict`` and ``accuracy`` (the book's ``accuracy`` takes 100 at
#: a time): a convolutional network's activations take hundreds of kilobytes per MNIST image,
#: so the 10,000 test images at once would take gigabytes.
EVAL_BATCH = 100

#: The keys of the book's ``conv_param``.
CONV_KEYS = ("filter_num", "filter_size", "pad", "stride")


def conv_param(value: Mapping[str, int], name: str = "conv_param") -> dict[str, int]:
    """The book's ``conv_param`` dict, checked: exactly its four keys, sizes >= 1, pad >= 0."""
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{name} must be a dict with keys 'filter_num', 'filter_size', 'pad' and "
            f"'stride', got {type(value).__name__}"
        )
    missing = sorted(set(CONV_KEYS) - set(value))
    unknown = sorted(set(value) - set(CONV_KEYS), key=str)
    if missing or unknown:
        raise ValueError(
            f"{name} must have exactly the keys {sorted(CONV_KEYS)}; missing {missing}, "
            f"unknown {unknown}"
        )
    for key in ("filter_num", "filter_size", "stride"):
        check_positive_int(value[key], f"{name}['{key}']")
    check_nonnegative_int(value["pad"], f"{name}['pad']")
    return {key: int(value[key]) for key in CONV_KEYS}


def image_dim(input_dim: object) -> tuple[int, int, int]:
    """``input_dim`` as ``(C, H, W)``, checked."""
    if not isinstance(input_dim, (tuple, list)) or len(input_dim) != 3:
        raise ValueError(f"input_dim must be 3 sizes (C, H, W), got {input_dim!r}")
    for name, size in zip(("C", "H", "W"), input_dim, strict=True):
        check_positive_int(size, f"input_dim's {name}")
    channels, height, width = (int(s) for s in input_dim)
    return channels, height, width


def conv_side(side: int, param: Mapping[str, int], model: str, axis: str, what: str) -> int:
    """The side of a convolution's output (equation 7.1), or an error naming ``what``."""
    try:
        return output_positions(
            side, param["filter_size"], param["stride"], param["pad"], True, axis[0].upper()
        )
    except ValueError as exc:
        raise ValueError(f"{model}: {what} does not fit the image {axis}: {exc}") from None


def pooled_side(size: int, param: Mapping[str, int], model: str, axis: str, what: str) -> int:
    """The side after the convolution ``param`` on ``size`` and 2x2 pooling with stride 2, or
    an error naming ``what`` if the convolution's output side is odd."""
    side = conv_side(size, param, model, axis, what)
    if side % 2:
        fs, pad, stride = param["filter_size"], param["pad"], param["stride"]
        raise ValueError(
            f"{model}: the convolution's output {axis} is {side} = ({size} + 2*{pad} - {fs}) / "
            f"{stride} + 1, which 2x2 pooling with stride 2 cannot tile: choose input_dim and "
            f"{what} so that it is even"
        )
    return side // 2


class ImageNetwork(Sequential):
    """A :class:`~tinynn.Sequential` of images that evaluates 100 images at a time.

    Its ``input_shape`` is one image's ``(C, H, W)``; ``predict`` and ``accuracy`` take
    a batch ``(N, C, H, W)`` or one image, and run the layers on :data:`EVAL_BATCH`
    images at a time, as the book's ``accuracy(x, t, batch_size=100)`` does.

    Book section
    ------------
    7.5 (``SimpleConvNet.accuracy``), 8.1 (``DeepConvNet.accuracy``)
    """

    output_size: int

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
        7.5, 8.1 (``accuracy(x, t, batch_size=100)``)
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
