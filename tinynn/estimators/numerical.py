"""The numerical gradient of a model: the book's central difference over every entry.

Book section
------------
4.4.2 (numerical gradient of a network)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

from .._finite import check_params_finite
from .._validation import check_positive, check_positive_int
from ..base import BindsLoss, Model
from ..calculus import DEFAULT_H, numerical_gradient
from ..perturbation import default_workers, structured_gradient, unsupported_layer
from ..typing import ArrayLike, Params

__all__ = ["NumericalDiff"]


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
        ``'loop'`` is the book's algorithm, for any model. ``'structured'`` evaluates
        the same differences from the layers' declarations (see
        :mod:`tinynn.perturbation`), hundreds of times faster; it raises
        ``TypeError`` for a model whose layers do not declare them. ``'auto'`` takes
        the structured path when it can and the loop otherwise.
    workers : int, default 1
        Threads for the structured path. The result is the same, bit for bit, for any
        number. One is the default because more were slower where measured (2 cores:
        0.069 s against 0.041 s per gradient of the book's network on MNIST): the work
        is many NumPy calls on arrays of some ten thousand numbers, and the threads
        spend their time handing the interpreter lock to each other. ``workers=None``
        uses every core.
    progress : callable, optional
        Called as ``progress(done, total)`` with the number of parameter entries
        differentiated so far, while one gradient is computed (for a progress line
        during a slow gradient: the loop takes about 16 s for the book's network).

    Notes
    -----
    For every parameter array and every entry ``w`` of it, the loss is
    evaluated at ``w + h`` and ``w - h`` (in place; the entry is restored
    even if the loss raises):

    .. math:: \\frac{\\partial L}{\\partial w} \\approx \\frac{L(w + h) - L(w - h)}{2h}

    That is two forward passes per weight: about 80,000 for the book's
    784-50-10 network, which is why the book switches to backpropagation. The
    structured path computes the same two losses per weight without the full
    forward passes, and agrees with the loop to about 1e-11.

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
    """

    h: float = DEFAULT_H
    scheme: Literal["central", "forward", "backward"] = "central"
    method: Literal["auto", "structured", "loop"] = "auto"
    workers: int | None = 1
    progress: Callable[[int, int], None] | None = None

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
        """Return ``{name: dL/dparam}`` for every entry of ``model.params``."""
        if self.method != "loop":
            why = unsupported_layer(model)
            if why is None:
                stack = cast(Any, model)
                xb, tb = stack.check_batch(x, t)
                workers = default_workers() if self.workers is None else self.workers
                return structured_gradient(
                    stack, xb, tb, self.h, scheme=self.scheme, workers=workers,
                    on_progress=self.progress,
                )  # fmt: skip
            if self.method == "structured":
                raise TypeError(
                    f"NumericalDiff(method='structured') cannot differentiate this model: "
                    f"{why}. Use method='loop' (or 'auto'), which works for any model."
                )
        return self._loop(model, x, t)

    def _loop(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
        """The book's algorithm: perturb each entry in place, evaluate, restore."""
        check_params_finite("the numerical gradient", model.params)  # named, not "x"
        bound: Callable[[], float]
        if isinstance(model, BindsLoss):
            bound = model.bind_loss(x, t)  # checks x and t once, not per evaluation
        else:
            model.loss(x, t)  # fail early, before thousands of evaluations

            def bound() -> float:
                return model.loss(x, t)

        total = sum(p.size for p in model.params.values())
        per_entry = 2 if self.scheme == "central" else 1
        calls = 0
        progress = self.progress

        def loss(_: object) -> float:
            nonlocal calls
            calls += 1
            if progress is not None and calls % (1000 * per_entry) == 0:
                progress(min(calls // per_entry, total), total)
            return bound()

        grads = {
            name: numerical_gradient(loss, p, self.h, scheme=self.scheme)
            for name, p in model.params.items()
        }
        if progress is not None:
            progress(total, total)
        return grads
