"""Every row of the table in ``docs/errors.rst`` is run: the input gets the error it lists."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinynn as nn
from tinynn.datasets import load_mnist

PAGE = Path(__file__).resolve().parents[1] / "docs" / "errors.rst"
ROW = re.compile(
    r"^   \* - ``(?P<code>.+)``\n     - ``(?P<kind>\w+)``\n     - ``(?P<excerpt>.+)``$",
    re.MULTILINE,
)
ROWS = [m.groupdict() for m in ROW.finditer(PAGE.read_text(encoding="utf-8"))]
KINDS: dict[str, type[BaseException] | type[Warning]] = {
    "TypeError": TypeError,
    "ValueError": ValueError,
    "KeyError": KeyError,
    "PrecisionWarning": nn.PrecisionWarning,
}


def namespace() -> dict[str, Any]:
    return {
        "np": np,
        "nn": nn,
        "load_mnist": load_mnist,
        "net": nn.TwoLayerNet(4, 5, 3, rng=0),
        "x": np.ones((2, 4)),
        "t": np.array([0, 2]),
        "f1": lambda v: 0.01 * v**2 + 0.1 * v,
        "f2": lambda v: v[0] ** 2 + v[1] ** 2,
    }


def test_the_table_is_there_and_large() -> None:
    assert len(ROWS) >= 40
    assert len({r["code"] for r in ROWS}) == len(ROWS)  # no row twice
    assert {r["kind"] for r in ROWS} <= set(KINDS)


@pytest.mark.parametrize("row", ROWS, ids=[r["code"][:60] for r in ROWS])
def test_row(row: dict[str, str], cache: Path) -> None:  # cache: load_mnist never touches ~
    kind = KINDS[row["kind"]]
    code = row["code"]
    if issubclass(kind, Warning):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exec(code, namespace())
        messages = [str(w.message) for w in caught if issubclass(w.category, kind)]
        assert len(messages) == 1, [str(w.message) for w in caught]
        assert row["excerpt"] in messages[0]
        return
    with pytest.raises(kind) as info:
        exec(code, namespace())
    message = info.value.args[0] if kind is KeyError else str(info.value)
    assert row["excerpt"] in message, message


def test_a_failed_update_on_the_page_wrote_nothing() -> None:
    ns = namespace()
    b1 = ns["net"].params["b1"].copy()
    with pytest.raises(ValueError):
        exec('net.params |= {"b1": np.ones(5), "W2": np.ones(3)}', ns)
    np.testing.assert_array_equal(ns["net"].params["b1"], b1)
