"""A cache of parsed data sets as ``.npz`` files: fast to load, never pickled, self-verifying.

The cache holds the four uint8 arrays exactly as parsed from the IDX files (normalising,
flattening and one-hot encoding are applied on every load, they are cheap). It lives in the
user cache, ``<cache>/<folder>/<folder>-<key>.npz``, where ``key`` is derived from the four
files' SHA-256 values and a format version: the cache is addressed by content, so it is valid
whatever folder the IDX files were read from, and a data set with other checksums (or a new
cache format) never reads an old file.

Loading uses ``numpy.load(..., allow_pickle=False)``, so a tampered file cannot run code, and
re-derives each array's IDX content (header from the shape, then the bytes) to check it
against the data set's SHA-256 (a small part of the load). A file that fails any check is ignored
with a warning and rewritten. Writes are atomic (temporary file, fsync, then :func:`os.replace`).
"""

from __future__ import annotations

import hashlib
import struct
import warnings
import zipfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..utils.atomic import atomic_write
from .idx import UBYTE
from .locate import user_cache_dir
from .spec import DatasetSpec

__all__ = ["load_npz", "npz_path", "save_npz"]

_FORMAT = "tinynn-idx-npz-v1"
_KEYS = ("x_train", "t_train", "x_test", "t_test")
_NDIMS = (3, 1, 3, 1)

#: The four parsed arrays: train images, train labels, test images, test labels.
Arrays = tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8]]


def npz_path(spec: DatasetSpec) -> Path:
    """Where the ``.npz`` cache of ``spec`` lives (see the module docstring for the key).

    Book section
    ------------
    3.6.1 (MNIST dataset; the book's ``save_file = dataset_dir + "/mnist.pkl"``)

    Examples
    --------
    >>> from tinynn.datasets import MNIST
    >>> npz_path(MNIST).name
    'mnist-2e4d93463eeaeef2.npz'
    """
    text = "\n".join([_FORMAT, *(f.sha256 for f in spec.files)])
    key = hashlib.sha256(text.encode("ascii")).hexdigest()[:16]
    return user_cache_dir() / spec.folder / f"{spec.folder}-{key}.npz"


def _idx_sha256(a: NDArray[np.uint8]) -> str:
    h = hashlib.sha256(bytes([0, 0, UBYTE, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape))
    h.update(np.ascontiguousarray(a).data)
    return h.hexdigest()


def load_npz(path: Path, spec: DatasetSpec) -> Arrays | None:
    """Load and verify the cached arrays; ``None`` if the file is absent or fails a check.

    Book section
    ------------
    3.6.1 (MNIST dataset; the book's ``pickle.load``, without the risk of running code)
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if sorted(z.files) != sorted(_KEYS):
                raise ValueError(f"holds arrays {sorted(z.files)}, expected {sorted(_KEYS)}")
            arrays = [z[k] for k in _KEYS]
        for key, a, ndim, file in zip(_KEYS, arrays, _NDIMS, spec.files, strict=True):
            if a.dtype != np.uint8 or a.ndim != ndim:
                raise ValueError(f"{key} has dtype {a.dtype} and {a.ndim} dimension(s)")
            if _idx_sha256(a) != file.sha256:
                raise ValueError(f"{key} does not match the SHA-256 of {file.name}")
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        warnings.warn(f"ignoring the cache {path}: {exc}; rebuilding it", UserWarning, stacklevel=3)
        return None
    return arrays[0], arrays[1], arrays[2], arrays[3]


def save_npz(path: Path, arrays: Arrays) -> bool:
    """Write the arrays atomically (uncompressed ``.npz``); ``False`` if that was not possible.

    Book section
    ------------
    3.6.1 (MNIST dataset; the book's ``pickle.dump``)
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as f:
            np.savez(f, x_train=arrays[0], t_train=arrays[1], x_test=arrays[2], t_test=arrays[3])
    except OSError:
        return False
    return True
