"""The IDX file format: parse it, write it, and say exactly what is wrong with a bad file.

An IDX file is a big-endian header followed by raw data: two zero bytes, a type code
(``0x08`` for unsigned bytes, the only type MNIST and Fashion-MNIST use), the number of
dimensions, one 32-bit size per dimension, then the product of the sizes in bytes. MNIST's
images have magic number 2051 (``0x00000803``: three dimensions) and its labels 2049
(``0x00000801``: one dimension).
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np
from numpy.typing import NDArray

__all__ = ["IDXFormatError", "decompress_idx", "parse_idx", "read_idx", "to_idx_bytes"]

#: The type code of unsigned-byte data, the only IDX type this module reads.
UBYTE = 0x08
_TYPE_NAMES = {
    0x08: "uint8",
    0x09: "int8",
    0x0B: "int16",
    0x0C: "int32",
    0x0D: "float32",
    0x0E: "float64",
}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """An IDX file (or its gzip wrapper) is malformed: the message names the file and the fault.

    Book section
    ------------
    3.6.1 (MNIST dataset; the book's ``dataset/mnist.py`` reads these files unchecked)
    """


def parse_idx(
    data: bytes, *, ndim: int | None = None, source: str = "<bytes>"
) -> NDArray[np.uint8]:
    """Parse the bytes of an uncompressed unsigned-byte IDX file into an array.

    Parameters
    ----------
    data : bytes
        The whole file content (already decompressed).
    ndim : int, optional
        The number of dimensions the caller expects (3 for images, 1 for labels); a file with
        another number is rejected. ``None`` accepts any.
    source : str
        The file's name, used in error messages.

    Returns
    -------
    numpy.ndarray of uint8
        A new, writable array with the shape the header declares.

    Raises
    ------
    IDXFormatError
        If the magic number is wrong (including gzip data that was not decompressed), the type
        is not unsigned bytes, the number of dimensions is not ``ndim``, or the payload is
        shorter or longer than the header declares.

    Book section
    ------------
    3.6.1 (MNIST dataset; ``_load_img`` / ``_load_label`` of the book's ``dataset/mnist.py``)

    Examples
    --------
    >>> data = bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6))
    >>> parse_idx(data)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    >>> parse_idx(data[:-1], source="tiny")
    Traceback (most recent call last):
    ...
    tinynn.datasets.idx.IDXFormatError: tiny: truncated: the header declares shape (2, 3), \
that is 6 data bytes, but the file holds 5
    """
    if len(data) < 4:
        raise IDXFormatError(f"{source}: {len(data)} bytes is too short for an IDX header (4+)")
    if data[:2] != b"\x00\x00":
        magic = int.from_bytes(data[:4], "big")
        hint = " (it looks gzip-compressed: decompress it first)" if data[:2] == _GZIP_MAGIC else ""
        raise IDXFormatError(
            f"{source}: bad magic number 0x{magic:08x}{hint}; an IDX file starts with two zero "
            "bytes, e.g. 0x00000803 (2051) for images or 0x00000801 (2049) for labels"
        )
    type_code, dims = data[2], data[3]
    if type_code != UBYTE:
        name = _TYPE_NAMES.get(type_code, "unknown")
        raise IDXFormatError(
            f"{source}: IDX type code 0x{type_code:02x} ({name}) is not supported; "
            "expected 0x08 (unsigned bytes, as in MNIST)"
        )
    if ndim is not None and dims != ndim:
        raise IDXFormatError(
            f"{source}: magic number {0x800 + dims} declares {dims} dimension(s), expected "
            f"{ndim} (magic {0x800 + ndim}); is this the right file?"
        )
    if dims == 0:
        raise IDXFormatError(f"{source}: the header declares 0 dimensions")
    header = 4 + 4 * dims
    if len(data) < header:
        raise IDXFormatError(
            f"{source}: truncated header: {dims} dimension(s) need {header} bytes, "
            f"the file holds {len(data)}"
        )
    shape = struct.unpack(f">{dims}I", data[4:header])
    expected = int(np.prod(shape, dtype=np.int64))
    found = len(data) - header
    if found != expected:
        problem = "truncated" if found < expected else "trailing data"
        raise IDXFormatError(
            f"{source}: {problem}: the header declares shape {tuple(shape)}, that is "
            f"{expected} data bytes, but the file holds {found}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def to_idx_bytes(array: NDArray[np.uint8]) -> bytes:
    """Encode a uint8 array as the bytes of an IDX file (the inverse of :func:`parse_idx`).

    Parameters
    ----------
    array : numpy.ndarray of uint8
        At least one dimension, each smaller than 2**32.

    Returns
    -------
    bytes
        Header and data, uncompressed.

    Raises
    ------
    TypeError
        If ``array`` is not a uint8 array.
    ValueError
        If it has no dimensions.

    Book section
    ------------
    3.6.1 (MNIST dataset: the file format the book's loader reads)

    Examples
    --------
    >>> import numpy as np
    >>> raw = to_idx_bytes(np.array([7, 2, 1], dtype=np.uint8))
    >>> raw[:4].hex(), parse_idx(raw)
    ('00000801', array([7, 2, 1], dtype=uint8))
    """
    if not isinstance(array, np.ndarray) or array.dtype != np.uint8:
        raise TypeError(
            f"array must be a uint8 NumPy array, got {type(array).__name__}"
            + (f" of dtype {array.dtype}" if isinstance(array, np.ndarray) else "")
        )
    if array.ndim == 0:
        raise ValueError("array must have at least one dimension, got a 0-d array")
    header = bytes([0, 0, UBYTE, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def decompress_idx(raw: bytes, *, source: str = "<bytes>") -> bytes:
    """Return the IDX content of ``raw``: gunzipped if it is gzip data, unchanged otherwise.

    Compression is recognised by the gzip magic bytes, not the file name, so a ``.gz`` file
    and an uncompressed one are both accepted whatever they are called.

    Raises
    ------
    IDXFormatError
        If ``raw`` starts like gzip data but cannot be decompressed (truncated or corrupt).

    Book section
    ------------
    3.6.1 (MNIST dataset; the book's loader opens the ``.gz`` files with ``gzip.open``)

    Examples
    --------
    >>> import gzip
    >>> decompress_idx(gzip.compress(b"abc")), decompress_idx(b"abc")
    (b'abc', b'abc')
    """
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise IDXFormatError(f"{source}: corrupt or truncated gzip data ({exc})") from exc


def read_idx(path: str | os.PathLike[str], *, ndim: int | None = None) -> NDArray[np.uint8]:
    """Read an IDX file, gzip-compressed or not, into a uint8 array.

    This reads and checks the format only; data sets verify content checksums on top
    (see :func:`tinynn.datasets.load_mnist`).

    Parameters
    ----------
    path : str or os.PathLike
        The file, e.g. ``train-images-idx3-ubyte.gz`` or ``train-images-idx3-ubyte``.
    ndim : int, optional
        The number of dimensions expected (see :func:`parse_idx`).

    Returns
    -------
    numpy.ndarray of uint8

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    IDXFormatError
        If it is not a valid IDX file.

    Book section
    ------------
    3.6.1 (MNIST dataset; ``_load_img`` / ``_load_label`` of the book's ``dataset/mnist.py``)

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> import numpy as np
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = os.path.join(d, "labels.gz")
    ...     with open(path, "wb") as f:
    ...         _ = f.write(gzip.compress(to_idx_bytes(np.array([3, 1], dtype=np.uint8))))
    ...     read_idx(path, ndim=1)
    array([3, 1], dtype=uint8)
    """
    with open(path, "rb") as f:
        raw = f.read()
    source = os.fspath(path)
    return parse_idx(decompress_idx(raw, source=source), ndim=ndim, source=source)
