"""The book's ``TwoLayerNet``: Affine, Sigmoid, Affine, softmax with cross-entropy.

Book section
------------
4.5.1 (``TwoLayerNet``)
"""

from __future__ import annotations

import numpy as np

from ..calculus import numerical_gradient
from ..layers import Affine, Sigmoid, SoftmaxWithLoss
from ..typing import ArrayLike, FloatDType, Params
from ..utils.validation import (
    as_generator,
    check_positive,
    check_positive_int,
)
from .sequential import Sequential

__all__ = ["TwoLayerNet"]


class TwoLayerNet(Sequential):
    """The book's two-layer network: Affine, Sigmoid, Affine, then softmax with cross-entropy.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
        784, 50 and 10 for MNIST in the book.
    weight_init_std : float, default 0.01
        Standard deviation of the Gaussian initial weights; biases start at 0.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights (``W1`` is drawn first, then ``W2``).
    dtype : {np.float64, np.float32}, default np.float64
        The dtype of the parameters, activations and gradients (``'float32'`` and
        ``np.dtype`` too); the weights are drawn in float64, then rounded to it, so a
        float32 network is the float64 one rounded. Input is converted to it once.

    Notes
    -----
    .. math::
        a_1 = x W_1 + b_1, \\quad z_1 = \\sigma(a_1), \\quad
        a_2 = z_1 W_2 + b_2, \\quad y = \\mathrm{softmax}(a_2)

    With the same weights and data, ``predict``, ``loss``, ``accuracy``,
    ``numerical_gradient`` and ``gradient`` give the numbers of the book's
    ``ch04/two_layer_net.py``, bit for bit.

    Book section
    ------------
    4.5.1 (a class for a two-layer neural network)

    Examples
    --------
    >>> net = TwoLayerNet(input_size=784, hidden_size=100, output_size=10, rng=0)
    >>> {k: v.shape for k, v in net.params.items()}
    {'W1': (784, 100), 'b1': (100,), 'W2': (100, 10), 'b2': (10,)}
    >>> x = np.random.default_rng(1).random((100, 784))
    >>> net.predict(x).shape
    (100, 10)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        weight_init_std: float = 0.01,
        *,
        rng: np.random.Generator | int | None = None,
        dtype: FloatDType = np.float64,
    ) -> None:
        check_positive_int(input_size, "input_size")
        check_positive_int(hidden_size, "hidden_size")
        check_positive_int(output_size, "output_size")
        check_positive(weight_init_std, "weight_init_std")
        gen = as_generator(rng)
        W1 = weight_init_std * gen.standard_normal((input_size, hidden_size))
        W2 = weight_init_std * gen.standard_normal((hidden_size, output_size))
        super().__init__(
            [
                Affine(W1, np.zeros(hidden_size), dtype=dtype),
                Sigmoid(),
                Affine(W2, np.zeros(output_size), dtype=dtype),
            ],
            SoftmaxWithLoss(),
        )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.output_size = output_size

    def numerical_gradient(self, x: ArrayLike, t: ArrayLike) -> Params:
        """The gradient of ``loss(x, t)`` by central differences, as the book computes it.

        The book's method, line for line, with :func:`tinynn.numerical_gradient`: each
        entry of each parameter moved by ``+h`` and ``-h`` in place, the loss evaluated
        (``self.loss(x, t)``), the entry restored; the inputs and weights are checked
        once first, so that a NaN weight is named before any work. Slow (two forward
        passes per parameter entry) but obviously right, and equal bit for bit to the
        book's ``TwoLayerNet.numerical_gradient``. :class:`~tinynn.NumericalDiff`
        computes the same differences for any model, hundreds of times faster for this
        one (to within 1e-11). A float32 network is differentiated in float64, on its copy
        (:meth:`~tinynn.Sequential.astype`), and the gradients rounded to float32: float32
        central differences would be wrong by a large fraction of the gradient
        (docs/performance.rst).

        Book section
        ------------
        4.4.2, 4.5.1 (``TwoLayerNet.numerical_gradient``)
        """
        if self.dtype != np.float64:
            twin = self.astype(np.float64)
            return {k: g.astype(self.dtype) for k, g in twin.numerical_gradient(x, t).items()}
        self.check_batch(x, t, purpose="the numerical gradient")  # x, t and weights, once
        loss_W = lambda W: self.loss(x, t)  # noqa: E731 (the book's line)

        grads: Params = {}
        grads["W1"] = numerical_gradient(loss_W, self.params["W1"])
        grads["b1"] = numerical_gradient(loss_W, self.params["b1"])
        grads["W2"] = numerical_gradient(loss_W, self.params["W2"])
        grads["b2"] = numerical_gradient(loss_W, self.params["b2"])

        return grads
