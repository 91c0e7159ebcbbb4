"""``load_mnist`` and ``load_fashion_mnist``: the book's loader, made offline-first and verified.

Both are thin wrappers over :func:`load_idx_dataset`, which finds (or downloads) the four IDX
files of a :class:`~tinynn.datasets.DatasetSpec`, verifies their SHA-256, parses them, keeps an
``.npz`` cache, and shapes the arrays as the book's ``dataset/mnist.py`` does.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..utils.validation import check_positive
from .download import check_url
from .fetch import obtain_contents
from .npz_cache import load_npz, npz_path, save_npz
from .spec import FASHION_MNIST, MNIST, DatasetSpec
from .splits import parse_splits, shape_split

__all__ = ["load_fashion_mnist", "load_idx_dataset", "load_mnist"]


_warned_folders: set[str] = set()


def _warn_not_cached(path: Path) -> None:
    """Warn, once per folder and process, that the ``.npz`` cache cannot be written there."""
    folder = os.fspath(path.parent)
    if folder in _warned_folders:
        return
    _warned_folders.add(folder)
    warnings.warn(
        f"the cache folder {folder} is not writable: nothing will be cached, so every load "
        "parses the IDX files again (about a second for MNIST). Make it writable, set "
        "XDG_CACHE_HOME to a writable folder, or pass cache=False to silence this",
        UserWarning,
        stacklevel=4,
    )


def load_idx_dataset(
    spec: DatasetSpec,
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    *,
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    mirrors: Sequence[str] | None = None,
    cache: bool = True,
    timeout: float = 10.0,
    deadline: float = 300.0,
    progress: bool | None = None,
) -> tuple[tuple[NDArray[Any], NDArray[Any]], tuple[NDArray[Any], NDArray[Any]]]:
    """Load an MNIST-like IDX data set described by ``spec``; see :func:`load_mnist`.

    Book section
    ------------
    3.6.1 (MNIST dataset; ``load_mnist`` in the book's ``dataset/mnist.py``)

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> from unittest import mock
    >>> import numpy as np
    >>> from tinynn.datasets import DatasetSpec, IDXFile, sha256_hex, to_idx_bytes
    >>> x, t = np.zeros((2, 2, 2), np.uint8), np.array([1, 0], np.uint8)
    >>> files = [("a", x), ("b", t), ("c", x), ("d", t)]
    >>> spec = DatasetSpec("Tiny", "tiny", *(IDXFile(n, sha256_hex(to_idx_bytes(a)))
    ...                                      for n, a in files), num_classes=2)
    >>> with tempfile.TemporaryDirectory() as d, mock.patch.dict(os.environ,
    ...                                                         {"XDG_CACHE_HOME": d}):
    ...     for n, a in files:  # (the user cache goes to d too: the example leaves no trace)
    ...         with open(os.path.join(d, n + ".gz"), "wb") as f:
    ...             _ = f.write(gzip.compress(to_idx_bytes(a)))
    ...     (x_train, t_train), _ = load_idx_dataset(spec, one_hot_label=True, root=d,
    ...                                              download=False, cache=False)
    >>> x_train.shape, x_train.dtype, t_train.tolist()
    ((2, 4), dtype('float32'), [[0.0, 1.0], [1.0, 0.0]])
    """
    if not isinstance(spec, DatasetSpec):
        raise TypeError(f"spec must be a DatasetSpec, got {type(spec).__name__}")
    for name, flag in (
        ("normalize", normalize),
        ("flatten", flatten),
        ("one_hot_label", one_hot_label),
        ("download", download),
        ("cache", cache),
    ):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {flag!r}")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be a bool or None, got {progress!r}")
    check_positive(timeout, "timeout")
    check_positive(deadline, "deadline")
    if isinstance(mirrors, str):
        raise TypeError("mirrors must be a sequence of URLs, not a single string")
    urls = spec.mirrors if mirrors is None else tuple(mirrors)
    for url in urls:
        check_url(url)
    urls = tuple(u if u.endswith("/") else u + "/" for u in urls)

    arrays = load_npz(npz_path(spec), spec) if cache else None
    if arrays is None:
        contents = obtain_contents(
            spec,
            root,
            download=bool(download),
            mirrors=urls,
            timeout=timeout,
            deadline=deadline,
            progress=progress,
        )
        arrays = parse_splits(spec, contents)
        if cache and not save_npz(npz_path(spec), arrays):
            _warn_not_cached(npz_path(spec))
    x_train, t_train, x_test, t_test = arrays
    c = spec.num_classes
    return (
        shape_split(x_train, t_train, bool(normalize), bool(flatten), bool(one_hot_label), c),
        shape_split(x_test, t_test, bool(normalize), bool(flatten), bool(one_hot_label), c),
    )


def load_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    *,
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    mirrors: Sequence[str] | None = None,
    cache: bool = True,
    timeout: float = 10.0,
    deadline: float = 300.0,
    progress: bool | None = None,
) -> tuple[tuple[NDArray[Any], NDArray[Any]], tuple[NDArray[Any], NDArray[Any]]]:
    """Load MNIST as ``(x_train, t_train), (x_test, t_test)``, as the book's ``load_mnist``.

    Parameters
    ----------
    normalize : bool
        ``True``: pixels as float32 in [0, 1] (``x / 255``). ``False``: uint8 in [0, 255].
    flatten : bool
        ``True``: images as rows of 784 pixels, shape (N, 784). ``False``: (N, 1, 28, 28).
    one_hot_label : bool
        ``True``: labels as float64 one-hot rows, shape (N, 10). ``False``: uint8 labels, (N,).
    root : str or os.PathLike, optional
        A folder searched first, holding ``mnist/`` (like ``TINYNN_DATA``) or the four files
        directly; downloads go there when it is writable.
    download : bool
        Whether missing files may be downloaded. With ``False`` nothing touches the network.
    mirrors : sequence of str, optional
        Base URLs to download from, in order; default :data:`MNIST.mirrors
        <tinynn.datasets.MNIST>`, starting with ``https://ossci-datasets.s3.amazonaws.com/mnist/``.
    cache : bool
        Read and write the ``.npz`` cache of the parsed arrays in the user cache.
    timeout : float
        Seconds before a silent connection to a mirror is abandoned (the next mirror is then
        tried, and the silent one is not asked again for the other files).
    deadline : float
        Seconds for all downloads together: no download starts after it, and one still
        running is abandoned. The error then lists every URL tried and why.
    progress : bool, optional
        Progress display on stderr for large downloads; ``None`` means "if stderr is a
        terminal".

    Returns
    -------
    (x_train, t_train), (x_test, t_test) : tuple of tuples of numpy.ndarray
        60,000 training and 10,000 test images and labels; new, writable arrays.

    Raises
    ------
    DatasetNotFoundError
        If a file is neither found nor downloadable; the message lists where it looked, which
        files are missing, why downloads failed, and how to provide the files.
    IDXFormatError
        If files with the right checksum are still inconsistent (only for custom specs).
    TypeError, ValueError
        For arguments of the wrong type or value (e.g. ``timeout <= 0``, an ``ftp://`` mirror).

    Warns
    -----
    UserWarning
        Once per folder, if the cache folder is not writable: the data still loads, but
        nothing is cached.

    Notes
    -----
    Files are searched in ``root``, ``$TINYNN_DATA/mnist``, then the user cache
    (``$XDG_CACHE_HOME/tinynn/mnist`` or ``~/.cache/tinynn/mnist``), as ``.gz`` or uncompressed
    IDX. Each is accepted only if the SHA-256 of its decompressed content is MNIST's; a
    verification is recorded (path, size, mtime) so it is not repeated. The parsed arrays are
    cached as ``.npz`` (no pickle) in the user cache, which loads in a fraction of a second.

    Book section
    ------------
    3.6.1 (MNIST dataset; ``load_mnist`` in the book's ``dataset/mnist.py``)

    Examples
    --------
    >>> (x_train, t_train), (x_test, t_test) = load_mnist(
    ...     normalize=True, one_hot_label=True)  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, t_train.shape  # doctest: +SKIP
    ((60000, 784), dtype('float32'), (60000, 10))
    """
    return load_idx_dataset(
        MNIST,
        normalize,
        flatten,
        one_hot_label,
        root=root,
        download=download,
        mirrors=mirrors,
        cache=cache,
        timeout=timeout,
        deadline=deadline,
        progress=progress,
    )


def load_fashion_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    *,
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    mirrors: Sequence[str] | None = None,
    cache: bool = True,
    timeout: float = 10.0,
    deadline: float = 300.0,
    progress: bool | None = None,
) -> tuple[tuple[NDArray[Any], NDArray[Any]], tuple[NDArray[Any], NDArray[Any]]]:
    """Load Fashion-MNIST as ``(x_train, t_train), (x_test, t_test)``, options as ``load_mnist``.

    Files are searched in ``root``, ``$TINYNN_DATA/fashion-mnist``, the user cache
    (``.../tinynn/fashion-mnist``) and ``/usr/share/datasets/fashion-mnist`` (Debian's
    ``dataset-fashion-mnist`` package), and downloaded from Zalando's mirrors
    (:data:`FASHION_MNIST.mirrors <tinynn.datasets.FASHION_MNIST>`) if needed. Labels are the
    ten clothing classes 0 (T-shirt/top) to 9 (ankle boot).

    Book section
    ------------
    3.6.1 (MNIST dataset: Fashion-MNIST is a drop-in replacement with the same format)

    Examples
    --------
    >>> (x_train, t_train), _ = load_fashion_mnist(flatten=False)  # doctest: +SKIP
    >>> x_train.shape  # doctest: +SKIP
    (60000, 1, 28, 28)
    """
    return load_idx_dataset(
        FASHION_MNIST,
        normalize,
        flatten,
        one_hot_label,
        root=root,
        download=download,
        mirrors=mirrors,
        cache=cache,
        timeout=timeout,
        deadline=deadline,
        progress=progress,
    )
