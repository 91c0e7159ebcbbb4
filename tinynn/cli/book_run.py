"""A training run on MNIST (section 4.5), set up once for the command line and the example.

``tinynn train`` and ``examples/train_neuralnet.py`` both run the book's
``ch04/train_neuralnet.py`` by default: a :class:`~tinynn.TwoLayerNet` 784-50-10
trained by SGD on MNIST mini-batches, with the train and test accuracy at every
epoch; their options choose Chapter 6's :class:`~tinynn.MultiLayerNet` (with
weight decay, Dropout, Batch Normalization) or Chapter 7's
:class:`~tinynn.SimpleConvNet` instead, any of the six optimizers and a
learning-rate schedule (:class:`~tinynn.cli.options.RunOptions`). Both build the
run here (:func:`build_network`, :func:`build_optimizer`), with the same
callbacks, messages and resume rules (:class:`BookRun`). A checkpoint of the run
remembers its options, so that it is continued as it was begun (:func:`read_run`,
:meth:`~tinynn.cli.options.RunOptions.continued`).

The data comes from the caller (``load_mnist(normalize=True,
one_hot_label=True)``), so that this module does not read data sets itself; a
convolutional network gets the images in the shape it takes, ``(N, 1, 28, 28)``.

Book section
------------
4.5.2 (``train_neuralnet.py``: mini-batch learning), 4.5.3 (evaluating at every epoch),
6.1-6.4 (``common/multi_layer_net_extend.py``, the optimizers), 7.5 (``train_convnet.py``)
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from ..base import GradientEstimator, Optimizer, Stateful
from ..callbacks import Callback, Checkpoint, EpochAccuracy, History, ProgressPrinter
from ..callbacks.progress import duration
from ..datasets.augmentation import Augmentation
from ..estimators import Backprop, NumericalDiff
from ..models import (
    DeepConvNet,
    MultiLayerNet,
    MultiLayerNetExtend,
    Sequential,
    SimpleConvNet,
    TwoLayerNet,
)
from ..optimizers.schedules import LinearWarmup, Schedule
from ..saving.checkpoint_file import read_saved
from ..training.trainer import Trainer
from .options import MNIST_IMAGE, OPTIMIZERS, RunOptions
from .threads import choose, limited
from .values import SCHEDULES

__all__ = ["BookRun", "SavedRun", "build_network", "build_optimizer", "read_run"]


def build_network(
    options: RunOptions, rng: np.random.Generator, image: tuple[int, int, int] = MNIST_IMAGE
) -> Sequential:
    """The network of ``options`` for images of shape ``image``, its weights drawn from ``rng``.

    Book section
    ------------
    4.5.1 (``TwoLayerNet``), 6.2.4, 6.3.2, 6.4 (``MultiLayerNet(Extend)``), 7.5 (``SimpleConvNet``),
    8.1 (``DeepConvNet``)
    """
    o, features = options, math.prod(image)
    if o.model == "deep-convnet":
        return DeepConvNet(deep_convnet_image(image), hidden_size=o.hidden[0], rng=rng,
                           dtype=o.dtype)
    if o.model == "two-layer":
        return TwoLayerNet(features, o.hidden[0], 10, float(o.weight_init), rng=rng,
                           dtype=o.dtype)  # fmt: skip
    if o.model == "multi-layer":
        book = (features, list(o.hidden), 10, o.activation, o.weight_init, o.weight_decay)
        if o.dropout is None and not o.batchnorm:
            return MultiLayerNet(*book, rng=rng, dtype=o.dtype)  # type: ignore[arg-type]
        return MultiLayerNetExtend(*book, use_dropout=o.dropout is not None,  # type: ignore[arg-type]
                                   dropout_ratio=o.dropout or 0.5, use_batchnorm=o.batchnorm,
                                   rng=rng, dtype=o.dtype)  # fmt: skip
    conv = {"filter_num": o.filters or 0, "filter_size": o.filter_size or 0, "pad": 0, "stride": 1}
    return SimpleConvNet(image, conv, o.hidden[0], 10, float(o.weight_init), rng=rng,
                         dtype=o.dtype)


def deep_convnet_image(image: tuple[int, int, int]) -> tuple[int, int, int]:
    """``image`` if the book's DeepConvNet takes it, else ``ValueError`` saying which sides do.

    Its convolutions keep the side (pad 1) but the fourth (pad 2: two more), and each of
    its three 2x2 poolings needs an even side: ``S -> S/2 -> S/2 + 2 -> S/4 + 1 -> ...``,
    so ``S`` must be 4 more than a multiple of 8 (4, 12, 20, 28 for MNIST).
    """
    side = image[1]
    if image[1] != image[2] or side % 8 != 4:
        raise ValueError(
            f"--model deep-convnet takes square images whose side is 4 more than a multiple of "
            f"8 (4, 12, 20, 28, ...), got {image[1]}x{image[2]}: its three 2x2 poolings halve "
            "the side, and its fourth convolution adds 2 (e.g. --image-size 12)"
        )
    return image


def learning_rate(options: RunOptions) -> float | Schedule:
    """``options.lr``, or the schedule from it (and its warm-up)."""
    lr: float | Schedule = options.lr
    if options.schedule is not None:
        kind, steps, *rest = options.schedule.split(":")
        lr = SCHEDULES[kind][0](options.lr, int(steps), *(float(v) for v in rest))
    if options.warmup:
        lr = LinearWarmup(lr, options.warmup)
    return lr


def build_optimizer(options: RunOptions) -> Optimizer:
    """The optimizer of ``options`` with its learning rate or schedule.

    Book section
    ------------
    6.1 (``SGD``, ``Momentum``, ``AdaGrad``, ``Adam``; ``RMSprop``, ``Nesterov``)
    """
    optimizer: Optimizer = OPTIMIZERS[options.optimizer](lr=learning_rate(options))
    return optimizer


def describe_network(options: RunOptions) -> str:
    """``TwoLayerNet 784-50-10 (sigmoid)``, ``MultiLayerNetExtend 784-100-100-10 (relu, ...)``."""
    o = options
    if o.model == "deep-convnet":
        return (f"DeepConvNet 1x28x28: (conv 3x3 - relu - conv 3x3 - relu - pool 2x2) x3 with "
                f"16, 16, 32, 32, 64, 64 filters - {o.hidden[0]} - relu - dropout 0.5 - 10 - "
                "dropout 0.5 (He init)")  # fmt: skip
    if o.model == "convnet":
        fs, init = o.filter_size, o.weight_init
        std = f" (weights std {init:g})" if init != 0.01 else ""
        return (f"SimpleConvNet 1x28x28: conv {o.filters} {fs}x{fs} - relu - pool 2x2 - "
                f"{o.hidden[0]} - relu - 10{std}")  # fmt: skip
    sizes = "-".join(str(n) for n in (784, *o.hidden, 10))
    init = o.weight_init
    how = [o.activation]
    if o.model == "two-layer":
        name = "TwoLayerNet"
        if init != 0.01:
            how.append(f"weights std {init:g}")
    else:
        name = "MultiLayerNet" if o.dropout is None and not o.batchnorm else "MultiLayerNetExtend"
        how.append(
            f"{init.capitalize()} init" if isinstance(init, str) else f"weights std {init:g}"
        )
        if o.batchnorm:
            how.append("batchnorm")
        if o.dropout is not None:
            how.append(f"dropout {o.dropout:g}")
        if o.weight_decay > 0:
            how.append(f"weight decay {o.weight_decay:g}")
    return f"{name} {sizes} ({', '.join(how)})"


def describe_optimizer(options: RunOptions) -> str:
    """``SGD lr 0.1``; ``Adam lr 0.001, step decay x0.5 every 100 updates, warm-up 10``."""
    o = options
    text = f"{OPTIMIZERS[o.optimizer].__name__} lr {o.lr:g}"
    if o.schedule is not None:
        kind, steps, *rest = o.schedule.split(":")
        value = float(rest[0]) if rest else 0.0
        text += {
            "step": f", step decay x{value:g} every {steps} updates",
            "exponential": f", exponential decay x{value:g} per {steps} updates",
            "cosine": f", cosine decay to {value:g} x lr over {steps} updates",
        }[kind]
    if o.warmup:
        text += f", linear warm-up over {o.warmup} updates"
    return text


@dataclass(frozen=True)
class SavedRun:
    """What a checkpoint of the book's run says about it: options, position, other info.

    Book section
    ------------
    4.5.2 (a run of ``train_neuralnet.py`` stopped part way)
    """

    options: RunOptions
    iterations_done: int
    info: dict[str, Any]

    def continued(self, given: Mapping[str, Any], where: str) -> RunOptions:
        """The options to go on with (see :meth:`RunOptions.continued`), checked to leave work."""
        options = self.options.continued(given, where)
        done = self.iterations_done
        if done >= options.iters:
            more = "" if "iters" in given else f", of the {options.iters} asked"
            raise ValueError(
                f"{where} has done {done} iterations already{more}: to train it further, give "
                f"a larger --iters (e.g. --iters {2 * done})"
            )
        return options


def read_run(path: str | os.PathLike[str]) -> SavedRun:
    """The run saved in the checkpoint ``path``; ``ValueError`` if it is not the book's run."""
    saved = read_saved(path)
    options = saved.info.get("run")
    if options is None:
        raise ValueError(
            f"{path} holds no options of the book's run (it was not written by tinynn train "
            "or examples/train_neuralnet.py): resume it with Trainer.fit(..., resume=path)"
        )
    info = {k: v for k, v in saved.info.items() if k != "run"}
    return SavedRun(RunOptions.from_dict(options, str(path)), saved.iterations_done, info)


class BookRun:
    """A run built from its options: the network, the trainer and its callbacks.

    Parameters
    ----------
    options : RunOptions
    train, test : (x, t) pairs
        MNIST as ``load_mnist(normalize=True, one_hot_label=True)`` gives it;
        the first ``options.train_size`` training images are used, in the shape
        the network takes (``(N, 1, 28, 28)`` for the convnet).
    checkpoint : path, optional
        Where the whole training state is saved, with ``options`` and ``info``:
        when training ends or is stopped (Ctrl-C), and every
        ``checkpoint_every`` epochs (0: only then).
    checkpoint_every : int, default 0
    info : mapping, optional
        More plain JSON data for the checkpoint (e.g. the program's settings).
    stream : file, optional
        Where the book's lines and the progress go (``sys.stdout``).

    Attributes
    ----------
    net : Sequential
        The network of :func:`build_network`, initialised from the first of two
        generators spawned from ``SeedSequence(seed)``; the mini-batches come
        from the second.
    trainer : Trainer
        With the optimizer of :func:`build_optimizer`, :class:`~tinynn.Backprop` or
        :class:`~tinynn.NumericalDiff` (showing its progress within a
        gradient), and the callbacks :class:`~tinynn.EpochAccuracy` (train and
        test), :class:`~tinynn.ProgressPrinter` and :class:`~tinynn.Checkpoint`.
    seconds : float
        The wall time of the last :meth:`fit`.
    threads : Threads
        The BLAS threads :meth:`fit` uses, chosen from the network's size
        (``tinynn.cli.threads.choose``; one for the book's networks).

    Book section
    ------------
    4.5.2 (``ch04/train_neuralnet.py``), 4.5.3 (``train acc, test acc | ...`` every epoch)
    """

    def __init__(
        self,
        options: RunOptions,
        train: tuple[Any, Any],
        test: tuple[Any, Any],
        *,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 0,
        info: Mapping[str, Any] | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.options = options
        # spawn(3) begins as spawn(2) does: the third seeds the augmentation, if any
        net_seed, batch_seed, augment_seed = np.random.SeedSequence(options.seed).spawn(3)
        self.net = build_network(options, np.random.default_rng(net_seed))
        self.augment = (Augmentation(shift=2, rotate=10, rng=np.random.default_rng(augment_seed))
                        if options.augment else None)  # fmt: skip
        x_train, t_train = train
        if options.train_size is not None:
            x_train, t_train = x_train[: options.train_size], t_train[: options.train_size]
        x_train, x_test = (self._shaped(x) for x in (x_train, test[0]))
        self.x_train, self.t_train = x_train, t_train
        self.x_test, self.t_test = x_test, test[1]
        self.progress = ProgressPrinter(stream)
        self.accuracy = EpochAccuracy(train=(x_train, t_train), test=(self.x_test, self.t_test))
        estimator: GradientEstimator = Backprop()
        if options.estimator == "numerical":
            method, progress = options.numerical_method, self.progress.gradient_progress
            estimator = NumericalDiff(method=method, progress=progress)  # type: ignore[arg-type]
        callbacks: list[Callback] = [self.accuracy, self.progress]
        if checkpoint is not None:
            saved = {"run": options.as_dict(), **(info or {})}
            callbacks.append(Checkpoint(checkpoint, every_epochs=checkpoint_every, info=saved))
        self.trainer = Trainer(
            self.net,
            build_optimizer(options),
            estimator,
            batch_size=options.batch_size,
            callbacks=callbacks,
            rng=np.random.default_rng(batch_seed),
            augment=self.augment,
        )
        self.seconds = 0.0
        #: The BLAS threads of the run (:mod:`tinynn.cli.threads`), applied in :meth:`fit`.
        self.threads = choose(self.net.layers, x_train.shape[1:], options.batch_size)

    def _shaped(self, x: Any) -> Any:
        """Images as the network takes them: ``(N, C, H, W)`` or ``(N, features)``."""
        x = np.asarray(x)
        shape = self.net.input_shape
        return x.reshape(-1, *shape) if shape is not None else x.reshape(len(x), -1)

    def description(self) -> dict[str, Any]:
        """The network and the optimizer, for ``results.json`` (plain JSON data)."""
        o, net, optimizer = self.options, self.net, self.trainer.optimizer
        lr = getattr(optimizer, "lr", o.lr)
        state = optimizer.state_dict() if isinstance(optimizer, Stateful) else {}
        step = int(state.get("t", self.trainer.iterations_done))  # the updates made
        return {
            "model": {
                "class": type(net).__name__,
                "description": describe_network(o),
                "parameters": int(sum(p.size for p in net.params.values())),
            },
            "optimizer": {
                "class": type(optimizer).__name__,
                "description": describe_optimizer(o),
                "lr": o.lr,
                "schedule": o.schedule,
                "warmup": o.warmup,
                "next_lr": float(lr(step)) if callable(lr) else float(lr),
            },
        }

    def header(self) -> str:
        """One line: the network and its dtype (float32; float64, the book's default, goes
        unsaid as the other defaults do), the optimizer, the schedule, the data, the
        estimator, the seed and the BLAS threads."""
        o = self.options
        per_epoch = max(len(self.x_train) // o.batch_size, 1)
        how = o.estimator
        if o.numerical_method != "auto":
            how += f" ({o.numerical_method})"
        if self.augment is not None:
            how += (f", augmented (shifts up to {self.augment.shift} pixels, turns up to "
                    f"{self.augment.rotate:g} degrees)")  # fmt: skip
        dtype = "" if o.dtype == "float64" else f", {o.dtype}"
        return (
            f"{describe_network(o)}{dtype}, {describe_optimizer(o)}, batch {o.batch_size}, "
            f"{o.iters} iterations ({per_epoch} per epoch), {len(self.x_train)} training images, "
            f"estimator {how}, seed {o.seed}, {self.threads.describe()}"
        )

    def numerical_note(self) -> str | None:
        """How long the numerical gradient takes here, measured (``None`` with backprop)."""
        estimator = self.trainer.estimator
        if not isinstance(estimator, NumericalDiff):
            return None
        net, batch = self.net, min(self.options.batch_size, len(self.x_train))
        x, t = self.x_train[:batch], self.t_train[:batch]
        entries = sum(p.size for p in net.params.values())
        with limited(self.threads):  # as the run will
            if estimator.method != "loop" and estimator.fallback_reason(net) is None:
                estimator.gradient(net, x, t)  # warm-up
                start = time.perf_counter()
                estimator.gradient(net, x, t)
                per_iter, how = time.perf_counter() - start, "structured path"
            else:
                loss = net.bind_loss(x, t)
                loss()
                start = time.perf_counter()
                for _ in range(10):
                    loss()
                per_iter, how = 2 * entries * (time.perf_counter() - start) / 10, "book's loop"
        return (
            f"note: --estimator numerical evaluates the loss twice per weight, 2 x {entries:,} "
            f"times per iteration ({how}): about {duration(per_iter)} per iteration here, so "
            f"about {duration(per_iter * self.options.iters)} in all (backprop: milliseconds)"
        )

    def fit(self, resume: str | os.PathLike[str] | None = None) -> History:
        """Train up to ``options.iters`` iterations, from the checkpoint ``resume`` if given,
        with the BLAS threads of :attr:`threads`."""
        start = time.perf_counter()
        try:
            x, t, iters = self.x_train, self.t_train, self.options.iters
            with limited(self.threads):
                return self.trainer.fit(x, t, iters=iters, resume=resume)
        finally:
            self.seconds = time.perf_counter() - start

    def final_accuracies(self) -> dict[str, float]:
        """Train and test accuracy of the network as it is now (the book's last record is
        at the start of the last epoch, not at the end)."""
        return {
            "train": self.accuracy.accuracy(self.x_train, self.t_train),
            "test": self.accuracy.accuracy(self.x_test, self.t_test),
        }

    def summary(self, final: Mapping[str, float]) -> str:
        """``after N iterations: train acc ..., test acc ... (...); training took ... s``."""
        history = self.trainer.history
        records = len(history.test_acc_list)
        return (
            f"after {len(history.train_loss_list)} iterations: train acc {final['train']:.4f}, "
            f"test acc {final['test']:.4f} (and {records} epoch record{'s' * (records != 1)} "
            f"above); training took {self.seconds:.1f} s"
        )

    def stopped(self, continue_with: str | None) -> str:
        """Where Ctrl-C stopped the run, and the whole command that continues it."""
        t = self.trainer
        where = (
            f"; continue this run with:\n  {continue_with}"
            if continue_with
            else " (nothing was saved to continue from: give a checkpoint to be able to)"
        )
        return f"stopped after {t.iterations_done} of {t.total_iters} iterations{where}"
