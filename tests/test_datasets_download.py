"""Downloads from a local HTTP server on 127.0.0.1: mirrors, verification, atomicity."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn.datasets import DatasetNotFoundError, DatasetSpec, load_idx_dataset
from tinynn.datasets.npz_cache import npz_path

from ._idx_fixtures import (  # fixtures: cache, arrays, spec
    NAMES,
    Arrays,
    IDXServer,
    closed_port_url,
    contents_of,
    gz_files,
    make_spec,
)

download_mod = importlib.import_module("tinynn.datasets.download")
verify_mod = importlib.import_module("tinynn.datasets.verify")


@pytest.fixture
def server(arrays: Arrays) -> Any:
    with IDXServer(gz_files(contents_of(arrays))) as s:
        yield s


def check(result: Any, arrays: Arrays) -> None:
    (x_train, t_train), (x_test, t_test) = result
    np.testing.assert_array_equal(x_train, arrays[0].reshape(len(arrays[0]), -1))
    np.testing.assert_array_equal(t_train, arrays[1])
    np.testing.assert_array_equal(x_test, arrays[2].reshape(len(arrays[2]), -1))
    np.testing.assert_array_equal(t_test, arrays[3])


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_verify_cache_and_reload_offline(
    cache: Path,
    arrays: Arrays,
    spec: DatasetSpec,
    server: IDXServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check(load_idx_dataset(spec, False, mirrors=[server.url()], progress=False), arrays)
    assert all(server.hits[f"/ok/{n}.gz"] == 1 for n in NAMES)
    assert files_in(cache / "tiny") == sorted([npz_path(spec).name, *(n + ".gz" for n in NAMES)])
    record = json.loads((cache / "verified.json").read_text())["files"]
    assert sorted(record) == sorted(str(cache / "tiny" / (n + ".gz")) for n in NAMES)
    server.close()  # the server is gone from here on
    check(load_idx_dataset(spec, False, download=False), arrays)  # from the npz
    hashed: list[bytes] = []
    monkeypatch.setattr(verify_mod, "sha256_hex", lambda b: hashed.append(b) or "0" * 64)
    check(load_idx_dataset(spec, False, download=False, cache=False), arrays)  # from the .gz
    assert hashed == []  # verified at download, recorded, not hashed again


def test_download_into_root(
    cache: Path, tmp_path: Path, arrays: Arrays, spec: DatasetSpec, server: IDXServer
) -> None:
    load_idx_dataset(spec, root=tmp_path / "r", mirrors=[server.url()], cache=False)
    assert files_in(tmp_path / "r" / "tiny") == sorted(n + ".gz" for n in NAMES)
    assert not (cache / "tiny").exists()


def test_only_missing_files_are_downloaded(
    cache: Path, arrays: Arrays, spec: DatasetSpec, server: IDXServer
) -> None:
    (cache / "tiny").mkdir(parents=True)
    (cache / "tiny" / NAMES[1]).write_bytes(contents_of(arrays)[1])
    check(load_idx_dataset(spec, False, mirrors=[server.url()], cache=False), arrays)
    assert server.hits[f"/ok/{NAMES[1]}.gz"] == 0
    assert server.hits[f"/ok/{NAMES[0]}.gz"] == 1


def test_failing_mirrors_fall_through(
    cache: Path, arrays: Arrays, spec: DatasetSpec, server: IDXServer
) -> None:
    mirrors = [
        closed_port_url(),
        server.url("missing"),
        server.url("hang"),
        server.url("truncate"),
        server.url("corrupt"),
        server.url("ok"),
    ]
    check(load_idx_dataset(spec, False, mirrors=mirrors, cache=False, timeout=0.3), arrays)
    for mode in ("missing", "truncate", "corrupt", "ok"):
        assert server.hits[f"/{mode}/{NAMES[3]}.gz"] == 1, mode
    # the mirror that did not answer is asked once, for the first file only
    assert [p for p in server.hits if p.startswith("/hang/")] == [f"/hang/{NAMES[0]}.gz"]
    assert server.hits[f"/hang/{NAMES[0]}.gz"] == 1
    assert files_in(cache / "tiny") == sorted(n + ".gz" for n in NAMES)


def test_mirror_without_trailing_slash(
    cache: Path, arrays: Arrays, spec: DatasetSpec, server: IDXServer
) -> None:
    check(load_idx_dataset(spec, False, mirrors=[server.url().rstrip("/")], cache=False), arrays)


def test_spec_mirrors_are_the_default(cache: Path, arrays: Arrays, server: IDXServer) -> None:
    spec = make_spec(contents_of(arrays), mirrors=(server.url(),))
    check(load_idx_dataset(spec, False, cache=False), arrays)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("corrupt", "SHA-256 of the decompressed content is"),
        ("truncate", "transfer interrupted: received"),
        ("missing", "HTTP Error 404"),
    ],
)
def test_bad_download_is_rejected_and_not_kept(
    cache: Path, spec: DatasetSpec, server: IDXServer, mode: str, reason: str
) -> None:
    url = server.url(mode)
    with pytest.raises(DatasetNotFoundError) as info:
        load_idx_dataset(spec, mirrors=[url])
    message = str(info.value)
    assert "4 of 4 files not found" in message and "Download failed:" in message
    assert f"{url}{NAMES[0]}.gz: {reason}" in message
    assert files_in(cache / "tiny") == []  # no partial or unverified file left behind
    with pytest.raises(DatasetNotFoundError):  # and nothing a later call would trust
        load_idx_dataset(spec, download=False)


def test_corrupt_local_copy_is_replaced_by_download(
    cache: Path, arrays: Arrays, spec: DatasetSpec, server: IDXServer
) -> None:
    (cache / "tiny").mkdir(parents=True)
    stale = cache / "tiny" / (NAMES[0] + ".gz")
    stale.write_bytes(gz_files(contents_of(arrays))[NAMES[0] + ".gz"][:-30])  # truncated
    with pytest.warns(UserWarning, match="corrupt or truncated gzip"):
        check(load_idx_dataset(spec, False, mirrors=[server.url()], cache=False), arrays)
    assert stale.read_bytes() == server.files[NAMES[0] + ".gz"]
    check(load_idx_dataset(spec, False, download=False, cache=False), arrays)


def test_keyboard_interrupt_leaves_no_file(
    cache: Path, spec: DatasetSpec, server: IDXServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(self: Any, n: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(download_mod._Progress, "update", interrupt)
    with pytest.raises(KeyboardInterrupt):
        load_idx_dataset(spec, mirrors=[server.url(), server.url()])
    assert sum(server.hits.values()) == 1  # not retried on the next mirror
    assert files_in(cache / "tiny") == []


def test_progress_display(
    cache: Path,
    spec: DatasetSpec,
    server: IDXServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    load_idx_dataset(spec, mirrors=[server.url()], progress=False, cache=False)
    assert capsys.readouterr().err == ""
    for p in (cache / "tiny").iterdir():
        p.unlink()
    load_idx_dataset(spec, mirrors=[server.url()], progress=True, cache=False)
    assert capsys.readouterr().err == ""  # small files: no display
    for p in (cache / "tiny").iterdir():
        p.unlink()
    monkeypatch.setattr(download_mod, "PROGRESS_MIN_BYTES", 0)
    load_idx_dataset(spec, mirrors=[server.url()], progress=True, cache=False)
    err = capsys.readouterr().err
    assert f"\rDownloading {NAMES[0]}.gz: 100% (" in err
    assert err.count("\n") == 4


def test_no_download_without_permission(cache: Path, spec: DatasetSpec, server: IDXServer) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"download=False"):
        load_idx_dataset(spec, download=False, mirrors=[server.url()])
    assert sum(server.hits.values()) == 0


def test_a_failed_download_leads_with_what_to_do_in_the_callers_terms(
    cache: Path, spec: DatasetSpec, server: IDXServer
) -> None:
    """Python code hears about root= and download=; the command line about --data-dir,
    TINYNN_DATA and --no-download, in a few lines with one reason per mirror."""
    mirrors = [server.url("missing"), closed_port_url()]
    with pytest.raises(DatasetNotFoundError) as info:
        load_idx_dataset(spec, mirrors=mirrors, timeout=2.0)
    python = str(info.value)
    assert python.startswith("Tiny not found: pass root=DIR (or set TINYNN_DATA=DIR), where DIR ")
    assert info.value.describe() == python == info.value.describe("python")
    cli = info.value.describe("command line")
    lines = cli.splitlines()
    assert lines[0] == (
        "Tiny not found: give --data-dir DIR (or set TINYNN_DATA=DIR), where DIR holds tiny/ "
        "with the four Tiny files (.gz or not)"
    )
    assert len(lines) == 4  # what to do; what is missing and where; why downloads failed; URLs
    assert lines[1].startswith("  4 of 4 files missing; looked in ")
    assert lines[2].startswith(f"  download failed: {mirrors[0]}: HTTP Error 404")
    assert f" | {mirrors[1]}: " in lines[2]  # each mirror once, not once per file
    by_hand = f"  the files by hand: {mirrors[0]} (or {mirrors[1]}): {NAMES[0]}.gz, "
    assert lines[3].startswith(by_hand)
    for python_only in ("root=", "download=", "not tried"):
        assert python_only not in cli
