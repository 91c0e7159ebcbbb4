"""Writing every epoch's logs to a CSV file, one row per epoch boundary.

Book section
------------
4.5.3 (the per-epoch record of train and test accuracy)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, TextIO

from ..utils.atomic import write_bytes_atomic
from .base import Callback, Logs

__all__ = ["CSVLogger"]


def _cell(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(value)


class CSVLogger(Callback):
    """Write one CSV row per epoch boundary: ``epoch`` and every epoch log.

    Parameters
    ----------
    path : str or path-like
        The CSV file. A fresh run overwrites it; a resumed run appends.

    Notes
    -----
    The header (``epoch``, then the keys of the first epoch's logs, e.g.
    ``iteration,train_acc,test_acc``) is written once. Values are written
    with ``repr`` (integers without ``.0``), so they read back exactly. Each
    row is flushed as soon as it is written. When a run is resumed from a
    checkpoint, the rows written after that checkpoint (by the run that was
    interrupted) are dropped first, so every epoch appears once. Order 110:
    after every writer of the logs.

    Book section
    ------------
    4.5.3 (the per-epoch record of train and test accuracy)

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as d:
    ...     log = CSVLogger(Path(d, "log.csv"))
    ...     log.on_train_begin({})
    ...     log.on_epoch_end(0, {"iteration": 0.0, "test_acc": 0.25})
    ...     log.on_epoch_end(1, {"iteration": 600.0, "test_acc": 0.5})
    ...     log.on_train_end({})
    ...     print(Path(d, "log.csv").read_text(), end="")
    epoch,iteration,test_acc
    0,0,0.25
    1,600,0.5
    """

    order: ClassVar[int] = 110

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or path, got {type(path).__name__}")
        self.path = Path(path)
        self.columns: list[str] = []
        self.rows = 0
        self._file: TextIO | None = None

    def on_train_begin(self, logs: Logs) -> None:
        """Start a fresh file at the first row (a resumed run restores ``rows`` first)."""
        self.columns, self.rows, self._file = [], 0, None

    def _open(self, columns: list[str]) -> TextIO:
        if self.rows == 0:
            self.columns = columns
            f = open(self.path, "w", encoding="utf-8", newline="")
            f.write(",".join(columns) + "\n")
            return f
        try:  # resumed: keep the header and the rows the checkpoint knows of
            lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        except FileNotFoundError:
            lines = []
        if len(lines) < self.rows + 1 or lines[0].rstrip("\n") != ",".join(self.columns):
            warnings.warn(
                f"{self.path} does not hold the {self.rows} rows the checkpoint expects; "
                "starting it afresh with this epoch",
                UserWarning,
                stacklevel=4,
            )
            lines = [",".join(self.columns) + "\n"]
        write_bytes_atomic(self.path, "".join(lines[: self.rows + 1]).encode("utf-8"))
        return open(self.path, "a", encoding="utf-8", newline="")

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Append the row of this epoch (columns fixed by the first row; missing ones empty)."""
        if self._file is None:
            self._file = self._open(["epoch", *logs])
        row = [repr(epoch)] + [_cell(logs[k]) if k in logs else "" for k in self.columns[1:]]
        self._file.write(",".join(row) + "\n")
        self._file.flush()
        self.rows += 1

    def on_train_end(self, logs: Logs) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def state_dict(self) -> dict[str, Any]:
        """The columns and the number of rows written."""
        return {"columns": ",".join(self.columns), "rows": self.rows}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore the columns and row count; the next row truncates the file to them."""
        columns, rows = state.get("columns"), state.get("rows")
        if not isinstance(columns, str) or isinstance(rows, bool) or not isinstance(rows, int):
            raise ValueError(f"not a CSVLogger state: {dict(state)!r}")
        self.columns = columns.split(",") if columns else []
        self.rows = rows
        self._file = None
