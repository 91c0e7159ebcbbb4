"""tinynn's file format: one ``.npz`` archive with JSON metadata, never pickle.

An archive holds a ``tinynn.json`` entry (UTF-8 JSON stored as a 1-D
``uint8`` array, not an object array) with the file's ``kind`` (``'model'``
or ``'checkpoint'``) and format ``version``, plus any number of float/int
arrays under ``/``-separated names (``params/W1``, ``optimizer/v/W1``).
Nested state dicts are flattened into such names; numbers and strings stay
in the JSON, where an array is replaced by ``{"$array": name}``.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..utils.atomic import atomic_write

__all__ = ["FORMAT_VERSION", "flatten_state", "read_archive", "unflatten_state", "write_archive"]

#: Version of the file layout; files with a larger number are refused.
FORMAT_VERSION = 2
META_KEY = "tinynn.json"
_ARRAY = "$array"


def flatten_state(state: Mapping[str, Any], prefix: str, arrays: dict[str, NDArray[Any]]) -> Any:
    """Move every array of ``state`` into ``arrays`` (keys ``prefix/a/b``); return the JSON rest.

    Raises ``TypeError`` for a value that is not plain data (see :class:`tinynn.Stateful`).
    """
    out: dict[str, Any] = {}
    for key, value in state.items():
        if not isinstance(key, str) or "/" in key or not key:
            raise TypeError(f"state key {key!r} under {prefix!r}: expected a non-empty str, no '/'")
        name = f"{prefix}/{key}"
        if isinstance(value, Mapping):
            out[key] = flatten_state(value, name, arrays)
        elif isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TypeError(f"{name} is an object array; only numeric arrays can be saved")
            arrays[name] = value
            out[key] = {_ARRAY: name}
        elif isinstance(value, np.generic):
            out[key] = value.item()
        elif value is None or isinstance(value, (bool, int, float, str)):
            out[key] = value
        else:
            raise TypeError(
                f"{name} is a {type(value).__name__}; state must hold arrays, numbers, strings "
                "and dicts only"
            )
    return out


def unflatten_state(tree: Any, arrays: Mapping[str, NDArray[Any]]) -> Any:
    """Inverse of :func:`flatten_state`."""
    if isinstance(tree, dict):
        if set(tree) == {_ARRAY}:
            return arrays[tree[_ARRAY]]
        return {key: unflatten_state(value, arrays) for key, value in tree.items()}
    return tree


def write_archive(
    path: str | os.PathLike[str], meta: dict[str, Any], arrays: Mapping[str, Any]
) -> Path:
    """Write ``meta`` (with ``format_version``) and ``arrays`` to ``path`` atomically."""
    final = Path(path)
    text = json.dumps({**meta, "format_version": FORMAT_VERSION})
    entries = {META_KEY: np.frombuffer(text.encode("utf-8"), dtype=np.uint8), **arrays}
    with atomic_write(final) as f:
        np.savez(f, **entries)
    return final


#: How a zip archive (and so every ``.npz`` file) starts: a local file header, or the end
#: record of an empty archive.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
#: Deflate expands its input at most 1032 times: a member claiming more is not deflate data.
_DEFLATE_MAX_RATIO = 1032


def _looks_like(head: bytes) -> str:
    """What the first bytes of a file that is not a zip archive suggest, for the message."""
    if not head:
        return " (it is empty)"
    try:  # (the 512 bytes may end inside a character: not final)
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return ""
    return " (it looks like a text file)" if b"\0" not in head else ""


def _check_header(file: Path, what: str) -> None:
    """Refuse a file that is not a zip archive before NumPy tries it as a pickle."""
    with open(file, "rb") as f:
        head = f.read(512)
    if head.startswith(b"\x93NUMPY"):
        raise ValueError(f"{what}: it holds a single array (.npy), not an .npz archive")
    if not head.startswith(_ZIP_MAGIC):
        raise ValueError(
            f"{what}: it does not start with a zip header, as every .npz file does"
            + _looks_like(head)
        )


def _check_members(file: Path, what: str) -> None:
    """Check every ``.npy`` header in the archive against the bytes the file holds for it,
    before anything is read: a header that declares an absurd shape, or Python objects, is
    refused here instead of allocating the array (``MemoryError``) or unpickling."""
    size = file.stat().st_size
    with zipfile.ZipFile(file) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            name = info.filename[: -len(".npy")]
            limit = info.compress_size
            if info.compress_type != zipfile.ZIP_STORED:
                limit *= _DEFLATE_MAX_RATIO
            if info.compress_size > size or info.file_size > limit:
                raise ValueError(
                    f"{what}: its entry {name!r} claims {info.file_size:,} bytes, more than "
                    f"the {size:,}-byte file can hold (corrupt or truncated)"
                )
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(member)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(member)
                else:
                    raise ValueError(f"{what}: its entry {name!r} is in .npy format {version}")
                header = member.tell()
            if dtype.hasobject:
                raise ValueError(
                    f"{what}: its entry {name!r} holds Python objects (pickled data), which "
                    "tinynn never writes; the file is refused unread"
                )
            needed = math.prod(shape) * dtype.itemsize
            if needed > info.file_size - header:
                raise ValueError(
                    f"{what}: its entry {name!r} declares a {dtype} array of shape {shape} "
                    f"({needed:,} bytes), but the file holds {info.file_size - header:,} "
                    "bytes for it (corrupt, truncated or forged); nothing was allocated"
                )


def read_archive(
    path: str | os.PathLike[str], kinds: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """Read a tinynn archive whose ``kind`` is one of ``kinds``; return (meta, arrays).

    Before NumPy reads anything, the file must start as a zip archive does (a CSV, a text
    file or random bytes are named as what they are not), and each array's header must
    declare no more bytes than the file holds for it (an absurd shape is refused without
    allocating it, and Python objects are refused unread).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming
    the file for one that is not a tinynn file, is corrupt or truncated, is
    of another kind, or was written by a newer format version.
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no such file")
    what = f"{file} is not a tinynn {' or '.join(kinds)} file"
    try:
        _check_header(file, what)
        _check_members(file, what)
        loaded = np.load(file, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError(f"{what}: it holds a single array, not an .npz archive")
        with loaded as z:
            if META_KEY not in z.files:
                raise ValueError(f"{what}: the archive has no {META_KEY!r} entry")
            arrays = {name: z[name] for name in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        if str(exc).startswith(what):
            raise
        raise ValueError(
            f"{what}, or it is corrupt or truncated ({type(exc).__name__}: {exc})"
        ) from exc
    raw = arrays.pop(META_KEY)
    try:
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise ValueError(f"metadata has dtype {raw.dtype} and shape {raw.shape}")
        meta = json.loads(raw.tobytes().decode("utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("metadata is not a JSON object")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{file} has corrupt tinynn metadata: {exc}") from exc
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"{file} has no valid format version (got {version!r})")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{file} was written in format version {version} by a newer tinynn; this tinynn "
            f"reads versions up to {FORMAT_VERSION}: upgrade tinynn to load it"
        )
    if meta.get("kind") not in kinds:
        raise ValueError(
            f"{file} is a tinynn {meta.get('kind')!r} file, expected a {' or '.join(kinds)}"
        )
    return meta, arrays
