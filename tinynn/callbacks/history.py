"""The record of a training run: the loss per iteration, the logs per epoch.

Book section
------------
4.5.2 (``train_loss_list``), 4.5.3 (``train_acc_list``, ``test_acc_list``)
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from .base import Callback, Logs

__all__ = ["History"]


class History(Callback):
    """Everything recorded during training: the loss per iteration, the logs per epoch.

    Every :class:`~tinynn.Trainer` has one (``trainer.history``), which
    ``fit`` returns. The trainer itself records each iteration's loss (with
    :meth:`record_loss`, right after the update and before any callback
    runs), so the record holds exactly one loss per update applied, even if
    a callback raises or training is interrupted.

    Attributes
    ----------
    history : dict of str to list of float
        ``'loss'`` per iteration; every epoch-log key (``'iteration'``,
        ``'train_acc'``, ``'test_acc'``, ...) per epoch boundary.

    Book section
    ------------
    4.5.2 (``train_loss_list``), 4.5.3 (``train_acc_list``, ``test_acc_list``)

    Examples
    --------
    >>> h = History()
    >>> h.on_train_begin({})
    >>> h.record_loss(2.3)
    >>> h.on_epoch_end(0, {"iteration": 0.0, "test_acc": 0.1})
    >>> h.train_loss_list, h.test_acc_list
    ([2.3], [0.1])
    >>> again = History()
    >>> again.load_state_dict(h.state_dict())
    >>> again.history == h.history
    True
    """

    order: ClassVar[int] = 100

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {"loss": []}

    def on_train_begin(self, logs: Logs) -> None:
        """Start a fresh record."""
        self.history = {"loss": []}

    def record_loss(self, loss: float) -> None:
        """Append the mini-batch loss of one update (called by the trainer)."""
        self.history["loss"].append(loss)

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Append every epoch-log value."""
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def state_dict(self) -> dict[str, Any]:
        """The record as float64 arrays, one per key (exact: floats round-trip bit for bit)."""
        return {key: np.array(values, dtype=np.float64) for key, values in self.history.items()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a record returned by :meth:`state_dict`."""
        record: dict[str, list[float]] = {}
        for key, values in state.items():
            a = np.asarray(values)
            if a.ndim != 1 or not np.issubdtype(a.dtype, np.floating):
                raise ValueError(
                    f"history[{key!r}] must be a 1-D float array, got {a.dtype} {a.shape}"
                )
            record[key] = [float(v) for v in a]
        if "loss" not in record:
            raise ValueError("a History state must hold 'loss'")
        self.history = record

    def __repr__(self) -> str:
        """``History(20 iterations, loss 2.302 -> 0.4101; 4 epochs, last: train_acc 0.93,
        test_acc 0.91)``: what a learner wants to see when ``fit`` returns at the prompt."""
        losses = self.train_loss_list
        text = f"{len(losses)} iteration{'s' * (len(losses) != 1)}"
        if losses:
            text += f", loss {losses[0]:.4g} -> {losses[-1]:.4g}"
        epochs = {k: v for k, v in self.history.items() if k not in ("loss", "iteration")}
        count = max((len(v) for v in epochs.values()), default=0)
        if count:
            last = ", ".join(f"{k} {v[-1]:.4g}" for k, v in epochs.items() if v)
            text += f"; {count} epoch record{'s' * (count != 1)}, last: {last}"
        return f"History({text})"

    def _repr_html_(self) -> str:
        """The record as a Jupyter notebook shows it: the loss, then a table of the epochs."""
        losses = self.train_loss_list
        head = f"<p><b>History</b>: {len(losses)} iteration{'s' * (len(losses) != 1)}"
        if losses:
            head += f", loss {losses[0]:.4g} &rarr; {losses[-1]:.4g}"
        keys = [k for k in self.history if k != "loss"]
        count = max((len(self.history[k]) for k in keys), default=0)
        if not count:
            return head + "</p>"
        cells = "".join(f"<th>{html.escape(k)}</th>" for k in keys)
        body = "".join(
            f"<tr><td>{e}</td>" + "".join(
                f"<td>{self.history[k][e]:.4g}</td>" if e < len(self.history[k]) else "<td></td>"
                for k in keys
            ) + "</tr>"
            for e in range(count)
        )  # fmt: skip
        return (f"{head}</p><table><thead><tr><th>epoch</th>{cells}</tr></thead>"
                f"<tbody>{body}</tbody></table>")  # fmt: skip

    @property
    def train_loss_list(self) -> list[float]:
        """The mini-batch loss after every iteration (the book's name)."""
        return self.history.get("loss", [])

    @property
    def train_acc_list(self) -> list[float]:
        """Train accuracy at every epoch boundary (the book's name)."""
        return self.history.get("train_acc", [])

    @property
    def test_acc_list(self) -> list[float]:
        """Test accuracy at every epoch boundary (the book's name)."""
        return self.history.get("test_acc", [])
