"""Getting the verified content of a data set's four files: found locally, else downloaded.

This ties the pieces together: :func:`~tinynn.datasets.locate.search_dirs` gives the folders,
each file's first copy that verifies is used, the missing ones are downloaded into
:func:`~tinynn.datasets.locate.download_dir` from the mirrors, and if anything is still
missing a :class:`~tinynn.datasets.DatasetNotFoundError` explains what to do. Verifications
are recorded in ``<user cache>/verified.json``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Literal

from .download import DownloadError, download_verified
from .locate import (
    PathArg,
    download_dir,
    find_verified,
    read_verified,
    search_dirs,
    user_cache_dir,
)
from .not_found import DatasetNotFoundError, SearchReport
from .spec import DatasetSpec, IDXFile
from .verify import VerifiedRecord

__all__ = ["obtain_contents"]


def _download_missing(
    missing: list[IDXFile],
    target: Path,
    mirrors: tuple[str, ...],
    record: VerifiedRecord,
    found: dict[IDXFile, bytes],
    *,
    timeout: float,
    deadline: float,
    progress: bool | None,
) -> tuple[list[tuple[str, str]], str]:
    """Download each missing file into ``target`` within ``deadline`` seconds in all; return
    every URL that failed with why, and the time limits when they played a part.

    A mirror that does not answer (timeout, connection refused) is not asked again for the
    remaining files, so one hanging mirror costs one ``timeout``, not one per file.
    """
    failures: list[tuple[str, str]] = []
    end = time.monotonic() + deadline
    dead: dict[str, str] = {}  # mirror -> the URL that did not answer
    slow = False  # whether a timeout or the deadline was involved
    for f in missing:
        dest = target / (f.name + ".gz")
        live = [m for m in mirrors if m not in dead]
        skipped = [
            (f"{m}{f.name}.gz", f"not tried, the mirror did not answer for {dead[m]}")
            for m in mirrors
            if m in dead
        ]
        silent: list[str] = []
        try:
            download_verified(
                [m + f.name + ".gz" for m in live],
                dest,
                f.sha256,
                timeout=timeout,
                deadline=end,
                progress=progress,
                unreachable=silent,
            )
        except DownloadError as exc:
            failures += [*exc.errors, *skipped]
            slow = slow or bool(silent) or any("deadline" in w for _, w in exc.errors)
            continue
        finally:
            dead.update({m: m + f.name + ".gz" for m in live if m + f.name + ".gz" in silent})
        record.add(dest, os.stat(dest), f.sha256)
        found[f] = read_verified(dest, f, record)
    limits = f"timeout {timeout:g} s per connection or read, {deadline:g} s in all" if slow else ""
    return failures, limits


def obtain_contents(
    spec: DatasetSpec,
    root: PathArg | None,
    *,
    download: bool,
    mirrors: tuple[str, ...],
    timeout: float,
    progress: bool | None,
    deadline: float = 300.0,
) -> list[bytes]:
    """The verified, decompressed IDX content of ``spec``'s four files, in ``spec.files`` order.

    Parameters
    ----------
    spec : DatasetSpec
        The data set.
    root : str or os.PathLike or None
        The caller's folder, searched first and used for downloads when writable.
    download : bool
        Whether missing files may be downloaded.
    mirrors : tuple of str
        Base URLs ending in ``/``.
    timeout : float
        Seconds per connection or read.
    deadline : float
        Seconds for all downloads together.
    progress : bool or None
        Progress display (see :func:`~tinynn.datasets.download_verified`).

    Returns
    -------
    list of bytes

    Raises
    ------
    DatasetNotFoundError
        If some files are neither found nor downloaded.

    Book section
    ------------
    3.6.1 (MNIST dataset; ``init_mnist`` in the book's ``dataset/mnist.py``)
    """
    dirs = search_dirs(spec, root)
    record = VerifiedRecord(user_cache_dir() / "verified.json")
    problems: list[str] = []
    found: dict[IDXFile, bytes] = {}
    try:
        for f in spec.files:
            hit = find_verified(f, dirs, record, problems)
            if hit is not None:
                found[f] = hit[1]
        missing = [f for f in spec.files if f not in found]
        download_state: Literal["disabled", "no folder", "failed"] = "disabled"
        failures: list[tuple[str, str]] = []
        limits = ""
        if missing and download:
            target = download_dir(spec, root)
            download_state = "no folder" if target is None else "failed"
            if target is not None:
                failures, limits = _download_missing(
                    missing,
                    target,
                    mirrors,
                    record,
                    found,
                    timeout=timeout,
                    deadline=deadline,
                    progress=progress,
                )
            missing = [f for f in spec.files if f not in found]
        if missing:
            report = SearchReport(
                name=spec.name,
                folder=spec.folder,
                missing=tuple(f.name for f in missing),
                dirs=tuple(dirs),
                problems=tuple(problems),
                download=download_state,
                failures=tuple(failures),
                limits=limits,
                mirrors=mirrors,
                cache=user_cache_dir() / spec.folder,
            )
            raise DatasetNotFoundError(report)
    finally:
        record.save()
    return [found[f] for f in spec.files]
