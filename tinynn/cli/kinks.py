"""Where a central difference straddles a kink: ``tinynn gradcheck``'s honest comparison.

A network of ReLUs and max pooling is smooth except on the kinks where a ReLU's input
crosses 0 or a pooling window's maximum changes hands. There the loss has no derivative,
and the central difference :math:`(L(w + h) - L(w - h)) / 2h` averages the two slopes on
either side: it is not the derivative backpropagation computes, however right the
backward pass. Small weights on random images (the convnet's 0.01) leave many ReLU inputs
within reach of such a step. So the check finds, among the entries where the two
gradients disagree, those whose step from ``w - h`` to ``w + h`` changes a ReLU's sign or
a pooling window's choice: those are at a kink and are not compared; every other entry
is, and a wrong backward still fails.

Book section
------------
5.7.3 (the gradient check), 5.5.1 (ReLU's backward), 7.4.2 (max pooling)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..im2col import im2col
from ..layers import Pooling, Relu
from ..models import Sequential

__all__ = ["Switches", "loss_seconds"]


class Switches:
    """The on/off pattern of a network's kinks at its current weights, for one batch.

    Parameters
    ----------
    net : Sequential
        The network, within its training step (``net.training()``), so that every
        forward pass sees the same dropout masks.
    x : ndarray
        The batch, as the layers take it.
    """

    def __init__(self, net: Sequential, x: NDArray[Any]) -> None:
        self.net, self.x = net, x
        self.kinked = [
            i for i, layer in enumerate(net.layers) if type(layer) in (Relu, Pooling)
        ]
        self.base = self.pattern()

    def pattern(self) -> list[NDArray[Any]]:
        """Each ReLU's ``input > 0`` and each max pooling's choice in every window."""
        if not self.kinked:
            return []
        acts = self.net.activations(self.x, train_flg=True)
        out: list[NDArray[Any]] = []
        for i in self.kinked:
            layer, seen = self.net.layers[i], acts[i]
            if isinstance(layer, Pooling):
                cols = im2col(seen, layer.pool_h, layer.pool_w, layer.stride, layer.pad)
                out.append(np.argmax(cols.reshape(-1, layer.pool_h * layer.pool_w), axis=1))
            else:
                out.append(seen > 0)
        return out

    def straddles(self, key: str, index: int, h: float) -> bool:
        """Whether moving ``params[key].flat[index]`` by ``-h`` or ``+h`` crosses a kink."""
        if not self.kinked:
            return False
        p = self.net.params[key]
        where = np.unravel_index(index, p.shape)
        old = p[where]
        try:
            for step in (h, -h):
                p[where] = old + step
                moved = self.pattern()
                if any(not np.array_equal(a, b) for a, b in zip(moved, self.base, strict=True)):
                    return True
            return False
        finally:
            p[where] = old


def loss_seconds(loss: Callable[[], float], repeats: int = 3) -> float:
    """The time of one loss evaluation, the fastest of ``repeats`` (measured here, now)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        loss()
        best = min(best, time.perf_counter() - start)
    return best
