"""Models composed from layers: ``Sequential`` and the book's networks.

``SimpleNet`` (4.4.2), ``TwoLayerNet`` (4.5.1), ``MultiLayerNet`` and
``MultiLayerNetExtend`` (Chapter 6), ``SimpleConvNet`` (Chapter 7) and ``DeepConvNet``
(Chapter 8), each a :class:`Sequential` of the book's layers with the book's parameter
names.

Book section
------------
4.4.2 (``simpleNet``), 4.5.1 (``TwoLayerNet``), 6 (``MultiLayerNet``), 7.5 (``SimpleConvNet``),
8.1 (``DeepConvNet``)
"""

from .deep_conv_net import DeepConvNet as DeepConvNet
from .multi_layer_net import MultiLayerNet as MultiLayerNet
from .multi_layer_net import MultiLayerNetExtend as MultiLayerNetExtend
from .parameters import Parameters as Parameters
from .sequential import Sequential as Sequential
from .simple_conv_net import SimpleConvNet as SimpleConvNet
from .simple_net import SimpleNet as SimpleNet
from .two_layer_net import TwoLayerNet as TwoLayerNet

__all__ = [
    "DeepConvNet",
    "MultiLayerNet",
    "MultiLayerNetExtend",
    "Parameters",
    "Sequential",
    "SimpleConvNet",
    "SimpleNet",
    "TwoLayerNet",
]
