"""The options of one training run on MNIST: what a checkpoint remembers of it.

``tinynn train`` and ``examples/train_neuralnet.py`` train from a
:class:`RunOptions`: the data and schedule of the run (section 4.5), the network
(the book's Chapter 4 ``TwoLayerNet``, Chapter 6's ``MultiLayerNet`` with its
options, Chapter 7's ``SimpleConvNet``), the optimizer (section 6.1) and the
learning-rate schedule. A checkpoint remembers them, so that a run is continued
as it was begun. Each has a command-line flag named as it is
(:mod:`tinynn.cli.flags`); :meth:`RunOptions.make` fills in what was left out
with the defaults of the chosen model and optimizer (the book's), and checks
that the options fit together, naming the flag that does not.

Book section
------------
4.5.2 (``iters_num``, ``batch_size``, ``learning_rate``), 6.1 (optimizers), 6.2 (initial
weights), 6.3 (Batch Normalization), 6.4 (weight decay, Dropout), 7.5 (``SimpleConvNet``)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..optimizers import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop
from ..optimizers.schedules import CosineDecay, ExponentialDecay, StepDecay

__all__ = ["RunOptions", "check_number", "flag", "parse_weight_init", "schedule_spec"]

MODELS = ("two-layer", "multi-layer", "convnet")
ACTIVATIONS = ("relu", "sigmoid")
ESTIMATORS = ("backprop", "numerical")
NUMERICAL_METHODS = ("auto", "structured", "loop")
OPTIMIZERS: dict[str, type[Any]] = {
    "sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad,
    "rmsprop": RMSprop, "adam": Adam,
}  # fmt: skip
#: The names of the initialisations (section 6.2), by what the book's code accepts.
WEIGHT_RULES = {"he": "he", "relu": "he", "xavier": "xavier", "sigmoid": "xavier"}
#: The schedules of ``--schedule KIND:...``, with their parameters after the kind.
SCHEDULES = {
    "step": (StepDecay, "step:STEP[:GAMMA]", ("step_size", "gamma")),
    "exponential": (ExponentialDecay, "exponential:STEPS:RATE", ("decay_steps", "decay_rate")),
    "cosine": (CosineDecay, "cosine:STEPS[:ALPHA]", ("decay_steps", "alpha")),
}
#: MNIST's training images, and the shape of one image.
MNIST_TRAIN, MNIST_IMAGE = 60000, (1, 28, 28)
#: Each model's defaults (the book's): what :meth:`RunOptions.make` fills in.
MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "two-layer": {"hidden": (50,), "activation": "sigmoid", "weight_init": 0.01,
                  "optimizer": "sgd"},
    "multi-layer": {"hidden": (100, 100, 100, 100), "activation": "relu", "weight_init": "he",
                    "optimizer": "sgd"},
    "convnet": {"hidden": (100,), "activation": "relu", "weight_init": 0.01, "optimizer": "adam",
                "filters": 30, "filter_size": 5},
}  # fmt: skip


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def default_lr(model: str, optimizer: str) -> float:
    """0.1 for the book's Chapter 4 run (the two-layer net with SGD), else the optimizer's
    own default, which is the book's (``common/optimizer.py``: 0.01, Adam 0.001)."""
    if model == "two-layer" and optimizer == "sgd":
        return 0.1
    cls = OPTIMIZERS.get(optimizer, SGD)
    return float(cls().lr)


@dataclass(frozen=True)
class RunOptions:
    """The options that make one training run: what a checkpoint remembers.

    Build them with :meth:`make`, which fills in the chosen model's and optimizer's
    defaults; the fields are then complete, so that a run saved with them is
    continued exactly as it was begun.

    Parameters
    ----------
    iters : int, default 10000
        Iterations of the whole run (the book's ``iters_num``).
    batch_size : int, default 100
    lr : float
        The learning rate (the first one, with a schedule).
    hidden : tuple of int
        Hidden units: one size (``two-layer``, ``convnet``) or one per layer.
    seed : int, default 0
        Seeds the initial weights and the mini-batches (two generators
        spawned from ``SeedSequence(seed)``).
    estimator : {'backprop', 'numerical'}
    numerical_method : {'auto', 'structured', 'loop'}
        :class:`~tinynn.NumericalDiff`'s method, with ``estimator='numerical'``.
    train_size : int, optional
        Train on the first ``train_size`` training images only.
    model : {'two-layer', 'multi-layer', 'convnet'}, default 'two-layer'
        :class:`~tinynn.TwoLayerNet` (784-``hidden``-10, sigmoid),
        :class:`~tinynn.MultiLayerNet` (or :class:`~tinynn.MultiLayerNetExtend`
        with ``dropout`` or ``batchnorm``), :class:`~tinynn.SimpleConvNet`.
    activation : {'relu', 'sigmoid'}
        The hidden activation (a choice of ``multi-layer`` only).
    weight_init : float or {'he', 'xavier'}
        The book's ``weight_init_std``: a standard deviation, or a rule of section 6.2
        (``multi-layer`` only; ``'relu'`` and ``'sigmoid'`` are read as ``'he'`` and
        ``'xavier'``).
    weight_decay : float, default 0
        The book's ``weight_decay_lambda`` (``multi-layer``).
    dropout : float, optional
        The ratio of a Dropout after each hidden activation (``multi-layer``).
    batchnorm : bool, default False
        Batch Normalization before each hidden activation (``multi-layer``).
    filters, filter_size : int, optional
        The convolution's filters, ``filter_size`` square (``convnet`` only: 30 and 5).
    optimizer : {'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam'}
    schedule : str, optional
        ``step:STEP:GAMMA``, ``exponential:STEPS:RATE`` or ``cosine:STEPS:ALPHA``:
        :class:`~tinynn.StepDecay`, :class:`~tinynn.ExponentialDecay`,
        :class:`~tinynn.CosineDecay` from ``lr``.
    warmup : int, default 0
        Updates of :class:`~tinynn.LinearWarmup` before the rate (or schedule).

    Raises
    ------
    TypeError, ValueError
        Naming the option (as its command-line flag) and what it must be.

    Book section
    ------------
    4.5.2 (``iters_num``, ``batch_size``, ``learning_rate`` of ``train_neuralnet.py``), 6.1-6.4,
    7.5

    Examples
    --------
    >>> RunOptions.make(model="convnet").optimizer, RunOptions.make(model="convnet").lr
    ('adam', 0.001)
    >>> RunOptions.make(iters=3000).continued({"iters": 5000}, "run.npz").iters
    5000
    >>> RunOptions().continued({"lr": 0.5, "seed": 0}, "run.npz")
    Traceback (most recent call last):
    ...
    ValueError: run.npz was trained with --lr 0.1, not --lr 0.5: leave the option out to
    continue the run as it was (only --iters may change)
    >>> RunOptions.make(dropout=0.5)
    Traceback (most recent call last):
    ...
    ValueError: --dropout needs --model multi-layer (the two-layer network has no such option)
    """

    iters: int = 10000
    batch_size: int = 100
    lr: float = 0.1
    hidden: tuple[int, ...] = (50,)
    seed: int = 0
    estimator: str = "backprop"
    numerical_method: str = "auto"
    train_size: int | None = None
    model: str = "two-layer"
    activation: str = "sigmoid"
    weight_init: float | str = 0.01
    weight_decay: float = 0.0
    dropout: float | None = None
    batchnorm: bool = False
    filters: int | None = None
    filter_size: int | None = None
    optimizer: str = "sgd"
    schedule: str | None = None
    warmup: int = 0

    @classmethod
    def make(cls, **given: Any) -> RunOptions:
        """The options ``given``, with the defaults of their model and optimizer for the rest.

        ``--model convnet`` alone trains with Adam at 0.001 (the book's Chapter 7 run);
        ``--optimizer momentum`` alone with 0.01 (the book's default for it).
        """
        model = given.get("model", "two-layer")
        defaults = dict(MODEL_DEFAULTS.get(model, {}))
        defaults["lr"] = default_lr(model, given.get("optimizer", defaults.get("optimizer", "")))
        return cls(**{**defaults, **given})

    def __post_init__(self) -> None:
        for name in ("iters", "batch_size", "seed", "train_size", "filters", "filter_size",
                     "warmup"):  # fmt: skip
            value, least = getattr(self, name), 0 if name in ("seed", "warmup") else 1
            if value is None and name in ("train_size", "filters", "filter_size"):
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{flag(name)} must be a whole number >= {least}, got {value!r}")
        # written out in one form (the fields are frozen: object.__setattr__)
        normal = {
            "lr": check_number(self.lr, "lr", low=0.0),
            "weight_decay": check_number(self.weight_decay, "weight_decay", low=0.0, low_ok=True),
            "dropout": None if self.dropout is None else check_number(
                self.dropout, "dropout", low=0.0, high=1.0),
            "hidden": _sizes(self.hidden),
            "weight_init": parse_weight_init(self.weight_init),
            "schedule": None if self.schedule is None else schedule_spec(self.schedule),
        }  # fmt: skip
        for name, value in normal.items():
            object.__setattr__(self, name, value)
        if not isinstance(self.batchnorm, bool):
            raise ValueError(f"--batchnorm must be true or false, got {self.batchnorm!r}")
        for name, choices in (("estimator", ESTIMATORS), ("numerical_method", NUMERICAL_METHODS),
                              ("model", MODELS), ("activation", ACTIVATIONS),
                              ("optimizer", tuple(OPTIMIZERS))):  # fmt: skip
            value = getattr(self, name)
            if value not in choices:
                raise ValueError(f"{flag(name)} must be one of {', '.join(choices)}, got {value!r}")
        self._check_model()
        self._check_schedule()

    def _check_model(self) -> None:
        """The options that apply to the model, and a convnet's filters that fit 28x28."""
        model, fixed = self.model, MODEL_DEFAULTS[self.model]
        extras = {"weight_decay": self.weight_decay > 0, "dropout": self.dropout is not None,
                  "batchnorm": self.batchnorm}  # fmt: skip
        if model != "multi-layer":
            what = "the two-layer network" if model == "two-layer" else "the convnet"
            extra = [name for name, on in extras.items() if on]
            if extra:
                raise ValueError(f"{flag(extra[0])} needs --model multi-layer ({what} has no "
                                 "such option)")  # fmt: skip
            if len(self.hidden) != 1:
                raise ValueError(
                    f"--hidden takes one size for --model {model}, got {_shown(self.hidden)} "
                    "(a size per layer: --model multi-layer)"
                )
            if self.activation != fixed["activation"]:
                raise ValueError(
                    f"--activation {self.activation} does not apply to --model {model}, which uses "
                    f"{fixed['activation']} (a choice of activation: --model multi-layer)"
                )
            if isinstance(self.weight_init, str):
                raise ValueError(
                    f"--weight-init {self.weight_init} needs --model multi-layer; --model {model} "
                    "takes a standard deviation, e.g. --weight-init 0.01"
                )
        for name in ("filters", "filter_size"):
            given = getattr(self, name) is not None
            if given != (model == "convnet"):
                if given:
                    raise ValueError(f"{flag(name)} needs --model convnet")
                raise ValueError(f"--model convnet needs {flag(name)}")
        if model == "convnet":
            assert self.filter_size is not None
            side = MNIST_IMAGE[1] - self.filter_size + 1
            if side < 2 or side % 2:
                raise ValueError(
                    f"--filter-size {self.filter_size} gives feature maps of {side}x{side} on "
                    "28x28 images, which 2x2 pooling cannot tile: choose an odd size up to 27 "
                    "(3, 5, 7, ...)"
                )

    def _check_schedule(self) -> None:
        """A cosine decay to 0 must not reach 0 before the run ends (no update rule takes 0)."""
        if self.schedule is None or not self.schedule.startswith("cosine:"):
            return
        _, steps, alpha = self.schedule.split(":")
        if float(alpha) == 0 and int(steps) < self.iters:
            raise ValueError(
                f"--schedule {self.schedule} brings the learning rate to 0 at update {steps}, "
                f"before the run's {self.iters} iterations end: give STEPS >= {self.iters} "
                f"(--iters) or a final fraction ALPHA > 0 (e.g. cosine:{steps}:0.01)"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> RunOptions:
        """Options saved by :meth:`as_dict`; ``ValueError`` naming ``where`` if they do not fit."""
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(data, Mapping) or set(data) - names:
            raise ValueError(f"{where} holds run options this tinynn does not know: {data!r}")
        try:
            return cls.make(**dict(data))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} holds run options that do not fit: {exc}") from exc

    def as_dict(self) -> dict[str, Any]:
        """The options by name (plain JSON data; ``hidden`` as a list)."""
        data = dataclasses.asdict(self)
        data["hidden"] = list(self.hidden)
        return data

    def flags(self) -> list[str]:
        """The command-line flags that give these options (``--iters=10000``, ...)."""
        off = {"numerical_method": "auto", "batchnorm": False, "weight_decay": 0.0, "warmup": 0}
        return [
            flag(k) if v is True else f"{flag(k)}={_shown(v)}"
            for k, v in dataclasses.asdict(self).items()
            if v is not None and off.get(k, None) != v
        ]

    def continued(self, given: Mapping[str, Any], where: str) -> RunOptions:
        """These options of a saved run, with ``iters`` if ``given`` has it.

        Every other option in ``given`` (those given again on the command line)
        must agree with the saved one; ``ValueError`` names each that does not.
        """
        differ = [k for k, v in given.items() if k != "iters" and getattr(self, k) != v]
        if differ:
            was = " ".join(_said(k, getattr(self, k)) for k in differ)
            now = " ".join(_said(k, given[k]) for k in differ)
            them = "the option" if len(differ) == 1 else "these options"
            raise ValueError(
                f"{where} was trained with {was}, not {now}: leave {them} out to continue the "
                "run as it was (only --iters may change)"
            )
        return dataclasses.replace(self, iters=given.get("iters", self.iters))

    def iters_per_epoch(self) -> int:
        """Mini-batches per pass over the training images (MNIST's 60,000, or ``train_size``)."""
        images = min(self.train_size or MNIST_TRAIN, MNIST_TRAIN)
        return max(images // self.batch_size, 1)


def _shown(value: object) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return str(value)


def _said(name: str, value: object) -> str:
    """``--lr 0.1``; ``--batchnorm``; ``no --dropout``."""
    if value is None or value is False:
        return f"no {flag(name)}"
    return flag(name) if value is True else f"{flag(name)} {_shown(value)}"


def check_number(
    value: object, name: str, *, low: float, high: float = math.inf, low_ok: bool = False
) -> float:
    """``value`` as a float in (low, high) (``[low, high)`` with ``low_ok``), else ValueError."""
    inside = f"{'[' if low_ok else '('}{low:g}, {high:g})"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{flag(name)} must be a number in {inside}, got {value!r}")
    v = float(value)
    if not (low <= v if low_ok else low < v) or not v < high or not math.isfinite(v):
        raise ValueError(f"{flag(name)} must be a finite number in {inside}, got {value!r}")
    return v


def _sizes(value: object) -> tuple[int, ...]:
    """``hidden`` as a tuple of sizes >= 1 (a JSON list, a tuple, or one int)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    sizes = value if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else ()
    if not sizes or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in sizes):
        raise ValueError(f"--hidden must be one or more whole numbers >= 1, got {value!r}")
    return tuple(sizes)


def parse_weight_init(value: object) -> float | str:
    """A standard deviation > 0, or ``'he'``/``'xavier'`` (read from the book's names too)."""
    if isinstance(value, str):
        rule = WEIGHT_RULES.get(value.lower())
        if rule is None:
            raise ValueError(
                "--weight-init must be a standard deviation > 0 or one of he, xavier (the book "
                f"also says relu, sigmoid), got {value!r}"
            )
        return rule
    return check_number(value, "weight_init", low=0.0)


def schedule_spec(text: object) -> str:
    """``KIND:...`` checked and written out in full (``step:100`` -> ``step:100:0.1``)."""
    forms = [form for _, form, _ in SCHEDULES.values()]
    usage = f"{', '.join(forms[:-1])} or {forms[-1]}"
    parts = text.split(":") if isinstance(text, str) else []
    kind = parts[0] if parts else None
    if kind not in SCHEDULES:
        raise ValueError(f"--schedule must be {usage}, got {text!r}")
    cls, form, names = SCHEDULES[kind]
    args = parts[1:]
    if not 1 <= len(args) <= 2 or (kind == "exponential" and len(args) != 2):
        raise ValueError(f"--schedule {kind} takes {form}, got {text!r}")
    try:
        steps = int(args[0])
        rest = [float(a) for a in args[1:]]
    except ValueError:
        raise ValueError(
            f"--schedule {kind} takes {form} (whole STEPS, numbers after), got {text!r}"
        ) from None
    try:  # the schedule's own checks, on a rate of 1
        schedule = cls(1.0, steps, *rest)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"--schedule {text}: {exc}") from None
    return ":".join([kind, *(repr(getattr(schedule, n)) for n in names)])
