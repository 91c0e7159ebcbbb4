"""The log of a hyper-parameter search: one JSON line per finished trial, so that a search
stopped by Ctrl-C, a kill or a crash goes on without redoing what is done.

The file is JSON lines. The first line says what the file is and holds the search's plan
(everything that decides its results); each line after it is one finished trial, appended
the moment the trial ends: written in one call, flushed and ``fsync``-ed. A kill can only
cut the *last* line short (no newline at its end); such a line is ignored when the log is
read, and cut off before the next trial is appended. A complete line that is not a trial
record means the file is not a search log (or was edited), and is refused.

Book section
------------
6.5.2 (the random search, run trial by trial)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..utils.atomic import write_bytes_atomic

__all__ = ["FORMAT", "SearchLog"]

#: The first line's ``"format"``: what the file is, and the version of its layout.
FORMAT = "tinynn search log 1"


def _line(record: Mapping[str, Any]) -> bytes:
    return (json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")


class SearchLog:
    """An append-only log of finished trials (see the module's docstring for the format).

    Make one with :meth:`open`, which creates the file or reads what it holds.

    Parameters
    ----------
    path : path-like
        The log file.

    Book section
    ------------
    6.5.2 (the random search, run trial by trial)

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     log, done = SearchLog.open(Path(folder) / "trials.jsonl", {"seed": 0})
    ...     log.append({"trial": 0, "val_acc": [0.5]})
    ...     with open(log.path, "ab") as f:  # a kill in the middle of the next line
    ...         _ = f.write(b'{"trial": 1, "val_')
    ...     again = SearchLog.open(log.path, {"seed": 0})[1]
    ...     try:
    ...         SearchLog.open(log.path, {"seed": 1})
    ...     except ValueError as exc:
    ...         refused = str(exc).split(": ", 1)[1]
    >>> done, again
    ([], [{'trial': 0, 'val_acc': [0.5]}])
    >>> refused
    'seed is 0 there, 1 here'
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        plan: Mapping[str, Any],
        *,
        compare: Callable[[str], bool] = lambda key: True,
    ) -> tuple[SearchLog, list[dict[str, Any]]]:
        """The log at ``path`` for the search ``plan``, and the trials it already holds.

        A missing file is created with ``plan`` in its first line (atomically). An existing
        one must have been written for the same plan: every key for which ``compare(key)``
        is true must have the same value (a plan may differ in what does not change any
        trial's result, such as how many trials there are). A last line cut short is cut
        off the file, so that the next append starts a line of its own; nothing is changed
        when the file is refused.

        Parameters
        ----------
        path : path-like
            The log file.
        plan : mapping
            The search's plan, as JSON values.
        compare : callable, optional
            Which keys of the plan must agree (all by default).

        Returns
        -------
        (SearchLog, list of dict)
            The log, and the trial records in the order they were written.

        Raises
        ------
        ValueError
            If the file is not a search log, is of another search, or holds a complete
            line that is not a JSON object.
        OSError
            If it cannot be read or written.
        """
        log = cls(path)
        try:
            data = log.path.read_bytes()
        except FileNotFoundError:
            write_bytes_atomic(log.path, _line({"format": FORMAT, "plan": dict(plan)}))
            return log, []
        lines = data.split(b"\n")
        torn = len(lines[-1])  # the bytes after the last newline: a line a kill cut short
        complete = lines[:-1]
        if not complete:
            raise ValueError(f"{log.path} is not a search log: it has no complete first line")
        records: list[dict[str, Any]] = []
        for number, line in enumerate(complete, start=1):
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                what = "the header" if number == 1 else "a trial record"
                raise ValueError(
                    f"line {number} of {log.path} is not {what} (a JSON object): "
                    f"{line[:60].decode('utf-8', 'replace')!r}"
                )
            records.append(record)
        header, trials = records[0], records[1:]
        if header.get("format") != FORMAT or not isinstance(header.get("plan"), dict):
            raise ValueError(
                f"{log.path} is not a search log: its first line should name the format "
                f"{FORMAT!r} and hold the plan, it is {complete[0][:60].decode(errors='replace')!r}"
            )
        for key in sorted(set(plan) | set(header["plan"])):
            before, now = header["plan"].get(key), plan.get(key)
            if compare(key) and before != now:
                raise ValueError(
                    f"{log.path} was written by another search: {key} is {before!r} there, "
                    f"{now!r} here"
                )
        if torn:
            with open(log.path, "r+b") as f:
                f.truncate(len(data) - torn)
                f.flush()
                os.fsync(f.fileno())
        return log, trials

    def append(self, record: Mapping[str, Any]) -> None:
        """Add one trial's record as one line, on disk (flushed and ``fsync``-ed) on return."""
        line = _line(record)
        with open(self.path, "ab") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
