"""The one way tinynn writes a file: atomically.

A temporary file is created in the destination's folder, written, flushed and
``fsync``-ed, then renamed onto the final name with :func:`os.replace`, and
the folder is ``fsync``-ed where the operating system allows it. A reader (or
a machine that crashes) sees either the old file or the complete new one,
never a partial or empty file under the final name. On any exception,
including ``KeyboardInterrupt``, the temporary file is removed and the
destination is left as it was.

Used by the data sets (downloads, ``.npz`` cache, ``verified.json``), model
saving and checkpoints.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "create_temp", "write_bytes_atomic"]


def create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """Create a new, empty hidden file ``.{name}.<random>.part`` in ``folder``; return (fd, path).

    Unlike :func:`tempfile.mkstemp` (mode 0600), the file gets the usual
    permissions (0666 minus the umask), so a file renamed into a shared folder
    stays readable by others.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        path = folder / f".{name}.{secrets.token_hex(6)}.part"
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable; silently skipped where folders cannot be opened."""
    if not hasattr(os, "O_DIRECTORY"):  # Windows: no fsync of a folder
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temporary file for ``path`` (``w+b``); on success, make it ``path`` atomically.

    The ``with`` body writes into the yielded file (it may also read it back,
    e.g. to verify a checksum). If the body raises, the temporary file is
    removed and the exception passes on; ``path`` is untouched.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     target = Path(d, "out.bin")
    ...     with atomic_write(target) as f:
    ...         _ = f.write(b"abc")
    ...     target.read_bytes(), sorted(p.name for p in Path(d).iterdir())
    (b'abc', ['out.bin'])
    """
    final = Path(path)
    fd, tmp = create_temp(final.parent, final.name)
    try:
        with os.fdopen(fd, "w+b") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(final.parent)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    with atomic_write(path) as f:
        f.write(data)
