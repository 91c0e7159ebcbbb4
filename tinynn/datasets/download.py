"""Downloading a data file from a list of mirrors: atomic, verified, with a progress display.

The file is streamed into a temporary file in the destination folder, its decompressed content
is checked against the expected SHA-256, and only then is it fsync-ed and renamed into place
with :func:`os.replace`. On any failure -- HTTP error, timeout, short transfer, wrong checksum, or
an interrupt such as ``KeyboardInterrupt`` -- the temporary file is deleted, so nothing a later
call would trust is left behind. Mirrors are tried in order; the first that yields a verified
file wins.
"""

from __future__ import annotations

import http.client
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from ..utils.atomic import atomic_write
from .idx import IDXFormatError, decompress_idx
from .verify import ChecksumError, check_sha256

__all__ = ["DownloadError", "check_url", "download_verified"]

#: Files smaller than this are downloaded without a progress display.
PROGRESS_MIN_BYTES = 1 << 20
_CHUNK = 1 << 16
_USER_AGENT = "tinynn-datasets/0.1 (Python urllib)"


class DownloadError(OSError):
    """Every mirror failed for one file; ``errors`` lists ``(url, reason)`` for each attempt.

    Book section
    ------------
    3.6.1 (MNIST dataset; the book's ``_download`` has a single URL and no checks)
    """

    def __init__(
        self, name: str, errors: Sequence[tuple[str, str]], unreachable: Sequence[str] = ()
    ) -> None:
        self.errors = list(errors)
        #: The URLs that timed out or could not be connected to (their mirror is likely down).
        self.unreachable = list(unreachable)
        lines = "\n".join(f"  {url}: {reason}" for url, reason in self.errors) or "  (no mirrors)"
        super().__init__(f"could not download {name}:\n{lines}")


class _DeadlinePassed(OSError):
    """The whole download's deadline passed during (or before) this attempt."""


def _unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` means the server did not answer (timeout, refused, no route, DNS)."""
    if isinstance(exc, urllib.error.HTTPError):
        return False  # it answered, with an error status
    if isinstance(exc, urllib.error.URLError):
        return isinstance(exc.reason, OSError)
    return isinstance(exc, (TimeoutError, ConnectionError))


def _why(exc: BaseException) -> str:
    """Why an attempt failed, in words."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return f"no answer within the timeout ({reason or 'timed out'})"
    return str(exc) or type(exc).__name__


def check_url(url: str) -> None:
    """Raise ``ValueError`` unless ``url`` is an ``http://`` or ``https://`` URL with a host.

    Book section
    ------------
    3.6.1 (MNIST dataset)

    Examples
    --------
    >>> check_url("https://ossci-datasets.s3.amazonaws.com/mnist/")
    >>> check_url("ftp://example.org/")
    Traceback (most recent call last):
    ...
    ValueError: mirror URL must start with http:// or https:// and name a host, \
got 'ftp://example.org/'
    """
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"mirror URL must start with http:// or https:// and name a host, got {url!r}"
        )


class _Progress:
    """A one-line ``\\r`` progress display on a text stream, shown for large files only."""

    def __init__(self, name: str, total: int | None, enabled: bool, stream: TextIO) -> None:
        self.name, self.total, self.stream = name, total, stream
        self.enabled = enabled and (total is None or total >= PROGRESS_MIN_BYTES)
        self.done = 0
        self._shown = -1

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self.total:
            step = 100 * self.done // self.total
            text = f"{step:3d}% ({self.done / 1e6:.1f} of {self.total / 1e6:.1f} MB)"
        else:
            step = self.done >> 20
            text = f"{self.done / 1e6:.1f} MB"
        if step != self._shown:
            self._shown = step
            self.stream.write(f"\rDownloading {self.name}: {text}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._shown >= 0:
            self.stream.write("\n")
            self.stream.flush()


def _fetch(
    url: str, f: BinaryIO, *, timeout: float, deadline: float, progress: bool, name: str
) -> None:
    """Stream ``url`` into the open file ``f`` before ``deadline`` (``time.monotonic()``);
    raise ``OSError`` if the transfer is short or the deadline passes."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    wait = min(timeout, deadline - time.monotonic())
    if wait <= 0:
        raise _DeadlinePassed("not tried: the download deadline had passed")
    with urllib.request.urlopen(request, timeout=wait) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length is not None and length.isdigit() else None
        bar = _Progress(name, total, progress, sys.stderr)
        try:
            while chunk := response.read(_CHUNK):
                f.write(chunk)
                bar.update(len(chunk))
                if time.monotonic() > deadline:
                    raise _DeadlinePassed(
                        f"the download deadline passed after {bar.done} bytes (too slow)"
                    )
        finally:
            bar.close()
    if total is not None and bar.done != total:
        raise OSError(f"transfer interrupted: received {bar.done} of {total} bytes")


def download_verified(
    urls: Sequence[str],
    dest: Path,
    sha256: str,
    *,
    timeout: float = 10.0,
    deadline: float | None = None,
    progress: bool | None = None,
    unreachable: list[str] | None = None,
) -> Path:
    """Download the first of ``urls`` whose decompressed content has ``sha256`` to ``dest``.

    Parameters
    ----------
    urls : sequence of str
        Full URLs of the same file on different mirrors, tried in order.
    dest : pathlib.Path
        Where the file ends up; its folder must exist and be writable.
    sha256 : str
        SHA-256 (hex) of the *decompressed* IDX content.
    timeout : float
        Seconds to wait for each connection or read before giving up on a mirror.
    deadline : float, optional
        A ``time.monotonic()`` time by which everything must be done: no attempt starts
        after it, and a transfer still running then is abandoned. ``None``: no deadline.
    progress : bool, optional
        Show a progress line on stderr for files of 1 MiB or more. ``None`` (the default)
        shows it only when stderr is a terminal.

    unreachable : list of str, optional
        Gets the URLs that did not answer at all (timeout, connection refused), even if a
        later mirror succeeded, so that a caller can skip their mirror for other files.

    Returns
    -------
    pathlib.Path
        ``dest``, which now holds verified content.

    Raises
    ------
    DownloadError
        If every mirror failed; it lists each URL and why (HTTP status, timeout, short
        transfer, checksum, deadline) and which did not answer at all (``unreachable``).
        Nothing is left at ``dest`` or in a temporary file.
    KeyboardInterrupt
        Passed on at once (after removing the temporary file), not treated as a mirror failure.

    Notes
    -----
    The file is written to a temporary name in ``dest``'s folder, fsync-ed and renamed with
    :func:`os.replace` only after its checksum matches, so an existing ``dest`` is replaced
    atomically and a failed download never leaves a partial file.

    Book section
    ------------
    3.6.1 (MNIST dataset; ``_download`` in the book's ``dataset/mnist.py``)

    Examples
    --------
    >>> download_verified([], Path("nowhere.gz"), "0" * 64)
    Traceback (most recent call last):
    ...
    tinynn.datasets.download.DownloadError: could not download nowhere.gz:
      (no mirrors)
    """
    show = sys.stderr.isatty() if progress is None else progress
    end = time.monotonic() + 1e9 if deadline is None else deadline
    errors: list[tuple[str, str]] = []
    silent: list[str] = [] if unreachable is None else unreachable
    first_silent = len(silent)
    for url in urls:
        if time.monotonic() >= end:
            errors.append((url, "not tried: the download deadline had passed"))
            continue
        try:
            with atomic_write(dest) as f:
                _fetch(url, f, timeout=timeout, deadline=end, progress=show, name=dest.name)
                f.seek(0)
                check_sha256(decompress_idx(f.read(), source=url), sha256, source=url)
            return dest
        except (OSError, EOFError, http.client.HTTPException, ChecksumError, IDXFormatError) as exc:
            errors.append((url, _why(exc)))
            if _unreachable(exc):
                silent.append(url)
    raise DownloadError(dest.name, errors, silent[first_silent:])
