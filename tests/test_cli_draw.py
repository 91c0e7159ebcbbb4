"""``tinynn draw RUN``: the drawing page, served on 127.0.0.1, driven in a real browser.

The server runs as a user runs it (``python -m tinynn draw RUN`` in a subprocess) on a run
that ``tinynn train`` made here. The browser test opens the page in headless Chromium
(Debian's ``chromium``, driven by Playwright's Python package with ``executable_path``: it
never downloads a browser of its own), draws with mouse events, reads the network's answer
from the page and checks it against ``tinynn predict``'s path (``read_digit``, the model)
run here on the very PNG the page sent. It is skipped, saying why, only when Chromium or
Playwright is missing (``.ci/run`` installs both). The other tests speak HTTP directly.

``TINYNN_DRAW_SCREENSHOT=PATH`` keeps the browser test's screenshot there (the docs' one,
``docs/_static/draw.png``, was made so).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

needs_mnist = pytest.mark.skipif(
    not os.environ.get("TINYNN_DATA"),
    reason="MNIST not configured: set TINYNN_DATA to a folder holding mnist/ (never downloaded)",
)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: What Chromium needs on a machine without a screen or a network (as root: no sandbox).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]  # fmt: skip
#: Strokes on the 280x280 pad, in its pixels.
ONE = [[(140, 40), (140, 240)]]
SEVEN = [[(60, 60), (220, 60), (120, 245)]]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    """A run of ``tinynn train``: 300 steps at lr 0.5 (about 88% test accuracy)."""
    if not os.environ.get("TINYNN_DATA"):
        pytest.skip("MNIST not configured: set TINYNN_DATA to a folder holding mnist/")
    cwd = tmp_path_factory.mktemp("draw")
    result = subprocess.run(
        [sys.executable, "-m", "tinynn", "train", "--iters", "300", "--lr", "0.5",
         "--train-size", "10000", "--no-plot", "--no-download"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return cwd / result.stdout.strip().splitlines()[-1]


class Server:
    """``python -m tinynn draw runs/NAME`` in a subprocess, beside ``runs/``, and its address."""

    def __init__(self, run: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tinynn", "draw", f"runs/{run.name}"], cwd=run.parent.parent,
            env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = re.search(rf"^tinynn draw: the network of runs/{run.name}, at "
                          r"http://127\.0\.0\.1:(\d+)/ \(Ctrl-C stops it\)$", line)  # fmt: skip
        assert found, f"no address in {line!r} ({self.proc.stderr and self.proc.stderr.read()})"
        self.port = int(found.group(1))
        self.url = f"http://127.0.0.1:{self.port}/"

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:  # fmt: skip
        """One request: the status, the content type and the body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            conn.close()

    def raw(self, data: bytes) -> bytes:
        """Bytes sent as they are on a new connection; what comes back until it closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)  # all is sent
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def stop(self) -> tuple[int, str]:
        """Ctrl-C (SIGINT), as a terminal sends it: the exit status and stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return self.proc.returncode, err


@pytest.fixture(scope="module")
def server(trained: Path, env: dict[str, str]) -> Iterator[Server]:
    running = Server(trained, env)
    yield running
    status, err = running.stop()
    assert status == 130 and "Traceback" not in err, err


def png(picture: Any) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def drawing(strokes: list[list[tuple[int, int]]], size: tuple[int, int] = (280, 280)) -> bytes:
    """A PNG as the page makes it: black strokes on a white pad."""
    image = pytest.importorskip("PIL.Image")
    draw = pytest.importorskip("PIL.ImageDraw")
    picture = image.new("RGBA", size, "white")
    for points in strokes:
        draw.Draw(picture).line(points, fill="black", width=24, joint="curve")
    return png(picture)


def expected(run: Path, picture: bytes, tmp_path: Path) -> tuple[list[tuple[int, float]], Any]:
    """``tinynn predict``'s top three for a PNG, and the 28x28 image it gives the network."""
    from tinynn import load_model, read_digit
    from tinynn.cli.common import model_input, probabilities

    file = tmp_path / "sent.png"
    file.write_bytes(picture)
    digit = read_digit(file, invert=True)
    model = load_model(run / "model.npz")
    p = probabilities(model, model_input(model, digit.reshape(1, -1)))[0]
    return [(int(k), float(p[k])) for k in np.argsort(p)[::-1][:3]], digit


# -- the page in a real browser ----------------------------------------------------------


def _browser() -> Any:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium is not installed ({CHROMIUM}); Debian: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    return sync_api.sync_playwright


@needs_mnist
def test_the_page_shows_the_networks_answer_as_predict_computes_it(
    server: Server, trained: Path, tmp_path: Path
) -> None:
    sync_playwright = _browser()
    sent: list[bytes] = []
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 820, "height": 560})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: sent.append(r.post_data_buffer or b"")
                    if r.method == "POST" else None)  # fmt: skip
            page.goto(server.url)
            page.locator("body[data-state=empty]").wait_for()
            page.locator("#run", has_text="TwoLayerNet").wait_for()  # /info: which run
            shown = page.locator("#run").inner_text()
            assert shown == f"runs/{trained.name} (TwoLayerNet: Affine, Sigmoid, Affine)"
            box = page.locator("#pad").bounding_box()
            assert box is not None and (box["width"], box["height"]) == (284, 284)  # + border

            def draw(strokes: list[list[tuple[int, int]]]) -> list[tuple[int, float]]:
                for points in strokes:
                    x, y = points[0]
                    page.mouse.move(box["x"] + 2 + x, box["y"] + 2 + y)
                    page.mouse.down()
                    for x, y in points[1:]:
                        page.mouse.move(box["x"] + 2 + x, box["y"] + 2 + y, steps=12)
                    page.mouse.up()
                page.locator("body[data-state=ready]").wait_for(timeout=20_000)
                rows = page.locator("#top li").all()
                return [(int(row.get_attribute("data-digit") or -1),
                         float(row.get_attribute("data-probability") or "nan"))
                        for row in rows]  # fmt: skip

            def seen() -> Any:  # the 28x28 image shown, as the page has it
                data = page.evaluate("Array.from(document.getElementById('seen').getContext"
                                     "('2d').getImageData(0, 0, 28, 28).data)")  # fmt: skip
                return np.asarray(data).reshape(28, 28, 4)

            answers = []
            for strokes in (ONE, SEVEN):
                shown = draw(strokes)
                top, digit = expected(trained, sent[-1], tmp_path)
                assert sent[-1].startswith(PNG_MAGIC)
                assert shown == top  # the same numbers, to the last bit (JSON keeps them)
                pixels = seen()
                np.testing.assert_array_equal(pixels[..., 0], np.round(digit * 255))
                assert (pixels[..., 3] == 255).all()
                answers.append(shown[0][0])
                if strokes is SEVEN:
                    shot = tmp_path / "draw.png"
                    page.screenshot(path=str(shot))
                    assert shot.read_bytes().startswith(PNG_MAGIC)
                    keep = os.environ.get("TINYNN_DRAW_SCREENSHOT")
                    if keep:
                        shutil.copyfile(shot, keep)
                    break
                page.get_by_role("button", name="Clear").click()  # then the second digit
                page.locator("body[data-state=empty]").wait_for()
                assert page.locator("#top li").count() == 0
                assert not seen()[..., :3].any()  # black again
                pad = page.evaluate("Array.from(document.getElementById('pad').getContext"
                                    "('2d').getImageData(0, 0, 280, 280).data)")  # fmt: skip
                assert min(pad) == 255  # white paper, nothing left of the one
            assert answers == [1, 7]
            assert len(sent) >= 2 and not problems, problems
        finally:
            browser.close()


# -- what the server takes, and what it refuses ----------------------------------------------


@needs_mnist
def test_the_page_and_its_files_come_from_the_server_and_nothing_else(server: Server) -> None:
    status, kind, body = server.request("GET", "/")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    html = body.decode()
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == ["/favicon.svg", "/draw.css",
                                                             "/draw.js"]  # fmt: skip
    for path, kind in (("/draw.js", "text/javascript"), ("/draw.css", "text/css"),
                       ("/favicon.svg", "image/svg+xml")):  # fmt: skip
        status, got, body = server.request("GET", path)
        assert status == 200 and got.startswith(kind) and body
        assert b"http://" not in body.replace(b"http://www.w3.org/2000/svg", b"")
        assert b"https://" not in body  # no CDN, nothing from the internet
    status, kind, body = server.request("GET", "/info")
    assert status == 200 and json.loads(body)["model"].startswith("TwoLayerNet: Affine")


@needs_mnist
def test_a_drawing_posted_gets_the_top_three_and_the_image(server: Server, trained: Path,
                                                         tmp_path: Path) -> None:  # fmt: skip
    picture = drawing(SEVEN)
    status, kind, body = server.request("POST", "/predict", picture,
                                        {"Content-Type": "image/png"})  # fmt: skip
    assert (status, kind) == (200, "application/json")
    answer = json.loads(body)
    top, digit = expected(trained, picture, tmp_path)
    assert [(a["digit"], a["probability"]) for a in answer["top"]] == top
    assert top[0][0] == 7
    assert answer["image"] == np.round(digit * 255).astype(int).reshape(-1).tolist()


def _huge_png() -> bytes:
    image = pytest.importorskip("PIL.Image")
    return png(image.new("L", (3000, 20), 255))  # small as a file, too wide a picture


@needs_mnist
@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "reason"),
    [
        ("GET", "/nowhere", None, {}, 404, "no page '/nowhere' here"),
        ("GET", "/predict", None, {}, 405, "POST a PNG drawing to /predict"),
        ("POST", "/", b"x", {"Content-Type": "image/png"}, 405, "/ is read with GET"),
        ("DELETE", "/", None, {}, 405, "method DELETE not allowed"),
        ("BREW", "/", None, {}, 405, "method BREW not allowed"),
        ("POST", "/predict", b"hello", {"Content-Type": "text/plain"}, 415,
         "/predict takes an image/png body, not text/plain"),
        ("POST", "/predict", b"hello", {}, 415, "not no content type"),
        ("POST", "/predict", b"not a png at all", {"Content-Type": "image/png"}, 400,
         "the body is not a PNG image"),
        ("POST", "/predict", PNG_MAGIC + b"\x00\x00\x00\x0dIHDR" + b"\x00" * 30,
         {"Content-Type": "image/png"}, 400, "the PNG declares 0x0 pixels"),
        ("POST", "/predict", PNG_MAGIC + b"\x00\x00\x00\x0dIHDR\x00\x00\x00\x0a\x00\x00\x00"
         b"\x0a" + b"\x00" * 30, {"Content-Type": "image/png"}, 400, "the drawing"),
        ("POST", "/predict", "huge", {"Content-Type": "image/png"}, 413,
         "the picture is 3000x20 pixels; at most 2048 a side"),
        ("POST", "/predict", "blank", {"Content-Type": "image/png"}, 422,
         "no digit yet: draw with more ink"),
        ("GET", "/", None, {"Host": "evil.example:80"}, 403,
         "answers requests to 127.0.0.1:"),
        ("POST", "/predict", "seven", {"Content-Type": "image/png",
                                       "Origin": "http://evil.example"}, 403,
         "requests from http://evil.example are not served"),
    ],
)  # fmt: skip
def test_a_bad_request_gets_a_4xx_and_one_line_and_the_server_serves_on(
    server: Server, method: str, path: str, body: Any, headers: dict[str, str], status: int,
    reason: str,
) -> None:
    bodies = {"huge": _huge_png, "blank": lambda: drawing([]), "seven": lambda: drawing(SEVEN)}
    data = bodies[body]() if isinstance(body, str) else body
    got, kind, text = server.request(method, path, data, headers)
    assert got == status, text
    assert kind == "text/plain; charset=utf-8"
    line = text.decode()
    assert line.endswith("\n") and line.count("\n") == 1, line  # one line
    assert line.startswith(f"{status} ") and reason in line, line
    assert "Traceback" not in line
    assert server.request("GET", "/")[0] == 200  # and it goes on


@needs_mnist
@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"\x00\x01garbage\xff\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X: y\r\n" * 200 + b"\r\n", 431),
        (b"POST /predict HTTP/1.1\r\nHost: {host}\r\nContent-Type: image/png\r\n"
         b"Content-Length: 999999999\r\n\r\n", 413),
        (b"POST /predict HTTP/1.1\r\nHost: {host}\r\nContent-Type: image/png\r\n\r\n", 411),
        (b"POST /predict HTTP/1.1\r\nHost: {host}\r\nContent-Type: image/png\r\n"
         b"Content-Length: 50\r\n\r\n\x89PNG", 400),
    ],
)  # fmt: skip
def test_garbage_and_oversized_requests_on_the_wire(server: Server, raw: bytes,
                                                   status: int) -> None:  # fmt: skip
    host = f"127.0.0.1:{server.port}".encode()
    answer = server.raw(raw.replace(b"{host}", host))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.0 {status} ".encode()), answer[:200]
    assert body.count(b"\n") == 1 and b"Traceback" not in body and b"<" not in body, body
    assert server.request("GET", "/")[0] == 200


# -- the command ------------------------------------------------------------------------------


@needs_mnist
def test_ctrl_c_stops_the_server_with_status_130(trained: Path, env: dict[str, str]) -> None:
    running = Server(trained, env)
    assert running.request("GET", "/")[0] == 200
    status, err = running.stop()
    assert status == 130
    assert "tinynn draw: stopped" in err and "Traceback" not in err


def test_a_run_that_is_not_there_is_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "tinynn", "draw", "nowhere"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60,
                            check=False)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == "tinynn draw: error: no run folder or model file 'nowhere'\n"


def test_the_page_is_shipped_in_the_package() -> None:
    from tinynn.cli.draw import STATIC, page_files

    files = page_files()
    assert set(files) == set(STATIC) == {"/", "/draw.js", "/draw.css", "/favicon.svg"}
    assert all(body for body, _ in files.values())
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"cli/draw_page/*"' in pyproject  # package data: a wheel carries the page
