"""Shared helpers for the dataset tests: small generated IDX data sets and a local HTTP server.

Nothing here touches the network beyond 127.0.0.1 or the real user cache: ``isolate`` points
``XDG_CACHE_HOME`` and ``HOME`` into a temporary folder and unsets ``TINYNN_DATA``.
"""

from __future__ import annotations

import gzip
import http.server
import socket
import sys
import threading
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn.datasets import DatasetSpec, IDXFile, sha256_hex, to_idx_bytes

NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point the user cache and HOME into ``tmp_path``; unset TINYNN_DATA. Return the cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TINYNN_DATA", raising=False)
    return tmp_path / "xdg" / "tinynn"


def make_arrays(n_train: int = 12, n_test: int = 6, seed: int = 0) -> list[np.ndarray[Any, Any]]:
    """Random 28x28 uint8 images and labels 0-9: train images, train labels, test ..."""
    rng = np.random.default_rng(seed)
    return [
        rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=n_train, dtype=np.uint8),
        rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=n_test, dtype=np.uint8),
    ]


def contents_of(arrays: list[np.ndarray[Any, Any]]) -> list[bytes]:
    """The IDX bytes of each array."""
    return [to_idx_bytes(a) for a in arrays]


def make_spec(
    contents: list[bytes],
    mirrors: tuple[str, ...] = (),
    folder: str = "tiny",
    num_classes: int = 10,
) -> DatasetSpec:
    """A DatasetSpec whose checksums are those of ``contents``."""
    files = [IDXFile(n, sha256_hex(c)) for n, c in zip(NAMES, contents, strict=True)]
    return DatasetSpec("Tiny", folder, *files, mirrors=mirrors, num_classes=num_classes)


def write_files(folder: Path, contents: list[bytes], gz: bool = True) -> list[Path]:
    """Write the four files into ``folder`` (created), gzip-compressed or not."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, c in zip(NAMES, contents, strict=True):
        path = folder / (name + ".gz" if gz else name)
        path.write_bytes(gzip.compress(c, mtime=0) if gz else c)
        paths.append(path)
    return paths


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


class IDXServer:
    """A local HTTP server serving the four ``.gz`` files under several behaviours.

    ``url(mode)`` is a mirror base URL. Modes: ``ok`` serves the files; ``missing`` answers
    404; ``corrupt`` serves the files with bytes changed (still valid gzip); ``truncate``
    announces the full length, sends half and closes; ``hang`` (or any mode starting with it,
    for several silent mirrors) accepts the request and never answers (until the server
    stops). ``hits`` counts requests by path.

    The server keeps to itself: a client that hangs up (as every timed-out client does) is
    not an error, and leaving the ``with`` block stops the server *and joins every handler
    thread*, so nothing it does can print into a later test's captured output. Any other
    error in a handler is collected in ``errors`` and fails the test on exit.
    """

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.hits: Counter[str] = Counter()
        self.errors: list[str] = []
        self.stopping = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.hits[self.path] += 1
                _, mode, name = self.path.split("/", 2)
                data = server.files.get(name)
                if data is None or mode == "missing":
                    self.send_error(404)
                    return
                if mode == "corrupt":
                    raw = bytearray(gzip.decompress(data))
                    raw[-1] ^= 0xFF
                    data = gzip.compress(bytes(raw))
                if mode.startswith("hang"):  # hang, hang2, ...: distinct silent mirrors
                    server.stopping.wait()  # never answer; the client times out
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2] if mode == "truncate" else data)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = False  # handler threads are joined by server_close()
            block_on_close = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                exc = sys.exc_info()[1]
                if isinstance(exc, (ConnectionError, TimeoutError)):
                    return  # the client hung up or timed out: expected, not an error
                server.errors.append(traceback.format_exc())

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._closed = False

    def url(self, mode: str = "ok") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{mode}/"

    def __enter__(self) -> IDXServer:
        self.thread.start()
        return self

    def close(self) -> None:
        """Stop serving, release hanging handlers and wait for every handler thread."""
        if self._closed:
            return
        self._closed = True
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close()
        if exc_type is None and self.errors:
            raise AssertionError("the test server's handlers failed:\n" + "\n".join(self.errors))


def gz_files(contents: list[bytes]) -> dict[str, bytes]:
    """``{name.gz: gzip data}`` for a server."""
    return {n + ".gz": gzip.compress(c, mtime=0) for n, c in zip(NAMES, contents, strict=True)}


Arrays = list[np.ndarray[Any, Any]]


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An isolated user cache (see :func:`isolate`); the folder it returns."""
    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def arrays() -> Arrays:
    """Small random IDX arrays: train images, train labels, test images, test labels."""
    return make_arrays()


@pytest.fixture
def spec(arrays: Arrays) -> DatasetSpec:
    """A data-set spec whose checksums are those of ``arrays``."""
    return make_spec(contents_of(arrays))
