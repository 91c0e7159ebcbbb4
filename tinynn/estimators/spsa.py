"""Simultaneous perturbation (SPSA): a gradient from two loss evaluations, however many weights.

Book section
------------
4.4.2 (gradient of a network), 4.5.2 (step 2 of learning: compute the gradient)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..base import Model, Stateful
from ..typing import ArrayLike, Params
from ..utils.finite import check_params_finite
from ..utils.generators import generator_state, restore_generator_state
from ..utils.validation import as_generator, check_positive, check_positive_int
from .model import in_float64, loss_value, training

__all__ = ["SPSA"]


@dataclass(frozen=True)
class SPSA:
    """Gradient estimate by simultaneous perturbation of every weight at once.

    Parameters
    ----------
    c : float, default 1e-4
        The perturbation size: every weight moves by :math:`\\pm c`.
    k : int, default 1
        Number of random directions averaged: :math:`2k` loss evaluations.
    rng : numpy.random.Generator or int, optional
        Source of the directions (keyword only). The same seed gives the
        same estimates; a ``Generator`` is drawn from, so successive calls
        give new directions. Its state is the estimator's state (``state_dict``),
        saved in checkpoints, so that a resumed run draws the same directions.

    Notes
    -----
    Draw a direction :math:`\\Delta` with independent entries :math:`\\pm 1`
    (Rademacher), one for *all* parameters together, evaluate the loss on
    both sides, and spread the slope along :math:`\\Delta`:

    .. math::
        \\hat g = \\frac{L(w + c\\Delta) - L(w - c\\Delta)}{2c}\\,\\Delta,
        \\qquad \\mathbb{E}[\\hat g] = \\nabla L + O(c^2)

    (unbiased because :math:`\\mathbb{E}[\\Delta_i \\Delta_j] = 0` for
    :math:`i \\ne j` and :math:`\\Delta_i^2 = 1`; exactly so for a quadratic
    loss). With ``k`` directions the estimates are averaged.

    When it helps: the cost is :math:`2k` loss evaluations *whatever the
    number of parameters* :math:`n` - the central difference of
    :class:`~tinynn.NumericalDiff` needs :math:`2n` (about 80,000 for the
    book's network) - and it needs nothing but the loss: no ``backward``, no
    analytic layers. So it fits huge models and black-box losses (a
    simulator, a non-differentiable pipeline, hardware in the loop).

    What it costs: noise. Each entry of :math:`\\hat g` carries the other
    entries' gradient, :math:`\\hat g_i = g_i + \\sum_{j \\ne i} g_j
    \\Delta_i \\Delta_j`, so its variance is
    :math:`\\sum_{j \\ne i} g_j^2 / k \\approx \\lVert g \\rVert^2 / k`: the
    estimate's squared length is about :math:`n / k` times the gradient's.
    Training takes a learning rate about :math:`k / n` times smaller, and
    correspondingly many more (cheap) steps.

    Reference: J. C. Spall, "Multivariate stochastic approximation using a
    simultaneous perturbation gradient approximation", IEEE Trans. Automat.
    Control 37 (1992).

    Book section
    ------------
    4.4.2 (gradient of a network), 4.5.2 (step 2 of learning: compute the gradient)

    Examples
    --------
    >>> from tinynn import TwoLayerNet
    >>> net = TwoLayerNet(3, 4, 2, rng=0)
    >>> x, t = np.ones((2, 3)), np.array([0, 1])
    >>> a = SPSA(k=4, rng=7).gradient(net, x, t)
    >>> b = SPSA(k=4, rng=7).gradient(net, x, t)
    >>> all(np.array_equal(a[name], b[name]) for name in net.params)
    True
    >>> {name: g.shape for name, g in a.items()}
    {'W1': (3, 4), 'b1': (4,), 'W2': (4, 2), 'b2': (2,)}
    """

    c: float = 1e-4
    k: int = 1
    rng: np.random.Generator | int | None = field(default=None, kw_only=True, compare=False)
    _gen: np.random.Generator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_positive(self.c, "c")
        check_positive_int(self.k, "k")
        object.__setattr__(self, "_gen", as_generator(self.rng))

    def state_dict(self) -> dict[str, Any]:
        """``{"rng": state}``: the generator's state, which decides the next directions."""
        return {"rng": generator_state(self._gen)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``; a state that does not fit changes nothing."""
        if not isinstance(state, Mapping) or set(state) != {"rng"}:
            raise ValueError(f"an SPSA state is {{'rng': ...}}, got {state!r:.80}")
        restore_generator_state(self._gen, state["rng"], "SPSA state")

    def _direction(self, params: Params) -> Params:
        """A Rademacher direction: independent ``+1.0`` / ``-1.0`` entries, keyed as ``params``."""
        return {name: self._gen.choice((-1.0, 1.0), size=p.shape) for name, p in params.items()}

    def gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        """Average of ``k`` simultaneous-perturbation estimates: ``2k`` loss evaluations.

        The parameters are changed in place for the two evaluations and
        restored from copies afterwards, bit for bit, even if the loss raises.
        The loss is ``model.loss(x, t)``, called exactly ``2k`` times (binding
        it first, as :class:`~tinynn.NumericalDiff` does, would cost a third
        forward pass).
        """
        with training(model):  # the training network, its dropout masks held
            return in_float64(model, lambda m: self._estimate(m, x, t))  # float32: in float64

    def _estimate(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        params = model.params
        # an infinite weight stays infinite at w +- c: its estimate would be silently 0
        check_params_finite("the SPSA gradient", params)
        if isinstance(model, Stateful) and model.state_dict():
            # layers with state (running statistics) take it from the unperturbed network
            loss_value(model, model.loss(x, t))
        grads: Params = {name: np.zeros_like(p) for name, p in params.items()}
        saved = {name: p.copy() for name, p in params.items()}
        for _ in range(self.k):
            delta = self._direction(params)
            try:
                for name, p in params.items():
                    p += self.c * delta[name]
                plus = loss_value(model, model.loss(x, t))
                for name, p in params.items():
                    np.subtract(saved[name], self.c * delta[name], out=p)
                minus = loss_value(model, model.loss(x, t))
            finally:
                for name, p in params.items():
                    p[...] = saved[name]
            slope = (plus - minus) / (2 * self.c)
            for name, g in grads.items():
                g += slope * delta[name]
        for g in grads.values():
            g /= self.k
        return grads
