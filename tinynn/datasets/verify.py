"""Checksums of IDX content, and a small record of files already verified.

A data file is trusted when the SHA-256 of its *decompressed* IDX content matches the
published value: the ``.gz`` archives on different mirrors differ (gzip headers,
recompression) while the content is the same. Hashing MNIST's 47 MB of training images takes
a few tens of milliseconds, so each verified file is recorded in ``verified.json`` in the user
cache, keyed by its absolute path, size and modification time; a later load of the same,
unchanged file skips the hash. Any change to the file (size or mtime) makes it be checked
again. The record is advisory: if it is missing, unreadable or cannot be written, files are
simply hashed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..utils.atomic import write_bytes_atomic

__all__ = ["ChecksumError", "VerifiedRecord", "check_sha256", "sha256_hex"]

_RECORD_VERSION = 1


class ChecksumError(ValueError):
    """A file's content does not have the SHA-256 it must have.

    Book section
    ------------
    3.6.1 (MNIST dataset; the book's loader trusts whatever is on disk)
    """


def sha256_hex(content: bytes) -> str:
    """Return the SHA-256 of ``content`` as 64 lowercase hex digits.

    Book section
    ------------
    3.6.1 (MNIST dataset)

    Examples
    --------
    >>> sha256_hex(b"")[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(content).hexdigest()


def check_sha256(content: bytes, expected: str, *, source: str) -> None:
    """Raise :class:`ChecksumError` unless ``sha256_hex(content) == expected``.

    Parameters
    ----------
    content : bytes
        The decompressed IDX content.
    expected : str
        The SHA-256 it must have (hex).
    source : str
        The file or URL, named in the error.

    Raises
    ------
    ChecksumError
        Naming the file, the expected and the actual digest, and the content length.

    Book section
    ------------
    3.6.1 (MNIST dataset)

    Examples
    --------
    >>> check_sha256(b"", sha256_hex(b""), source="empty")
    >>> check_sha256(b"x", sha256_hex(b""), source="f.gz")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tinynn.datasets.verify.ChecksumError: f.gz: SHA-256 of the decompressed content is 2d71...
    """
    actual = sha256_hex(content)
    if actual != expected:
        raise ChecksumError(
            f"{source}: SHA-256 of the decompressed content is {actual}, expected {expected} "
            f"({len(content)} bytes; the file is corrupt, truncated or not the right file)"
        )


class VerifiedRecord:
    """Which files have been verified, keyed by absolute path, size and mtime (``verified.json``).

    Parameters
    ----------
    path : pathlib.Path or None
        The JSON file holding the record; ``None`` keeps it in memory only.

    Notes
    -----
    Reading tolerates a missing or malformed file (it starts empty); :meth:`save` writes
    atomically (temporary file, fsync, then :func:`os.replace`) and ignores ``OSError`` so that a
    read-only cache never stops a load. Entries of files that no longer exist are dropped.

    Book section
    ------------
    3.6.1 (MNIST dataset; the book re-reads its pickle without any check)

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as d:
    ...     data = Path(d, "labels")
    ...     _ = data.write_bytes(b"abc")
    ...     record = VerifiedRecord(Path(d, "verified.json"))
    ...     before = record.is_verified(data, os.stat(data), sha256_hex(b"abc"))
    ...     record.add(data, os.stat(data), sha256_hex(b"abc"))
    ...     record.save()
    ...     again = VerifiedRecord(Path(d, "verified.json"))
    ...     before, again.is_verified(data, os.stat(data), sha256_hex(b"abc"))
    (False, True)
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, dict[str, Any]] = {}
        self._dirty = False
        if path is not None:
            with contextlib.suppress(OSError, ValueError):
                loaded = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict) and loaded.get("version") == _RECORD_VERSION:
                    files = loaded.get("files")
                    if isinstance(files, dict):
                        self._entries = {k: v for k, v in files.items() if isinstance(v, dict)}

    @staticmethod
    def _key(file: Path) -> str:
        return os.fspath(file.absolute())

    def is_verified(self, file: Path, st: os.stat_result, sha256: str) -> bool:
        """Whether ``file``, as ``st`` describes it now, was verified to have ``sha256``."""
        entry = self._entries.get(self._key(file))
        return entry == {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}

    def add(self, file: Path, st: os.stat_result, sha256: str) -> None:
        """Record that ``file`` (size and mtime from ``st``) has content with ``sha256``."""
        entry = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
        key = self._key(file)
        if self._entries.get(key) != entry:
            self._entries[key] = entry
            self._dirty = True

    def save(self) -> None:
        """Write the record if it changed; never raises ``OSError``."""
        if self.path is None or not self._dirty:
            return
        entries = {k: v for k, v in self._entries.items() if os.path.exists(k)}
        text = json.dumps({"version": _RECORD_VERSION, "files": entries}, indent=1, sort_keys=True)
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(self.path, text.encode("utf-8"))
            self._dirty = False
