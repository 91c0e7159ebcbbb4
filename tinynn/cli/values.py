"""One option of a run, declared once: its default, its flag's help, how its text is read and
how its value is checked.

A field of :class:`~tinynn.cli.options.RunOptions` is declared with :func:`option`, which
keeps an :class:`OptionSpec` in the field's metadata. :class:`RunOptions` checks every
field with its spec (so that options read from a checkpoint's JSON are checked as those
given on the command line), and :mod:`tinynn.cli.flags` derives the field's argparse flag
from the same spec: ``--batch-size`` for ``batch_size``, read with ``check(parse(text))``.

A check takes a Python (or JSON) value and gives it back in its one written form, or
raises ``ValueError`` with a message that does not name the flag (``must be a finite
number in (0, 1), got 1.0``): argparse puts ``argument --dropout:`` before it, and
:meth:`OptionSpec.checked` puts ``--dropout``. A text reader may refuse text that is no
value at all (``expected a number, got 'half'``) or, for a few options, values the
command line does not take (``--warmup 0``: leave the flag out).

Book section
------------
4.5.2 (``iters_num``, ``batch_size``, ``learning_rate``), 6.1-6.4, 7.5
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..optimizers.schedules import CosineDecay, ExponentialDecay, StepDecay

__all__ = [
    "OptionSpec",
    "check_number",
    "flag",
    "number",
    "option",
    "parse_weight_init",
    "positive_float",
    "read_number",
    "read_sizes",
    "read_weight_init",
    "schedule_spec",
    "sizes",
    "spec_of",
    "whole",
    "whole_number",
]

#: The names of the initialisations (section 6.2), by what the book's code accepts.
WEIGHT_RULES = {"he": "he", "relu": "he", "xavier": "xavier", "sigmoid": "xavier"}
#: The schedules of ``--schedule KIND:...``, with their parameters after the kind.
SCHEDULES = {
    "step": (StepDecay, "step:STEP[:GAMMA]", ("step_size", "gamma")),
    "exponential": (ExponentialDecay, "exponential:STEPS:RATE", ("decay_steps", "decay_rate")),
    "cosine": (CosineDecay, "cosine:STEPS[:ALPHA]", ("decay_steps", "alpha")),
}


def flag(name: str) -> str:
    """The command-line flag of the option ``name``: ``--batch-size`` for ``batch_size``."""
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class OptionSpec:
    """How one field of :class:`~tinynn.cli.options.RunOptions` is checked and given as a flag.

    Parameters
    ----------
    help : str
        The flag's help (``{default}`` in it was the field's default).
    group : str
        The title of the flag's argparse group.
    check : callable
        A value to its one written form; ``ValueError`` without the flag's name if it is
        none.
    parse : callable
        The flag's text to a value (given to ``check`` after); ``ValueError`` or
        ``argparse.ArgumentTypeError`` if it is none.
    choices : tuple of str, optional
        The values the flag takes (argparse checks them; ``check`` is one of them).
    metavar : str, optional
    switch : bool
        A flag without a value, that sets ``True`` (``--batchnorm``).
    rank : int
        Where ``--help`` lists the flag in its group: before (-1) or after (1) those of
        rank 0, which come in the order of the fields.
    omit_default : bool
        :meth:`~tinynn.cli.options.RunOptions.flags` leaves the flag out at the default.
    optional : bool
        ``None`` is a value too (not checked): the field's default is ``None``.

    Book section
    ------------
    4.5.2 (the options of ``train_neuralnet.py``), 6.1-6.4, 7.5
    """

    help: str
    group: str
    check: Callable[[Any], Any]
    parse: Callable[[str], Any] = str
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    switch: bool = False
    rank: int = 0
    omit_default: bool = False
    optional: bool = False

    def checked(self, name: str, value: object) -> Any:
        """``value`` in its written form, or ``ValueError`` naming the flag of ``name``."""
        if value is None and self.optional:
            return None
        try:
            return self.check(value)
        except ValueError as exc:
            raise ValueError(f"{flag(name)} {exc}") from None

    def read(self, text: str) -> Any:
        """The flag's text as its value: the argparse type of the flag."""
        try:
            return self.check(self.parse(text))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None


def option(
    default: Any,
    *,
    help: str,
    group: str,
    check: Callable[[Any], Any] | None = None,
    parse: Callable[[str], Any] = str,
    choices: Sequence[str] | None = None,
    metavar: str | None = None,
    rank: int = 0,
    omit_default: bool = False,
) -> Any:
    """A dataclass field with this default, and its :class:`OptionSpec` in its metadata.

    Without ``check``, a field with ``choices`` must be one of them and one with a
    ``bool`` default is a switch (``--batchnorm``).

    Book section
    ------------
    4.5.2 (the options of ``train_neuralnet.py``), 6.1-6.4, 7.5
    """
    switch, chosen = isinstance(default, bool), tuple(choices) if choices is not None else None
    if check is None:
        if chosen is None and not switch:
            raise TypeError("an option with a value to check needs a check")
        check = _true_or_false if chosen is None else _one_of(chosen)
    spec = OptionSpec(
        help=help.format(default=default), group=group, check=check, parse=parse,
        choices=chosen, metavar=metavar, switch=switch, rank=rank, omit_default=omit_default,
        optional=default is None,
    )
    return dataclasses.field(default=default, metadata={"option": spec})


def spec_of(field: dataclasses.Field[Any]) -> OptionSpec:
    """The :class:`OptionSpec` of a field declared with :func:`option`."""
    spec = field.metadata["option"]
    assert isinstance(spec, OptionSpec)
    return spec


# -- checks: a value (from Python, JSON or a flag's text) in its one written form --


def whole(least: int) -> Callable[[object], int]:
    """A check: a whole number >= ``least`` (an ``int``, not a ``bool``)."""

    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"must be a whole number >= {least}, got {value!r}")
        return value

    return check


def check_number(
    value: object, *, low: float, high: float = math.inf, low_ok: bool = False
) -> float:
    """``value`` as a float in (low, high) (``[low, high)`` with ``low_ok``), else ValueError."""
    inside = f"{'[' if low_ok else '('}{low:g}, {high:g})"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number in {inside}, got {value!r}")
    v = float(value)
    if not (low <= v if low_ok else low < v) or not v < high or not math.isfinite(v):
        raise ValueError(f"must be a finite number in {inside}, got {value!r}")
    return v


def number(
    *, low: float, high: float = math.inf, low_ok: bool = False
) -> Callable[[object], float]:
    """A check: :func:`check_number` with these bounds."""

    def check(value: object) -> float:
        return check_number(value, low=low, high=high, low_ok=low_ok)

    return check


def _one_of(choices: tuple[str, ...]) -> Callable[[object], str]:
    def check(value: object) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}")
        assert isinstance(value, str)
        return value

    return check


def _true_or_false(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")
    return value


def sizes(value: object) -> tuple[int, ...]:
    """``hidden`` as a tuple of sizes >= 1 (a JSON list, a tuple, or one int)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    found = value if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else ()
    if not found or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in found):
        raise ValueError(f"must be one or more whole numbers >= 1, got {value!r}")
    return tuple(found)


def parse_weight_init(value: object) -> float | str:
    """A standard deviation > 0, or ``'he'``/``'xavier'`` (read from the book's names too)."""
    if isinstance(value, str):
        rule = WEIGHT_RULES.get(value.lower())
        if rule is None:
            raise ValueError(
                "must be a standard deviation > 0 or one of he, xavier (the book also says "
                f"relu, sigmoid), got {value!r}"
            )
        return rule
    return check_number(value, low=0.0)


def schedule_spec(text: object) -> str:
    """``KIND:...`` checked and written out in full (``step:100`` -> ``step:100:0.1``)."""
    forms = [form for _, form, _ in SCHEDULES.values()]
    usage = f"{', '.join(forms[:-1])} or {forms[-1]}"
    parts = text.split(":") if isinstance(text, str) else []
    kind = parts[0] if parts else None
    if kind not in SCHEDULES:
        raise ValueError(f"must be {usage}, got {text!r}")
    cls, form, names = SCHEDULES[kind]
    args = parts[1:]
    if not 1 <= len(args) <= 2 or (kind == "exponential" and len(args) != 2):
        raise ValueError(f"{kind} takes {form}, got {text!r}")
    try:
        steps = int(args[0])
        rest = [float(a) for a in args[1:]]
    except ValueError:
        raise ValueError(
            f"{kind} takes {form} (whole STEPS, numbers after), got {text!r}"
        ) from None
    try:  # the schedule's own checks, on a rate of 1
        schedule = cls(1.0, steps, *rest)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{text}: {exc}") from None
    return ":".join([kind, *(repr(getattr(schedule, n)) for n in names)])


# -- text readers: a flag's text as a value (argparse types of their own, too) --


def whole_number(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``least``, or a message naming what was given."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number >= {least}, got {text!r}"
            ) from None
        if value < least:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {least}, got {text}")
        return value

    return parse


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def read_number(text: str) -> float:
    """A number (checked after)."""
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None


def read_sizes(text: str) -> tuple[int, ...]:
    """Sizes separated by commas: ``50``, ``100,100,100``."""
    try:
        found = tuple(int(n) for n in text.split(","))
    except ValueError:
        found = ()
    if not found or min(found) < 1:
        raise ValueError(f"expected sizes >= 1 separated by commas (50; 100,100,100), got {text!r}")
    return found


def read_weight_init(text: str) -> float | str:
    """A standard deviation, or else the name of a rule (checked after)."""
    try:
        return float(text)
    except ValueError:
        return text
