"""The affine (fully connected) layer: ``out = x @ W + b``.

Book section
------------
4.5.1 (``a1 = np.dot(x, W1) + b1``), 5.6.2 (Affine layer)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

import numpy as np

from .._validation import (
    as_generator,
    as_real_array,
    check_finite,
    check_positive,
    check_positive_int,
    describe,
)
from ..perturbation import Change, ColumnChange, DenseChange, RankOneChange, Samples
from ..typing import ArrayLike, ComplexArray, FloatArray, IntArray, Params

__all__ = ["Affine"]

#: An input with at most this fraction of non-zero values is perturbed sparsely: a weight
#: ``W[i, j]`` moves only the samples whose ``x[n, i]`` is not 0 (see ``Affine.perturb``).
#: Measured on the book's network, sparse against dense in the same run, in three runs:
#: 0.32x-0.44x the time at 20% non-zero, 0.63x-0.79x at 35%, 0.82x-1.03x at 50%, 1.09x-1.46x
#: at 65% (``python benchmarks/bench_speed.py --only sparsity``).
SPARSE_FRACTION = 0.4


class _Nonzero(NamedTuple):
    """The non-zero values of an input, by input row (compressed sparse rows of ``x.T``)."""

    indptr: IntArray  # row i's values are [indptr[i], indptr[i + 1])
    rows: IntArray
    samples: IntArray
    values: FloatArray


def _weight(value: ArrayLike, name: str, ndim: int) -> FloatArray:
    a = np.asarray(as_real_array(value, name), dtype=np.float64)
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got {describe(a)}")
    check_finite(a, name)
    return a


class Affine:
    """Fully connected layer: ``out = x @ W + b``.

    Parameters
    ----------
    W : array_like, shape (in_size, out_size)
        Weights. Kept as a float64 array (no copy if it already is one) and
        updated in place by optimizers.
    b : array_like, shape (out_size,), optional
        Bias; ``None`` for a layer without bias (the book's ``simpleNet``).

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

    #: Takes sparse changes (:class:`~tinynn.perturbation.Samples`) in ``propagate``.
    sparse_changes = True
    #: A NaN or infinity in ``x``, ``W`` or ``b`` reaches the output (``0 * inf`` is NaN),
    #: so :meth:`tinynn.Sequential.gradient` checks the small output, not the inputs.
    reveals_nonfinite = True

    def __init__(self, W: ArrayLike, b: ArrayLike | None = None) -> None:
        w = _weight(W, "W", 2)
        if w.size == 0:
            raise ValueError(f"W must have at least one row and one column, got shape {w.shape}")
        self._params: Params = {"W": w}
        if b is not None:
            bias = _weight(b, "b", 1)
            if bias.shape != (w.shape[1],):
                raise ValueError(
                    f"b must have shape ({w.shape[1]},) to match W {w.shape}, got {bias.shape}"
                )
            self._params["b"] = bias
        self._grads: Params = {}
        self._xt: tuple[FloatArray, FloatArray] | None = None  # see _transposed
        self._nz: tuple[FloatArray, _Nonzero | None] | None = None  # see _nonzero
        self._x: FloatArray | None = None
        self._x_shape: tuple[int, ...] = ()

    @classmethod
    def random(
        cls,
        in_size: int,
        out_size: int,
        *,
        rng: np.random.Generator | int,
        weight_init_std: float = 0.01,
        bias: bool = True,
    ) -> Affine:
        """A layer with Gaussian weights scaled by ``weight_init_std`` and zero bias, as the book.

        Parameters
        ----------
        in_size, out_size : int
            Shape of ``W``.
        rng : numpy.random.Generator or int
            The source of randomness (an int is a seed).
        weight_init_std : float, default 0.01
        bias : bool, default True

        Returns
        -------
        Affine

        Raises
        ------
        TypeError
            If a size is not an int (``True`` is not), ``rng`` is not a generator or seed,
            or ``bias`` is not a bool.
        ValueError
            If a size is < 1 or ``weight_init_std`` is not a finite number > 0.

        Book section
        ------------
        4.5.1 (``weight_init_std * np.random.randn(...)``, zero bias)
        """
        check_positive_int(in_size, "in_size")
        check_positive_int(out_size, "out_size")
        check_positive(weight_init_std, "weight_init_std")
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be a bool, got {bias!r}")
        W = weight_init_std * as_generator(rng).standard_normal((in_size, out_size))
        return cls(W, np.zeros(out_size) if bias else None)

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
        self._xt = self._nz = None  # a new forward pass: x may have changed in place
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
            return np.empty(0)
        return (dout @ self._params["W"].T).reshape(self._x_shape)

    def param_backward(self, dout: FloatArray) -> None:
        """Fill ``grads`` only, skipping ``dL/dx`` (unused for a first layer, and its largest
        product); :class:`~tinynn.Sequential` calls this for its first layer."""
        self.backward(dout, input_grad=False)

    # -- structured numerical differentiation (see tinynn.perturbation) ------------
    def perturbation_groups(self, key: str, max_entries: int) -> Iterator[IntArray]:
        """Entries of ``params[key]`` (flat indices) that change one output column together.

        ``W[i, j]`` and ``b[j]`` change only column ``j`` of the output, so a group is (up
        to ``max_entries`` of) one column of ``W``, or one entry of ``b``.
        """
        if key == "b":
            for j in range(self._params["b"].size):
                yield np.array([j], dtype=np.intp)
            return
        n_in, n_out = self._params["W"].shape
        for j in range(n_out):
            for start in range(0, n_in, max_entries):
                yield np.arange(start, min(start + max_entries, n_in), dtype=np.intp) * n_out + j

    def perturb(
        self, key: str, entries: IntArray, steps: FloatArray, x: FloatArray, out: FloatArray
    ) -> Change:
        """The output when each of ``entries`` (one group) moves by each of ``steps`` (S, m).

        Moving ``W[i, j]`` by ``s`` adds ``s * x[:, i]`` to output column ``j``; moving
        ``b[j]`` adds ``s``. Rows are step-major: all entries at ``steps[0]``, then all at
        ``steps[1]``. When at most 40% of ``x`` is non-zero (``SPARSE_FRACTION``), the
        change is sparse: only the samples with ``x[n, i] != 0`` move, and the others
        keep their unperturbed output exactly, as in the book's loop.
        """
        n_out = out.shape[1]
        j = int(entries[0]) % n_out
        if key == "b":
            return ColumnChange(out, j, steps.reshape(-1, 1) + out[:, j])
        rows = entries // n_out
        xt = self._transposed(x)  # (n_in, N): row i is what W[i, j] multiplies
        run = bool(rows[-1] - rows[0] + 1 == len(rows))  # a run of rows, as grouped
        nonzero = self._nonzero(x) if run else None
        if nonzero is not None:  # only samples with x[n, i] != 0 see W[i, j] at all
            start, stop = int(rows[0]), int(rows[-1]) + 1
            lo, hi = int(nonzero.indptr[start]), int(nonzero.indptr[stop])
            local = nonzero.rows[lo:hi] - start
            samples = nonzero.samples[lo:hi]
            moved = np.take(steps, local, axis=1)  # (S, E): the step of each pair's entry
            moved *= nonzero.values[lo:hi]
            moved += np.take(out[:, j], samples)
            runs = nonzero.indptr[start:stop] - lo  # where each entry's pairs start
            signs, size = steps.shape[0], hi - lo
            offsets = np.append((np.arange(signs) * size)[:, np.newaxis] + runs, signs * size)
            pairs = Samples(offsets, np.tile(samples, signs))
            return ColumnChange(out, j, moved.reshape(-1), pairs)
        xi = xt[rows[0] : rows[-1] + 1] if run else xt[rows]
        values = (steps[:, :, np.newaxis] * xi).reshape(-1, xt.shape[1])
        values += out[:, j]
        return ColumnChange(out, j, values)

    def _transposed(self, x: FloatArray) -> FloatArray:
        """``x`` as a C-contiguous ``(n_in, N)`` array, made once per input array."""
        cached = self._xt
        if cached is not None and cached[0] is x:  # holds x: its id cannot be reused
            return cached[1]
        xt = np.ascontiguousarray(x.reshape(x.shape[0], -1).T)
        self._xt = (x, xt)
        return xt

    def _nonzero(self, x: FloatArray) -> _Nonzero | None:
        """Where ``x`` is not 0, by input row; ``None`` when that is most of it."""
        cached = self._nz
        if cached is not None and cached[0] is x:
            return cached[1]
        xt = self._transposed(x)
        rows, samples = np.nonzero(xt)  # row-major: sorted by input row, then sample
        found = None
        if rows.size <= SPARSE_FRACTION * xt.size:
            indptr = np.zeros(xt.shape[0] + 1, dtype=np.intp)
            np.cumsum(np.bincount(rows, minlength=xt.shape[0]), out=indptr[1:])
            found = _Nonzero(indptr, rows, samples, xt[rows, samples])
        self._nz = (x, found)
        return found

    def propagate(self, change: Change, x: FloatArray, out: FloatArray) -> Change:
        """Carry a change of the input to the output: a column becomes a rank-1 change."""
        W = self._params["W"]
        if isinstance(change, ColumnChange):
            return RankOneChange(out, change.values - change.unchanged(), W[change.column],
                                 change.samples)
        if isinstance(change, RankOneChange):
            return RankOneChange(out, change.d, change.w @ W, change.samples)
        v = change.values
        dense = (v.reshape(-1, W.shape[0]) @ W).reshape(v.shape[0], v.shape[1], -1)
        b = self._params.get("b")
        if b is not None:
            dense += b
        return DenseChange(dense)

    def forward_complex(self, x: ComplexArray, params: Mapping[str, ComplexArray]) -> ComplexArray:
        """``x @ W + b`` with complex ``params``, for :class:`~tinynn.ComplexStep`.

        A product and a sum: complex-analytic. Caches nothing, so
        ``backward`` still sees the last real ``forward``.
        """
        x2 = x.reshape(x.shape[0], -1) if x.ndim > 2 else x
        out: ComplexArray = x2 @ params["W"]
        return out + params["b"] if "b" in self._params else out

    def __repr__(self) -> str:
        n_in, n_out = self._params["W"].shape
        return f"Affine({n_in} -> {n_out}{'' if 'b' in self._params else ', no bias'})"
