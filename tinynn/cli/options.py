"""The options of one training run on MNIST: what a checkpoint remembers of it.

``tinynn train`` and ``examples/train_neuralnet.py`` train from a
:class:`RunOptions`: the data and schedule of the run (section 4.5), the network
(the book's Chapter 4 ``TwoLayerNet``, Chapter 6's ``MultiLayerNet`` with its
options, Chapter 7's ``SimpleConvNet``), the optimizer (section 6.1) and the
learning-rate schedule. A checkpoint remembers them, so that a run is continued
as it was begun. Each is declared once, as a field made by
:func:`~tinynn.cli.values.option`: its default, its check, and its command-line
flag named as it is, with its help (:mod:`tinynn.cli.flags` adds the flags from the
fields). :meth:`RunOptions.make` fills in what was left out with the defaults of the
chosen model and optimizer (the book's), and checks that the options fit together,
naming the flag that does not.

Book section
------------
4.5.2 (``iters_num``, ``batch_size``, ``learning_rate``), 6.1 (optimizers), 6.2 (initial
weights), 6.3 (Batch Normalization), 6.4 (weight decay, Dropout), 7.5 (``SimpleConvNet``),
8.1 (``DeepConvNet``), 8.1.3 (data augmentation)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..optimizers import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop
from .values import (
    flag,
    number,
    option,
    parse_weight_init,
    positive_float,
    read_number,
    read_sizes,
    read_weight_init,
    schedule_spec,
    sizes,
    spec_of,
    whole,
    whole_number,
)

__all__ = ["RunOptions", "warmup_note"]

MODELS = ("two-layer", "multi-layer", "convnet", "deep-convnet")
ACTIVATIONS = ("relu", "sigmoid")
ESTIMATORS = ("backprop", "numerical")
#: The network's dtypes (``--dtype``): float64, the book's, or float32.
DTYPES = ("float64", "float32")
NUMERICAL_METHODS = ("auto", "structured", "loop")
OPTIMIZERS: dict[str, type[Any]] = {
    "sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad,
    "rmsprop": RMSprop, "adam": Adam,
}  # fmt: skip
#: The argparse groups of the options' flags, in the order ``--help`` lists them.
GROUPS = RUN, NETWORK, OPTIMIZER = ("the run", "the network", "the optimizer (section 6.1)")
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
    "deep-convnet": {"hidden": (50,), "activation": "relu", "weight_init": "he",
                     "optimizer": "adam"},
}  # fmt: skip
#: The models that take images (N, 1, 28, 28), whose training batches ``--augment`` moves.
IMAGE_MODELS = ("convnet", "deep-convnet")


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
    continued exactly as it was begun. Each field is declared once, with
    :func:`~tinynn.cli.values.option`: its default, its check, its flag (``--batch-size``
    for ``batch_size``) and the flag's help, which says what it is; below, what the help
    does not say.

    Parameters
    ----------
    iters : int
        Iterations of the whole run (the book's ``iters_num``).
    lr : float
        The learning rate (the first one, with a schedule).
    seed : int
        Seeds the initial weights and the mini-batches (two generators
        spawned from ``SeedSequence(seed)``).
    numerical_method : {'auto', 'structured', 'loop'}
        :class:`~tinynn.NumericalDiff`'s method, with ``estimator='numerical'``.
    model : {'two-layer', 'multi-layer', 'convnet', 'deep-convnet'}
        :class:`~tinynn.TwoLayerNet` (784-``hidden``-10, sigmoid),
        :class:`~tinynn.MultiLayerNet` (or :class:`~tinynn.MultiLayerNetExtend`
        with ``dropout`` or ``batchnorm``), :class:`~tinynn.SimpleConvNet`,
        :class:`~tinynn.DeepConvNet` (the book's, with ``hidden`` units).
    augment : bool
        For the image models: each training mini-batch moved by an
        :class:`~tinynn.Augmentation` (shifts up to 2 pixels, turns up to 10 degrees),
        drawn from a third generator spawned from ``SeedSequence(seed)``.
    weight_init : float or {'he', 'xavier'}
        The book's ``weight_init_std``; ``'relu'`` and ``'sigmoid'`` are read as
        ``'he'`` and ``'xavier'``.
    weight_decay : float
        The book's ``weight_decay_lambda``.
    schedule : str, optional
        :class:`~tinynn.StepDecay`, :class:`~tinynn.ExponentialDecay` or
        :class:`~tinynn.CosineDecay` from ``lr``, written out in full (``step:100:0.1``).
    dtype : {'float64', 'float32'}
        The network's dtype (``dtype=`` of the book's networks); a run saved before this
        option existed was float64.
    warmup : int
        Updates of :class:`~tinynn.LinearWarmup` before the rate (or schedule). Longer than
        ``iters`` is allowed (a run may be continued with more), with a warning
        (:func:`warmup_note`).

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

    # fmt: off
    iters: int = option(10000, group=RUN, parse=whole_number(1), check=whole(1),
                        help="iterations of the run ({default})")
    batch_size: int = option(100, group=RUN, parse=whole_number(1), check=whole(1),
                             help="mini-batch size ({default})")
    lr: float = option(0.1, group=OPTIMIZER, parse=positive_float, check=number(low=0.0),
                       help="the learning rate (default: 0.1 for two-layer with sgd, the book's "
                       "Chapter 4 run; else the book's default of the optimizer: 0.01, adam "
                       "0.001)")
    hidden: tuple[int, ...] = option((50,), group=NETWORK, parse=read_sizes, check=sizes,
                                     metavar="SIZES", help="hidden units: one size (two-layer: "
                                     "50, convnet: 100) or one per layer, e.g. 100,100,100 "
                                     "(multi-layer: 100,100,100,100)")
    seed: int = option(0, group=RUN, parse=whole_number(0), check=whole(0),
                       help="seed of weights, batches ({default})")
    estimator: str = option("backprop", group=RUN, choices=ESTIMATORS, rank=1,
                            help="how gradients are computed (backprop; numerical: the chapter's "
                            "central differences, by NumericalDiff's structured path)")
    numerical_method: str = option("auto", group=RUN, choices=NUMERICAL_METHODS, rank=1,
                                   omit_default=True, help="with --estimator numerical: auto (the "
                                   "structured path) or the book's loop (hundreds of times "
                                   "slower)")
    train_size: int | None = option(None, group=RUN, parse=whole_number(1), check=whole(1),
                                    metavar="N", help="use only the first N training images")
    augment: bool = option(False, group=RUN, omit_default=True, rank=2, help="convnet, "
                           "deep-convnet: move each training image by up to 2 pixels and turn "
                           "it by up to 10 degrees, anew in every mini-batch (section 8.1.3)")
    model: str = option("two-layer", group=NETWORK, choices=MODELS, rank=-1,
                        help="two-layer: the book's 784-50-10 TwoLayerNet of Chapter 4 (sigmoid); "
                        "multi-layer: Chapter 6's MultiLayerNet (relu, He init; "
                        "MultiLayerNetExtend with --dropout or --batchnorm); convnet: Chapter 7's "
                        "SimpleConvNet on 1x28x28 images; deep-convnet: Chapter 8's DeepConvNet "
                        "(He init, Dropout 0.5) (default: {default})")
    activation: str = option("sigmoid", group=NETWORK, choices=ACTIVATIONS,
                             help="multi-layer's hidden activation (relu)")
    weight_init: float | str = option(0.01, group=NETWORK, parse=read_weight_init,
                                      check=parse_weight_init, metavar="STD|he|xavier",
                                      help="the initial weights' standard deviation (two-layer, "
                                      "convnet: 0.01), or for multi-layer a rule of section 6.2: "
                                      "he (for relu, the default) or xavier (for sigmoid); the "
                                      "book's relu and sigmoid are read as these")
    weight_decay: float = option(0.0, group=NETWORK, parse=read_number,
                                 check=number(low=0.0, low_ok=True), metavar="L",
                                 omit_default=True, help="multi-layer: weight decay lambda, "
                                 "adding 0.5 L sum(W**2) to the loss (0)")
    dropout: float | None = option(None, group=NETWORK, parse=read_number,
                                   check=number(low=0.0, high=1.0), metavar="RATIO",
                                   help="multi-layer: a Dropout of this ratio after each hidden "
                                   "activation")
    batchnorm: bool = option(False, group=NETWORK, omit_default=True, help="multi-layer: Batch "
                             "Normalization before each hidden activation")
    filters: int | None = option(None, group=NETWORK, parse=whole_number(1), check=whole(1),
                                 metavar="N", help="convnet: the number of filters (30)")
    filter_size: int | None = option(None, group=NETWORK, parse=whole_number(1), check=whole(1),
                                     metavar="N", help="convnet: their side, odd (5; padding 0, "
                                     "stride 1)")
    dtype: str = option("float64", group=NETWORK, choices=DTYPES, omit_default=True,
                        help="the network's dtype: its parameters, activations, gradients and "
                        "optimizer state; float64 (the book's, the default) or float32 (faster, "
                        "gradients within about 1e-3 of float64's: docs/performance.rst)")
    optimizer: str = option("sgd", group=OPTIMIZER, choices=tuple(OPTIMIZERS), rank=-1,
                            help="the update rule (sgd; convnet: adam, as the book's Chapter 7 "
                            "run)")
    schedule: str | None = option(None, group=OPTIMIZER, check=schedule_spec, metavar="KIND:...",
                                  help="the learning rate changes from --lr: step:STEP[:GAMMA] "
                                  "(times GAMMA, 0.1, every STEP updates), exponential:STEPS:RATE "
                                  "(times RATE over STEPS updates, smoothly), cosine:STEPS[:ALPHA] "
                                  "(half a cosine down to ALPHA x lr, 0, over STEPS updates)")
    warmup: int = option(0, group=OPTIMIZER, parse=whole_number(1), check=whole(0), metavar="N",
                         omit_default=True, help="raise the rate linearly over the first N "
                         "updates first (longer than --iters: a warning, as a run continued "
                         "with more --iters may want it)")
    # fmt: on

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
        for field in dataclasses.fields(self):  # each checked by its option, in one written form
            value = spec_of(field).checked(field.name, getattr(self, field.name))
            object.__setattr__(self, field.name, value)  # (the fields are frozen)
        _check_model(self)
        _check_together(self)

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
        return [
            flag(f.name) if v is True else f"{flag(f.name)}={_shown(v)}"
            for f in dataclasses.fields(self)
            if (v := getattr(self, f.name)) is not None
            and not (spec_of(f).omit_default and v == f.default)
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


def _check_model(o: RunOptions) -> None:
    """The options that apply to the model, and a convnet's filters that fit 28x28."""
    model, fixed = o.model, MODEL_DEFAULTS[o.model]
    extras = {"weight_decay": o.weight_decay > 0, "dropout": o.dropout is not None,
              "batchnorm": o.batchnorm}  # fmt: skip
    if o.augment and model not in IMAGE_MODELS:
        raise ValueError(f"--augment needs --model convnet or deep-convnet (it moves "
                         f"images; --model {model} takes rows of pixels)")  # fmt: skip
    if model == "deep-convnet" and o.weight_init != "he":
        raise ValueError(f"--weight-init {o.weight_init} does not apply to --model "
                         "deep-convnet, which draws its weights by He's rule as the book's "
                         "DeepConvNet")  # fmt: skip
    if model != "multi-layer":
        what = {"two-layer": "the two-layer network", "convnet": "the convnet",
                "deep-convnet": "the deep convnet"}[model]  # fmt: skip
        extra = [name for name, on in extras.items() if on]
        if extra:
            raise ValueError(f"{flag(extra[0])} needs --model multi-layer ({what} has no "
                             "such option)")  # fmt: skip
        if len(o.hidden) != 1:
            raise ValueError(
                f"--hidden takes one size for --model {model}, got {_shown(o.hidden)} "
                "(a size per layer: --model multi-layer)"
            )
        if o.activation != fixed["activation"]:
            raise ValueError(
                f"--activation {o.activation} does not apply to --model {model}, which uses "
                f"{fixed['activation']} (a choice of activation: --model multi-layer)"
            )
        if isinstance(o.weight_init, str) and model != "deep-convnet":
            raise ValueError(
                f"--weight-init {o.weight_init} needs --model multi-layer; --model {model} "
                "takes a standard deviation, e.g. --weight-init 0.01"
            )
    for name in ("filters", "filter_size"):
        given = getattr(o, name) is not None
        if given != (model == "convnet"):
            if given:
                raise ValueError(f"{flag(name)} needs --model convnet")
            raise ValueError(f"--model convnet needs {flag(name)}")
    if model == "convnet":
        assert o.filter_size is not None
        side = MNIST_IMAGE[1] - o.filter_size + 1
        if side < 2 or side % 2:
            raise ValueError(
                f"--filter-size {o.filter_size} gives feature maps of {side}x{side} on "
                "28x28 images, which 2x2 pooling cannot tile: choose an odd size up to 27 "
                "(3, 5, 7, ...)"
            )


def _check_together(o: RunOptions) -> None:
    """Options that only make sense with another: the estimator's method, Batch
    Normalization's batch, a cosine decay to 0 (no update rule takes a rate of 0)."""
    if o.numerical_method != "auto" and o.estimator != "numerical":
        raise ValueError(
            f"--numerical-method {o.numerical_method} applies to --estimator numerical only "
            f"(this run's gradients come from --estimator {o.estimator}): add --estimator "
            "numerical, or leave --numerical-method out"
        )
    if o.batchnorm and o.batch_size < 2:
        raise ValueError(
            f"--batchnorm needs --batch-size 2 or more: Batch Normalization normalises each unit "
            f"over the mini-batch, and with --batch-size {o.batch_size} x - mean is 0, so "
            "every gradient before it would be 0"
        )
    if o.schedule is None or not o.schedule.startswith("cosine:"):
        return
    _, steps, alpha = o.schedule.split(":")
    if float(alpha) == 0 and int(steps) < o.iters:
        raise ValueError(
            f"--schedule {o.schedule} brings the learning rate to 0 at update {steps}, "
            f"before the run's {o.iters} iterations end: give STEPS >= {o.iters} "
            f"(--iters) or a final fraction ALPHA > 0 (e.g. cosine:{steps}:0.01)"
        )


def warmup_note(o: RunOptions) -> str | None:
    """A warning when the warm-up outlasts the run (``None`` otherwise).

    Not an error: a run may be continued with more ``--iters`` (``tinynn train --resume``),
    and then a warm-up longer than its first part is what was meant. But a run that ends
    within its warm-up never trains at its learning rate, and says so.
    """
    if o.warmup <= o.iters:
        return None
    return (
        f"warning: --warmup {o.warmup} is longer than the run (--iters {o.iters}): the learning "
        f"rate rises linearly and reaches only {o.iters}/{o.warmup} of its value (--lr {o.lr:g}"
        f"{', or the schedule' if o.schedule else ''}) at the last update; the full rate comes "
        f"at update {o.warmup}. Continue the run with --iters {o.warmup} or more, or give "
        "--warmup below --iters"
    )


def _shown(value: object) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return str(value)


def _said(name: str, value: object) -> str:
    """``--lr 0.1``; ``--batchnorm``; ``no --dropout``."""
    if value is None or value is False:
        return f"no {flag(name)}"
    return flag(name) if value is True else f"{flag(name)} {_shown(value)}"
