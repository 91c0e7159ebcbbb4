"""The book map (``docs/book_map.rst``) and the docstrings' "Book section" headings agree.

The rule, also stated on the page:

* Every public name (``tinynn.__all__``, ``tinynn.datasets.__all__``,
  ``tinynn.plot.__all__``) has a docstring with a ``Book section`` heading; for a
  class it is the class docstring, and an instance (such as
  ``tinynn.datasets.MNIST``) takes its class's docstring.
* The section numbers of a name are the tokens ``C.S`` or ``C.S.s`` in the text
  under that heading, ignoring ``literal`` spans; a range ``5.4-5.6`` stands for
  every section from its first to its last (5.4, 5.5, 5.6).
* In the map's table (the ``list-table`` with ``:class: book-map``) each row is
  one section; its third column lists names as cross-references
  (``:func:`~tinynn.numerical_diff```).
* A name is listed in exactly the rows of its sections: listed in row ``s`` if
  and only if ``s`` is among its section numbers. So every section a docstring
  names has a row, every public name appears, and the map never claims a
  section the docstring does not.
* The table has a row for every section of Chapter 4 from 4.1 to 4.5.3.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BOOK_MAP = Path(__file__).resolve().parents[1] / "docs" / "book_map.rst"

#: The sections of Chapter 4 the map must have a row for, in book order.
CHAPTER_4 = [
    "4.1", "4.1.1", "4.1.2",
    "4.2", "4.2.1", "4.2.2", "4.2.3", "4.2.4", "4.2.5",
    "4.3", "4.3.1", "4.3.2", "4.3.3",
    "4.4", "4.4.1", "4.4.2",
    "4.5", "4.5.1", "4.5.2", "4.5.3",
]  # fmt: skip

SECTION = r"[1-8]\.\d{1,2}(?:\.\d{1,2})?"
SECTION_TOKEN = re.compile(rf"(?<![\w.])({SECTION})(?:\s*[-\u2013]\s*({SECTION}))?(?!\w|\.\d)")
XREF = re.compile(r":(?:py:)?(?:func|class|exc|data|obj|attr|meth):`~?(tinynn(?:\.\w+)+)`")
HEADING_RULE = re.compile(r"-{3,}")


def public_modules() -> list[ModuleType]:
    """``tinynn`` and its public subpackages that import here (plot needs matplotlib)."""
    mods = [importlib.import_module("tinynn")]
    for name in ("tinynn.datasets", "tinynn.plot"):
        try:
            mods.append(importlib.import_module(name))
        except ImportError:
            if name == "tinynn.plot" and importlib.util.find_spec("matplotlib") is None:
                continue
            raise
    return mods


def public_names() -> dict[str, object]:
    """Every public name, fully qualified (``tinynn.datasets.load_mnist``), with its object."""
    return {f"{mod.__name__}.{n}": getattr(mod, n) for mod in public_modules() for n in mod.__all__}


def book_section_text(obj: object) -> str | None:
    """The text under the ``Book section`` heading of ``obj``'s docstring, or ``None``."""
    doc = inspect.getdoc(obj)
    if not doc:
        return None
    lines = doc.splitlines()
    for i in range(len(lines) - 1):
        if lines[i].strip() == "Book section" and HEADING_RULE.fullmatch(lines[i + 1].strip()):
            body: list[str] = []
            for j in range(i + 2, len(lines)):
                nxt = lines[j + 1].strip() if j + 1 < len(lines) else ""
                if lines[j].strip() and HEADING_RULE.fullmatch(nxt):
                    break  # the next NumPy-style section starts
                body.append(lines[j])
            text = "\n".join(body).strip()
            return text or None
    return None


def _expand(first: str, last: str) -> list[str]:
    a, b = first.split("."), last.split(".")
    if len(a) != len(b) or a[:-1] != b[:-1] or int(a[-1]) > int(b[-1]):
        raise ValueError(f"cannot read the range {first}-{last}: write the sections out")
    prefix = ".".join(a[:-1])
    return [f"{prefix}.{k}" for k in range(int(a[-1]), int(b[-1]) + 1)]


def sections_in(text: str) -> set[str]:
    """The section numbers named in a Book section text."""
    text = re.sub(r"``.*?``", "", text, flags=re.S)
    found: set[str] = set()
    for m in SECTION_TOKEN.finditer(text):
        found.update(_expand(m.group(1), m.group(2)) if m.group(2) else [m.group(1)])
    return found


def _table_lines(text: str) -> Iterator[str]:
    """The body lines of the ``list-table`` marked ``:class: book-map``."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(".. list-table::"):
            j, options = i + 1, []
            while j < len(lines) and lines[j].strip().startswith(":"):
                options.append(lines[j].strip())
                j += 1
            if ":class: book-map" not in options:
                continue
            for line2 in lines[j:]:
                if line2.strip() and not line2.startswith(" "):
                    return
                yield line2
            return
    raise AssertionError(f"{BOOK_MAP} has no list-table with ':class: book-map'")


def parse_map(text: str) -> list[list[str]]:
    """Rows of cells of the book-map table (header row included)."""
    rows: list[list[str]] = []
    for line in _table_lines(text):
        stripped = line.strip()
        if stripped.startswith("* - "):
            rows.append([stripped[4:]])
        elif stripped.startswith("- ") and rows:
            rows[-1].append(stripped[2:])
        elif stripped and rows:
            rows[-1][-1] += " " + stripped
    return rows


def map_sections() -> dict[str, set[str]]:
    """Section number -> the qualified names its row lists."""
    rows = parse_map(BOOK_MAP.read_text(encoding="utf-8"))
    assert rows, "the book-map table is empty"
    header, body = rows[0], rows[1:]
    assert header[0].strip().lower().startswith("section"), f"unexpected header {header}"
    out: dict[str, set[str]] = {}
    for row in body:
        assert len(row) >= 3, f"row {row} needs section, topic and names columns"
        section = row[0].strip()
        assert re.fullmatch(SECTION, section), f"row {row}: {section!r} is not a section number"
        assert section not in out, f"section {section} has two rows"
        out[section] = set(XREF.findall(row[2]))
    return out


# -- the tests ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(public_names()))
def test_public_name_has_book_section(name: str) -> None:
    text = book_section_text(public_names()[name])
    assert text is not None, f"{name}'s docstring has no 'Book section' heading"
    assert sections_in(text), f"{name}'s Book section names no section number: {text!r}"


def test_map_lists_every_public_name_in_exactly_its_sections() -> None:
    names = public_names()
    rows = map_sections()
    listed: dict[str, set[str]] = {}
    for section, in_row in rows.items():
        for name in in_row:
            listed.setdefault(name, set()).add(section)
    problems = [f"{name} is in the map but not public" for name in sorted(set(listed) - set(names))]
    for name, obj in sorted(names.items()):
        doc = sections_in(book_section_text(obj) or "")
        have = listed.get(name, set())
        if not have:
            problems.append(f"{name} is missing from the map (its docstring says {sorted(doc)})")
        elif have != doc:
            problems.append(
                f"{name}: the map lists it under {sorted(have)}, its docstring says {sorted(doc)}"
            )
    assert not problems, "book map and docstrings disagree:\n  " + "\n  ".join(problems)


def test_map_covers_chapter_4() -> None:
    rows = map_sections()
    missing = [s for s in CHAPTER_4 if s not in rows]
    assert not missing, f"the book map has no row for {missing}"


def test_map_rows_are_in_book_order() -> None:
    order = [tuple(int(p) for p in s.split(".")) for s in map_sections()]
    assert order == sorted(order), "sort the book map's rows by section number"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4.3.1 (derivatives), 4.3.2 (an example)", {"4.3.1", "4.3.2"}),
        ("5.4-5.6 (layers), previewed in 4.5.1", {"5.4", "5.5", "5.6", "4.5.1"}),
        ("4.4.1 (figure 4-10, ``ch04/gradient_method.py``)", {"4.4.1"}),
        ("4.5.2 (``network.params[key] -= 0.1 * grad[key]``), 6.1.2 (SGD)", {"4.5.2", "6.1.2"}),
        ("3.2.4 (the sigmoid); used by ``TwoLayerNet`` in 4.5.1.", {"3.2.4", "4.5.1"}),
    ],
)
def test_sections_in(text: str, expected: set[str]) -> None:
    assert sections_in(text) == expected


def test_parse_map_reads_multiline_cells() -> None:
    text = """
.. list-table::
   :header-rows: 1
   :class: book-map

   * - Section
     - Topic
     - Names
   * - 4.3.1
     - Derivatives
     - :func:`~tinynn.numerical_diff`,
       :exc:`~tinynn.PrecisionWarning`

After the table.
"""
    rows = parse_map(text)
    assert rows[1][0] == "4.3.1"
    assert set(XREF.findall(rows[1][2])) == {"tinynn.numerical_diff", "tinynn.PrecisionWarning"}
