"""BLAS threads for a training run: one, unless the network's products are large enough to gain.

NumPy's matrix products run on every core by default (OpenBLAS's threads). For the book's
networks each product is small: the threads wait for each other more than they compute,
and much more when other programs hold the cores (the book's run took three times as
long with two threads as with one on a shared 2-core machine; the performance page gives
the figures). So ``tinynn train`` and the examples choose the number of threads from the
network's size (:func:`choose`), apply it for the run only (:func:`limited`, with
threadpoolctl, the ecosystem's tool for it) and say so in the run's header line. The
library itself never changes a process's threads.

A BLAS thread count set in the environment (``OPENBLAS_NUM_THREADS=2 tinynn train``) is
left as it is.

Book section
------------
4.5.2 (the training loop; its matrix products)
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..layers import Affine, Convolution

__all__ = ["ENVIRONMENT", "PER_THREAD", "Threads", "choose", "largest_product", "limited"]

#: The variables by which a user sets the BLAS libraries' threads.
ENVIRONMENT = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS", "BLIS_NUM_THREADS")
#: Multiply-adds per thread below which another thread is not worth it: about 4 ms of one
#: core's work, long against the time a thread may wait for a core another program holds.
PER_THREAD = 100_000_000


@dataclass(frozen=True)
class Threads:
    """The BLAS threads of a run: ``count`` (``None``: the library's own), and why.

    Book section
    ------------
    4.5.2 (the training loop)
    """

    count: int | None
    reason: str

    def describe(self) -> str:
        """For the header line: ``BLAS threads 1 (...)``."""
        shown = "the BLAS default" if self.count is None else str(self.count)
        return f"BLAS threads {shown} ({self.reason})"


def largest_product(layers: Sequence[Any], sample: tuple[int, ...], batch: int) -> int:
    """Multiply-adds of the largest matrix product in a forward pass of ``batch`` samples.

    An :class:`~tinynn.Affine` layer makes one product of ``batch x in x out``; a
    :class:`~tinynn.Convolution` one per sample, ``FN x C*FH*FW x OH*OW``. Shapes are
    followed through the layers' ``output_shape`` (convolution and pooling) and the
    affine layers; a layer whose output shape cannot be told ends the count.
    """
    shape, largest = (batch, *sample), 0
    for layer in layers:
        if isinstance(layer, Affine):
            n_in, n_out = layer.params["W"].shape
            largest = max(largest, batch * n_in * n_out)
            shape = (batch, n_out)
        elif isinstance(layer, Convolution):
            out = layer.output_shape(shape)
            largest = max(largest, layer.params["W"].size * out[2] * out[3])
            shape = out
        elif callable(getattr(layer, "output_shape", None)):
            shape = tuple(layer.output_shape(shape))
        elif layer.params:  # parameters of a layer we cannot size: stop here
            break
    return largest


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def choose(
    layers: Sequence[Any],
    sample: tuple[int, ...],
    batch: int,
    environ: dict[str, str] | None = None,
) -> Threads:
    """One thread per :data:`PER_THREAD` multiply-adds of the largest product, at least one
    and at most the cores this process may use; or what the environment sets.

    Book section
    ------------
    4.5.2 (the training loop)

    Examples
    --------
    >>> from tinynn import TwoLayerNet
    >>> net = TwoLayerNet(784, 50, 10, rng=0)
    >>> choose(net.layers, (784,), 100, environ={}).describe()
    'BLAS threads 1 (products of at most 3.9M multiply-adds)'
    >>> choose(net.layers, (784,), 100, environ={"OPENBLAS_NUM_THREADS": "2"}).describe()
    'BLAS threads the BLAS default (OPENBLAS_NUM_THREADS=2 in the environment)'
    """
    env = os.environ if environ is None else environ
    for name in ENVIRONMENT:
        if env.get(name):
            return Threads(None, f"{name}={env[name]} in the environment")
    if importlib.util.find_spec("threadpoolctl") is None:  # an install without it
        return Threads(None, "threadpoolctl is not installed to choose them")
    largest = largest_product(layers, sample, batch)
    count = max(1, min(_cores(), largest // PER_THREAD))
    return Threads(count, f"products of at most {largest / 1e6:.2g}M multiply-adds")


@contextlib.contextmanager
def limited(threads: Threads) -> Iterator[None]:
    """Within the block, the BLAS libraries use ``threads.count`` threads (threadpoolctl);
    nothing changes when the count is ``None``. The threads are restored after it."""
    if threads.count is None:
        yield
        return
    from threadpoolctl import threadpool_limits  # (choose found it)

    with threadpool_limits(limits=threads.count, user_api="blas"):
        yield
