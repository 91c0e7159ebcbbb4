"""Silent mirrors and a deadline for the whole download; a cache folder that cannot be written.

No test here measures time: that a silent mirror is asked only once, and that the deadline's
message appears, is what shows the download cannot hang for minutes.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn.datasets import DatasetNotFoundError, DatasetSpec, load_idx_dataset

from ._idx_fixtures import (  # fixtures: cache, arrays, spec
    NAMES,
    Arrays,
    IDXServer,
    closed_port_url,
    contents_of,
    gz_files,
    write_files,
)


@pytest.fixture
def server(arrays: Arrays) -> Any:
    with IDXServer(gz_files(contents_of(arrays))) as s:
        yield s


def test_silent_mirrors_are_asked_once_and_every_url_is_reported(
    cache: Path, spec: DatasetSpec, server: IDXServer
) -> None:
    mirrors = [server.url("hang"), server.url("hang2"), closed_port_url()]
    with pytest.raises(DatasetNotFoundError) as info:
        load_idx_dataset(spec, mirrors=mirrors, timeout=0.2, deadline=60.0)
    message = str(info.value)
    # each silent mirror was asked once (for the first file), not once per file
    assert sorted(server.hits) == [f"/hang/{NAMES[0]}.gz", f"/hang2/{NAMES[0]}.gz"]
    assert all(n == 1 for n in server.hits.values())
    for m in mirrors:  # every URL appears, with why
        assert f"{m}{NAMES[0]}.gz: " in message
        for name in NAMES[1:]:
            assert f"{m}{name}.gz: not tried, the mirror did not answer for {m}{NAMES[0]}.gz" in (
                message
            )
    assert f"{mirrors[0]}{NAMES[0]}.gz: no answer within the timeout" in message
    assert "(timeout 0.2 s per connection or read, 60 s in all)" in message
    assert not list((cache / "tiny").glob("*.part")) if (cache / "tiny").exists() else True


def test_a_silent_first_mirror_costs_one_timeout_then_the_next_serves_everything(
    cache: Path, arrays: Arrays, spec: DatasetSpec, server: IDXServer
) -> None:
    (_x, t), _ = load_idx_dataset(
        spec, False, mirrors=[server.url("hang"), server.url("ok")], cache=False, timeout=0.2
    )
    np.testing.assert_array_equal(t, arrays[1])
    assert server.hits[f"/hang/{NAMES[0]}.gz"] == 1
    assert sum(n for p, n in server.hits.items() if p.startswith("/hang/")) == 1
    assert sum(n for p, n in server.hits.items() if p.startswith("/ok/")) == 4


def test_the_deadline_bounds_the_whole_download_even_with_a_long_timeout(
    cache: Path, spec: DatasetSpec, server: IDXServer
) -> None:
    # without the deadline this would wait 30 s on the first mirror alone
    mirrors = [server.url("hang"), server.url("hang2")]
    with pytest.raises(DatasetNotFoundError) as info:
        load_idx_dataset(spec, mirrors=mirrors, timeout=30.0, deadline=0.3)
    message = str(info.value)
    assert f"{mirrors[1]}{NAMES[0]}.gz: not tried: the download deadline had passed" in message
    assert "30 s per connection or read, 0.3 s in all" in message
    assert server.hits[f"/hang2/{NAMES[0]}.gz"] == 0


def test_read_only_cache_warns_once_and_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arrays: Arrays, spec: DatasetSpec
) -> None:
    # a cache path that cannot be created (a file where the folder should be): this works
    # even for root, whom chmod does not stop
    blocker = tmp_path / "xdg"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TINYNN_DATA", raising=False)
    root = tmp_path / "data"
    write_files(root, contents_of(arrays))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            (_x, t), _ = load_idx_dataset(spec, False, root=root)
            np.testing.assert_array_equal(t, arrays[1])
    messages = [str(w.message) for w in caught if w.category is UserWarning]
    assert len(messages) == 1, messages
    assert "is not writable: nothing will be cached" in messages[0]
    assert "cache=False to silence this" in messages[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_idx_dataset(spec, False, root=root, cache=False)  # no warning when not caching
