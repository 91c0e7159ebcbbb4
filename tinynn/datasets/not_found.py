"""When a data set cannot be had: what was missing, where it was looked for, what to do.

A :class:`DatasetNotFoundError` carries the facts (a :class:`SearchReport`) and tells them in
the caller's terms: ``str(error)`` speaks to Python code (``root=``, ``download=True``);
``error.describe("command line")`` speaks to the ``tinynn`` command's user (``--data-dir``,
``TINYNN_DATA``, ``--no-download``). Both lead with what to do, then say what happened.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["DatasetNotFoundError", "SearchReport", "Terms"]

#: Whose words a message uses: Python code's or the command line's.
Terms = Literal["python", "command line"]


@dataclass(frozen=True)
class SearchReport:
    """Why a data set could not be had, as facts; :class:`DatasetNotFoundError` tells them.

    ``download`` is ``"disabled"`` (not allowed), ``"no folder"`` (nowhere writable to put
    the files) or ``"failed"`` (every mirror failed, each attempt in ``failures`` as
    ``(url, why)``, and ``limits`` says which time limits applied, if any played a part).

    Book section
    ------------
    3.6.1 (MNIST dataset)
    """

    name: str
    folder: str
    missing: tuple[str, ...]
    dirs: tuple[Path, ...]
    problems: tuple[str, ...]
    download: Literal["disabled", "no folder", "failed"]
    failures: tuple[tuple[str, str], ...]
    limits: str
    mirrors: tuple[str, ...]
    cache: Path


class DatasetNotFoundError(FileNotFoundError):
    """Some files of a data set are neither on disk nor downloadable; the message says what to
    do first, then which files are missing, where they were looked for, and why downloading
    did not help, in Python's terms (``root=``, ``download=True``);
    ``error.describe("command line")`` tells the same in the ``tinynn`` command's terms
    (``--data-dir``, ``TINYNN_DATA``, ``--no-download``), in a few lines.

    Book section
    ------------
    3.6.1 (MNIST dataset; the book's ``init_mnist`` downloads or fails with a bare traceback)
    """

    def __init__(self, message: str | SearchReport) -> None:
        self.report = message if isinstance(message, SearchReport) else None
        super().__init__(message if isinstance(message, str) else _message(message, "python"))

    def describe(self, terms: Terms = "python") -> str:
        """The message for ``terms``: ``"python"`` (``str(error)``) or ``"command line"``.

        Book section
        ------------
        3.6.1 (MNIST dataset)
        """
        if self.report is None or terms == "python":
            return str(self)
        return _message(self.report, terms)


def _lead(r: SearchReport, terms: Terms) -> str:
    """The first line: what to do, in the caller's terms."""
    where = f"where DIR holds {r.folder}/ with the four {r.name} files (.gz or not)"
    if terms == "command line":
        lead = f"{r.name} not found: give --data-dir DIR (or set TINYNN_DATA=DIR), {where}"
        if r.download == "disabled":
            lead += ", or leave out --no-download to download them"
    else:
        lead = f"{r.name} not found: pass root=DIR (or set TINYNN_DATA=DIR), {where}"
        if r.download == "disabled":
            lead += ", or pass download=True to download them"
    return lead


def _looked_in(r: SearchReport) -> list[str]:
    return [str(d) + ("" if d.is_dir() else " (no such folder)") for d in r.dirs]


def _by_mirror(r: SearchReport) -> list[str]:
    """Why each mirror failed, once per mirror (the files it was not asked for left out)."""
    out = []
    for mirror in r.mirrors:
        tried = [why for url, why in r.failures if url.startswith(mirror)]
        reasons = list(dict.fromkeys(w for w in tried if not w.startswith("not tried")))
        if tried:
            out.append(f"{mirror}: {'; '.join(reasons or tried[:1])}")
    return out


def _message(r: SearchReport, terms: Terms) -> str:
    names = ", ".join(f"{name}(.gz)" for name in r.missing)
    env_set = bool(os.environ.get("TINYNN_DATA", ""))
    if terms == "command line":
        lines = [_lead(r, terms)]
        looked = "; ".join(_looked_in(r)) + ("" if env_set else "; TINYNN_DATA is not set")
        lines.append(f"  {len(r.missing)} of 4 files missing; looked in {looked}")
        if r.problems:
            lines.append(f"  rejected: {'; '.join(r.problems)}")
        if r.download == "no folder":
            lines.append("  no download: no writable folder (--data-dir or the user cache)")
        elif r.download == "failed":
            limits = f" ({r.limits})" if r.limits else ""
            lines.append(f"  download failed: {' | '.join(_by_mirror(r))}{limits}")
        if r.mirrors:
            others = f" (or {', '.join(r.mirrors[1:])})" if len(r.mirrors) > 1 else ""
            files = ", ".join(f"{name}.gz" for name in r.missing)
            lines.append(f"  the files by hand: {r.mirrors[0]}{others}: {files}")
        return "\n".join(lines)
    lines = [_lead(r, terms) + ".", f"{r.name}: {len(r.missing)} of 4 files not found: {names}."]
    lines += ["Looked in:"] + [f"  {d}" for d in _looked_in(r)]
    if not env_set:
        lines.append("  (TINYNN_DATA is not set)")
    if r.problems:
        lines += ["Rejected copies:"] + [f"  {p}" for p in r.problems]
    if r.download == "disabled":
        lines.append("Downloading is disabled (download=False).")
    elif r.download == "no folder":
        lines.append("Download skipped: no writable folder (root= or the user cache).")
    else:
        lines.append("Download failed:")
        lines += [f"  {url}: {why}" for url, why in r.failures] or ["  (no mirrors given)"]
        if r.limits:
            lines.append(f"  ({r.limits})")
    lines.append(f"Or put the files in {r.cache}/ (the user cache)" + (
        ", or download them by hand from a mirror, e.g." if r.mirrors else "."))  # fmt: skip
    if r.mirrors:
        lines += [f"    {r.mirrors[0]}{name}.gz" for name in r.missing]
        if len(r.mirrors) > 1:
            lines.append("  other mirrors: " + ", ".join(r.mirrors[1:]))
    return "\n".join(lines)
