"""Dropout: drop hidden units at random while training.

Book section
------------
6.4.3 (Dropout)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..typing import FloatArray, Params
from ..utils.generators import check_generator_state, generator_state
from ..utils.validation import as_generator, check_fraction

__all__ = ["Dropout"]


class Dropout:
    """Dropout layer: in training, each unit is dropped with probability ``dropout_ratio``.

    Parameters
    ----------
    dropout_ratio : float, default 0.5
        The probability of dropping a unit, in ``[0, 1)``.
    rng : numpy.random.Generator or int, optional
        Where the masks come from (keyword only). Its state is the layer's state
        (``state_dict``), saved in checkpoints and model files.

    Notes
    -----
    In training (``train_flg=True``) a new mask :math:`m` is drawn at every forward
    pass, :math:`m_i = 1` with probability :math:`1 - r`; in evaluation every unit
    is kept and scaled by the probability of keeping it, as the book does:

    .. math::
        y = x \\odot m \\ \\text{(training)}, \\qquad y = (1 - r)\\, x
        \\ \\text{(evaluation)}, \\qquad
        \\frac{\\partial L}{\\partial x} = \\frac{\\partial L}{\\partial y} \\odot m
        \\ \\text{(training)}, \\qquad
        \\frac{\\partial L}{\\partial x} = (1 - r) \\frac{\\partial L}{\\partial y}
        \\ \\text{(evaluation)}

    The book draws the mask with ``np.random.rand(*x.shape) > dropout_ratio``;
    here it comes from the layer's own generator, the same way.
    :class:`~tinynn.Sequential` calls ``forward(x, train_flg)`` with the model's
    mode, and holds the mask fixed within one gradient estimate. ``backward`` is the
    derivative of the last ``forward``, in its mode: after an evaluation forward it
    scales by :math:`1 - r` (``mask`` is then ``None``: nothing was dropped), never by
    an earlier training batch's mask.

    Book section
    ------------
    6.4.3 (Dropout)

    Examples
    --------
    >>> layer = Dropout(0.5, rng=0)
    >>> layer.forward(np.ones((1, 6)))
    array([[1., 0., 0., 0., 1., 1.]])
    >>> layer.backward(np.full((1, 6), 2.0))
    array([[2., 0., 0., 0., 2., 2.]])
    >>> layer.forward(np.ones((1, 3)), train_flg=False)
    array([[0.5, 0.5, 0.5]])
    """

    def __init__(
        self, dropout_ratio: float = 0.5, *, rng: np.random.Generator | int | None = None
    ) -> None:
        check_fraction(dropout_ratio, "dropout_ratio")
        self.dropout_ratio = float(dropout_ratio)
        self.rng = as_generator(rng)
        #: The mask of the last forward pass in training; ``None`` after an evaluation one.
        self.mask: NDArray[np.bool_] | None = None
        self._forwarded = False  # whether backward has a forward pass to differentiate
        self._empty: Params = {}

    @property
    def params(self) -> Params:
        """Always empty: dropout has no parameters."""
        return self._empty

    @property
    def grads(self) -> Params:
        """Always empty: dropout has no parameters."""
        return self._empty

    def forward(self, x: FloatArray, train_flg: bool = True) -> FloatArray:
        """``x * mask`` with a new mask in training; ``x * (1 - dropout_ratio)`` otherwise."""
        self._forwarded = True
        if train_flg:
            self.mask = self.rng.random(x.shape) > self.dropout_ratio
            return x * self.mask
        self.mask = None
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout: FloatArray) -> FloatArray:
        """``dout * mask`` after a training forward (no gradient through a dropped unit);
        ``dout * (1 - dropout_ratio)`` after an evaluation one."""
        if not self._forwarded:
            raise RuntimeError("Dropout.backward called before forward")
        if self.mask is None:
            return dout * (1.0 - self.dropout_ratio)
        return dout * self.mask

    def state_dict(self) -> dict[str, Any]:
        """``{"rng": state}``: the generator's state, which decides the next masks."""
        return {"rng": generator_state(self.rng)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``; a state that does not fit changes nothing."""
        if not isinstance(state, Mapping) or set(state) != {"rng"}:
            raise ValueError(f"a Dropout state is {{'rng': ...}}, got {state!r:.80}")
        check_generator_state(self.rng, state["rng"], "Dropout state")
        self.rng.bit_generator.state = dict(state["rng"])

    def __repr__(self) -> str:
        return f"Dropout(dropout_ratio={self.dropout_ratio!r})"
