"""The documentation builds without a warning, its code runs, and its figures are there.

Builds ``docs/`` with ``sphinx-build -W --keep-going`` (warnings are errors, so a
broken cross-reference fails), first as HTML and then with the doctest builder,
which runs every ``.. doctest::``/``.. testcode::`` block on the pages against
the installed package and compares the output. The build draws the chapter's
figures with matplotlib's plot directive, including a short MNIST training run,
so it needs MNIST locally (``TINYNN_DATA`` or the user cache): without it the
test is skipped, as the other tests on the real data are. It never downloads.
About 20 seconds on two cores.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs extra is not installed")
pytest.importorskip("furo", reason="the docs extra is not installed")
pytest.importorskip("matplotlib", reason="the docs extra is not installed")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: Figures each page must show (drawn by the plot directive at build time).
FIGURES = {"chapter4": 9, "getting_started": 1}


def _mnist_found(env: dict[str, str]) -> bool:
    """Whether ``load_mnist`` finds MNIST on disk under ``env`` (never downloads)."""
    code = "from tinynn.datasets import load_mnist\nload_mnist(download=False, cache=False)\n"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    return result.returncode == 0


@pytest.fixture(scope="module")
def build_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment for ``sphinx-build``: the user cache redirected when possible."""
    env = dict(os.environ)
    env.pop("TINYNN_DOCS_ONLINE", None)  # CI has no internet: build as CI does
    redirected = {**env, "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}
    if _mnist_found(redirected):  # in $TINYNN_DATA: leave the user's cache untouched
        return redirected
    if _mnist_found(env):  # only in the user's cache
        return env
    pytest.skip("MNIST is not available locally (set TINYNN_DATA); the docs build trains on it")


def _sphinx(builder: str, out: Path, doctrees: Path, env: dict[str, str]) -> str:
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", builder, "-d",
           str(doctrees), str(DOCS), str(out)]  # fmt: skip
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"sphinx-build -b {builder} failed:\n{log[-6000:]}"
    return log


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, build_env: dict[str, str]) -> Path:
    """The HTML build, in a fresh folder."""
    out = tmp_path_factory.mktemp("docs")
    _sphinx("html", out / "html", out / "doctrees", build_env)
    return out


def test_html_build_has_no_warnings(built: Path) -> None:
    for page in ("index", "getting_started", "chapter4", "book_map", "extending", "api",
                 "performance"):  # fmt: skip
        assert (built / "html" / f"{page}.html").is_file(), f"{page}.html was not written"


@pytest.mark.parametrize(("page", "count"), sorted(FIGURES.items()))
def test_figures_appear_in_the_html(built: Path, page: str, count: int) -> None:
    html = (built / "html" / f"{page}.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="(_images/[^"]+\.png)"', html)
    assert len(images) >= count, f"{page}.html shows {len(images)} figures, expected {count}"
    for src in images:
        png = built / "html" / src
        assert png.is_file() and png.stat().st_size > 1000, f"{src} is missing or empty"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{src} is not a PNG"


def test_code_on_the_pages_runs_and_prints_what_they_say(
    built: Path, build_env: dict[str, str]
) -> None:
    # The doctest builder reuses the HTML build's parsed pages (same doctree folder).
    log = _sphinx("doctest", built / "doctest", built / "doctrees", build_env)
    report = (built / "doctest" / "output.txt").read_text(encoding="utf-8")
    assert "0 failures in tests" in report, report
    tests = int(re.search(r"(\d+) tests", report.split("Doctest summary")[1]).group(1))  # type: ignore[union-attr]
    assert tests >= 100, f"only {tests} doctests ran:\n{log[-3000:]}"


def test_api_reference_documents_every_public_name(built: Path) -> None:
    import tinynn

    html = (built / "html" / "api.html").read_text(encoding="utf-8")
    modules = [tinynn, pytest.importorskip("tinynn.datasets"), pytest.importorskip("tinynn.plot")]
    missing = [
        f"{mod.__name__}.{name}"
        for mod in modules
        for name in mod.__all__
        if f'id="{mod.__name__}.{name}"' not in html
    ]
    assert not missing, f"the API reference has no entry for {missing}"


def test_book_map_links_every_name_to_the_api(built: Path) -> None:
    html = (built / "html" / "book_map.html").read_text(encoding="utf-8")
    targets = set(re.findall(r'href="api\.html#(tinynn[\w.]*)"', html))
    import tinynn

    missing = {f"tinynn.{n}" for n in tinynn.__all__} - targets
    assert not missing, f"the book map does not link {sorted(missing)}"
