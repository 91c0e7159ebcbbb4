"""The extending page's code is what a learner copies: it must pass ``mypy --strict`` against
tinynn's Protocols, as the page promises ("mypy checks that they do")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

PAGE = Path(__file__).resolve().parent.parent / "docs" / "extending.rst"


def page_code(text: str) -> str:
    """The page's ``testcode`` blocks and its doctests' statements, in order, as one module."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        directive = re.match(r"^\.\. (testcode|testsetup|doctest)::", lines[i])
        i += 1
        if not directive:
            continue
        while i < len(lines) and lines[i].startswith("   :"):  # options
            i += 1
        block = []
        while i < len(lines) and (lines[i].startswith("   ") or not lines[i].strip()):
            line = lines[i][3:]
            i += 1
            if directive.group(1) != "doctest":
                block.append(line)
            elif line.startswith((">>> ", "... ")) or line in (">>>", "..."):
                block.append(line[4:])
        out.append("\n".join(block))
    return "\n\n".join(out) + "\n"


def test_the_pages_code_is_extracted_whole() -> None:
    code = page_code(PAGE.read_text(encoding="utf-8"))
    compile(code, str(PAGE), "exec")  # one module, in order
    for name in ("class ForwardDiff", "class MyMomentum", "class Tanh", "class TanhRule",
                 "class SoftmaxWithSquaredError", "nn.Trainer("):  # fmt: skip
        assert name in code


def test_the_extending_pages_code_passes_mypy_strict(tmp_path: Path) -> None:
    module = tmp_path / "extending_page.py"
    module.write_text(page_code(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    out, err, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / ".mypy"), str(module)]
    )
    assert status == 0, out + err
