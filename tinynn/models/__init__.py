"""Models composed from layers: ``Sequential``, the book's ``SimpleNet`` and ``TwoLayerNet``.

Book section
------------
4.4.2 (``simpleNet``), 4.5.1 (``TwoLayerNet``)
"""

from ..parameters import Parameters as Parameters
from .sequential import Sequential as Sequential
from .simple_conv_net import SimpleConvNet as SimpleConvNet
from .simple_net import SimpleNet as SimpleNet
from .two_layer_net import TwoLayerNet as TwoLayerNet

__all__ = ["Parameters", "Sequential", "SimpleConvNet", "SimpleNet", "TwoLayerNet"]
