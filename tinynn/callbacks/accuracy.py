"""Accuracy on named data sets at every epoch boundary (the book's train and test accuracy).

Book section
------------
4.5.3 (``train_acc_list`` and ``test_acc_list``)
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..losses import as_targets
from ..typing import ArrayLike
from ..utils.validation import as_real_array, check_finite, check_positive_int
from .base import Callback, Logs

__all__ = ["EpochAccuracy"]


class EpochAccuracy(Callback):
    """Record the accuracy on named data sets at every epoch boundary.

    Parameters
    ----------
    batch_size : int, default 10000
        Samples evaluated at a time (the result is the same; memory is lower).
    **datasets : (x, t) pairs
        Each name ``n`` adds ``logs[f"{n}_acc"]``; the book uses
        ``train=(x_train, t_train), test=(x_test, t_test)``.

    Raises
    ------
    TypeError, ValueError
        Naming the data set (``"test: x contains NaN ..."``): at construction
        for a pair that is not ``(x, t)``, lengths that differ, non-numbers or
        NaN/infinity in ``x``; when training starts (before the first update)
        for inputs that do not fit the model or labels outside its classes.

    Book section
    ------------
    4.5.3 (``train_acc_list`` and ``test_acc_list``)

    Examples
    --------
    >>> acc = EpochAccuracy(train=(np.zeros((4, 2)), [0, 1, 0, 1]))
    >>> list(acc.datasets)
    ['train']
    >>> EpochAccuracy(test=(np.array([[0.0, np.nan]]), [0]))
    Traceback (most recent call last):
    ...
    ValueError: test: x contains 1 non-finite value(s); the first is NaN at index (0, 1)
    """

    order: ClassVar[int] = -10

    def __init__(self, *, batch_size: int = 10000, **datasets: tuple[ArrayLike, ArrayLike]) -> None:
        super().__init__()
        check_positive_int(batch_size, "batch_size")
        if not datasets:
            raise ValueError("EpochAccuracy needs a data set, e.g. test=(x_test, t_test)")
        self.batch_size = batch_size
        self.datasets: dict[str, tuple[ArrayLike, ArrayLike]] = {}
        for name, pair in datasets.items():
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise TypeError(f"{name} must be an (x, t) pair, got {type(pair).__name__}")
            x = as_real_array(pair[0], f"{name}: x")  # no copy: uint8 images stay uint8
            check_finite(x, f"{name}: x")
            t = as_real_array(pair[1], f"{name}: t")
            if x.ndim == 0 or t.ndim == 0 or len(x) != len(t) or len(x) == 0:
                raise ValueError(
                    f"{name}: x and t must hold the same number (>= 1) of samples, got x "
                    f"{x.shape} and t {t.shape}"
                )
            self.datasets[name] = (x, t)

    def on_train_begin(self, logs: Logs) -> None:
        """Check every data set against the model, naming the set, before the first update."""
        model = self.trainer.model
        for name, (x, t) in self.datasets.items():
            xa, ta = np.asarray(x), np.asarray(t)
            try:
                n_classes = int(np.shape(model.predict(xa[:1]))[-1])
                as_targets(ta, len(ta), n_classes, name="t")
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{name}: {exc}") from exc

    def accuracy(self, x: ArrayLike, t: ArrayLike) -> float:
        """The model's accuracy on ``(x, t)``, evaluated ``batch_size`` samples at a time."""
        xa, ta = np.asarray(x), np.asarray(t)
        n = len(xa)
        correct = 0
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            acc = self.trainer.model.accuracy(xa[start:stop], ta[start:stop])
            correct += round(acc * (stop - start))
        return correct / float(n)

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Add ``<name>_acc`` for every data set."""
        train = self.trainer.train_data
        for name, (x, t) in self.datasets.items():
            if train is not None and x is train[0]:  # the training set: already converted
                x = train[1]
            logs[f"{name}_acc"] = self.accuracy(x, t)
