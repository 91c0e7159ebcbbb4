"""``tinynn draw RUN``: draw digits in the browser and watch the trained network's answer.

A small web server on this computer only (127.0.0.1, a free port unless ``--port``) serves
a page of four files shipped with tinynn (``draw_page/``: no framework, nothing loaded
from the internet). The page sends the drawing as a PNG to ``POST /predict`` while the
learner draws; the server reads it as ``tinynn predict`` reads a file
(:func:`tinynn.read_digit`, then the model's input shape and probabilities from
:mod:`tinynn.cli.common`) and answers the top three classes with their probabilities and
the 28x28 image the network saw. Routes, one per purpose: ``GET /`` (the page),
``GET /draw.js``, ``GET /draw.css`` and ``GET /favicon.svg`` (its files), ``GET /info``
(which run), ``POST /predict``.

The server takes only what the page sends: requests addressed to its own host and port, a
PNG body of at most :data:`MAX_BODY` bytes and :data:`MAX_SIDE` pixels a side. Anything else
gets a 4xx status and one line of plain text saying why; nothing is ever answered with a
traceback, and the server goes on serving. Ctrl-C stops it (exit status 130).
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import tempfile
import threading
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from ..datasets.handwriting import read_digit
from .common import CliError, display, load_run_model, model_input, probabilities, run_model_path

HELP = "draw digits in the browser and see what a trained run says, as you draw"
HOST = "127.0.0.1"
#: The largest picture taken: bytes of the request body, and pixels a side.
MAX_BODY, MAX_SIDE = 2_000_000, 2048
#: The page's files: URL path -> (file in draw_page/, content type).
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/draw.js": ("draw.js", "text/javascript; charset=utf-8"),
    "/draw.css": ("draw.css", "text/css; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
}
#: Who may load what: the page's own files only (no CDN, no inline script).
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Refused(Exception):
    """A request the server does not take: its status and the one-line reason."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def page_files() -> dict[str, tuple[bytes, str]]:
    """The page's files, read from the package (``tinynn/cli/draw_page/``)."""
    folder = resources.files("tinynn.cli").joinpath("draw_page")
    return {route: (folder.joinpath(name).read_bytes(), kind)
            for route, (name, kind) in STATIC.items()}  # fmt: skip


def png_size(body: bytes) -> tuple[int, int]:
    """The width and height a PNG's header declares (nothing is decoded)."""
    if len(body) < 24 or body[:8] != PNG_SIGNATURE or body[12:16] != b"IHDR":
        raise Refused(HTTPStatus.BAD_REQUEST, "the body is not a PNG image")
    width, height = struct.unpack(">II", body[16:24])
    return int(width), int(height)


class Digits:
    """The model of a run, and the one way a picture goes to it (as ``tinynn predict``'s)."""

    def __init__(self, run: str) -> None:
        self.model, _ = load_run_model(run)
        self.run = display(run_model_path(run).parent)
        model_input(self.model, np.zeros((1, 784)))  # a network for MNIST's images, or refused
        self.lock = threading.Lock()  # one picture at a time: layers keep what they saw
        self.folder = tempfile.TemporaryDirectory(prefix="tinynn-draw-")

    def info(self) -> dict[str, str]:
        layers = ", ".join(type(layer).__name__ for layer in self.model.layers)
        return {"run": self.run, "model": f"{type(self.model).__name__}: {layers}"}

    def predict(self, png: bytes) -> dict[str, Any]:
        """The top three classes and the 28x28 image the network saw, for a PNG drawing."""
        width, height = png_size(png)
        if min(width, height) < 1:
            raise Refused(HTTPStatus.BAD_REQUEST, f"the PNG declares {width}x{height} pixels")
        if max(width, height) > MAX_SIDE:
            raise Refused(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the picture is {width}x{height} pixels; at most {MAX_SIDE} a side",
            )
        with self.lock:
            path = Path(self.folder.name) / "drawing.png"
            path.write_bytes(png)
            try:
                digit = read_digit(path, invert=True)  # dark ink on the page's white paper
            except ValueError as exc:
                reason = str(exc).replace(str(path), "the drawing").splitlines()[0]
                if "holds no digit" in reason:
                    raise Refused(HTTPStatus.UNPROCESSABLE_ENTITY,
                                  "no digit yet: draw with more ink") from exc  # fmt: skip
                raise Refused(HTTPStatus.BAD_REQUEST, reason) from exc
            p = probabilities(self.model, model_input(self.model, digit.reshape(1, -1)))[0]
        best = np.argsort(p)[::-1][:3]
        return {
            "top": [{"digit": int(k), "probability": float(p[k])} for k in best],
            "image": np.round(digit * 255).astype(int).reshape(-1).tolist(),
        }

    def close(self) -> None:
        self.folder.cleanup()


class DrawServer(ThreadingHTTPServer):
    """The page's server: one thread per request, errors told in one line."""

    daemon_threads = True

    def __init__(self, port: int, digits: Digits, *, quiet: bool = True) -> None:
        self.digits, self.files, self.quiet = digits, page_files(), quiet
        super().__init__((HOST, port), DrawHandler)
        self.origin = f"{HOST}:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        print(f"tinynn draw: a request failed: {type(exc).__name__}: {exc}", file=sys.stderr)


class DrawHandler(BaseHTTPRequestHandler):
    """The routes; every refusal a 4xx with one line of text."""

    server: DrawServer
    server_version, sys_version = "tinynn-draw", ""
    timeout = 15  # seconds a client may take to send its request

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """One line of plain text (never the default HTML page) and a closed connection."""
        if code == HTTPStatus.NOT_IMPLEMENTED:  # a method no route takes
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, f"method {self.command} not allowed"
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":  # a line it cannot read
            self.request_version = "HTTP/1.0"  # answered with a status line all the same
        status = HTTPStatus(code)
        body = f"{int(status)} {status.phrase}: {message or status.description}\n".encode()
        self.close_connection = True
        try:
            self.send_response(status, status.phrase)
            self._headers("text/plain; charset=utf-8", len(body))
            self.send_header("Connection", "close")
            if status == HTTPStatus.METHOD_NOT_ALLOWED:
                self.send_header("Allow", "POST" if self._route() == "/predict" else "GET")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:  # the client went away
            pass

    def _route(self) -> str:
        return urlsplit(getattr(self, "path", "")).path

    def _headers(self, kind: str, length: int) -> None:
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", POLICY)

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(HTTPStatus.OK)
        self._headers(kind, len(body))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _check_host(self) -> None:
        """Only requests addressed to this server (no other site's page, no DNS rebinding)."""
        host = self.headers.get("Host", "")
        allowed = {self.server.origin, f"localhost:{self.server.server_address[1]}"}
        if host not in allowed:
            raise Refused(HTTPStatus.FORBIDDEN, f"this server answers requests to "
                          f"{self.server.origin} only, not to {host or 'no host'!r}")  # fmt: skip
        origin = self.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc not in allowed:
            raise Refused(HTTPStatus.FORBIDDEN, f"requests from {origin} are not served")

    def _answer(self, handle: Any) -> None:
        try:
            self._check_host()
            handle()
        except Refused as exc:
            self.send_error(exc.status, exc.reason)
        except ConnectionError:  # the page went away before its answer: nothing to tell
            self.close_connection = True
        except Exception as exc:  # a bug: one line here and to the client, and serve on
            print(f"tinynn draw: {self.command} {self._route()} failed: {type(exc).__name__}: "
                  f"{exc}", file=sys.stderr)  # fmt: skip
            self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR, "the server failed on this request")

    def do_GET(self) -> None:
        self._answer(self._get)

    def do_HEAD(self) -> None:
        self._answer(self._get)

    def do_POST(self) -> None:
        self._answer(self._post)

    def _not_allowed(self) -> None:
        self._answer(lambda: self.send_error(HTTPStatus.METHOD_NOT_ALLOWED,
                                             f"method {self.command} not allowed"))  # fmt: skip

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _get(self) -> None:
        route = self._route()
        if route in self.server.files:
            self._send(*self.server.files[route])
        elif route == "/info":
            self._send(json.dumps(self.server.digits.info()).encode(), "application/json")
        elif route == "/predict":
            raise Refused(HTTPStatus.METHOD_NOT_ALLOWED, "POST a PNG drawing to /predict")
        else:
            raise Refused(HTTPStatus.NOT_FOUND, f"no page {route!r} here")

    def _post(self) -> None:
        route = self._route()
        if route != "/predict":
            if route in self.server.files or route == "/info":
                raise Refused(HTTPStatus.METHOD_NOT_ALLOWED, f"{route} is read with GET")
            raise Refused(HTTPStatus.NOT_FOUND, f"no page {route!r} here")
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "image/png":
            raise Refused(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"/predict takes an image/png body, not {kind or 'no content type'}",
            )
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise Refused(HTTPStatus.LENGTH_REQUIRED, "send the PNG with a Content-Length")
        text = self.headers.get("Content-Length")
        if text is None or not text.strip().isdigit():
            raise Refused(HTTPStatus.LENGTH_REQUIRED, "a Content-Length (in bytes) is needed")
        length = int(text)
        if length > MAX_BODY:
            raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                          f"the body is {length} bytes; at most {MAX_BODY}")  # fmt: skip
        body = self.rfile.read(length)
        if len(body) < length:
            raise Refused(HTTPStatus.BAD_REQUEST, "the body ended before its Content-Length")
        answer = self.server.digits.predict(body)
        self._send(json.dumps(answer).encode(), "application/json")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "draw", help=HELP,
        description=HELP + ": a page on this computer (127.0.0.1) with a drawing pad; each "
        "drawing is read as tinynn predict reads a picture. Ctrl-C stops the server.",
    )  # fmt: skip
    p.add_argument("run", metavar="RUN", help="a run folder of tinynn train (or a model .npz)")
    p.add_argument("--port", type=int, default=0, metavar="PORT",
                   help="the port to listen on (default: a free one)")  # fmt: skip
    p.add_argument("--open", action="store_true", help="open the page in the web browser")
    p.add_argument("--log", action="store_true", help="print a line for every request")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be 0 (a free port) to 65535, got {args.port}")
    try:
        import PIL  # noqa: F401  (read_digit reads the drawings with Pillow)
    except ImportError as exc:
        raise CliError('reading drawings needs Pillow: pip install "tinynn[plot]"') from exc
    digits = Digits(args.run)
    try:
        try:
            server = DrawServer(args.port, digits, quiet=not args.log)
        except OSError as exc:
            raise CliError(f"cannot listen on {HOST}:{args.port}: {exc.strerror or exc}") from exc
        with server:
            url = f"http://{server.origin}/"
            print(f"tinynn draw: the network of {digits.run}, at {url} (Ctrl-C stops it)",
                  flush=True)  # fmt: skip
            if args.open:
                webbrowser.open(url)
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                print("\ntinynn draw: stopped", file=sys.stderr, flush=True)
                return 130
    finally:
        digits.close()
    return 0
