"""Data sets for the book's examples: MNIST and Fashion-MNIST, offline-first and verified.

>>> from tinynn.datasets import load_mnist
>>> (x_train, t_train), (x_test, t_test) = load_mnist(one_hot_label=True)  # doctest: +SKIP

Files are found locally (``root=``, ``$TINYNN_DATA``, the user cache, system folders) or
downloaded from public mirrors, checked against the SHA-256 of their content, and cached as
``.npz`` for fast reloads. See :func:`load_mnist` for the details.
"""

from __future__ import annotations

from .download import DownloadError as DownloadError
from .download import download_verified as download_verified
from .idx import IDXFormatError as IDXFormatError
from .idx import decompress_idx as decompress_idx
from .idx import parse_idx as parse_idx
from .idx import read_idx as read_idx
from .idx import to_idx_bytes as to_idx_bytes
from .locate import search_dirs as search_dirs
from .locate import user_cache_dir as user_cache_dir
from .mnist import load_fashion_mnist as load_fashion_mnist
from .mnist import load_idx_dataset as load_idx_dataset
from .mnist import load_mnist as load_mnist
from .not_found import DatasetNotFoundError as DatasetNotFoundError
from .spec import FASHION_MNIST as FASHION_MNIST
from .spec import MNIST as MNIST
from .spec import DatasetSpec as DatasetSpec
from .spec import IDXFile as IDXFile
from .verify import ChecksumError as ChecksumError
from .verify import sha256_hex as sha256_hex

__all__ = [
    "FASHION_MNIST",
    "MNIST",
    "ChecksumError",
    "DatasetNotFoundError",
    "DatasetSpec",
    "DownloadError",
    "IDXFile",
    "IDXFormatError",
    "decompress_idx",
    "download_verified",
    "load_fashion_mnist",
    "load_idx_dataset",
    "load_mnist",
    "parse_idx",
    "read_idx",
    "search_dirs",
    "sha256_hex",
    "to_idx_bytes",
    "user_cache_dir",
]
