"""Loading from local files: search order, verification record, npz cache, shapes, errors."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn.datasets import (
    FASHION_MNIST,
    MNIST,
    ChecksumError,
    DatasetNotFoundError,
    DatasetSpec,
    load_fashion_mnist,
    load_idx_dataset,
    load_mnist,
    search_dirs,
    user_cache_dir,
)
from tinynn.datasets.locate import download_dir
from tinynn.datasets.npz_cache import npz_path

from ._idx_fixtures import (
    NAMES,
    Arrays,
    contents_of,
    isolate,
    make_spec,
    write_files,
)

verify_mod = importlib.import_module("tinynn.datasets.verify")
npz_mod = importlib.import_module("tinynn.datasets.npz_cache")
mnist_mod = importlib.import_module("tinynn.datasets.mnist")


def assert_loaded(result: Any, arrays: Arrays) -> None:
    (x_train, t_train), (x_test, t_test) = result
    for got, want in ((x_train, arrays[0]), (x_test, arrays[2])):
        assert got.dtype == np.uint8 and got.shape == (len(want), 784)
        np.testing.assert_array_equal(got, want.reshape(len(want), -1))
    for got, want in ((t_train, arrays[1]), (t_test, arrays[3])):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)


def test_search_dirs_order(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYNN_DATA", str(tmp_path / "env"))
    fashion = importlib.import_module("tinynn.datasets").FASHION_MNIST
    assert search_dirs(fashion, root=tmp_path / "r") == [
        tmp_path / "r" / "fashion-mnist",
        tmp_path / "r",
        tmp_path / "env" / "fashion-mnist",
        cache / "fashion-mnist",
        Path("/usr/share/datasets/fashion-mnist"),
    ]
    monkeypatch.delenv("TINYNN_DATA")
    assert search_dirs(MNIST) == [cache / "mnist"]


def test_cache_dir_without_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "tinynn"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as XDG says
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "tinynn"


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("layout", ["root", "root-flat", "env", "cache", "home-cache"])
def test_found_in_each_location(
    cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arrays: Arrays,
    spec: DatasetSpec,
    gz: bool,
    layout: str,
) -> None:
    root = None
    if layout == "root":
        root, folder = tmp_path / "r", tmp_path / "r" / "tiny"
    elif layout == "root-flat":
        root = folder = tmp_path / "r"
    elif layout == "env":
        monkeypatch.setenv("TINYNN_DATA", str(tmp_path / "env"))
        folder = tmp_path / "env" / "tiny"
    elif layout == "cache":
        folder = cache / "tiny"
    else:
        monkeypatch.delenv("XDG_CACHE_HOME")
        folder = tmp_path / "home" / ".cache" / "tinynn" / "tiny"
    write_files(folder, contents_of(arrays), gz=gz)
    assert_loaded(load_idx_dataset(spec, False, root=root, download=False, cache=False), arrays)


def test_root_is_searched_before_env(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arrays: Arrays, spec: DatasetSpec
) -> None:
    contents = contents_of(arrays)
    monkeypatch.setenv("TINYNN_DATA", str(tmp_path / "env"))
    write_files(tmp_path / "env" / "tiny", contents)
    bad = write_files(tmp_path / "r" / "tiny", contents)[0]
    bad.write_bytes(bad.read_bytes()[:-20])  # truncated gzip
    with pytest.warns(UserWarning, match=rf"ignoring {bad}: corrupt or truncated gzip"):
        result = load_idx_dataset(spec, False, root=tmp_path / "r", download=False, cache=False)
    assert_loaded(result, arrays)
    # The other way round: a valid root copy is used and the env copy is never read.
    write_files(tmp_path / "r" / "tiny", contents)
    (tmp_path / "env" / "tiny" / (NAMES[0] + ".gz")).write_bytes(b"garbage")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_idx_dataset(spec, root=tmp_path / "r", download=False, cache=False)


def test_offline_error_says_where_what_and_how(cache: Path, tmp_path: Path, arrays: Arrays) -> None:
    contents = contents_of(arrays)
    spec = make_spec(contents, mirrors=("https://mirror.example/tiny/",))
    write_files(tmp_path / "r", contents)
    (tmp_path / "r" / (NAMES[2] + ".gz")).unlink()
    wrong = tmp_path / "r" / (NAMES[3] + ".gz")
    wrong.write_bytes(bytes(9))  # a valid-looking name, wrong content
    with pytest.warns(UserWarning), pytest.raises(DatasetNotFoundError) as info:
        load_idx_dataset(spec, root=tmp_path / "r", download=False)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert (
        "2 of 4 files not found: t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz)"
        in message
    )
    assert "train-images" not in message.split("Looked in")[0]
    for d in (tmp_path / "r" / "tiny", tmp_path / "r", cache / "tiny"):
        assert f"  {d}" in message
    assert "TINYNN_DATA is not set" in message
    assert f"{wrong}: SHA-256 of the decompressed content" in message
    assert "download=False" in message and "root=DIR" in message
    assert "https://mirror.example/tiny/t10k-images-idx3-ubyte.gz" in message
    # the first line says what to do, in Python's terms
    assert message.splitlines()[0] == (
        "Tiny not found: pass root=DIR (or set TINYNN_DATA=DIR), where DIR holds tiny/ with "
        "the four Tiny files (.gz or not), or pass download=True to download them."
    )
    # and the command line's version names its own options, in four lines
    cli = info.value.describe("command line").splitlines()
    assert cli[0] == (
        "Tiny not found: give --data-dir DIR (or set TINYNN_DATA=DIR), where DIR holds tiny/ "
        "with the four Tiny files (.gz or not), or leave out --no-download to download them"
    )
    assert cli[1].startswith("  2 of 4 files missing; looked in ")
    assert cli[1].endswith("; TINYNN_DATA is not set")
    assert cli[2] == f"  rejected: {wrong}: " + message.split(f"  {wrong}: ")[1].splitlines()[0]
    assert cli[3] == (
        "  the files by hand: https://mirror.example/tiny/: t10k-images-idx3-ubyte.gz, "
        "t10k-labels-idx1-ubyte.gz"
    )
    assert len(cli) == 4
    assert "root=" not in "\n".join(cli) and "download=" not in "\n".join(cli)


def test_load_mnist_offline_error_names_the_mirror(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Debian's dataset-fashion-mnist may be installed (.ci/run installs it): look elsewhere
    fashion = dataclasses.replace(FASHION_MNIST, system_dirs=(str(cache / "no-such-dir"),))
    monkeypatch.setattr(mnist_mod, "FASHION_MNIST", fashion)
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(download=False)
    message = str(info.value)
    assert "MNIST: 4 of 4 files not found" in message
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" in message
    assert str(cache / "mnist") in message
    with pytest.raises(DatasetNotFoundError, match="fashion-mnist"):
        load_fashion_mnist(download=False, cache=False)


def test_verification_is_recorded(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arrays: Arrays, spec: DatasetSpec
) -> None:
    paths = write_files(tmp_path / "r", contents_of(arrays))
    calls: list[int] = []
    real = verify_mod.sha256_hex
    monkeypatch.setattr(verify_mod, "sha256_hex", lambda b: calls.append(1) or real(b))
    load_idx_dataset(spec, root=tmp_path / "r", download=False, cache=False)
    assert len(calls) == 4
    record = json.loads((cache / "verified.json").read_text())
    assert sorted(record["files"]) == sorted(str(p) for p in paths)
    assert record["files"][str(paths[0])]["sha256"] == spec.train_images.sha256
    assert_loaded(
        load_idx_dataset(spec, False, root=tmp_path / "r", download=False, cache=False), arrays
    )
    assert len(calls) == 4  # not hashed again
    st = paths[1].stat()
    os.utime(paths[1], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    load_idx_dataset(spec, root=tmp_path / "r", download=False, cache=False)
    assert len(calls) == 5  # the touched file only


def test_changed_file_is_caught_despite_record(
    cache: Path, tmp_path: Path, arrays: Arrays, spec: DatasetSpec
) -> None:
    paths = write_files(tmp_path / "r", contents_of(arrays), gz=False)
    load_idx_dataset(spec, root=tmp_path / "r", download=False, cache=False)
    data = bytearray(paths[0].read_bytes())
    data[-1] ^= 1
    paths[0].write_bytes(bytes(data))  # same size, new mtime
    with pytest.warns(UserWarning, match="SHA-256"), pytest.raises(DatasetNotFoundError):
        load_idx_dataset(spec, root=tmp_path / "r", download=False, cache=False)


def test_npz_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arrays: Arrays, spec: DatasetSpec
) -> None:
    write_files(tmp_path / "r", contents_of(arrays))
    load_idx_dataset(spec, root=tmp_path / "r", download=False, cache=False)
    assert not npz_path(spec).exists()
    load_idx_dataset(spec, root=tmp_path / "r", download=False)
    path = npz_path(spec)
    assert path.parent == cache / "tiny" and path.suffix == ".npz"
    with np.load(path, allow_pickle=False) as z:
        assert sorted(z.files) == ["t_test", "t_train", "x_test", "x_train"]
        assert all(z[k].dtype == np.uint8 for k in z.files)
    for p in (tmp_path / "r").iterdir():
        p.unlink()  # the npz alone is enough now
    seen: list[Any] = []
    real_load = np.load
    monkeypatch.setattr(npz_mod.np, "load", lambda *a, **k: seen.append(k) or real_load(*a, **k))
    assert_loaded(load_idx_dataset(spec, False, download=False), arrays)
    assert seen == [{"allow_pickle": False}]
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("damage", ["garbage", "other-content", "missing-key"])
def test_bad_npz_is_ignored_and_rebuilt(
    cache: Path, tmp_path: Path, arrays: Arrays, spec: DatasetSpec, damage: str
) -> None:
    write_files(tmp_path / "r", contents_of(arrays))
    path = npz_path(spec)
    path.parent.mkdir(parents=True)
    if damage == "garbage":
        path.write_bytes(b"PK\x03\x04 not a zip")
    else:
        fake = {
            "x_train": arrays[0] ^ 1,
            "t_train": arrays[1],
            "x_test": arrays[2],
            "t_test": arrays[3],
        }
        if damage == "missing-key":
            del fake["t_test"]
        with open(path, "wb") as f:
            np.savez(f, **fake)
    with pytest.warns(UserWarning, match=f"ignoring the cache {path}"):
        assert_loaded(load_idx_dataset(spec, False, root=tmp_path / "r", download=False), arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rebuilt: now valid
        assert_loaded(load_idx_dataset(spec, False, download=False), arrays)


@pytest.mark.parametrize("use_cache", [False, True])
def test_book_options(
    cache: Path, tmp_path: Path, arrays: Arrays, spec: DatasetSpec, use_cache: bool
) -> None:
    write_files(tmp_path / "r", contents_of(arrays))
    kw: dict[str, Any] = {"root": tmp_path / "r", "download": False, "cache": use_cache}
    (x, t), (xt, tt) = load_idx_dataset(spec, **kw)  # defaults: normalize, flatten
    assert x.dtype == np.float32 and x.shape == (12, 784) and xt.shape == (6, 784)
    assert 0.0 <= x.min() and x.max() <= 1.0
    np.testing.assert_allclose(x, arrays[0].reshape(12, -1) / 255.0, rtol=1e-6)
    assert t.dtype == np.uint8 and t.shape == (12,)
    (x, t), (xt, tt) = load_idx_dataset(
        spec, normalize=False, flatten=False, one_hot_label=True, **kw
    )
    assert x.dtype == np.uint8 and x.shape == (12, 1, 28, 28) and xt.shape == (6, 1, 28, 28)
    np.testing.assert_array_equal(x[:, 0], arrays[0])
    assert t.dtype == np.float64 and t.shape == (12, 10) and tt.shape == (6, 10)
    np.testing.assert_array_equal(t.sum(axis=1), 1.0)
    np.testing.assert_array_equal(t.argmax(axis=1), arrays[1])
    x[:] = 0  # returned arrays are the caller's own
    (x2, _), _ = load_idx_dataset(spec, normalize=False, **kw)
    np.testing.assert_array_equal(x2, arrays[0].reshape(12, -1))


def test_download_dir(cache: Path, tmp_path: Path, arrays: Arrays, spec: DatasetSpec) -> None:
    assert download_dir(spec) == cache / "tiny"
    assert download_dir(spec, root=tmp_path / "r") == tmp_path / "r" / "tiny"
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / NAMES[1]).write_bytes(contents_of(arrays)[1])
    assert download_dir(spec, root=tmp_path / "flat") == tmp_path / "flat"


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"normalize": "yes"}, TypeError, "normalize must be a bool"),
        ({"one_hot_label": 1}, TypeError, "one_hot_label must be a bool"),
        ({"download": None}, TypeError, "download must be a bool"),
        ({"progress": "auto"}, TypeError, "progress must be a bool or None"),
        ({"timeout": 0}, ValueError, "timeout must be a finite number > 0"),
        ({"deadline": -1.0}, ValueError, "deadline must be a finite number > 0"),
        ({"deadline": float("inf")}, ValueError, "deadline must be a finite number > 0"),
        ({"deadline": "60"}, TypeError, "deadline must be a positive number, got '60'"),
        ({"mirrors": "https://a.example/"}, TypeError, "not a single string"),
        ({"mirrors": ["ftp://a.example/"]}, ValueError, "http:// or https://"),
    ],
)
def test_argument_errors(
    cache: Path, kwargs: dict[str, Any], error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=fragment):
        load_mnist(**kwargs)


def test_spec_validation(spec: DatasetSpec) -> None:
    with pytest.raises(ValueError, match="64 lowercase hex"):
        type(spec.train_images)("x", "ABC")
    with pytest.raises(ValueError, match="plain folder name"):
        DatasetSpec("T", "a/b", *spec.files)
    with pytest.raises(ValueError, match="http"):
        DatasetSpec("T", "t", *spec.files, mirrors=("file:///tmp/",))
    with pytest.raises(TypeError, match="DatasetSpec"):
        load_idx_dataset("mnist")  # type: ignore[arg-type]
    assert ChecksumError.__mro__[1] is ValueError
