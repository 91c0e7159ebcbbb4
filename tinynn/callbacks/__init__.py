"""Callbacks: code the :class:`~tinynn.Trainer` runs at fixed points of training.

The trainer calls every callback's hooks in order of their ``order``
attribute, lowest first; callbacks with equal ``order`` run in list order.
Callbacks that *write* to the epoch logs run before those that *read* them,
and the checkpoint runs last, so that it saves what all the others did:

=====  ====================================  ==============================================
order  callback                              role
=====  ====================================  ==============================================
 -10   :class:`~tinynn.EpochAccuracy`        writes ``<name>_acc``
  -5   :class:`~tinynn.GradientAgreement`    writes ``grad_disagreement``
  10   :class:`~tinynn.EarlyStopping`        reads its ``monitor``; may stop training
  50   :class:`~tinynn.ProgressPrinter`      reads and prints the logs
 100   :class:`~tinynn.History`              records the logs
 110   :class:`~tinynn.CSVLogger`            writes the logs to a CSV file
 200   :class:`~tinynn.Checkpoint`           saves the whole state (after History recorded)
=====  ====================================  ==============================================

A user's callback has order 0 unless it sets another.

Book section
------------
4.5.3 (evaluating train and test accuracy once per epoch)
"""

from .accuracy import EpochAccuracy as EpochAccuracy
from .agreement import GradientAgreement as GradientAgreement
from .base import Callback as Callback
from .base import Logs as Logs
from .base import Monitor as Monitor
from .base import TrainingRun as TrainingRun
from .checkpoint import Checkpoint as Checkpoint
from .csv_logger import CSVLogger as CSVLogger
from .early_stopping import EarlyStopping as EarlyStopping
from .history import History as History
from .progress import ProgressPrinter as ProgressPrinter

__all__ = [
    "CSVLogger",
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "EpochAccuracy",
    "GradientAgreement",
    "History",
    "Logs",
    "Monitor",
    "ProgressPrinter",
    "TrainingRun",
]
