"""examples/train_convnet.py: the book's chapter 7 run in short, its lines, figures and options;
and the short schedule the documentation's gallery gives it.

The training test needs MNIST on disk (``TINYNN_DATA``); it never downloads.
"""

from __future__ import annotations

import importlib.util
import os
import re
import struct
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tinynn import SimpleConvNet, load_model

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "train_convnet.py"
FLOAT = r"[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?"

needs_mnist = pytest.mark.skipif(
    not os.environ.get("TINYNN_DATA"),
    reason="MNIST not configured: set TINYNN_DATA to a folder holding mnist/ (never downloaded)",
)


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tinynn_example_train_convnet", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


@needs_mnist
def test_a_short_run_prints_the_books_lines_learns_and_draws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    out, maps, model = tmp_path / "filters.png", tmp_path / "maps.png", tmp_path / "net.npz"
    args = ["--epochs", "2", "--train-size", "500", "--batch-size", "50", "--test-size", "500",
            "--eval-samples", "200", "--lr", "0.003", "--out", str(out), "--maps-out", str(maps),
            "--save-model", str(model), "--no-download"]  # fmt: skip
    assert load().main(args) == 0
    text = capsys.readouterr().out
    epochs = re.findall(rf"^=== epoch:(\d+), train acc:({FLOAT}), test acc:({FLOAT}) ===$", text,
                        re.MULTILINE)  # fmt: skip
    assert [int(e[0]) for e in epochs] == [1, 2]  # one line per epoch of 10 iterations
    assert "20 iterations in " in text and "ms per iteration" in text
    final = re.search(rf"=============== Final Test Accuracy ===============\ntest acc:({FLOAT})",
                      text)  # fmt: skip
    assert final is not None
    accuracy = float(final.group(1))
    assert accuracy > 0.5  # chance is 0.1; 20 Adam steps of 50 images reach far more
    assert accuracy * 500 == pytest.approx(round(accuracy * 500))  # a fraction of 500 images
    assert png_size(out)[0] >= 600 and png_size(maps)[0] >= 600
    net = load_model(model, model=SimpleConvNet())
    from tinynn.datasets import load_mnist

    _, (x_test, t_test) = load_mnist(normalize=True, flatten=False, download=False)
    assert net.accuracy(x_test[:500], t_test[:500]) == accuracy


@needs_mnist
def test_no_plot_draws_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "filters.png"
    args = ["--epochs", "1", "--train-size", "100", "--test-size", "100", "--eval-samples", "50",
            "--no-plot", "--out", str(out), "--no-download"]  # fmt: skip
    assert load().main(args) == 0
    assert not out.exists()
    assert "test acc:" in capsys.readouterr().out


def test_the_docs_gallery_runs_the_short_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain run is the book's 20 epochs; the docs' gallery passes the short schedule."""
    module = load()
    monkeypatch.setattr(sys, "argv", ["train_convnet.py"])
    assert module.parse_args(None).epochs == 20  # a user's plain run: the book's schedule
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
    from gallery_helpers import reset_argv

    argv = reset_argv({}, {"src_file": "examples/train_convnet.py"})
    assert argv == module.DOCS_OPTIONS
    docs = module.parse_args(argv)
    assert (docs.epochs, docs.train_size, docs.test_size) == (1, 3000, 2000)


def test_bad_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    module = load()
    for bad in (["--epochs", "0"], ["--lr", "-1"], ["--train-size", "0"]):
        with pytest.raises(SystemExit):
            module.parse_args(bad)
    assert "must be" in capsys.readouterr().err


def test_missing_data_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("TINYNN_DATA", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load().main(["--data-dir", str(tmp_path), "--no-download"]) == 1
    assert "could not load MNIST" in capsys.readouterr().err
