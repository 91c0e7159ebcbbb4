"""The gradient of a model by the complex step: exact to machine precision, no subtraction.

Book section
------------
4.4.2 (gradient of a network), 5.7.3 (a reference for the gradient check)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import numpy as np

from ...base import Model
from ...typing import ArrayLike, Params
from ...utils.validation import check_positive
from ..model import in_float64, training
from .interpreter import bind_complex_loss
from .rule_check import check_rule
from .rules import LAYER_RULES, LOSS_RULES

__all__ = ["COMPLEX_STEP_H", "ComplexStep"]

R = TypeVar("R")

#: The default step: far below any rounding error, far above float64's smallest number.
COMPLEX_STEP_H = 1e-20


@dataclass(frozen=True)
class ComplexStep:
    """Gradient of a model's loss by the complex step, one loss evaluation per entry.

    Parameters
    ----------
    h : float, default 1e-20
        The imaginary step. Any value from about 1e-300 to 1e-8 gives the
        same digits; 1e-20 is the usual choice.

    Raises
    ------
    TypeError
        From :meth:`gradient`, before anything is computed, if the model is
        not a stack of layers (such as :class:`~tinynn.Sequential`), or a layer
        has no rule (see :meth:`rule_for`), such as :class:`~tinynn.Relu`.

    Notes
    -----
    For a loss :math:`L` that is analytic in the weight :math:`w`, a Taylor
    step in the imaginary direction gives

    .. math::
        L(w + ih) = L(w) + ih\\,L'(w) - \\tfrac{h^2}{2} L''(w) + O(h^3)
        \\quad\\Rightarrow\\quad
        \\frac{\\partial L}{\\partial w} = \\frac{\\operatorname{Im} L(w + ih)}{h} + O(h^2)

    Nothing is subtracted, so there is no cancellation: the rounding error
    that forces the book's :math:`h = 10^{-4}` (section 4.3.1) is gone, and
    with :math:`h = 10^{-20}` the truncation error :math:`h^2` is far below
    float64's precision. The result agrees with backpropagation to about
    1e-15 (relative), where the central difference gives about 1e-10. (Both
    lose digits, to about 1e-16 absolute, where the loss is tiny: a
    confident right answer makes :math:`y_t - 1` a cancellation in either.)

    Which layers: those with a rule in :attr:`rules` (the layer at complex
    input and parameters, :mod:`tinynn.estimators.complex_step`):
    :class:`~tinynn.Affine` (products and sums) and :class:`~tinynn.Sigmoid`
    (``exp`` and a division), and the loss layer
    :class:`~tinynn.SoftmaxWithLoss` in :attr:`loss_rules` (``exp``, a
    division, and ``log(y + delta)``, with the overflow shift taken from the
    real parts). Why not :class:`~tinynn.Relu`: ``max(0, x)`` has a kink at 0
    and is not complex-analytic, and neither is anything that compares
    values (``max``, ``abs``, ``x > 0``) - on complex numbers such code would
    run, and return a wrong derivative. A layer of your own opts in with
    :meth:`rule_for` (see :doc:`/extending`).

    Each parameter entry costs one forward pass (the central difference
    costs two), in complex arithmetic: as slow as
    :class:`~tinynn.NumericalDiff` and as exact as
    :class:`~tinynn.Backprop`, which makes it a strict reference for a
    gradient check. The model's parameters are never changed: the estimator
    perturbs complex copies and passes them to the layers' rules.

    References: J. N. Lyness and C. B. Moler, "Numerical differentiation of
    analytic functions", SIAM J. Numer. Anal. 4 (1967); W. Squire and
    G. Trapp, "Using complex variables to estimate derivatives of real
    functions", SIAM Review 40 (1998).

    Book section
    ------------
    4.4.2 (gradient of a network), 5.7.3 (a reference for the gradient check)

    Examples
    --------
    >>> from tinynn import Backprop, TwoLayerNet
    >>> net = TwoLayerNet(3, 4, 2, weight_init_std=0.5, rng=0)
    >>> net.loss_layer.delta = 0.0   # the loss backpropagation differentiates
    >>> x, t = np.ones((2, 3)), np.array([0, 1])
    >>> grads = ComplexStep().gradient(net, x, t)
    >>> exact = Backprop().gradient(net, x, t)
    >>> max(float(np.max(np.abs(grads[k] - exact[k]))) for k in grads) < 1e-15
    True
    """

    h: float = COMPLEX_STEP_H

    #: The layer rules by exact layer class (read-only; see :meth:`rule_for`).
    rules: ClassVar[Mapping[type, Callable[..., object]]] = LAYER_RULES.view
    #: The loss rules by exact loss-layer class (see :meth:`loss_rule_for`).
    loss_rules: ClassVar[Mapping[type, Callable[..., object]]] = LOSS_RULES.view

    def __post_init__(self) -> None:
        check_positive(self.h, "h")

    def gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        """Return ``{name: Im L(param + ih e_j) / h}`` for every entry of ``model.params``."""
        with training(model):  # the training network: a real pass, whose masks the rules use
            return in_float64(model, lambda m: self._gradient(m, x, t))  # float32: in float64

    def _gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        loss = bind_complex_loss(model, x, t)  # checks every layer first, then x and t
        step = 1j * self.h
        # complex copies: the model's own parameters are never written to
        params = {name: p.astype(np.complex128) for name, p in model.params.items()}
        grads: Params = {}
        for name, p in params.items():
            g = np.empty(p.shape, dtype=np.float64)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + step
                try:
                    g[idx] = loss(params).imag / self.h
                finally:
                    p[idx] = old
            grads[name] = g
        return grads

    @classmethod
    def rule_for(cls, layer_type: type, *, replace: bool = False) -> Callable[[R], R]:
        """Register the decorated function as the complex step's rule for ``layer_type``.

        ``rule(layer, x, params)`` returns the layer's output for complex ``x`` with the
        complex ``params`` (keyed as ``layer.params``); it must be complex-analytic (no
        ``max``, ``abs`` or comparisons) and cache nothing. It applies to layers whose
        class is exactly ``layer_type``. See :doc:`/extending` for a worked example.

        Raises
        ------
        TypeError
            If ``layer_type`` is not a class, or the rule is not a function.
        ValueError
            If ``layer_type`` has a rule already (``replace=True`` replaces it).

        Examples
        --------
        >>> class Square:
        ...     params, grads = {}, {}
        ...     def forward(self, x):
        ...         self.x = x
        ...         return x * x
        ...     def backward(self, dout):
        ...         return 2 * self.x * dout
        >>> @ComplexStep.rule_for(Square)
        ... def square_complex(layer, x, params):
        ...     return x * x
        >>> ComplexStep.rules[Square] is square_complex
        True
        """
        return LAYER_RULES.register(layer_type, replace=replace)

    @classmethod
    def loss_rule_for(cls, loss_type: type, *, replace: bool = False) -> Callable[[R], R]:
        """Register the decorated function, ``rule(layer, x, t) -> complex``, as a loss rule.

        The loss of complex scores ``x`` against checked targets ``t``, complex-analytic,
        caching nothing. Raises as :meth:`rule_for`.
        """
        return LOSS_RULES.register(loss_type, replace=replace)

    @staticmethod
    def check_rule(
        layer: object, x: ArrayLike, t: ArrayLike | None = None, *,
        rng: np.random.Generator | int | None = 0,
    ) -> float:  # fmt: skip
        """Check the complex-step rule of ``type(layer)`` against the layer, on a small input.

        Two things: at real input ``x`` and the layer's parameters, the rule's value must
        be ``layer.forward(x)`` (imaginary part 0); and its imaginary part over ``h``, for
        an imaginary step along a random direction of the input and of each parameter,
        must be the layer's derivative along it, as a central difference of
        ``layer.forward`` gives it. With targets ``t``, the loss rule against
        ``layer.forward(scores, t)``. A few forward passes of the layer, on a copy: its
        caches and state are left as they were. :meth:`gradient` runs this check itself
        the first time it uses a rule in a process, on a few samples of the layer's input
        in that gradient.

        Parameters
        ----------
        layer : Layer or LossLayer
        x : array_like
            An input as the layer takes it in a network, ``(N, ...)``; for a loss layer,
            its scores.
        t : array_like, optional
            Targets, to check a loss layer's rule.
        rng : Generator or int, default 0
            Where the directions come from.

        Returns
        -------
        float
            The largest disagreement, relative to the change the layer's forward made;
            at most :data:`~tinynn.estimators.rule_check.RULE_TOLERANCE`.

        Raises
        ------
        RuleError
            If the rule disagrees with the layer, or returns the wrong shape.
        TypeError
            If ``type(layer)`` has no rule (of the kind ``t`` asks for).
        """
        return check_rule(layer, x, t, rng=rng)
