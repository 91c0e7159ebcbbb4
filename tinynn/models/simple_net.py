"""The book's ``simpleNet``: one 2x3 weight matrix, softmax and cross-entropy.

Book section
------------
4.4.2 (``simpleNet``)
"""

from __future__ import annotations

import numpy as np

from ..layers import Affine, SoftmaxWithLoss
from ..losses import CROSS_ENTROPY_DELTA
from ..typing import ArrayLike, FloatArray, FloatDType
from ..utils.validation import (
    as_generator,
)
from .sequential import Sequential

__all__ = ["SimpleNet"]


class SimpleNet(Sequential):
    """The book's ``simpleNet``: one 2x3 weight matrix, softmax and cross-entropy.

    Parameters
    ----------
    W : array_like, shape (2, 3), optional
        The weights; drawn from a standard Gaussian (as the book's
        ``np.random.randn(2, 3)``) when omitted.
    rng : numpy.random.Generator or int, optional
        Source of the random weights.
    delta : float, default 1e-7
        The cross-entropy's delta (see :func:`~tinynn.cross_entropy_error`).
    dtype : {np.float64, np.float32}, default np.float64
        The dtype of the parameters, activations and gradients (``'float32'`` and
        ``np.dtype`` too); the weights are drawn in float64, then rounded to it, so a
        float32 network is the float64 one rounded. Input is converted to it once.

    Notes
    -----
    ``predict`` returns the scores ``x @ W`` (no softmax), as the book's
    does. ``net.W`` is the very array in ``net.params['W']``, so the book's
    ``numerical_gradient(lambda w: net.loss(x, t), net.W)`` works as printed.

    Book section
    ------------
    4.4.2 (gradient with respect to a network's weights)

    Examples
    --------
    >>> from tinynn import numerical_gradient
    >>> net = SimpleNet([[0.47355232, 0.9977393, 0.84668094],
    ...                  [0.85557411, 0.03563661, 0.69422093]], delta=0.0)
    >>> x = np.array([0.6, 0.9])
    >>> net.predict(x)
    array([1.05414809, 0.63071653, 1.1328074 ])
    >>> int(np.argmax(net.predict(x)))
    2
    >>> t = np.array([0, 0, 1])
    >>> round(net.loss(x, t), 8)
    0.92806854
    >>> numerical_gradient(lambda w: net.loss(x, t), net.W)
    array([[ 0.21924763,  0.14356247, -0.36281009],
           [ 0.32887144,  0.2153437 , -0.54421514]])
    """

    def __init__(
        self,
        W: ArrayLike | None = None,
        *,
        rng: np.random.Generator | int | None = None,
        delta: float = CROSS_ENTROPY_DELTA,
        dtype: FloatDType = np.float64,
    ) -> None:
        weights = as_generator(rng).standard_normal((2, 3)) if W is None else W
        layer = Affine(weights, dtype=dtype)
        if layer.W.shape != (2, 3):
            raise ValueError(f"SimpleNet's W must have shape (2, 3), got {layer.W.shape}")
        super().__init__([layer], SoftmaxWithLoss(delta))

    @staticmethod
    def _param_name(key: str, index: int) -> str:
        return key

    @property
    def W(self) -> FloatArray:
        """The 2x3 weight matrix (the same array as ``params['W']``)."""
        return self.params["W"]

    def predict(self, x: ArrayLike) -> FloatArray:
        """The scores ``x @ W`` (the book's ``simpleNet.predict`` applies no softmax)."""
        xb, single = self._checks.batch(self, x)
        z = self._checks.output(self, self.forward(xb), xb, "predict's output")
        return z[0] if single else z
