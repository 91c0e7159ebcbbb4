"""The real MNIST (and Fashion-MNIST if present), from the folder ``TINYNN_DATA`` names.

``.ci/run`` sets ``TINYNN_DATA=../shared/datasets`` when that folder exists; without it these
tests skip. They never write to the real user cache (it is redirected to a temporary folder).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn.datasets import load_fashion_mnist, load_mnist
from tinynn.datasets.npz_cache import npz_path
from tinynn.datasets.spec import FASHION_MNIST, MNIST, DatasetSpec

from ._idx_fixtures import NAMES, IDXServer

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _folder_with(spec: DatasetSpec, candidates: list[Path]) -> Path | None:
    for folder in candidates:
        if all((folder / n).is_file() or (folder / (n + ".gz")).is_file() for n in NAMES):
            return folder
    return None


_DATA = os.environ.get("TINYNN_DATA", "")
MNIST_DIR = _folder_with(MNIST, [Path(_DATA) / "mnist"]) if _DATA else None
FASHION_DIR = _folder_with(
    FASHION_MNIST,
    ([Path(_DATA) / "fashion-mnist"] if _DATA else [])
    + [Path(d) for d in FASHION_MNIST.system_dirs],
)

needs_mnist = pytest.mark.skipif(
    MNIST_DIR is None,
    reason="real MNIST not available: set TINYNN_DATA to a folder holding mnist/ with the four "
    "IDX files (e.g. TINYNN_DATA=../shared/datasets, as .ci/run does)"
    + (f"; {_DATA}/mnist lacks some of them" if _DATA else "; TINYNN_DATA is not set"),
)


@pytest.fixture(scope="module")
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("real-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        yield cache / "tinynn"


@pytest.fixture(scope="module")
def raw(isolated_cache: Path) -> Any:
    """Real MNIST as uint8, (N, 1, 28, 28), parsed from the .gz files (npz written)."""
    return load_mnist(normalize=False, flatten=False, download=False)


@needs_mnist
def test_raw_mnist(raw: Any, isolated_cache: Path) -> None:
    (x_train, t_train), (x_test, t_test) = raw
    assert x_train.shape == (60000, 1, 28, 28) and x_test.shape == (10000, 1, 28, 28)
    assert x_train.dtype == x_test.dtype == t_train.dtype == np.uint8
    assert t_train.shape == (60000,) and t_test.shape == (10000,)
    assert x_train.min() == 0 and x_train.max() == 255
    assert np.bincount(t_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(t_test, minlength=10).tolist() == TEST_COUNTS
    assert npz_path(MNIST).is_file() and npz_path(MNIST).parent == isolated_cache / "mnist"


@needs_mnist
def test_book_defaults_from_npz(raw: Any) -> None:
    (x_train, t_train), (x_test, _) = load_mnist(download=False)
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == np.float32
    assert float(x_train.min()) == 0.0 and float(x_train.max()) == 1.0
    np.testing.assert_array_equal(x_test, raw[1][0].reshape(10000, 784) / np.float32(255))
    np.testing.assert_array_equal(t_train, raw[0][1])


@needs_mnist
def test_one_hot(raw: Any) -> None:
    (_, t_train), (_, t_test) = load_mnist(one_hot_label=True, download=False)
    assert t_train.shape == (60000, 10) and t_test.shape == (10000, 10)
    assert t_train.dtype == np.float64
    assert t_train.sum(axis=0).tolist() == TRAIN_COUNTS
    np.testing.assert_array_equal(t_test.argmax(axis=1), raw[1][1])


@needs_mnist
def test_download_real_files_from_a_local_mirror(
    raw: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MNIST_DIR is not None
    files = {p.name: p.read_bytes() for p in MNIST_DIR.glob("*.gz")}
    monkeypatch.delenv("TINYNN_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with IDXServer(files) as server:
        (x_train, _), (_, t_test) = load_mnist(
            normalize=False,
            flatten=False,
            root=tmp_path / "data",
            mirrors=[server.url()],
            cache=False,
            progress=False,
        )
    assert sorted(p.name for p in (tmp_path / "data" / "mnist").iterdir()) == sorted(files)
    np.testing.assert_array_equal(x_train, raw[0][0])
    np.testing.assert_array_equal(t_test, raw[1][1])


@pytest.mark.skipif(
    FASHION_DIR is None,
    reason="Fashion-MNIST not available: neither "
    "$TINYNN_DATA/fashion-mnist nor /usr/share/datasets/fashion-mnist "
    "(Debian's dataset-fashion-mnist) holds its four IDX files",
)
def test_fashion_mnist(isolated_cache: Path) -> None:
    (x_train, t_train), (x_test, t_test) = load_fashion_mnist(download=False, cache=False)
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert np.bincount(t_train).tolist() == [6000] * 10
    assert np.bincount(t_test).tolist() == [1000] * 10
