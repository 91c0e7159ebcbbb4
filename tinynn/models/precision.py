"""A network in another dtype: the float64 copy of a float32 network, which the numerical
estimators differentiate.

Book section
------------
4.4.2 (the gradient of a network, by central differences)
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from ..typing import FloatDType
from ..utils.validation import as_float_dtype

__all__ = ["Converted"]

T = TypeVar("T", bound="Converted")


class Converted:
    """What :class:`~tinynn.Sequential` has for a copy of itself in another dtype.

    Book section
    ------------
    4.4.2 (the gradient of a network, by central differences)
    """

    def astype(self: T, dtype: FloatDType) -> T:
        """A copy of this network in ``dtype``: layers copied, parameters and layer state
        (running statistics) converted, in the same mode (a step under way, and the state
        it holds). The numerical estimators differentiate a float32 network's float64 copy
        (:ref:`numerical-float32`).

        Raises
        ------
        TypeError, ValueError
            For a ``dtype`` other than float32 and float64; for a layer whose ``params``
            is not its own dict (its arrays cannot be replaced).

        Book section
        ------------
        4.4.2 (the gradient of a network, by central differences)

        Examples
        --------
        >>> import numpy as np
        >>> from tinynn import TwoLayerNet
        >>> net = TwoLayerNet(4, 3, 2, rng=0, dtype=np.float32)
        >>> wide = net.astype(np.float64)
        >>> wide.dtype, wide.params["W1"].dtype, bool((wide.params["W1"] == net.params["W1"]).all())
        (dtype('float64'), dtype('float64'), True)
        """
        kind = as_float_dtype(dtype)
        twin: Any = copy.deepcopy(self)
        slots = twin.param_slots
        for _, layer, key in slots:
            layer.params[key] = layer.params[key].astype(kind)  # the layer's own dict
            if layer.params[key].dtype != kind:
                raise TypeError(f"{layer!r}: its params is not its own dict; cannot convert it")
        twin.training().convert()  # the layers' state (running statistics) in their dtype
        twin.params.relink({name: layer.params[key] for name, layer, key in slots})
        twin.dtype = kind
        converted: T = twin
        return converted

    def follow(self, twin: Converted) -> None:
        """Take the layers' state of ``twin`` (made by :meth:`astype` within this step, and
        run since), in this network's dtype, as if this network had run instead.

        Book section
        ------------
        4.4.2 (the gradient of a network, by central differences)
        """
        mine: Any = self
        other: Any = twin
        mine.training().follow(other.training())
