"""Batch Normalization: each unit normalised over the mini-batch, then scaled and shifted.

Book section
------------
6.3 (Batch Normalization)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..typing import ArrayLike, FloatArray, FloatDType, Params
from ..utils.validation import as_float_dtype, as_real_array, check_finite, describe, is_number

__all__ = ["BatchNormalization"]

#: Added to the variance before its square root (the book's ``10e-7``).
EPS = 10e-7


class BatchNormalization:
    """Batch Normalization layer, with the book's names and behaviour.

    Parameters
    ----------
    gamma, beta : array_like, shape (D,)
        Scale and shift, trained like weights (the book starts them at 1 and 0).
    momentum : float, default 0.9
        How much of the running mean and variance each training batch keeps, in
        ``[0, 1)``.
    running_mean, running_var : array_like, shape (D,), optional
        The statistics used in evaluation (zeros when omitted, as the book).
    dtype : {np.float64, np.float32}, default np.float64
        The dtype of ``gamma``, ``beta`` and the running statistics.

    Notes
    -----
    In training, with :math:`\\mu_B` and :math:`\\sigma_B^2` the mean and variance
    of each unit over the mini-batch:

    .. math::
        \\hat x = \\frac{x - \\mu_B}{\\sqrt{\\sigma_B^2 + \\epsilon}}, \\qquad
        y = \\gamma \\hat x + \\beta, \\qquad
        \\mu \\leftarrow m \\mu + (1 - m) \\mu_B, \\quad
        \\sigma^2 \\leftarrow m \\sigma^2 + (1 - m) \\sigma_B^2

    with :math:`\\epsilon = 10^{-6}` (the book's ``10e-7``). In evaluation the running
    :math:`\\mu, \\sigma^2` replace the batch's. Image-shaped input ``(N, C, H, W)``
    is normalised as the book does it: flattened to ``(N, C*H*W)``, one unit per
    value (so ``gamma`` has ``C*H*W`` entries). ``backward`` is the book's chain of
    its computational graph; after an evaluation ``forward`` it is the derivative of
    the running statistics' affine map,

    .. math::
        \\frac{\\partial L}{\\partial x} = \\frac{\\gamma}{\\sqrt{\\sigma^2 + \\epsilon}}
        \\frac{\\partial L}{\\partial y}, \\qquad
        \\frac{\\partial L}{\\partial \\gamma} = \\sum \\frac{\\partial L}{\\partial y} \\hat x,
        \\qquad \\frac{\\partial L}{\\partial \\beta} = \\sum \\frac{\\partial L}{\\partial y}

    (never the chain of an earlier training batch). A training ``forward`` needs two
    samples or more: with one, :math:`x - \\mu_B = 0` for every unit, so the output is
    :math:`\\beta` whatever the input and every gradient before the layer is exactly 0;
    it is refused with a ``ValueError`` (train with ``batch_size >= 2``). The running
    statistics are the layer's state (``state_dict``), kept by checkpoints and model files.

    Book section
    ------------
    6.3.1 (the algorithm), 6.3.2 (evaluation: figures 6-18 and 6-19)

    Examples
    --------
    >>> layer = BatchNormalization(np.ones(2), np.zeros(2))
    >>> layer.forward(np.array([[1.0, 10.0], [3.0, 30.0]])).round(4)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> layer.running_mean
    array([0.2, 2. ])
    >>> layer.forward(np.array([[2.0, 20.0]]), train_flg=False).round(3)
    array([[5.692, 5.692]])
    """

    def __init__(
        self,
        gamma: ArrayLike,
        beta: ArrayLike,
        momentum: float = 0.9,
        running_mean: ArrayLike | None = None,
        running_var: ArrayLike | None = None,
        *,
        dtype: FloatDType = np.float64,
    ) -> None:
        kind = as_float_dtype(dtype)
        g = _vector(gamma, "gamma", kind)
        shape = g.shape
        self._params: Params = {"gamma": g, "beta": _vector(beta, "beta", kind, shape)}
        if not is_number(momentum):
            raise TypeError(f"momentum must be a number in [0, 1), got {momentum!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        zeros = np.zeros(shape, dtype=kind)
        mean, var = running_mean, running_var
        self.running_mean = zeros if mean is None else _vector(mean, "running_mean", kind, shape)
        self.running_var = (
            zeros.copy() if var is None else _vector(var, "running_var", kind, shape)
        )
        _check_variance(self.running_var)
        self._grads: Params = {}
        self.input_shape: tuple[int, ...] = ()
        self.batch_size = 0
        self.xc = self.xn = self.std = np.empty(0)
        self._trained: bool | None = None  # the mode of the last forward (None: no forward)

    @property
    def params(self) -> Params:
        """``{'gamma': gamma, 'beta': beta}``."""
        return self._params

    @property
    def grads(self) -> Params:
        """``{'gamma': dgamma, 'beta': dbeta}`` from the last ``backward``."""
        return self._grads

    def forward(self, x: FloatArray, train_flg: bool = True) -> FloatArray:
        """Normalise with the batch's statistics (training) or the running ones."""
        self.input_shape = x.shape
        x2 = x.reshape(x.shape[0], -1)
        if x2.shape[1] != self._params["gamma"].size:
            raise ValueError(
                f"BatchNormalization has {self._params['gamma'].size} units, got input of "
                f"shape {x.shape} ({x2.shape[1]} values per sample)"
            )
        gamma, beta = self._params["gamma"], self._params["beta"]
        if train_flg:
            if x2.shape[0] < 2:
                raise ValueError(
                    f"BatchNormalization cannot train on a batch of {x2.shape[0]} sample: it "
                    "normalises each unit over the mini-batch, and with one sample x - mean is "
                    "0, so the output is beta whatever the input and every gradient before "
                    "this layer is exactly 0; train with batch_size >= 2 (evaluation, on the "
                    "running statistics, takes any batch)"
                )
            mu = x2.mean(axis=0)
            xc = x2 - mu
            var = np.mean(xc**2, axis=0)
            std = np.sqrt(var + EPS)
            xn = xc / std
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:
            xc = x2 - self.running_mean
            std = np.sqrt(self.running_var + EPS)
            xn = xc / std
        self.batch_size, self.xc, self.xn, self.std = x2.shape[0], xc, xn, std
        self._trained = bool(train_flg)
        out: FloatArray = gamma * xn + beta
        return out.reshape(self.input_shape)

    def backward(self, dout: FloatArray) -> FloatArray:
        """The book's backward pass through the normalisation (after an evaluation forward,
        through the running statistics' affine map); fills ``grads``."""
        if self._trained is None:
            raise RuntimeError("BatchNormalization.backward called before forward")
        d = dout.reshape(dout.shape[0], -1)
        dbeta = d.sum(axis=0)
        dgamma = np.sum(self.xn * d, axis=0)
        dxn = self._params["gamma"] * d
        dxc = dxn / self.std
        if not self._trained:  # y = gamma (x - running_mean) / std + beta: std is a constant
            self._grads["gamma"], self._grads["beta"] = dgamma, dbeta
            return dxc.reshape(self.input_shape)
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        dx: FloatArray = dxc - dmu / self.batch_size
        self._grads["gamma"], self._grads["beta"] = dgamma, dbeta
        return dx.reshape(self.input_shape)

    def state_dict(self) -> dict[str, Any]:
        """``{"running_mean": ..., "running_var": ...}`` (copies)."""
        return {"running_mean": self.running_mean.copy(), "running_var": self.running_var.copy()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``, checked first (shape, finite, variance >= 0)."""
        if not isinstance(state, Mapping) or set(state) != {"running_mean", "running_var"}:
            raise ValueError("a BatchNormalization state is {'running_mean', 'running_var'}")
        gamma = self._params["gamma"]
        mean = _vector(state["running_mean"], "running_mean", gamma.dtype, gamma.shape)
        var = _vector(state["running_var"], "running_var", gamma.dtype, gamma.shape)
        _check_variance(var)
        self.running_mean, self.running_var = mean.copy(), var.copy()

    def __repr__(self) -> str:
        return f"BatchNormalization({self._params['gamma'].size}, momentum={self.momentum!r})"


def _vector(
    value: ArrayLike, name: str, dtype: np.dtype[Any], shape: tuple[int, ...] | None = None
) -> FloatArray:
    a = np.asarray(as_real_array(value, name), dtype=dtype)
    if a.ndim != 1 or a.size == 0 or (shape is not None and a.shape != shape):
        want = "a non-empty 1-D array" if shape is None else f"shape {shape}"
        raise ValueError(f"{name} must be {want}, got {describe(a)}")
    check_finite(a, name)
    return a


def _check_variance(var: FloatArray) -> None:
    """Raise ``ValueError`` naming the first negative entry of a running variance."""
    if np.any(var < 0):
        i = int(np.argmax(var < 0))
        raise ValueError(f"running_var must be >= 0, got {float(var[i])!r} at index {i}")
