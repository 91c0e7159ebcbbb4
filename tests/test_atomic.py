"""The one atomic write: fsync before rename, nothing left behind on any error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tinynn.utils import atomic as _atomic
from tinynn.utils.atomic import atomic_write, write_bytes_atomic


def test_writes_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    write_bytes_atomic(path, b"old")
    write_bytes_atomic(path, b"new content")
    assert path.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_fsync_happens_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_bytes_atomic(tmp_path / "f.bin", b"x")
    assert events[:2] == ["fsync", "replace"]  # file first; then the folder (where allowed)
    assert events.count("replace") == 1


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError, ValueError])
def test_error_in_body_keeps_old_file_and_removes_temp(
    tmp_path: Path, error: type[BaseException]
) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with pytest.raises(error), atomic_write(path) as f:
        f.write(b"half of the new")
        raise error()
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_failed_rename_removes_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def replace(src: str, dst: str) -> None:
        raise PermissionError("no")

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PermissionError):
        write_bytes_atomic(tmp_path / "f.bin", b"x")
    assert list(tmp_path.iterdir()) == []


def test_temp_file_is_hidden_in_the_same_folder(tmp_path: Path) -> None:
    fd, tmp = _atomic.create_temp(tmp_path, "name.npz")
    os.close(fd)
    assert tmp.parent == tmp_path and tmp.name.startswith(".name.npz.")
    assert tmp.name.endswith(".part")
