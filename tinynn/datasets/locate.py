"""Where data files are looked for and downloaded to, and reading a local file with verification.

Search order, for a data set whose folder is ``mnist``:

1. ``root/mnist`` and then ``root`` itself, when ``root=`` is given;
2. ``$TINYNN_DATA/mnist`` when the ``TINYNN_DATA`` environment variable is set;
3. the user cache, ``$XDG_CACHE_HOME/tinynn/mnist`` or else ``~/.cache/tinynn/mnist``;
4. the data set's system folders (``/usr/share/datasets/fashion-mnist`` for Fashion-MNIST).

In each folder a file may be uncompressed (``train-images-idx3-ubyte``) or gzip-compressed
(``train-images-idx3-ubyte.gz``). A file that exists but fails verification is skipped with a
warning, and the search goes on.

Downloads go to ``root`` (to ``root`` itself if it already holds one of the data set's files,
else to ``root/mnist``) when ``root=`` is given and writable, and to the user cache otherwise.
``TINYNN_DATA`` and system folders are only read, never written.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TypeAlias

from .idx import IDXFormatError, decompress_idx
from .spec import DatasetSpec, IDXFile
from .verify import ChecksumError, VerifiedRecord, check_sha256

__all__ = ["download_dir", "search_dirs", "user_cache_dir"]

#: A folder given by the caller.
PathArg: TypeAlias = "str | os.PathLike[str]"


def user_cache_dir() -> Path:
    """The user cache folder of tinynn: ``$XDG_CACHE_HOME/tinynn``, else ``~/.cache/tinynn``.

    A relative ``XDG_CACHE_HOME`` is ignored, as the XDG specification asks.

    Book section
    ------------
    3.6.1 (MNIST dataset; the book caches ``mnist.pkl`` in its package folder instead)

    Examples
    --------
    >>> user_cache_dir().name
    'tinynn'
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "tinynn"
    return Path.home() / ".cache" / "tinynn"


def search_dirs(spec: DatasetSpec, root: str | os.PathLike[str] | None = None) -> list[Path]:
    """The folders searched for ``spec``'s files, in order (see the module docstring).

    Parameters
    ----------
    spec : DatasetSpec
        The data set; its ``folder`` names the sub-folder.
    root : str or os.PathLike, optional
        A folder given by the caller, searched first.

    Returns
    -------
    list of pathlib.Path
        Without duplicates; the folders need not exist.

    Book section
    ------------
    3.6.1 (MNIST dataset; the book only looks in its own ``dataset/`` folder)

    Examples
    --------
    >>> from tinynn.datasets import MNIST
    >>> [p.as_posix() for p in search_dirs(MNIST, root="/data")][:2]
    ['/data/mnist', '/data']
    """
    dirs: list[Path] = []
    if root is not None:
        base = Path(root).expanduser()
        dirs += [base / spec.folder, base]
    env = os.environ.get("TINYNN_DATA", "")
    if env:
        dirs.append(Path(env).expanduser() / spec.folder)
    dirs.append(user_cache_dir() / spec.folder)
    dirs += [Path(d) for d in spec.system_dirs]
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def download_dir(spec: DatasetSpec, root: PathArg | None = None) -> Path | None:
    """The folder downloads go to (created if needed), or ``None`` if none is writable.

    ``root`` when given and writable (``root`` itself if it already holds one of the data set's
    files, else ``root/<folder>``); otherwise ``<user cache>/<folder>``.

    Book section
    ------------
    3.6.1 (MNIST dataset; the book writes into its package folder)
    """
    targets: list[Path] = []
    if root is not None:
        base = Path(root).expanduser()
        flat = any((base / n).exists() for f in spec.files for n in (f.name, f.name + ".gz"))
        targets.append(base if flat else base / spec.folder)
    targets.append(user_cache_dir() / spec.folder)
    return next((t for t in targets if _writable(t)), None)


def read_verified(path: Path, file: IDXFile, record: VerifiedRecord) -> bytes:
    """Return the decompressed content of ``path`` after checking it is ``file``'s content.

    The SHA-256 is skipped when ``record`` says this path, with its current size and mtime,
    was verified before; otherwise it is computed and, if it matches, recorded.

    Raises
    ------
    OSError
        If the file cannot be read.
    IDXFormatError
        If it is corrupt gzip data.
    ChecksumError
        If the content's SHA-256 is not ``file.sha256``.

    Book section
    ------------
    3.6.1 (MNIST dataset)
    """
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        raw = f.read()
    content = decompress_idx(raw, source=os.fspath(path))
    if not record.is_verified(path, st, file.sha256):
        check_sha256(content, file.sha256, source=os.fspath(path))
        record.add(path, st, file.sha256)
    return content


def find_verified(
    file: IDXFile, dirs: list[Path], record: VerifiedRecord, problems: list[str]
) -> tuple[Path, bytes] | None:
    """The first copy of ``file`` in ``dirs`` whose content verifies, with that content.

    Copies that exist but fail (unreadable, corrupt, wrong checksum) are described in
    ``problems`` and in a ``UserWarning``, and skipped.

    Book section
    ------------
    3.6.1 (MNIST dataset)
    """
    for folder in dirs:
        for name in (file.name, file.name + ".gz"):
            path = folder / name
            if not path.is_file():
                continue
            try:
                return path, read_verified(path, file, record)
            except (OSError, IDXFormatError, ChecksumError) as exc:
                problems.append(str(exc) if os.fspath(path) in str(exc) else f"{path}: {exc}")
                warnings.warn(f"ignoring {problems[-1]}", UserWarning, stacklevel=4)
    return None
