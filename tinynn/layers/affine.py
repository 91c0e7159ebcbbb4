"""The affine (fully connected) layer: ``out = x @ W + b``.

Book section
------------
4.5.1 (``a1 = np.dot(x, W1) + b1``), 5.6.2 (Affine layer)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..initialization import WeightInit, weight_scale
from ..typing import ArrayLike, FloatArray, FloatDType, Params
from ..utils.validation import (
    as_float_dtype,
    as_generator,
    as_real_array,
    check_finite,
    check_positive_int,
    describe,
)

__all__ = ["Affine"]


def _weight(value: ArrayLike, name: str, ndim: int, dtype: np.dtype[Any]) -> FloatArray:
    a = np.asarray(as_real_array(value, name), dtype=dtype)
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got {describe(a)}")
    check_finite(a, name)
    return a


class Affine:
    """Fully connected layer: ``out = x @ W + b``.

    Parameters
    ----------
    W : array_like, shape (in_size, out_size)
        Weights. Kept as an array of ``dtype`` (no copy if it already is one) and
        updated in place by optimizers.
    b : array_like, shape (out_size,), optional
        Bias; ``None`` for a layer without bias (the book's ``simpleNet``).
    dtype : {np.float64, np.float32}, default np.float64
        The dtype of ``W`` and ``b`` (``'float32'`` and ``np.dtype`` too); the output and
        the gradients have it when the input does (a model converts its input to it).

    Notes
    -----
    .. math::
        \\text{out} = xW + b, \\quad
        \\frac{\\partial L}{\\partial x} = \\frac{\\partial L}{\\partial \\text{out}} W^T,
        \\quad \\frac{\\partial L}{\\partial W} = x^T \\frac{\\partial L}{\\partial \\text{out}},
        \\quad \\frac{\\partial L}{\\partial b} = \\sum_n \\frac{\\partial L}{\\partial
        \\text{out}_n}

    The book writes ``np.dot(x, W)``; ``@`` is the same product, typed.
    Inputs of more than two dimensions (``(N, 1, 28, 28)`` images) are
    flattened to ``(N, -1)``, and ``backward`` restores their shape.

    Book section
    ------------
    4.5.1 (``a1 = np.dot(x, W1) + b1``), 5.6.2 (Affine layer)

    Examples
    --------
    >>> layer = Affine(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5]))
    >>> layer.forward(np.array([[1.0, 1.0]]))
    array([[4.5, 5.5]])
    >>> layer.backward(np.array([[1.0, 0.0]]))
    array([[1., 3.]])
    >>> layer.grads["W"]
    array([[1., 0.],
           [1., 0.]])
    """

    #: A NaN or infinity in ``x``, ``W`` or ``b`` reaches the output (``0 * inf`` is NaN),
    #: so :meth:`tinynn.Sequential.gradient` checks the small output, not the inputs.
    reveals_nonfinite = True

    def __init__(
        self, W: ArrayLike, b: ArrayLike | None = None, *, dtype: FloatDType = np.float64
    ) -> None:
        kind = as_float_dtype(dtype)
        w = _weight(W, "W", 2, kind)
        if w.size == 0:
            raise ValueError(f"W must have at least one row and one column, got shape {w.shape}")
        self._params: Params = {"W": w}
        if b is not None:
            bias = _weight(b, "b", 1, kind)
            if bias.shape != (w.shape[1],):
                raise ValueError(
                    f"b must have shape ({w.shape[1]},) to match W {w.shape}, got {bias.shape}"
                )
            self._params["b"] = bias
        self._grads: Params = {}
        self._x: FloatArray | None = None
        self._x_shape: tuple[int, ...] = ()

    @classmethod
    def random(
        cls,
        in_size: int,
        out_size: int,
        *,
        rng: np.random.Generator | int,
        weight_init_std: WeightInit = 0.01,
        bias: bool = True,
        dtype: FloatDType = np.float64,
    ) -> Affine:
        """A layer with Gaussian weights scaled by ``weight_init_std`` and zero bias, as the book.

        Parameters
        ----------
        in_size, out_size : int
            Shape of ``W``.
        rng : numpy.random.Generator or int
            The source of randomness (an int is a seed).
        weight_init_std : float or str, default 0.01
            The standard deviation, or a rule of section 6.2 as ``MultiLayerNet`` takes it:
            ``'he'`` (or ``'relu'``) for :math:`\\sqrt{2/n}`, ``'xavier'`` (or ``'sigmoid'``)
            for :math:`\\sqrt{1/n}`, with :math:`n` = ``in_size`` (see
            :func:`~tinynn.weight_scale`).
        bias : bool, default True
        dtype : {np.float64, np.float32}, default np.float64
            The weights are drawn in float64 (the same numbers whatever ``dtype``), then
            rounded to ``dtype``.

        Returns
        -------
        Affine

        Raises
        ------
        TypeError
            If a size is not an int (``True`` is not), ``rng`` is not a generator or seed,
            or ``bias`` is not a bool.
        ValueError
            If a size is < 1, ``weight_init_std`` is neither a finite number > 0 nor a
            rule's name, or ``dtype`` is not float32 or float64.

        Book section
        ------------
        4.5.1 (``weight_init_std * np.random.randn(...)``, zero bias), 6.2 (He, Xavier)

        Examples
        --------
        >>> Affine.random(50, 10, rng=0, weight_init_std="he").W.std().round(2)
        np.float64(0.2)
        """
        check_positive_int(in_size, "in_size")
        check_positive_int(out_size, "out_size")
        std = weight_scale(weight_init_std, in_size)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be a bool, got {bias!r}")
        kind = as_float_dtype(dtype)
        W = std * as_generator(rng).standard_normal((in_size, out_size))
        return cls(W, np.zeros(out_size) if bias else None, dtype=kind)

    @property
    def params(self) -> Params:
        """``{'W': W, 'b': b}`` (no ``'b'`` without bias)."""
        return self._params

    @property
    def grads(self) -> Params:
        """``{'W': dW, 'b': db}`` from the last ``backward``."""
        return self._grads

    @property
    def W(self) -> FloatArray:
        """The weight matrix."""
        return self._params["W"]

    def forward(self, x: FloatArray) -> FloatArray:
        """``x @ W + b``; see the class docstring."""
        self._x_shape = x.shape
        x2 = x.reshape(x.shape[0], -1) if x.ndim > 2 else x
        self._x = x2
        out: FloatArray = x2 @ self._params["W"]
        b = self._params.get("b")
        if b is not None:
            out += b  # (in place: the same sums as out + b, without a second array)
        return out

    def backward(self, dout: FloatArray, *, input_grad: bool = True) -> FloatArray:
        """Fill ``grads`` and return ``dout @ W.T`` in the input's shape.

        With ``input_grad=False`` the input's gradient (the largest product
        of a first layer, and unused there) is skipped and an empty array
        returned; :class:`~tinynn.Sequential` does this for its first layer.
        """
        if self._x is None:
            raise RuntimeError("Affine.backward called before forward")
        self._grads["W"] = self._x.T @ dout
        if "b" in self._params:
            self._grads["b"] = dout.sum(axis=0)
        if not input_grad:
            return np.empty(0, dtype=dout.dtype)
        return (dout @ self._params["W"].T).reshape(self._x_shape)

    def __repr__(self) -> str:
        n_in, n_out = self._params["W"].shape
        return f"Affine({n_in} -> {n_out}{'' if 'b' in self._params else ', no bias'})"
