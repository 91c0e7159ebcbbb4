"""The complex step's rules, checked against their layers: value and derivative.

A complex-step rule must do two things right: at real input and parameters, give what the
layer's ``forward`` gives (its real part; its imaginary part 0), and carry an imaginary
step through, so that ``Im rule(x + ihv) / h`` is the layer's derivative along ``v``. The
check compares the first with ``forward`` and the second with a central difference of
``forward`` (``(f(x + dv) - f(x - dv)) / 2`` at two steps, extrapolated, for a direction
of the input and of each parameter), on the layer's own input: a few forward passes of one
layer, on a copy of it (:class:`~tinynn.estimators.rule_check.LayerProbe`).

:class:`~tinynn.ComplexStep` runs it the first time a rule is used in a process
(:func:`check_new_rules`) and checks the shape of every rule's result at every call
(:func:`checked_output`); :meth:`~tinynn.ComplexStep.check_rule` runs it by hand.

Book section
------------
4.4.2 (the gradient of a network, here by the complex step: a rule must mirror its layer)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...typing import ArrayLike, ComplexArray, FloatArray
from ...utils.validation import as_generator, describe_value
from ..rule_check import (
    LayerProbe,
    Subject,
    as_check_input,
    as_check_targets,
    check_unchecked_rules,
    find_rule,
    finite,
    not_finite,
    step_size,
    unperturbed,
)
from .rules import LAYER_RULES, LOSS_RULES

__all__ = [
    "check_complex_loss_rule",
    "check_complex_rule",
    "check_new_rules",
    "check_rule",
    "checked_loss",
    "checked_output",
]

#: The central differences' step, relative to the largest input (or parameter) value:
#: extrapolated from ``STEP`` and ``STEP / 2``, they are good to about 1e-11 of the change.
STEP = 1e-4
#: The smallest change a derivative is measured against, relative to the largest output.
FLOOR = 1e-5
#: What a value at real input is measured against, relative to the largest output.
VALUE_FLOOR = 1e-4
#: The imaginary step of the check (``ComplexStep``'s default).
H = 1e-20

_DROPPED = " Its imaginary part is 0: does it drop it, with .real, abs or float()?"


def checked_output(value: object, subject: Subject, shape: tuple[int, ...]) -> ComplexArray:
    """``value`` if it is an array of the layer's output ``shape``, else a
    :class:`~tinynn.RuleError` naming the rule and the layer."""
    if isinstance(value, np.ndarray) and value.shape == shape and value.dtype.kind in "fc":
        return value
    raise subject.returned(
        None, f"{describe_value(value)}; expected an array of shape {shape}, the "
        "shape of the layer's output"
    )  # fmt: skip


def checked_loss(value: object, subject: Subject) -> complex:
    """``value`` as a complex number if it is one number, else a :class:`~tinynn.RuleError`."""
    if isinstance(value, (int, float, complex, np.number)):
        return complex(value)
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "fiuc":
        return complex(value.item())
    raise subject.returned(
        None, f"{describe_value(value)}; expected one (complex) number, the loss"
    )


def check_complex_rule(
    layer: object, x: FloatArray, rule: Any, *, rng: np.random.Generator,
    where: str | None = None,
) -> float | None:  # fmt: skip
    """Check ``rule``, a complex-step layer rule, against ``layer``'s forward on input ``x``.

    Returns
    -------
    float or None
        The largest disagreement found, relative to the change the layer made (at most
        :data:`~tinynn.estimators.rule_check.RULE_TOLERANCE`); ``None`` if the layer's
        output for ``x`` is not finite.

    Raises
    ------
    RuleError
        Naming the rule, the layer, what disagreed and by how much.
    """
    subject = Subject(rule, layer, "ComplexStep", "rule_for", where)
    with LayerProbe(layer) as probe, np.errstate(over="ignore", invalid="ignore"):
        out = unperturbed(probe, x, subject)
        if not finite(x, out):
            return None
        copy = probe.layer
        params = {key: p.astype(np.complex128) for key, p in copy.params.items()}
        xc = x.astype(np.complex128)
        value = checked_output(rule(copy, xc, params), subject, out.shape)
        worst = subject.check("at real input, its value is", value, out, out, VALUE_FLOOR)
        v = rng.uniform(-1, 1, x.shape)
        delta = step_size(x, STEP)
        z = checked_output(rule(copy, xc + 1j * H * v, params), subject, out.shape)
        change = _change(lambda s: probe.forward(x + s * v), delta)
        worst = max(worst, _derivative(subject, "the input", out, z, delta, change))
        for key, p in copy.params.items():
            u = rng.uniform(-1, 1, p.shape)
            delta = step_size(p, STEP)
            moved = {**params, key: params[key] + 1j * H * u}
            z = checked_output(rule(copy, xc, moved), subject, out.shape)
            saved = p.copy()

            def moved_by(s: float, p: FloatArray = p, saved: FloatArray = saved,
                         u: FloatArray = u) -> FloatArray:  # fmt: skip
                try:  # the layer's own parameters, moved in place and restored
                    p[...] = saved + s * u
                    return probe.forward(x)
                finally:
                    p[...] = saved

            worst = max(worst, _derivative(subject, key, out, z, delta, _change(moved_by, delta)))
    return worst


def _change(f: Callable[[float], Any], delta: float) -> Any:
    """``delta * f'(0)`` from central differences, extrapolated (Richardson): ``f`` four
    times, an error of order ``delta**5``."""
    whole = (f(delta) - f(-delta)) / 2
    half = f(delta / 2) - f(-delta / 2)
    return (4 * half - whole) / 3


def _derivative(
    subject: Subject, along: str, out: NDArray[Any] | float, z: Any, delta: float,
    change: NDArray[Any] | float,
) -> float:  # fmt: skip
    """The rule's derivative (``Im z / h``) times ``delta`` against the layer's ``change``."""
    got = out + delta * (np.imag(z) / H)
    hint = _DROPPED if not np.any(np.imag(z)) else ""
    what = (f"along a direction of {along}, its derivative (imaginary part over h) times a "
            f"step of {delta:.2g} is")  # fmt: skip
    return subject.check(what, got, out + change, out, FLOOR, hint)


def check_complex_loss_rule(
    layer: object, x: FloatArray, t: NDArray[Any], rule: Any, *, rng: np.random.Generator,
    where: str | None = None,
) -> float | None:  # fmt: skip
    """Check ``rule``, a complex-step loss rule, against ``layer.forward(x, t)``.

    Returns and raises as :func:`check_complex_rule`.
    """
    subject = Subject(rule, layer, "ComplexStep", "loss_rule_for", where)
    with LayerProbe(layer) as probe, np.errstate(over="ignore", invalid="ignore"):
        loss = probe.loss(x, t)
        if not finite(x, loss):
            return None
        copy = probe.layer
        xc = x.astype(np.complex128)
        value = checked_loss(rule(copy, xc, t), subject)
        worst = subject.check("at real scores, its loss is", np.asarray(value), np.asarray(loss),
                              loss, VALUE_FLOOR)  # fmt: skip
        v = rng.uniform(-1, 1, x.shape)
        delta = step_size(x, STEP)
        z = checked_loss(rule(copy, xc + 1j * H * v, t), subject)
        change = _change(lambda s: probe.loss(x + s * v, t), delta)
        return max(worst, _derivative(subject, "the scores", loss, z, delta, change))


def check_new_rules(
    layers: Sequence[object], acts: Sequence[FloatArray], loss_layer: object, t: NDArray[Any]
) -> None:
    """Check every rule of ``layers`` and ``loss_layer`` not yet checked in this process, on
    its layer's input in this gradient (``acts``, the real forward pass's activations; a few
    of its samples, :func:`~tinynn.estimators.rule_check.few_samples`)."""
    tables, checks = (LAYER_RULES, LOSS_RULES), (check_complex_rule, check_complex_loss_rule)
    check_unchecked_rules(tables, checks, layers, acts, loss_layer, t, lambda i: f"layers[{i}]")


def check_rule(
    layer: object, x: ArrayLike, t: ArrayLike | None = None, *,
    rng: np.random.Generator | int | None = 0,
) -> float:  # fmt: skip
    """:meth:`tinynn.ComplexStep.check_rule`: the rule of ``type(layer)`` against the layer."""
    rules: Mapping[type, Any] = LAYER_RULES.view
    rule = find_rule(layer, t, rules, LOSS_RULES.view, "ComplexStep")
    xa, generator = as_check_input(x), as_generator(rng)
    if t is not None:
        worst = check_complex_loss_rule(layer, xa, as_check_targets(t, xa), rule, rng=generator)
    else:
        worst = check_complex_rule(layer, xa, rule, rng=generator)
    if worst is None:
        raise not_finite(layer)
    return worst
