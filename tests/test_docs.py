"""The documentation builds without a warning, its code runs, and its figures are there.

Builds ``docs/`` with ``sphinx-build -W --keep-going`` (warnings are errors, so a
broken cross-reference fails), first as HTML and then with the doctest builder,
which runs every ``.. doctest::``/``.. testcode::`` block on the pages against
the installed package and compares the output. The build draws the chapter's
figures with matplotlib's plot directive, including a short MNIST training run,
so it needs MNIST locally (``TINYNN_DATA`` or the user cache): without it the
test is skipped, as the other tests on the real data are. It never downloads.
The build takes minutes (it runs every example of the gallery), so the tests are marked
``slow``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sphinx", reason="the docs extra is not installed")
pytest.importorskip("furo", reason="the docs extra is not installed")
pytest.importorskip("matplotlib", reason="the docs extra is not installed")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: The build trains a network and runs every example: the longest part of the suite
#: (``./run.sh test -m "not slow"`` leaves it out).
pytestmark = pytest.mark.slow

#: Figures each page must show (drawn by the plot directive at build time).
FIGURES = {"chapter4": 9, "getting_started": 1, "optimizers": 2}


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
    for page in ("index", "getting_started", "chapter4", "optimizers", "book_map", "extending",
                 "api", "performance"):  # fmt: skip
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


# -- links, images and formulas work offline ---------------------------------------------
_ATTRIBUTE = re.compile(
    r"""<(a|img|script|link|source|iframe)\b[^>]*?\s(href|src)=["']([^"']*)["']"""
)
_EXTERNAL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//)")  # http:, https:, mailto:, data:, //


def _pages(built: Path) -> list[Path]:
    return sorted((built / "html").rglob("*.html"))


def _ids(page: Path, cache: dict[Path, set[str]]) -> set[str]:
    if page not in cache:
        cache[page] = set(re.findall(r"""\sid=["']([^"']+)["']""", page.read_text("utf-8")))
    return cache[page]


def test_every_local_link_and_image_in_the_html_exists(built: Path) -> None:
    """Each local href/src names a file of the build, and each #anchor an id on its page."""
    broken: list[str] = []
    ids: dict[Path, set[str]] = {}
    pages = _pages(built)
    assert len(pages) >= 10
    for page in pages:
        for tag, _, url in _ATTRIBUTE.findall(page.read_text("utf-8")):
            if not url or _EXTERNAL.match(url):
                continue
            path, _, anchor = url.partition("#")
            path = path.split("?", 1)[0]
            target = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(built / 'html')}: <{tag}> {url}"
            if not target.exists():
                broken.append(f"{where} (no file {target.name})")
            elif anchor and target.suffix == ".html" and anchor not in _ids(target, ids):
                broken.append(f"{where} (no id {anchor!r} on that page)")
    assert not broken, "broken local links:\n" + "\n".join(broken)


def test_pages_load_nothing_from_the_network_and_mathjax_is_bundled(built: Path) -> None:
    loads = re.compile(r"""<(?:script|img|iframe)\b[^>]*\ssrc=["']([^"']+)["']"""
                       r"""|<link\b[^>]*\shref=["']([^"']+)["'][^>]*>""")  # fmt: skip
    remote = []
    for page in _pages(built):
        for match in loads.finditer(page.read_text("utf-8")):
            url = match.group(1) or match.group(2)
            if _EXTERNAL.match(url) and not url.startswith("data:"):
                remote.append(f"{page.name}: {url}")
    assert not remote, f"pages load from the network: {remote}"
    chapter = (built / "html" / "chapter4.html").read_text("utf-8")
    assert 'src="_static/mathjax/tex-chtml.js' in chapter
    bundled = built / "html" / "_static" / "mathjax"
    assert (bundled / "tex-chtml.js").stat().st_size > 100_000
    assert list((bundled / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert "\\frac" in chapter or "\\(" in chapter  # formulas are there, for MathJax to render


def test_the_examples_gallery_has_a_page_per_example_with_its_figures(built: Path) -> None:
    examples = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
    gallery = built / "html" / "auto_examples"
    index = (gallery / "index.html").read_text("utf-8")
    for name in examples:
        page = (gallery / f"{name}.html").read_text("utf-8")
        assert f"{name}.html" in index
        assert 'class="sphx-glr-script-out' in page, f"{name}: no output shown"
        images = re.findall(r'<img[^>]+src="(\.\./_images/[^"]+\.png)"', page)
        assert images, f"{name}: no figure"
        # the page offers the example as a notebook to download (it runs in a kernel:
        # tests/test_example_notebooks.py)
        links = re.findall(rf'href="(\.\./_downloads/[^"]+/{name}\.ipynb)"', page)
        assert links, f"{name}: no notebook to download"
        notebook = json.loads((gallery / links[0]).resolve().read_text("utf-8"))
        assert notebook["nbformat"] == 4 and notebook["cells"], f"{name}: not a notebook"
        assert any("command_line()" in "".join(c["source"]) for c in notebook["cells"])
        # each figure links to itself at full size
        linked = re.findall(r'<a[^>]+href="(\.\./_images/[^"]+\.png)"[^>]*>\s*<img', page)
        assert sorted(linked) == sorted(images), f"{name}: a figure without a link to full size"
        for src in images:
            assert (gallery / src).resolve().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    tour = (gallery / "using_the_command_line.html").read_text("utf-8")
    # training.png, confusion_matrix.png, misclassified.png, the drawn digit and what the
    # network saw of it
    assert len(re.findall(r'<img[^>]+src="\.\./_images/', tour)) >= 5
    assert "test accuracy" in tour and "my_seven.png: " in tour


# -- what neither -W nor the link test sees: error boxes, placeholder thumbnails ---------------
#: Classes that paint an error on a built page: docutils' system messages and problematic
#: references (red text), and a ``.. contents::`` block, which Furo covers with a red box
#: reading "ERROR: Adding a table of contents in Furo-based documentation is unnecessary"
#: unless it carries Furo's escape-hatch class.
_ERROR_CLASSES = {"system-message", "problematic", "contents"}
_FURO_ESCAPE = "this-will-duplicate-information-and-it-is-still-useful-here"


def error_boxes(html: str) -> list[str]:
    """The elements of ``html`` whose classes paint an error (see ``_ERROR_CLASSES``)."""
    found = []
    for match in re.finditer(r"<(\w+)\b[^>]*\sclass=\"([^\"]*)\"", html):
        classes = set(match.group(2).split())
        if classes & _ERROR_CLASSES and _FURO_ESCAPE not in classes:
            found.append(match.group(0))
    return found


def test_error_boxes_are_recognised() -> None:
    """The check itself, on the HTML that the API page had (a red ERROR box over it)."""
    assert error_boxes('<nav class="contents local" id="on-this-page">') != []
    assert error_boxes('<div class="system-message">') != []
    assert error_boxes(f'<nav class="contents local {_FURO_ESCAPE}">') == []
    assert error_boxes('<div class="toc-drawer"><p class="caption">Contents</p>') == []


def test_no_page_shows_an_error_box(built: Path) -> None:
    boxes = {
        str(page.relative_to(built / "html")): found
        for page in _pages(built)
        if (found := error_boxes(page.read_text("utf-8")))
    }
    assert not boxes, f"pages with an error box: {boxes}"


def test_no_gallery_thumbnail_is_the_placeholder(built: Path, tmp_path: Path) -> None:
    """An example without a figure gets sphinx-gallery's stock picture (or, if it failed,
    its broken-example picture) as thumbnail; each of ours shows one of its own figures."""
    from PIL import Image
    from sphinx_gallery import glr_path_static
    from sphinx_gallery.utils import scale_image

    stock = []
    for name in ("no_image.png", "broken_example.png"):
        scale_image(Path(glr_path_static()) / name, tmp_path / name, 400, 280)  # as it does
        with Image.open(tmp_path / name) as picture:
            stock.append(np.asarray(picture.convert("RGB")))
    index = (built / "html" / "auto_examples" / "index.html").read_text("utf-8")
    thumbs = re.findall(r'src="(\.\./_images/sphx_glr_(\w+)_thumb\.png)"', index)
    examples = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
    assert sorted(name for _, name in thumbs) == examples
    placeholders = []
    for src, name in thumbs:
        with Image.open(built / "html" / "auto_examples" / src) as thumb:
            pixels = np.asarray(thumb.convert("RGB"))
        if any(p.shape == pixels.shape and np.array_equal(p, pixels) for p in stock):
            placeholders.append(name)
    assert not placeholders, f"thumbnails that are sphinx-gallery's stock picture: {placeholders}"
