"""The numerical gradient of a model: the book's central difference over every entry.

Book section
------------
4.4.2 (numerical gradient of a network)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar, cast

import numpy as np

from ...base import BindsLoss, Model
from ...calculus import DEFAULT_H, numerical_gradient
from ...typing import ArrayLike, Params
from ...utils.finite import check_params_finite
from ...utils.validation import check_positive, check_positive_int
from ..model import Stack, in_float64, loss_value, training
from .engine import default_workers, structured_gradient
from .rule_check import check_rule
from .rules import LAYER_RULES, LOSS_RULES, missing_rule

__all__ = ["NumericalDiff", "PerformanceWarning"]

R = TypeVar("R", bound=type)

class PerformanceWarning(UserWarning):
    """A computation takes a much slower path than it could, and says how to take the fast one.

    :class:`NumericalDiff` warns with it, once per layer class, when a model's layer has no
    rule for the structured path and the gradient falls back to the book's loop.

    Book section
    ------------
    4.4.2 (the gradient of a network: the loop makes two forward passes per weight)
    """


_warned: set[type] = set()


@dataclass(frozen=True)
class NumericalDiff:
    """Numerical gradient of a model's loss: the book's central difference over every entry.

    Parameters
    ----------
    h : float, default 1e-4
        The step.
    scheme : {'central', 'forward', 'backward'}, default 'central'
        ``(L(w+h) - L(w-h)) / 2h``, ``(L(w+h) - L(w)) / h`` or ``(L(w) - L(w-h)) / h``
        (book 4.3.1: the central difference has an error of order ``h**2``, the other
        two of order ``h``).
    method : {'auto', 'structured', 'loop'}, default 'auto'
        ``'loop'`` is the book's algorithm, for any model. ``'structured'`` evaluates the
        same differences from the rules of the model's layers (see :meth:`rule_for`),
        hundreds of times faster; it raises ``TypeError`` for a model with a layer without
        a rule. ``'auto'`` takes the structured path when it can, and otherwise the loop
        with a :class:`PerformanceWarning` naming the layer (see :meth:`fallback_reason`).
    workers : int, default 1
        Threads for the structured path. The result is the same, bit for bit, for any
        number. One is the default because more were slower where measured (the
        :doc:`/performance` page gives the figures): the work is many NumPy calls on
        arrays of some ten thousand numbers, and the threads spend their time handing
        the interpreter lock to each other. ``workers=None`` uses every core.
    progress : callable, optional
        Called as ``progress(done, total)`` with the number of parameter entries
        differentiated so far, while one gradient is computed (for a progress line
        during a slow gradient: the loop takes seconds for the book's network).

    Notes
    -----
    For every parameter array and every entry ``w`` of it, the loss is
    evaluated at ``w + h`` and ``w - h`` (in place; the entry is restored
    even if the loss raises):

    .. math:: \\frac{\\partial L}{\\partial w} \\approx \\frac{L(w + h) - L(w - h)}{2h}

    That is two forward passes per weight: about 80,000 for the book's
    784-50-10 network, which is why the book switches to backpropagation. The
    structured path (:mod:`tinynn.estimators.numerical`) computes the same two losses
    per weight without the full forward passes, from one rule per layer class, and
    agrees with the loop to about 1e-11. The rules of the built-in layers are in
    :attr:`rules` and :attr:`loss_rules`; yours are registered with :meth:`rule_for`.

    Book section
    ------------
    4.4.2 (gradient of a network), 4.5.1 (``TwoLayerNet.numerical_gradient``)

    Examples
    --------
    >>> from tinynn import SimpleNet
    >>> net = SimpleNet(rng=0)
    >>> grads = NumericalDiff().gradient(net, [0.6, 0.9], [0, 0, 1])
    >>> grads["W"].shape
    (2, 3)
    >>> loop = NumericalDiff(method="loop").gradient(net, [0.6, 0.9], [0, 0, 1])
    >>> bool(abs(grads["W"] - loop["W"]).max() < 1e-9)
    True
    >>> print(NumericalDiff().fallback_reason(net))
    None
    """

    h: float = DEFAULT_H
    scheme: Literal["central", "forward", "backward"] = "central"
    method: Literal["auto", "structured", "loop"] = "auto"
    workers: int | None = 1
    progress: Callable[[int, int], None] | None = None

    #: The structured path's layer rules by exact layer class (read-only; see :meth:`rule_for`).
    rules: ClassVar[Mapping[type, type]] = LAYER_RULES.view
    #: The structured path's loss rules by exact loss-layer class (:meth:`loss_rule_for`).
    loss_rules: ClassVar[Mapping[type, type]] = LOSS_RULES.view

    def __post_init__(self) -> None:
        check_positive(self.h, "h")
        if self.scheme not in ("central", "forward", "backward"):
            raise ValueError(
                f"scheme must be 'central', 'forward' or 'backward', got {self.scheme!r}"
            )
        if self.method not in ("auto", "structured", "loop"):
            raise ValueError(f"method must be 'auto', 'structured' or 'loop', got {self.method!r}")
        if self.workers is not None:
            check_positive_int(self.workers, "workers")

    def gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        """Return ``{name: dL/dparam}`` for every entry of ``model.params``.

        Warns
        -----
        PerformanceWarning
            Once per layer class, when ``method='auto'`` falls back to the loop because a
            layer has no rule.
        """
        with training(model):  # the training network, its dropout masks held
            # a float32 network: differentiated in float64 (see estimators.model.in_float64)
            return in_float64(model, lambda m: self._gradient(m, x, t))

    def _gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        if self.method != "loop":
            missing = missing_rule(model)
            if missing is None:
                stack = cast(Stack, model)
                xb, tb = stack.check_batch(x, t, purpose="the numerical gradient")
                workers = default_workers() if self.workers is None else self.workers
                return structured_gradient(
                    stack, xb, tb, self.h, scheme=self.scheme, workers=workers,
                    on_progress=self.progress,
                )  # fmt: skip
            reason, classes = missing
            if self.method == "structured":
                raise TypeError(
                    f"NumericalDiff(method='structured') cannot differentiate this model: "
                    f"{reason}. Register a rule (NumericalDiff.rule_for), or use method='loop' "
                    "(or 'auto'), which works for any model."
                )
            if classes and not _warned.issuperset(classes):
                _warned.update(classes)
                warnings.warn(_slow_down(self.scheme, model, reason, classes), PerformanceWarning,
                              stacklevel=5)  # fmt: skip  (gradient, in_float64, its lambda)
        return _loop(model, x, t, self.h, self.scheme, self.progress)

    def fallback_reason(self, model: Model) -> str | None:
        """Why :meth:`gradient` uses the book's loop for ``model``; ``None`` if it does not.

        Examples
        --------
        >>> import numpy as np
        >>> from tinynn import Affine, Sequential
        >>> class Square:
        ...     params, grads = {}, {}
        ...     def forward(self, x):
        ...         return x * x
        ...     def backward(self, dout):
        ...         raise NotImplementedError
        >>> net = Sequential([Affine(np.eye(2)), Square(), Affine(np.eye(2))])
        >>> NumericalDiff().fallback_reason(net)
        'layer 1 (Square) has no rule'
        >>> NumericalDiff(method="loop").fallback_reason(Sequential([Affine(np.eye(2))]))
        "method='loop' asks for the book's loop"
        """
        if self.method == "loop":
            return "method='loop' asks for the book's loop"
        missing = missing_rule(model)
        return None if missing is None else missing[0]

    @classmethod
    def rule_for(cls, layer_type: type, *, replace: bool = False) -> Callable[[R], R]:
        """Register the decorated class as the structured path's rule for ``layer_type``.

        The rule applies to layers whose class is exactly ``layer_type`` (a subclass, which
        may compute something else in ``forward``, needs its own). It is made once per
        gradient as ``rule(layer, x, out)`` and needs ``propagate(change)``, plus
        ``groups(key, max_entries)`` and ``perturb(key, entries, steps)`` for a layer with
        parameters; an element-wise layer's rule subclasses
        :class:`~tinynn.estimators.numerical.ElementwiseRule` and defines ``apply(values)``.
        See :doc:`/extending` for a worked example.

        Raises
        ------
        TypeError
            If ``layer_type`` is not a class, or the rule is not a class with ``propagate``.
        ValueError
            If ``layer_type`` has a rule already (``replace=True`` replaces it).

        Examples
        --------
        >>> from tinynn.estimators.numerical import ElementwiseRule
        >>> class Cube:
        ...     params, grads = {}, {}
        ...     def forward(self, x):
        ...         self.x = x
        ...         return x**3
        ...     def backward(self, dout):
        ...         return 3 * self.x**2 * dout
        >>> @NumericalDiff.rule_for(Cube)
        ... class CubeRule(ElementwiseRule):
        ...     def apply(self, values):
        ...         return values**3
        >>> NumericalDiff.rules[Cube] is CubeRule
        True
        """
        return LAYER_RULES.register(layer_type, replace=replace)

    @classmethod
    def loss_rule_for(cls, loss_type: type, *, replace: bool = False) -> Callable[[R], R]:
        """Register the decorated class as the structured path's rule for a loss layer.

        Made once per gradient as ``rule(layer, scores, t)``; it needs ``loss`` (the
        unperturbed loss) and ``losses(change)`` (see
        :class:`~tinynn.estimators.numerical.LossRule`). Raises as :meth:`rule_for`.
        """
        return LOSS_RULES.register(loss_type, replace=replace)

    @staticmethod
    def check_rule(
        layer: object, x: ArrayLike, t: ArrayLike | None = None, *,
        rng: np.random.Generator | int | None = 0,
    ) -> float:  # fmt: skip
        """Check the rule of ``type(layer)`` against the layer itself, on a small input ``x``.

        The book's loop on a small input: a few perturbed versions of ``x`` (a changed
        column, a rank-1 change, sparse ones if the rule takes them, a change of every
        value), each through the rule's ``propagate`` and through ``layer.forward``; for a
        layer with parameters, a few entries moved by ``perturb`` and moved in place for
        ``forward`` (and restored). With targets ``t``, the loss rule: ``loss`` and
        ``losses`` against ``layer.forward(scores, t)``. A few dozen forward passes of the
        layer, on a copy: its caches and state (``state_dict``) are left as they were.
        :meth:`gradient` runs this check itself the first time it uses a rule in a process,
        on a few samples of the layer's input in that gradient.

        Parameters
        ----------
        layer : Layer or LossLayer
        x : array_like
            An input as the layer takes it in a network, ``(N, ...)``; for a loss layer,
            its scores.
        t : array_like, optional
            Targets, to check a loss layer's rule.
        rng : Generator or int, default 0
            Where the perturbations come from.

        Returns
        -------
        float
            The largest disagreement, relative to the change the layer's forward made;
            at most :data:`~tinynn.estimators.rule_check.RULE_TOLERANCE`.

        Raises
        ------
        RuleError
            If the rule disagrees with the layer, or returns the wrong kind or shape: the
            message names the rule, the layer and what differed by how much.
        TypeError
            If ``type(layer)`` has no rule (of the kind ``t`` asks for).
        """
        return check_rule(layer, x, t, rng=rng)


def _slow_down(scheme: str, model: Model, reason: str, classes: list[type]) -> str:
    """The warning: which layers, how slow, and how to register a rule."""
    entries = sum(int(p.size) for p in model.params.values())
    passes = 2 * entries if scheme == "central" else entries + 1
    stack = cast(Stack, model)
    how = [
        f"@NumericalDiff.{'loss_rule_for' if c is type(stack.loss_layer) else 'rule_for'}"
        f"({c.__name__})"
        for c in classes
    ]
    return (
        f"NumericalDiff uses the book's loop for this {type(model).__name__}: {reason}. "
        f"The loop runs the network forward {passes:,} times per gradient (twice per "
        "parameter entry); the structured path is hundreds of times faster on the book's "
        "784-50-10 network (the performance page of the documentation gives the figures). "
        f"To take it, register a rule with {', '.join(how)} "
        "(an element-wise layer needs one method: subclass "
        "tinynn.estimators.numerical.ElementwiseRule and define apply(values)); see "
        "'Extending tinynn' in the documentation (docs/extending.rst). "
        "NumericalDiff(method='loop') takes the loop without this warning."
    )


def _loop(
    model: Model, x: ArrayLike, t: ArrayLike, h: float, scheme: Any,
    progress: Callable[[int, int], None] | None,
) -> Params:  # fmt: skip
    """The book's algorithm: perturb each entry in place, evaluate, restore."""
    check_params_finite("the numerical gradient", model.params)  # named, not "x"
    bound: Callable[[], float]
    if isinstance(model, BindsLoss):
        bound = model.bind_loss(x, t)  # checks x and t once, not per evaluation
    else:
        loss_value(model, model.loss(x, t))  # fail early, before thousands of evaluations

        def bound() -> float:
            return model.loss(x, t)

    total = sum(p.size for p in model.params.values())
    per_entry = 2 if scheme == "central" else 1
    calls = 0

    def loss(_: object) -> float:
        nonlocal calls
        calls += 1
        if progress is not None and calls % (1000 * per_entry) == 0:
            progress(min(calls // per_entry, total), total)
        return loss_value(model, bound())

    grads = {
        name: numerical_gradient(loss, p, h, scheme=scheme) for name, p in model.params.items()
    }
    if progress is not None:
        progress(total, total)
    return grads
