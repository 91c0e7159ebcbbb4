"""The IDX parser: round trips and the errors for malformed files."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from tinynn.datasets import (
    IDXFormatError,
    decompress_idx,
    load_idx_dataset,
    parse_idx,
    read_idx,
    to_idx_bytes,
)

from ._idx_fixtures import contents_of, isolate, make_arrays, make_spec, write_files


def header(type_code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 28, 28), (0, 28, 28), (1, 1, 1, 1)])
def test_round_trip(shape: tuple[int, ...]) -> None:
    a = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape).astype(np.uint8)
    data = to_idx_bytes(a)
    assert len(data) == 4 + 4 * len(shape) + a.size
    out = parse_idx(data)
    assert out.dtype == np.uint8 and out.shape == shape
    np.testing.assert_array_equal(out, a)
    assert out.flags.writeable


def test_mnist_magic_numbers() -> None:
    images = to_idx_bytes(np.zeros((2, 28, 28), np.uint8))
    labels = to_idx_bytes(np.zeros(2, np.uint8))
    assert int.from_bytes(images[:4], "big") == 2051
    assert int.from_bytes(labels[:4], "big") == 2049


def test_parse_returns_a_copy() -> None:
    data = bytearray(to_idx_bytes(np.array([1, 2, 3], np.uint8)))
    out = parse_idx(bytes(data))
    out[0] = 99
    assert parse_idx(bytes(data))[0] == 1


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x00\x00\x08", "too short"),
        (b"\x12\x34\x08\x01" + bytes(8), "bad magic number 0x12340801"),
        (gzip.compress(to_idx_bytes(np.zeros(3, np.uint8))), "looks gzip-compressed"),
        (header(0x0D, (2,)) + bytes(8), "type code 0x0d (float32) is not supported"),
        (bytes([0, 0, 8, 0]), "0 dimensions"),
        (bytes([0, 0, 8, 3, 0, 0, 0, 2]), "truncated header"),
        (header(8, (2, 3)) + bytes(5), "truncated: the header declares shape (2, 3)"),
        (header(8, (2, 3)) + bytes(7), "trailing data"),
        (header(8, (60000, 28, 28)) + bytes(100), "47040000 data bytes, but the file holds 100"),
    ],
)
def test_malformed(data: bytes, fragment: str) -> None:
    with pytest.raises(IDXFormatError) as info:
        parse_idx(data, source="some-file.idx")
    message = str(info.value)
    assert message.startswith("some-file.idx: ")
    assert fragment in message
    assert isinstance(info.value, ValueError)


def test_wrong_number_of_dimensions() -> None:
    labels = to_idx_bytes(np.zeros(4, np.uint8))
    with pytest.raises(
        IDXFormatError,
        match=r"train-images: magic number 2049 declares 1 "
        r"dimension\(s\), expected 3 \(magic 2051\)",
    ):
        parse_idx(labels, ndim=3, source="train-images")
    assert parse_idx(labels, ndim=1).shape == (4,)


def test_to_idx_bytes_rejects() -> None:
    with pytest.raises(TypeError, match="uint8"):
        to_idx_bytes(np.zeros(3, np.int64))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one dimension"):
        to_idx_bytes(np.array(3, np.uint8))


def test_decompress_detects_gzip_by_content() -> None:
    raw = to_idx_bytes(np.arange(5, dtype=np.uint8))
    assert decompress_idx(gzip.compress(raw)) == raw
    assert decompress_idx(raw) == raw
    truncated = gzip.compress(raw)[:-6]
    with pytest.raises(IDXFormatError, match=r"f\.gz: corrupt or truncated gzip"):
        decompress_idx(truncated, source="f.gz")


@pytest.mark.parametrize("name", ["labels", "labels.gz", "labels-named-gz-but-raw.gz"])
def test_read_idx(tmp_path: Path, name: str) -> None:
    a = np.array([3, 1, 4, 1, 5], np.uint8)
    raw = to_idx_bytes(a)
    compressed = name == "labels.gz"
    (tmp_path / name).write_bytes(gzip.compress(raw) if compressed else raw)
    np.testing.assert_array_equal(read_idx(tmp_path / name, ndim=1), a)


def test_read_idx_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad-labels"
    path.write_bytes(to_idx_bytes(np.zeros(5, np.uint8))[:-2])
    with pytest.raises(IDXFormatError, match=rf"{path}: truncated"):
        read_idx(path)
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent")


def test_count_mismatch_between_images_and_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(monkeypatch, tmp_path)
    arrays = make_arrays()
    arrays[1] = arrays[1][:-1]  # 11 training labels for 12 images
    contents = contents_of(arrays)
    write_files(tmp_path / "data", contents)
    spec = make_spec(contents)
    with pytest.raises(
        IDXFormatError,
        match="train-images-idx3-ubyte holds 12 images but train-labels-idx1-ubyte holds 11 labels",
    ):
        load_idx_dataset(spec, root=tmp_path / "data", download=False)


def test_label_out_of_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(monkeypatch, tmp_path)
    contents = contents_of(make_arrays())
    write_files(tmp_path / "data", contents)
    spec = make_spec(contents, num_classes=3)
    with pytest.raises(IDXFormatError, match=r"has label \d, expected labels in \[0, 2\]"):
        load_idx_dataset(spec, root=tmp_path / "data", download=False)


def test_images_file_where_labels_expected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(monkeypatch, tmp_path)
    arrays = make_arrays()
    arrays[3] = arrays[2]  # an images file under the test labels' name
    contents = contents_of(arrays)
    write_files(tmp_path / "data", contents)
    with pytest.raises(IDXFormatError, match="t10k-labels-idx1-ubyte: magic number 2051"):
        load_idx_dataset(make_spec(contents), root=tmp_path / "data", download=False)
