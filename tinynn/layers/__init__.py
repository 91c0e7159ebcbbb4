"""Pluggable layers, each with ``forward`` and ``backward``.

Chapter 4 computes a network's gradient numerically and, at the end of 4.5.1,
points ahead to backpropagation. These layers are that preview: each computes
its output in ``forward``, remembers what it needs, and turns the gradient of
its output into the gradient of its input (and of its parameters) in
``backward``. :class:`~tinynn.Sequential` chains any list of them. Chapter 6 adds
:class:`~tinynn.Dropout` and :class:`~tinynn.BatchNormalization`, which behave
differently in training (the book's ``train_flg``), and Chapter 7 the convolution
and pooling layers.
"""

from .activations import Relu as Relu
from .activations import Sigmoid as Sigmoid
from .affine import Affine as Affine
from .batch_normalization import BatchNormalization as BatchNormalization
from .convolution import Convolution as Convolution
from .dropout import Dropout as Dropout
from .pooling import Pooling as Pooling
from .softmax_with_loss import SoftmaxWithLoss as SoftmaxWithLoss

__all__ = [
    "Affine",
    "BatchNormalization",
    "Convolution",
    "Dropout",
    "Pooling",
    "Relu",
    "Sigmoid",
    "SoftmaxWithLoss",
]
